package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// Checkpoints.
//
// A WAL database must now and then copy the pages of its write-ahead log back into the
// database file (a checkpoint). SQLite does it inside the commit that crosses 1,000
// pages, on the writer, where it holds up every Update behind it (about a tenth of a
// one-method invoice's time under load). Here the writer never checkpoints: after
// commits, a goroutine of the store runs PASSIVE checkpoints on a connection of its
// own, beside the writer, at most every checkpointInterval. A passive checkpoint
// cannot finish while the writer keeps adding frames, and the log only starts over
// once one has; so when the log passes walCap frames the checkpointer holds the writer
// for one checkpoint, which then finishes, and the log starts over at the next commit.

const (
	checkpointInterval = 50 * time.Millisecond
	defaultWALCap      = 16_000 // frames, 64 MB of 4 KB pages
)

// startCheckpoints opens the checkpointer's connection and starts it.
func (s *Store) startCheckpoints(dsn string) error {
	ck, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	ck.SetMaxOpenConns(1)
	ck.SetConnMaxLifetime(0)
	ck.SetConnMaxIdleTime(0)
	ctx, cancel := context.WithCancel(context.Background())
	s.ck, s.ckWake, s.ckStop, s.ckDone = ck, make(chan struct{}, 1), cancel, make(chan struct{})
	if s.walCap == 0 {
		s.walCap = defaultWALCap
	}
	go s.checkpoints(ctx)
	return nil
}

// wakeCheckpoints tells the checkpointer that a commit added to the log.
func (s *Store) wakeCheckpoints() {
	if s.ckWake == nil {
		return
	}
	select {
	case s.ckWake <- struct{}{}:
	default:
	}
}

func (s *Store) checkpoints(ctx context.Context) {
	defer close(s.ckDone)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.ckWake:
		}
		frames, err := s.checkpoint(ctx)
		if err == nil && frames > s.walCap {
			// Writers keep the log from starting over: checkpoint once with them held.
			if err = s.acquire(ctx); err == nil {
				if s.cur != nil {
					s.finishLocked(false) // the batch left open for us
				}
				_, err = s.checkpoint(ctx)
				<-s.sem
				s.heldCheckpoints.Add(1)
			}
		}
		if err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "sqlite: checkpoint failed; the log grows until one succeeds", "err", err)
		}
		t := time.NewTimer(checkpointInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// checkpoint runs one PASSIVE checkpoint and returns the frames the log holds.
func (s *Store) checkpoint(ctx context.Context) (int, error) {
	var busy, frames, done int
	if err := s.ck.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done); err != nil {
		return 0, err
	}
	s.checkpointsRun.Add(1)
	return frames, nil
}

// stopCheckpoints stops the checkpointer and closes its connection.
func (s *Store) stopCheckpoints() error {
	if s.ck == nil {
		return nil
	}
	s.ckStop()
	<-s.ckDone
	return s.ck.Close()
}
