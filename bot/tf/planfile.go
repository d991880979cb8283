package tf

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/gitops-bot/gitops/internal/safefile"
)

// Plan is a saved plan: the plan file terraform wrote, its JSON rendering and
// what it was made from. It is stored beside the plan file as <file>.meta.json
// and is all that Apply needs.
type Plan struct {
	Env string `json:"env"`
	// File is the terraform plan file; JSONFile its `terraform show -json`,
	// empty until rendered when the plan has no changes (see Runner.PlanJSON).
	File     string `json:"file"`
	JSONFile string `json:"json_file,omitempty"`
	// TextFile is terraform's human-readable rendering of the plan.
	TextFile string `json:"text_file"`
	// FileSHA256 and JSONSHA256 detect a plan file replaced after review.
	FileSHA256 string `json:"file_sha256"`
	JSONSHA256 string `json:"json_sha256,omitempty"`
	// SpecSHA256 is the hash of the rendered terraform variables the plan was made from.
	SpecSHA256 string `json:"spec_sha256"`
	// State is the state the plan was made against (from the plan file itself).
	State StateVersion `json:"state"`
	// TerraformSHA256 is the hash of the terraform/ tree the plan was made
	// from; a plan is stale once the modules or the stack change.
	TerraformSHA256 string `json:"terraform_sha256"`
	// Inputs are hashes of other inputs the plan was reviewed with, by name
	// (e.g. "policy": the rules that gave its verdict); see PlanRequest.Inputs.
	Inputs map[string]string `json:"inputs,omitempty"`
	// HeadSHA is the commit the plan was made for, when known.
	HeadSHA string `json:"head_sha,omitempty"`
	// Changes is false when terraform found nothing to change.
	Changes   bool      `json:"changes"`
	CreatedAt time.Time `json:"created_at"`
	Summary   Summary   `json:"summary"`
}

// StateVersion identifies one version of a state: every apply bumps Serial;
// Lineage changes when a state is created anew.
type StateVersion struct {
	Lineage string `json:"lineage"`
	Serial  uint64 `json:"serial"`
}

func (s StateVersion) String() string {
	if s.Lineage == "" {
		return "an empty state"
	}
	return fmt.Sprintf("serial %d of lineage %s", s.Serial, s.Lineage)
}

// MetaPath is where a plan file's record is kept.
func MetaPath(planFile string) string { return planFile + ".meta.json" }

// Limits on the files of a saved plan, which may be named on the command
// line or come from another machine: a record is ~2 KiB, plan JSON of the
// stack ~1 MiB, a plan file ~200 KiB.
const (
	maxRecordSize = 1 << 20
	// MaxPlanJSONSize bounds a plan's JSON rendering, saved or given.
	MaxPlanJSONSize = 256 << 20
	maxPlanFileSize = 256 << 20
)

var (
	sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	gitSHARE = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)
)

// LoadPlan reads the record of a saved plan from the plan file's path (or the
// record's own path). The plan file, its JSON and its text are the files
// beside that path, whatever the record says: a record copied elsewhere
// never makes apply run another file. A record that is not well formed is an
// error that says which field is wrong.
func LoadPlan(path string) (*Plan, error) {
	planFile := strings.TrimSuffix(path, ".meta.json")
	meta := MetaPath(planFile)
	data, err := safefile.ReadFile(meta, maxRecordSize)
	if err != nil {
		return nil, fmt.Errorf("load plan %s: %w (was it made by gitops plan?)", path, err)
	}
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("load plan %s: %w", meta, err)
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("load plan %s: malformed record: %w", meta, err)
	}
	abs, err := filepath.Abs(planFile)
	if err != nil {
		return nil, fmt.Errorf("load plan %s: %w", path, err)
	}
	p.File = abs
	p.TextFile = abs + ".txt"
	if p.JSONFile != "" {
		p.JSONFile = abs + ".json"
	}
	return &p, nil
}

// check reports the first field of a record that cannot be right.
func (p *Plan) check() error {
	switch {
	case !envNameRE.MatchString(p.Env):
		return fmt.Errorf("env %q is not an environment name", p.Env)
	case !sha256RE.MatchString(p.FileSHA256):
		return fmt.Errorf("file_sha256 %q is not a sha256", p.FileSHA256)
	case !sha256RE.MatchString(p.SpecSHA256):
		return fmt.Errorf("spec_sha256 %q is not a sha256", p.SpecSHA256)
	case p.JSONFile != "" && !sha256RE.MatchString(p.JSONSHA256):
		return fmt.Errorf("json_sha256 %q is not a sha256", p.JSONSHA256)
	case p.TerraformSHA256 != "" && !sha256RE.MatchString(p.TerraformSHA256):
		return fmt.Errorf("terraform_sha256 %q is not a sha256", p.TerraformSHA256)
	case p.HeadSHA != "" && !gitSHARE.MatchString(p.HeadSHA):
		return fmt.Errorf("head_sha %q is not a commit id", p.HeadSHA)
	}
	for name, h := range p.Inputs {
		if !sha256RE.MatchString(h) {
			return fmt.Errorf("inputs.%s %q is not a sha256", name, h)
		}
	}
	return nil
}

// short is the first 12 characters of a hash, for messages.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func (p *Plan) save() error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan record: %w", err)
	}
	return writeFileIfChanged(MetaPath(p.File), data)
}

// JSON returns the plan's `terraform show -json` document after checking it
// is the one that was reviewed.
func (p *Plan) JSON() ([]byte, error) {
	if p.JSONFile == "" {
		return nil, fmt.Errorf("plan %s has no JSON rendering yet (no changes); use Runner.PlanJSON", p.File)
	}
	data, err := safefile.ReadFile(p.JSONFile, MaxPlanJSONSize)
	if err != nil {
		return nil, fmt.Errorf("read plan JSON: %w", err)
	}
	if got := sha256Hex(data); got != p.JSONSHA256 {
		return nil, fmt.Errorf("plan JSON %s changed since it was made (sha256 %s, recorded %s)", p.JSONFile, short(got), short(p.JSONSHA256))
	}
	return data, nil
}

func sha256Hex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// fileSHA256 hashes a plan file, refusing links and special files.
func fileSHA256(path string) (string, error) {
	f, err := safefile.Open(path, maxPlanFileSize)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// planState reads the prior state recorded inside a terraform plan file (a
// zip with a "tfstate" entry); terraform compares the same fields when it
// applies a saved plan, and so do we, to say why a plan is stale before
// terraform would.
func planState(planFile string) (StateVersion, error) {
	zr, err := zip.OpenReader(planFile)
	if err != nil {
		return StateVersion{}, fmt.Errorf("open plan file %s: %w", planFile, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != "tfstate" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return StateVersion{}, fmt.Errorf("read state in plan: %w", err)
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		if err != nil {
			return StateVersion{}, fmt.Errorf("read state in plan: %w", err)
		}
		return parseStateVersion(data)
	}
	return StateVersion{}, nil
}

func parseStateVersion(data []byte) (StateVersion, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return StateVersion{}, nil
	}
	var s StateVersion
	if err := json.Unmarshal(data, &s); err != nil {
		return StateVersion{}, fmt.Errorf("parse state: %w", err)
	}
	return s, nil
}

// RemovePlan deletes one saved plan's files (the plan, its record, JSON,
// text and variables), leaving the environment's other plans.
func RemovePlan(planFile string) error {
	base := strings.TrimSuffix(planFile, ".tfplan")
	if base == planFile {
		return fmt.Errorf("remove plan %s: not a .tfplan file", planFile)
	}
	files, err := filepath.Glob(globEscape(base) + ".*")
	if err != nil {
		return fmt.Errorf("remove plan %s: %w", planFile, err)
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove plan %s: %w", planFile, err)
		}
	}
	return nil
}

// globEscape quotes the glob metacharacters of a literal path.
func globEscape(p string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`).Replace(p)
}
