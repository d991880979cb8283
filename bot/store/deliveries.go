package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

func (s *sqlStore) RecordDelivery(ctx context.Context, d Delivery, jobs ...river.JobArgs) (bool, error) {
	if d.ID == "" || d.Event == "" {
		return false, fmt.Errorf("record delivery %q: id and event are required", d.ID)
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = s.now()
	}
	var key any // NULL: a delivery without a key is deduplicated by id only
	if d.Key != "" {
		key = d.Key
	}
	dup := false
	err := s.backend.transactShared(ctx, func(tx querier, insert jobInserter) error {
		// No conflict target: a clash on the id or on the key is a duplicate.
		n, err := tx.exec(ctx, `INSERT INTO gitops_delivery
			(id, dedupe_key, event, action, repo, pr, head_sha, comment_id, received_at, payload)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`,
			d.ID, key, d.Event, d.Action, d.Repo, d.Number, d.HeadSHA, d.CommentID, d.ReceivedAt.UTC(), blob(d.Payload))
		if err != nil {
			return err
		}
		dup = n == 0 // set on every run: a shared commit never retries, but be exact
		if dup {
			return nil
		}
		return insert(ctx, jobs)
	})
	if err != nil {
		return false, fmt.Errorf("record delivery %s (%s): %w", d.ID, d.Event, err)
	}
	return dup, nil
}

func (s *sqlStore) Delivery(ctx context.Context, id string) (Delivery, error) {
	var d Delivery
	var key sql.NullString
	err := s.db.queryRow(ctx, `SELECT id, dedupe_key, event, action, repo, pr, head_sha, comment_id, received_at, payload
		FROM gitops_delivery WHERE id = ?`, id).
		Scan(&d.ID, &key, &d.Event, &d.Action, &d.Repo, &d.Number, &d.HeadSHA, &d.CommentID, utc{&d.ReceivedAt}, &d.Payload)
	if err != nil {
		return Delivery{}, fmt.Errorf("delivery %s: %w", id, notFound(err))
	}
	d.Key = key.String
	return d, nil
}

func (s *sqlStore) PruneDeliveries(ctx context.Context, before time.Time) (int, error) {
	n, err := s.db.exec(ctx, `DELETE FROM gitops_delivery WHERE received_at < ?`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune deliveries before %s: %w", before.Format(time.RFC3339), err)
	}
	return int(n), nil
}
