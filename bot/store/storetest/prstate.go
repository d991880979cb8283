package storetest

import (
	"testing"
	"time"

	"github.com/gitops-bot/gitops/bot/store"
)

const lease = 2 * time.Minute

func claim(t *testing.T, s store.Store, claimant string) store.CommentClaim {
	t.Helper()
	return get(s.ClaimComment(ctx(t), "acme/infra", 42, claimant, lease)).must(t)
}

func wantAction(t *testing.T, got store.CommentClaim, action store.CommentAction, commentID int64) {
	t.Helper()
	if got.Action != action || got.CommentID != commentID {
		t.Fatalf("claim = %+v, want %s (comment %d)", got, action, commentID)
	}
}

var prCases = []testCase{
	{"PR state is upserted and leaves the sticky comment alone", func(t *testing.T, h harness) {
		s, clk := h.freshWithClock(t)
		_, err := s.PRState(ctx(t), "acme/infra", 42)
		wantErr(t, err, store.ErrNotFound)
		check(t, s.SetPRState(ctx(t), store.PRState{Repo: "acme/infra", PR: 42, HeadSHA: "aaa"}))
		wantAction(t, claim(t, s, "job:1"), store.CommentCreate, 0)
		check(t, s.SetComment(ctx(t), "acme/infra", 42, "job:1", 555))
		clk.Advance(time.Minute)
		check(t, s.SetPRState(ctx(t), store.PRState{Repo: "acme/infra", PR: 42, HeadSHA: "bbb", State: store.PRMerged}))
		got := get(s.PRState(ctx(t), "acme/infra", 42)).must(t)
		want := store.PRState{Repo: "acme/infra", PR: 42, HeadSHA: "bbb", CommentID: 555, State: store.PRMerged, UpdatedAt: clk.Now()}
		if got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		if err := s.SetPRState(ctx(t), store.PRState{Repo: "acme/infra", PR: 42, State: "draft"}); err == nil {
			t.Fatal("unknown state accepted")
		}
	}},
	{"one claimant creates the sticky comment, the others wait, then update it", func(t *testing.T, h harness) {
		s := h.fresh(t)
		wantAction(t, claim(t, s, "job:1"), store.CommentCreate, 0)
		wait := claim(t, s, "job:2")
		wantAction(t, wait, store.CommentWait, 0)
		if wait.Holder != "job:1" {
			t.Fatalf("wait names holder %q", wait.Holder)
		}
		check(t, s.SetComment(ctx(t), "acme/infra", 42, "job:1", 555))
		check(t, s.SetComment(ctx(t), "acme/infra", 42, "job:1", 555)) // a retried SetComment
		wantAction(t, claim(t, s, "job:2"), store.CommentUpdate, 555)
		wantAction(t, claim(t, s, "job:1"), store.CommentUpdate, 555)
	}},
	{"after a create that may have failed the next claimant finds before creating, and the late one is told it lost", func(t *testing.T, h harness) {
		s, clk := h.freshWithClock(t)
		wantAction(t, claim(t, s, "job:1"), store.CommentCreate, 0)
		// job:1's create call times out; did GitHub make the comment? Unknown.
		wantAction(t, claim(t, s, "job:1"), store.CommentFind, 0) // its own retry
		clk.Advance(lease + time.Second)                          // job:1 is gone
		wantAction(t, claim(t, s, "job:2"), store.CommentFind, 0)
		check(t, s.SetComment(ctx(t), "acme/infra", 42, "job:2", 777))
		wantErr(t, s.SetComment(ctx(t), "acme/infra", 42, "job:1", 666), store.ErrConflict)
		if got := get(s.PRState(ctx(t), "acme/infra", 42)).must(t); got.CommentID != 777 {
			t.Fatalf("comment %d, want 777", got.CommentID)
		}
	}},
	{"a forgotten comment is created anew by the next claimant", func(t *testing.T, h harness) {
		s := h.fresh(t)
		claim(t, s, "job:1")
		check(t, s.SetComment(ctx(t), "acme/infra", 42, "job:1", 555))
		check(t, s.ForgetComment(ctx(t), "acme/infra", 42, 999)) // not the sticky one: no effect
		wantAction(t, claim(t, s, "job:2"), store.CommentUpdate, 555)
		check(t, s.ForgetComment(ctx(t), "acme/infra", 42, 555))
		wantAction(t, claim(t, s, "job:2"), store.CommentCreate, 0)
	}},
	{"of 10 jobs claiming a new PR's comment exactly one creates it", func(t *testing.T, h harness) {
		s := h.fresh(t)
		claims := race(10, func(i int) store.CommentAction {
			c, err := s.ClaimComment(ctx(t), "acme/infra", 42, "job:"+itoa(i), lease)
			if err != nil {
				t.Error(err)
			}
			return c.Action
		})
		if n, w := count(claims, store.CommentCreate), count(claims, store.CommentWait); n != 1 || w != 9 {
			t.Fatalf("actions %v: want 1 create and 9 wait", claims)
		}
	}},
}
