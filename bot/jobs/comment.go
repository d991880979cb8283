package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gitops-bot/gitops/bot/report"
	"github.com/gitops-bot/gitops/bot/store"
)

// commentLease bounds how long a job that died while creating the sticky
// comment keeps others from doing it; longer than a create call can take.
const commentLease = 2 * time.Minute

// errCommentBusy makes River retry a job while another job creates the
// pull request's sticky comment.
var errCommentBusy = errors.New("another job is creating the sticky comment; retrying")

// postSticky writes body as the pull request's one sticky comment: edited
// in place when it exists, created once otherwise (see store.CommentClaim).
func (d *Deps) postSticky(ctx context.Context, c Client, repo string, pr int, claimant, body string) error {
	claim, err := d.Store.ClaimComment(ctx, repo, pr, claimant, commentLease)
	if err != nil {
		return fmt.Errorf("sticky comment of %s#%d: %w", repo, pr, err)
	}
	switch claim.Action {
	case store.CommentUpdate:
		return c.EditComment(ctx, repo, claim.CommentID, body)
	case store.CommentWait:
		return errCommentBusy
	case store.CommentFind:
		id, err := c.FindComment(ctx, repo, pr, report.StickyMarker)
		if err != nil {
			return err
		}
		if id != 0 {
			if err := c.EditComment(ctx, repo, id, body); err != nil {
				return err
			}
			return d.recordComment(ctx, c, repo, pr, claimant, id)
		}
	}
	id, err := c.CreateComment(ctx, repo, pr, body)
	if err != nil {
		return err
	}
	return d.recordComment(ctx, c, repo, pr, claimant, id)
}

func (d *Deps) recordComment(ctx context.Context, c Client, repo string, pr int, claimant string, id int64) error {
	err := d.Store.SetComment(ctx, repo, pr, claimant, id)
	if errors.Is(err, store.ErrConflict) {
		// Another job recorded its comment meanwhile: ours is a duplicate.
		// It is emptied rather than left to contradict the sticky one.
		return c.EditComment(ctx, repo, id, "<!-- gitops:duplicate -->\n_(superseded by the comment above)_")
	}
	return err
}

// markedComment is a comment of the App's found again by its first line
// (a deploy's, a seed's): created once, then edited in place, and only
// when what it says changes.
type markedComment struct {
	c      Client
	repo   string
	number int
	marker string

	found bool
	id    int64
	body  string
}

// post makes the comment say body.
func (m *markedComment) post(ctx context.Context, body string) error {
	if !m.found {
		id, old, err := m.c.MarkedComment(ctx, m.repo, m.number, m.marker)
		if err != nil {
			return err
		}
		m.found, m.id, m.body = true, id, old
	}
	if body == m.body {
		return nil
	}
	if m.id == 0 {
		id, err := m.c.CreateComment(ctx, m.repo, m.number, body)
		if err != nil {
			return err
		}
		m.id = id
	} else if err := m.c.EditComment(ctx, m.repo, m.id, body); err != nil {
		return err
	}
	m.body = body
	return nil
}
