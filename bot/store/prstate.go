package store

import (
	"context"
	"fmt"
	"time"
)

// CommentAction says what a job does about a PR's sticky comment.
type CommentAction string

const (
	// CommentUpdate: the sticky comment exists (CommentClaim.CommentID); edit it.
	CommentUpdate CommentAction = "update"
	// CommentCreate: the caller holds the claim and no comment was ever
	// attempted; create it, then SetComment.
	CommentCreate CommentAction = "create"
	// CommentFind: the caller holds the claim, but an earlier claimant may
	// have created the comment without recording it (its create call timed
	// out after GitHub made the comment, or it died before SetComment).
	// Look for the bot's marker among the PR's comments first; create only
	// if there is none; then SetComment.
	CommentFind CommentAction = "find"
	// CommentWait: another claimant holds a live claim; try again later
	// (a job returns an error or snoozes, and River retries it).
	CommentWait CommentAction = "wait"
)

// CommentClaim is the answer of ClaimComment.
//
// One sticky comment per PR holds because creating it is a claim, not a
// check-then-act: ClaimComment grants the claim to one claimant at a time,
// for a lease; only the holder creates, and SetComment records the id only
// for the holder. The claim is not released when the GitHub call fails,
// because a failed call may still have made the comment (a timeout after
// GitHub's write); instead every claim after the first tells its holder to
// find before creating (CommentFind), so a comment made by a call that
// "failed" is adopted, not duplicated. The lease only bounds how long a
// claimant that died blocks the others: it must be longer than the create
// call's timeout, or a slow create and the next claimant's find could both
// miss each other (SetComment then reports the loser's comment as a
// duplicate).
type CommentClaim struct {
	Action    CommentAction
	CommentID int64 // with CommentUpdate
	Holder    string
	Until     time.Time // when the claim's lease ends
}

const prColumns = `repo, pr, head_sha, comment_id, state, updated_at`

func scanPR(r row) (PRState, error) {
	var p PRState
	var state string
	err := r.Scan(&p.Repo, &p.PR, &p.HeadSHA, &p.CommentID, &state, utc{&p.UpdatedAt})
	p.State = PRStatus(state)
	return p, err
}

func prKey(repo string, pr int) string { return fmt.Sprintf("pr:%s#%d", repo, pr) }

func (s *sqlStore) PRState(ctx context.Context, repo string, pr int) (PRState, error) {
	p, err := scanPR(s.db.queryRow(ctx, `SELECT `+prColumns+` FROM gitops_pr WHERE repo = ? AND pr = ?`, repo, pr))
	if err != nil {
		return PRState{}, fmt.Errorf("state of %s#%d: %w", repo, pr, notFound(err))
	}
	return p, nil
}

func (s *sqlStore) SetPRState(ctx context.Context, p PRState) error {
	if p.State == "" {
		p.State = PROpen
	}
	switch {
	case p.Repo == "" || p.PR <= 0:
		return fmt.Errorf("set state of %s#%d: repository and PR number are required", p.Repo, p.PR)
	case p.State != PROpen && p.State != PRClosed && p.State != PRMerged:
		return fmt.Errorf("set state of %s#%d: unknown state %q (open, closed, merged)", p.Repo, p.PR, p.State)
	}
	if _, err := s.db.exec(ctx, `INSERT INTO gitops_pr (repo, pr, head_sha, state, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (repo, pr) DO UPDATE SET head_sha = excluded.head_sha, state = excluded.state, updated_at = excluded.updated_at`,
		p.Repo, p.PR, p.HeadSHA, string(p.State), s.now()); err != nil {
		return fmt.Errorf("set state of %s#%d: %w", p.Repo, p.PR, err)
	}
	return nil
}

func (s *sqlStore) ClaimComment(ctx context.Context, repo string, pr int, claimant string, lease time.Duration) (CommentClaim, error) {
	subject := fmt.Sprintf("claim the comment of %s#%d for %s", repo, pr, claimant)
	if repo == "" || pr <= 0 || claimant == "" || lease <= 0 {
		return CommentClaim{}, fmt.Errorf("%s: repository, PR, claimant and a positive lease are required", subject)
	}
	now := s.now()
	var claim CommentClaim
	err := s.inTx(ctx, func(tx querier) error {
		if err := s.lock(ctx, tx, prKey(repo, pr)); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO gitops_pr (repo, pr, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (repo, pr) DO NOTHING`, repo, pr, now); err != nil {
			return err
		}
		var holder string
		var until time.Time
		var claims int
		if err := tx.queryRow(ctx, `SELECT comment_id, comment_claimant, comment_claim_until, comment_claims
			FROM gitops_pr WHERE repo = ? AND pr = ?`, repo, pr).
			Scan(&claim.CommentID, &holder, nullTime{&until}, &claims); err != nil {
			return err
		}
		switch {
		case claim.CommentID != 0:
			claim.Action = CommentUpdate
			return nil
		case holder != "" && holder != claimant && now.Before(until):
			claim.Action, claim.Holder, claim.Until = CommentWait, holder, until
			return nil
		}
		claim.Action, claim.Holder, claim.Until = CommentCreate, claimant, now.Add(lease)
		if claims > 0 {
			claim.Action = CommentFind
		}
		_, err := tx.exec(ctx, `UPDATE gitops_pr SET comment_claimant = ?, comment_claim_until = ?, comment_claims = comment_claims + 1
			WHERE repo = ? AND pr = ?`, claimant, claim.Until, repo, pr)
		return err
	})
	if err != nil {
		return CommentClaim{}, fmt.Errorf("%s: %w", subject, err)
	}
	return claim, nil
}

func (s *sqlStore) SetComment(ctx context.Context, repo string, pr int, claimant string, commentID int64) error {
	subject := fmt.Sprintf("set the comment of %s#%d to %d for %s", repo, pr, commentID, claimant)
	if commentID <= 0 {
		return fmt.Errorf("%s: a comment id is positive", subject)
	}
	n, err := s.db.exec(ctx, `UPDATE gitops_pr SET comment_id = ?, comment_claimant = '', comment_claim_until = NULL, updated_at = ?
		WHERE repo = ? AND pr = ? AND comment_id = 0 AND comment_claimant = ?`, commentID, s.now(), repo, pr, claimant)
	if err != nil {
		return fmt.Errorf("%s: %w", subject, err)
	}
	if n == 0 {
		p, err := s.PRState(ctx, repo, pr)
		if err != nil {
			return fmt.Errorf("%s: %w", subject, err)
		}
		if p.CommentID == commentID {
			return nil // recorded already: a retried SetComment
		}
		return fmt.Errorf("%s: the claim is no longer %s's (sticky comment %d): %w", subject, claimant, p.CommentID, ErrConflict)
	}
	return nil
}

func (s *sqlStore) ForgetComment(ctx context.Context, repo string, pr int, commentID int64) error {
	// comment_claims is reset too: nothing is left to find once the comment
	// is known to be gone, so the next claimant creates straight away.
	if _, err := s.db.exec(ctx, `UPDATE gitops_pr SET comment_id = 0, comment_claims = 0, updated_at = ?
		WHERE repo = ? AND pr = ? AND comment_id = ?`, s.now(), repo, pr, commentID); err != nil {
		return fmt.Errorf("forget comment %d of %s#%d: %w", commentID, repo, pr, err)
	}
	return nil
}
