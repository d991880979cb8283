package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gitops-bot/gitops/bot/policy"
	"github.com/gitops-bot/gitops/internal/safefile"
)

// policyInput names the policy rules among the inputs recorded with a plan
// (tf.PlanRequest.Inputs): a plan is applied only under the rules it was
// reviewed with.
const policyInput = "policy/"

// maxRuleFileSize bounds one *.rego file read for the digest.
const maxRuleFileSize = 1 << 20

// rulesDigest hashes the rule files that gate applies (every *.rego but the
// *_test.rego files, by name and content), so that a plan records which
// rules its verdict came from.
func (p *Pipeline) rulesDigest() (string, error) {
	names, err := filepath.Glob(filepath.Join(p.cfg.PolicyDir, "*.rego"))
	if err != nil {
		return "", fmt.Errorf("list policy files in %s: %w", p.cfg.PolicyDir, err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return strings.HasSuffix(n, "_test.rego") })
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		data, err := safefile.ReadFile(n, maxRuleFileSize)
		if err != nil {
			return "", fmt.Errorf("read policy %s: %w", n, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(n), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// engine loads the rules that gate applies.
func (p *Pipeline) engine(ctx context.Context) (*policy.Engine, error) {
	return policy.LoadDir(ctx, p.cfg.PolicyDir)
}
