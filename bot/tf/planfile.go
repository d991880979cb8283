package tf

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
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

// LoadPlan reads the record of a saved plan from the plan file's path (or the
// record's own path).
func LoadPlan(path string) (*Plan, error) {
	meta := path
	if !strings.HasSuffix(path, ".meta.json") {
		meta = MetaPath(path)
	}
	data, err := os.ReadFile(meta)
	if err != nil {
		return nil, fmt.Errorf("load plan %s: %w (was it made by gitops plan?)", path, err)
	}
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("load plan %s: %w", meta, err)
	}
	return &p, nil
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
	data, err := os.ReadFile(p.JSONFile)
	if err != nil {
		return nil, fmt.Errorf("read plan JSON: %w", err)
	}
	if got := sha256Hex(data); got != p.JSONSHA256 {
		return nil, fmt.Errorf("plan JSON %s changed since it was made (sha256 %s, recorded %s)", p.JSONFile, got[:12], p.JSONSHA256[:12])
	}
	return data, nil
}

func sha256Hex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
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
