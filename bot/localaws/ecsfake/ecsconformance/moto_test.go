package ecsconformance_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/gitops-bot/gitops/bot/localaws"
	"github.com/gitops-bot/gitops/bot/localaws/ecsfake/ecsconformance"
	"github.com/gitops-bot/gitops/internal/toolcheck"
)

// One moto serves the package, shared by the cases: the suite gives each
// case names of its own, so nothing is reset between them.
var (
	motoOnce    sync.Once
	moto        *localaws.Emulator
	motoErr     error
	motoSubnets []string
	motoSGs     []string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if moto != nil {
		_ = moto.Close()
	}
	os.Exit(code)
}

func motoBackend(t *testing.T) ecsconformance.Backend {
	t.Helper()
	toolcheck.Require(t, "python3")
	toolcheck.RequireModule(t, "moto", "pip install 'moto[server]==5.2.1'")
	motoOnce.Do(func() {
		if moto, motoErr = localaws.Start(context.Background(), localaws.Options{}); motoErr != nil {
			return
		}
		var subnets struct {
			IDs []string `xml:"subnetSet>item>subnetId"`
		}
		var groups struct {
			IDs []string `xml:"securityGroupInfo>item>groupId"`
		}
		if motoErr = ec2Query(moto.Endpoint(), "DescribeSubnets", &subnets); motoErr != nil {
			return
		}
		if motoErr = ec2Query(moto.Endpoint(), "DescribeSecurityGroups", &groups); motoErr != nil {
			return
		}
		if len(subnets.IDs) == 0 || len(groups.IDs) == 0 {
			motoErr = fmt.Errorf("moto's default VPC: subnets %v, security groups %v; want one of each", subnets.IDs, groups.IDs)
			return
		}
		motoSubnets, motoSGs = subnets.IDs[:1], groups.IDs[:1]
	})
	if motoErr != nil {
		t.Fatalf("start moto: %v", motoErr)
	}
	cfg := moto.Config("us-east-1")
	cfg.HTTPClient = &http.Client{Transport: ecsconformance.FixMotoTaskNumbers(http.DefaultTransport)}
	// moto answers a failure with a 500, which the SDK retries: no backoff.
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.Backoff = retry.BackoffDelayerFunc(noDelay) })
	}
	return ecsconformance.Backend{
		ECS:            ecs.NewFromConfig(cfg),
		ECR:            ecr.NewFromConfig(cfg),
		Subnets:        motoSubnets,
		SecurityGroups: motoSGs,
	}
}

func noDelay(int, error) (time.Duration, error) { return 0, nil }

// ec2Query reads moto's default VPC through the EC2 query API (the
// repository has no EC2 client and needs none but this).
func ec2Query(endpoint, action string, out any) error {
	form := url.Values{"Action": {action}, "Version": {"2016-11-15"}}
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s\n%s", action, resp.Status, body)
	}
	if err := xml.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s: decode %s: %w", action, body, err)
	}
	return nil
}

func TestMoto(t *testing.T) {
	ecsconformance.Run(t, motoBackend)
}
