package store

import (
	"context"
	"fmt"
	"slices"
)

func (s *sqlStore) AppendLog(ctx context.Context, runID int64, chunk []byte) error {
	if len(chunk) == 0 {
		return nil
	}
	if _, err := s.db.exec(ctx, `INSERT INTO gitops_run_log (run_id, chunk) VALUES (?, ?)`, runID, chunk); err != nil {
		return fmt.Errorf("append to log of run %d: %w", runID, notFound(err))
	}
	return nil
}

func (s *sqlStore) Log(ctx context.Context, runID int64, tailBytes int) ([]byte, error) {
	// Newest chunks first, read only as far back as the tail needs.
	r, err := s.db.query(ctx, `SELECT chunk FROM gitops_run_log WHERE run_id = ? ORDER BY id DESC`, runID)
	if err != nil {
		return nil, fmt.Errorf("log of run %d: %w", runID, err)
	}
	defer r.Close()
	var chunks [][]byte
	size := 0
	for r.Next() && (tailBytes <= 0 || size < tailBytes) {
		var c []byte
		if err := r.Scan(&c); err != nil {
			return nil, fmt.Errorf("log of run %d: %w", runID, err)
		}
		chunks = append(chunks, c)
		size += len(c)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("log of run %d: %w", runID, err)
	}
	slices.Reverse(chunks)
	out := slices.Concat(chunks...)
	if tailBytes > 0 && len(out) > tailBytes {
		out = out[len(out)-tailBytes:]
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}
