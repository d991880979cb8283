package localaws_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/gitops-bot/gitops/bot/localaws"
	"github.com/gitops-bot/gitops/internal/toolcheck"
)

const motoHint = "pip install 'moto[server]==5.2.1'"

func start(t *testing.T) *localaws.Emulator {
	t.Helper()
	toolcheck.Require(t, "python3")
	toolcheck.RequireModule(t, "moto", motoHint)
	var stderr strings.Builder
	e, err := localaws.Start(t.Context(), localaws.Options{Stderr: &stderr})
	if err != nil {
		t.Fatalf("start: %v\nstderr:\n%s", err, stderr.String())
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return e
}

func TestEmulatorBackend(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	if !strings.HasPrefix(e.Endpoint(), "http://127.0.0.1:") {
		t.Fatalf("endpoint %q is not on 127.0.0.1", e.Endpoint())
	}

	for _, b := range []localaws.Backend{
		{Bucket: "state-east", Table: "lock-east", Region: "us-east-1"},
		{Bucket: "state-west", Table: "lock-west", Region: "us-west-2"},
	} {
		t.Run("bootstrap twice creates bucket and lock table once in "+b.Region, func(t *testing.T) {
			for i := range 2 {
				if err := e.Bootstrap(ctx, b); err != nil {
					t.Fatalf("bootstrap #%d: %v", i+1, err)
				}
			}
			assertBackend(t, e, b)
		})
	}

	t.Run("reset removes the backend and bootstrap recreates it", func(t *testing.T) {
		b := localaws.Backend{Bucket: "state-reset", Table: "lock-reset", Region: "us-east-1"}
		if err := e.Bootstrap(ctx, b); err != nil {
			t.Fatal(err)
		}
		if err := e.Reset(ctx); err != nil {
			t.Fatalf("reset: %v", err)
		}
		if _, err := s3Client(e, b.Region).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.Bucket)}); err == nil {
			t.Fatalf("bucket %s still exists after reset", b.Bucket)
		}
		if err := e.Bootstrap(ctx, b); err != nil {
			t.Fatalf("bootstrap after reset: %v", err)
		}
		assertBackend(t, e, b)
	})
}

func assertBackend(t *testing.T, e *localaws.Emulator, b localaws.Backend) {
	t.Helper()
	ctx := t.Context()
	if _, err := s3Client(e, b.Region).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.Bucket)}); err != nil {
		t.Errorf("head bucket %s: %v", b.Bucket, err)
	}
	out, err := dynamodb.NewFromConfig(e.Config(b.Region)).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(b.Table)})
	if err != nil {
		t.Fatalf("describe table %s: %v", b.Table, err)
	}
	keys := out.Table.KeySchema
	if len(keys) != 1 || aws.ToString(keys[0].AttributeName) != "LockID" || keys[0].KeyType != "HASH" {
		t.Errorf("table %s key schema = %+v, want LockID HASH", b.Table, keys)
	}
}

func s3Client(e *localaws.Emulator, region string) *s3.Client {
	return s3.NewFromConfig(e.Config(region), func(o *s3.Options) { o.UsePathStyle = true })
}

// The launcher's ElastiCache patch is what lets the stack's encrypted
// replication group apply and re-plan cleanly; check its effect on the wire.
func TestReplicationGroupHasEncryptedMemberClusters(t *testing.T) {
	e := start(t)
	form := url.Values{
		"Action":                             {"CreateReplicationGroup"},
		"Version":                            {"2015-02-02"},
		"ReplicationGroupId":                 {"dev-inventory"},
		"ReplicationGroupDescription":        {"test"},
		"Engine":                             {"redis"},
		"EngineVersion":                      {"7.1"},
		"CacheNodeType":                      {"cache.t3.micro"},
		"NumCacheClusters":                   {"2"},
		"AtRestEncryptionEnabled":            {"true"},
		"TransitEncryptionEnabled":           {"true"},
		"AuthToken":                          {"0123456789abcdef0123456789abcdef"},
		"SecurityGroupIds.SecurityGroupId.1": {"sg-12345678"},
	}
	elasticache(t, e, form)

	for _, id := range []string{"dev-inventory-001", "dev-inventory-002"} {
		var out struct {
			Clusters []struct {
				ID             string `xml:"CacheClusterId"`
				NodeType       string `xml:"CacheNodeType"`
				EngineVersion  string `xml:"EngineVersion"`
				AtRest         bool   `xml:"AtRestEncryptionEnabled"`
				Transit        bool   `xml:"TransitEncryptionEnabled"`
				SecurityGroups []struct {
					ID string `xml:"SecurityGroupId"`
				} `xml:"SecurityGroups>member"`
			} `xml:"DescribeCacheClustersResult>CacheClusters>CacheCluster"`
		}
		body := elasticache(t, e, url.Values{"Action": {"DescribeCacheClusters"}, "Version": {"2015-02-02"}, "CacheClusterId": {id}})
		if err := xml.Unmarshal(body, &out); err != nil {
			t.Fatalf("decode DescribeCacheClusters: %v\n%s", err, body)
		}
		if len(out.Clusters) != 1 {
			t.Fatalf("DescribeCacheClusters %s returned %d clusters:\n%s", id, len(out.Clusters), body)
		}
		c := out.Clusters[0]
		if c.NodeType != "cache.t3.micro" || c.EngineVersion != "7.1" || !c.AtRest || !c.Transit ||
			len(c.SecurityGroups) != 1 || c.SecurityGroups[0].ID != "sg-12345678" {
			t.Errorf("member %s = %+v, want the group's node type, engine version, both encryptions and security group", id, c)
		}
	}
}

// elasticache sends one query-protocol request; moto routes it by the
// service in the credential scope and does not check the signature.
func elasticache(t *testing.T, e *localaws.Emulator, form url.Values) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.Endpoint()+"/", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/elasticache/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", form.Get("Action"), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s\n%s", form.Get("Action"), resp.Status, body)
	}
	return body
}

func TestCloseLeavesNoProcess(t *testing.T) {
	toolcheck.Require(t, "python3")
	toolcheck.RequireModule(t, "moto", motoHint)
	e, err := localaws.Start(t.Context(), localaws.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pid := e.PID()
	if err := e.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d after Close: kill -0 = %v, want ESRCH", pid, err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func TestStartFailures(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		opts localaws.Options
		need bool // needs python3 with moto
	}{
		{name: "missing interpreter is an error", ctx: context.Background(), opts: localaws.Options{Python: "/nonexistent/python3"}},
		{name: "interpreter without moto is an error", ctx: context.Background(), opts: localaws.Options{Python: "/bin/false"}},
		{name: "cancelled context stops the start", ctx: cancelled, need: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.need {
				toolcheck.RequireModule(t, "moto", motoHint)
			}
			if _, err := os.Stat("/bin/false"); err != nil && tt.opts.Python == "/bin/false" {
				t.Skip("/bin/false not present")
			}
			e, err := localaws.Start(tt.ctx, tt.opts)
			if err == nil {
				_ = e.Close()
				t.Fatal("Start succeeded, want an error")
			}
		})
	}
}

// TestCloseKillsALauncherThatDoesNotStop: moto's server can hang in its own
// shutdown; Close must not hang with it.
func TestCloseKillsALauncherThatDoesNotStop(t *testing.T) {
	toolcheck.Require(t, "python3")
	toolcheck.RequireModule(t, "moto", motoHint)
	e, err := localaws.Start(t.Context(), localaws.Options{StopGrace: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pid := e.PID()
	// A stopped process handles neither the closed stdin nor SIGTERM.
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- e.Close() }()
	select {
	case <-closed:
	case <-time.After(time.Minute):
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Fatal("Close waited more than a minute for a launcher that does not stop")
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d after Close: kill -0 = %v, want ESRCH", pid, err)
	}
}
