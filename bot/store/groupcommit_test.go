package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestASharedCommitKeepsEachMembersOutcome runs one group directly (no
// scheduling involved): the failing member's writes are undone, the others'
// are committed, and each gets its own result.
func TestASharedCommitKeepsEachMembersOutcome(t *testing.T) {
	ctx := context.Background()
	opened, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "gitops.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	s := opened.(*sqliteStore)
	boom := errors.New("boom")
	write := func(id string, fail error) *groupReq {
		return &groupReq{result: make(chan error, 1), fn: func(tx querier, _ jobInserter) error {
			if _, err := tx.exec(ctx, `INSERT INTO gitops_delivery (id, event, action, repo, pr, head_sha, comment_id, received_at, payload)
				VALUES (?, 'push', '', 'acme/infra', 0, '', 0, '2026-01-01 00:00:00', x'')`, id); err != nil {
				return err
			}
			return fail
		}}
	}
	group := []*groupReq{write("a", nil), write("b", boom), write("c", nil), write("a", nil)}
	s.group.run(group)
	wantResults := []string{"", "boom", "", "UNIQUE constraint failed"}
	for i, r := range group {
		err := <-r.result
		switch {
		case wantResults[i] == "" && err != nil:
			t.Errorf("member %d: %v", i, err)
		case wantResults[i] != "" && (err == nil || !strings.Contains(err.Error(), wantResults[i])):
			t.Errorf("member %d: error %v, want %q", i, err, wantResults[i])
		}
	}
	for id, want := range map[string]bool{"a": true, "b": false, "c": true} {
		_, err := s.Delivery(ctx, id)
		if got := err == nil; got != want {
			t.Errorf("delivery %s stored = %v, want %v (err %v)", id, got, want, err)
		}
	}
}

func TestASharedCommitAfterCloseIsRefused(t *testing.T) {
	ctx := context.Background()
	opened, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "gitops.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := opened.(*sqliteStore)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordDelivery(ctx, Delivery{ID: "d", Event: "push"}); !errors.Is(err, errStoreClosed) {
		t.Fatalf("RecordDelivery after Close: %v, want %v", err, errStoreClosed)
	}
}
