package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
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

// OwnersFile names the file beside the rules that says who may override
// which rule (CODEOWNERS-like, rule patterns instead of paths).
const OwnersFile = "OWNERS"

// engine loads the rules that gate applies, with their owners.
func (p *Pipeline) engine(ctx context.Context) (*policy.Engine, error) {
	owners, err := LoadOwners(p.cfg.PolicyDir)
	if err != nil {
		return nil, err
	}
	return policy.LoadDir(ctx, p.cfg.PolicyDir, policy.WithOwners(owners))
}

// LoadOwners reads dir/OWNERS; without one, no rule has owners and no deny
// can be overridden.
func LoadOwners(dir string) (policy.Owners, error) {
	path := filepath.Join(dir, OwnersFile)
	data, err := safefile.ReadFile(path, maxRuleFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return policy.Owners{}, nil
	}
	if err != nil {
		return policy.Owners{}, fmt.Errorf("read rule owners: %w", err)
	}
	return policy.ParseOwners(bytes.NewReader(data), path)
}
