package report

import (
	"os"
	"strings"
	"testing"
)

// Fake secrets, in the shapes Redact looks for. The AWS pair is AWS's own
// documentation example.
const (
	fakeAccessKeyID = "AKIAIOSFODNN7EXAMPLE"
	fakeSessionKey  = "ASIAY34FZKBOKMUTVV7A"
	fakeSecretKey   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	fakeJWT         = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	fakeKeyBody     = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\nLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo"
)

var (
	fakeGitHubTokens = []string{
		"ghp_" + strings.Repeat("a1B2", 9),
		"gho_" + strings.Repeat("Z9y8", 9),
		"ghu_" + strings.Repeat("Q7w6", 9),
		"ghs_" + strings.Repeat("k3L4", 9),
		"ghr_" + strings.Repeat("m5N6", 9),
		"github_pat_11ABCDEFG0" + strings.Repeat("x_Y9", 20),
	}
	fakePEM = "-----BEGIN RSA PRIVATE KEY-----\n" + fakeKeyBody + "\n-----END RSA PRIVATE KEY-----"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// What is removed.
		{"AWS access key id", "export AWS_ACCESS_KEY_ID=" + fakeAccessKeyID, "export AWS_ACCESS_KEY_ID=(redacted)"},
		{"AWS temporary access key id inside JSON", `{"AccessKeyId": "` + fakeSessionKey + `"}`, `{"AccessKeyId": "(redacted)"}`},
		{"AWS secret key after aws_secret_access_key", "aws_secret_access_key = " + fakeSecretKey, "aws_secret_access_key = (redacted)"},
		{"AWS secret key in an environment variable", "AWS_SECRET_ACCESS_KEY=" + fakeSecretKey + " terraform plan", "AWS_SECRET_ACCESS_KEY=(redacted) terraform plan"},
		{"AWS secret key in STS JSON", `"SecretAccessKey": "` + fakeSecretKey + `",`, `"SecretAccessKey": "(redacted)",`},
		{"AWS secret key after a secret key", "secret: " + fakeSecretKey, "secret: (redacted)"},
		{"classic GitHub personal token", "token " + fakeGitHubTokens[0] + " expired", "token (redacted) expired"},
		{"GitHub OAuth token", fakeGitHubTokens[1], "(redacted)"},
		{"GitHub user-to-server token", "Bearer " + fakeGitHubTokens[2], "Bearer (redacted)"},
		{"GitHub installation token in a clone URL", "https://x-access-token:" + fakeGitHubTokens[3] + "@github.com/o/r.git", "https://x-access-token:(redacted)@github.com/o/r.git"},
		{"GitHub refresh token", "refresh=" + fakeGitHubTokens[4], "refresh=(redacted)"},
		{"fine-grained GitHub token", "GH=" + fakeGitHubTokens[5] + "\n", "GH=(redacted)\n"},
		{"PEM private key block", "key:\n" + fakePEM + "\ndone", "key:\n(redacted private key)\ndone"},
		{"indented private key in a terraform heredoc", "      + private_key_pem = <<-EOT\n            -----BEGIN EC PRIVATE KEY-----\n            MHcCAQEEIBkg\n            -----END EC PRIVATE KEY-----\n        EOT",
			"      + private_key_pem = <<-EOT\n            (redacted private key)\n        EOT"},
		{"private key with escaped newlines in JSON", `"pem": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n"`, `"pem": "(redacted private key)\n"`},
		{"private key cut short by a log tail", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAABG5vbmU\nError: exit 1", "(redacted private key)\nError: exit 1"},
		{"two keys", fakePEM + "\nand\n" + fakePEM, "(redacted private key)\nand\n(redacted private key)"},
		{"a key cut short before a whole one", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n" + fakePEM, "(redacted private key)\n(redacted private key)"},
		{"an END line alone stays", "-----END RSA PRIVATE KEY-----", ""},
		{"private key whose start was cut off", "7onLRnrq0/IzW7yWR7Qk\nLxoS2tFczGkPLPg==\n-----END RSA PRIVATE KEY-----\nok", "(redacted private key)\nok"},
		{"password assignment keeps its key and quotes", `  + password = "hunter2-but-longer"`, `  + password = "(redacted)"`},
		{"passwd in YAML", "passwd: s3cr3t", "passwd: (redacted)"},
		{"token in YAML", "  token: abc.def", "  token: (redacted)"},
		{"auth_token changed in a plan", `  ~ auth_token = "old-token-value" -> "new-token-value"`, `  ~ auth_token = "(redacted)" -> "(redacted)"`},
		{"auth_token removed in a plan", `  - auth_token = "old-token-value" -> null`, `  - auth_token = "(redacted)" -> null`},
		{"changed attribute of a summary", "master_password: old → new", "master_password: (redacted) → (redacted)"},
		{"secret in a JSON object", `{"client_secret":"abc123","id":"x"}`, `{"client_secret":"(redacted)","id":"x"}`},
		{"secret_string with a single-quoted value", "secret_string: 'p4ss w0rd'", "secret_string: '(redacted)'"},
		{"DB password in an environment variable", "DB_PASSWORD=p4ss&x=1", "DB_PASSWORD=(redacted)&x=1"},
		{"command-line flag", "psql --password=p4ss -h db", "psql --password=(redacted) -h db"},
		{"quoted value cut short", `error: password = "abc`, `error: password = (redacted)`},
		{"JWT", "Authorization: Bearer " + fakeJWT, "Authorization: Bearer (redacted)"},
		{"credentials in a database URL", "DATABASE_URL=postgresql://app:S3cr3t@db.internal:5432/inventory", "DATABASE_URL=postgresql://app:(redacted)@db.internal:5432/inventory"},
		{"credentials in a Redis URL with @ in the password", "redis://default:p@ss@cache:6379", "redis://default:(redacted)@cache:6379"},

		// What survives.
		{"terraform's own sensitive marker", "  + password = (sensitive value)", "  + password = (sensitive value)"},
		{"write-only attribute", "  + password_wo = (write-only attribute)", "  + password_wo = (write-only attribute)"},
		{"unknown value", "  + auth_token = (known after apply)", "  + auth_token = (known after apply)"},
		{"write-only version", "  + password_wo_version = 1", "  + password_wo_version = 1"},
		{"null and booleans", "  + manage_master_user_password = true\n  + auth_token = null", "  + manage_master_user_password = true\n  + auth_token = null"},
		{"secret ARN", `  + secret_arn = "arn:aws:secretsmanager:us-west-2:123456789012:secret:dev/jwt-secret-AbCdEf"`, ""},
		{"container secret reference", `valueFrom = "arn:aws:secretsmanager:us-west-2:123456789012:secret:dev/db-password-Xy12Zq:password::"`, ""},
		{"secret resource address", `  # aws_secretsmanager_secret.db_password will be created`, ""},
		{"secret resource block", `  + resource "aws_secretsmanager_secret" "jwt_secret" {`, ""},
		{"secret name", `      + name = "dev/db-password"`, ""},
		{"IAM ARN", `role_arn = "arn:aws:iam::123456789012:role/dev-inventory-task-execution"`, ""},
		{"image digest", "image = 123456789012.dkr.ecr.us-west-2.amazonaws.com/inventory-management/api-gateway@sha256:0f4e7c3b5d2a1e9f8c7b6a5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f", ""},
		{"image tag", `image = "inventory-management/ui:v1.2.0"`, ""},
		{"commit SHA", "head 3f786850e387550fdab836ed7e6dc881de23001b (40 hex, like a secret key but not after a secret key)", ""},
		{"desired count", "      ~ desired_count = 3 -> 1", ""},
		{"URL without credentials", "https://github.com/o/r/pull/12#issuecomment-1", ""},
		{"hostname with dots", "dev-inventory-alb-1234567890.us-west-2.elb.amazonaws.com", ""},
		{"token budget prose", "the token bucket refills; tokens: 5", ""},
		{"heading that names a secret", "### Secrets Manager", ""},
		{"short base64 that is no JWT", "eyJ.a.b", ""},
		{"uppercase word starting with AKIA", "AKIAB is a name", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == "" {
				want = tt.in
			}
			got := Redact(tt.in)
			if got != want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, want)
			}
			if again := Redact(got); again != got {
				t.Errorf("not idempotent: %q → %q", got, again)
			}
		})
	}
}

func TestRedactLeavesTheRealPlanAlone(t *testing.T) {
	// The real plan JSON of the dev scale-down is full of ARNs, ids, digests
	// and secret names, and terraform already masked its sensitive values.
	// The one thing Redact removes is the emulator's access key id, which
	// aws_caller_identity reports as the user id.
	data, err := os.ReadFile("../tf/testdata/real/dev-scale-down.plan.json")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(string(data), fakeAccessKeyID, Redacted)
	if got := Redact(string(data)); got != want {
		a, b := firstDifference(want, got)
		t.Fatalf("Redact changed more than the access key id:\n want %q\n  got %q", a, b)
	}
}

// firstDifference returns the neighbourhood of the first difference of a and b.
func firstDifference(a, b string) (string, string) {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-60)
	return a[from:min(len(a), i+60)], b[from:min(len(b), i+60)]
}

func TestRedactValues(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		values []string
		want   string
	}{
		{"exact value", "auth=Zm9vYmFyYmF6 ok", []string{"Zm9vYmFyYmF6"}, "auth=(redacted) ok"},
		{"every occurrence", "a Zm9vYmFyYmF6 b Zm9vYmFyYmF6", []string{"Zm9vYmFyYmF6"}, "a (redacted) b (redacted)"},
		{"longest first", "x correct-horse-battery y", []string{"correct-horse", "correct-horse-battery"}, "x (redacted) y"},
		{"JSON-escaped form", `"v": "quo\"ted-secret"`, []string{`quo"ted-secret`}, `"v": "(redacted)"`},
		{"short values are ignored", "desired_count = 3 in dev", []string{"3", "dev", "1234567"}, "desired_count = 3 in dev"},
		{"a value inside the marker is ignored", "(redacted) redacted", []string{"redacted"}, "(redacted) redacted"},
		{"no values", "text", nil, "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactValues(tt.in, tt.values); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// plantable are secrets FuzzRedact puts into arbitrary text; each must be
// gone from the result. Key assignments are planted on a line of their own:
// Redact recognises a key only where a word starts.
var plantable = []struct{ text, secret string }{
	{fakeAccessKeyID, fakeAccessKeyID},
	{fakeSessionKey, fakeSessionKey},
	{fakeJWT, fakeJWT},
	{fakePEM, "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK"},
	{"\naws_secret_access_key = " + fakeSecretKey + "\n", fakeSecretKey},
	{"\n  password = \"Tr0ub4dor&3-horse\"\n", "Tr0ub4dor&3-horse"},
	{"\nauth_token: Tr0ub4dor3horse\n", "Tr0ub4dor3horse"},
	{" postgres://app:Tr0ub4dor3horse@db/x ", "Tr0ub4dor3horse"},
}

func init() {
	for _, tok := range fakeGitHubTokens {
		plantable = append(plantable, struct{ text, secret string }{tok, tok})
	}
}

// FuzzRedact: Redact never panics, is idempotent, and a planted secret never
// survives, whatever surrounds it.
func FuzzRedact(f *testing.F) {
	plan, err := os.ReadFile("../tf/testdata/real/dev-scale-down.plan.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(plan[:1024]), uint(100), uint8(0))
	f.Add("  ~ desired_count = 3 -> 1\n", uint(0), uint8(3))
	f.Add("password = \"", uint(12), uint8(5))
	f.Add("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n", uint(33), uint8(4))
	f.Add("https://u:", uint(10), uint8(7))
	f.Add("token: ", uint(7), uint8(8))
	f.Fuzz(func(t *testing.T, text string, at uint, which uint8) {
		once := Redact(text)
		if twice := Redact(once); twice != once {
			t.Fatalf("not idempotent:\n in    %q\n once  %q\n twice %q", text, once, twice)
		}
		p := plantable[int(which)%len(plantable)]
		i := int(at % uint(len(text)+1))
		planted := text[:i] + p.text + text[i:]
		got := Redact(planted)
		if strings.Contains(got, p.secret) {
			t.Fatalf("planted secret survived:\n in  %q\n out %q", planted, got)
		}
		if again := Redact(got); again != got {
			t.Fatalf("not idempotent after planting:\n once  %q\n twice %q", got, again)
		}
	})
}

func BenchmarkRedact(b *testing.B) {
	plan, err := os.ReadFile("../tf/testdata/real/dev-scale-down.plan.json")
	if err != nil {
		b.Fatal(err)
	}
	// A megabyte of log with a key cut short every few lines: the BEGIN and
	// END lines must not each start a scan of the rest.
	keys := strings.Repeat("-----END RSA PRIVATE KEY-----\nAAAA\n-----BEGIN RSA PRIVATE KEY-----\nAAAA\n  password = \"p\"\n", 12_000)
	for _, bb := range []struct {
		name, text string
	}{{"real plan JSON", string(plan)}, {"log full of keys", keys}} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bb.text)))
			for b.Loop() {
				Redact(bb.text)
			}
		})
	}
}
