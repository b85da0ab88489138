package apikey

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// IdempotencyTTL is how long the first response to an Idempotency-Key is kept and
// returned again (24 hours).
const IdempotencyTTL = 24 * time.Hour

// FirstUse records the signature sig of a request made with API key keyID until
// expires (the end of its timestamp's window) and reports whether it was new: false
// means a replay. The record is in the database, so a replay is refused after a
// restart and by every instance that shares it.
func (s *Service) FirstUse(ctx context.Context, keyID string, sig []byte, expires, now time.Time) (bool, error) {
	var first bool
	err := s.update(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		first, err = tx.RememberSignature(ctx, keyID, sig, expires, now)
		return err
	})
	return first, err
}

// Idempotency is what BeginIdempotent found for a request.
type Idempotency struct {
	State IdempotencyState
	// Code and Body are the stored response when State is IdempotencyDone.
	Code int
	Body []byte
}

// BeginIdempotent holds Idempotency-Key key of API key keyID for a request whose hash
// (method, path and body) is hash, or reports the first request's state. A key held
// for longer than lease belongs to a request whose process died: it is held again.
// Records belong to one API key: another key, even of the same mode, never sees them.
func (s *Service) BeginIdempotent(ctx context.Context, keyID, key string, hash []byte, lease time.Duration) (Idempotency, error) {
	now := s.now()
	var out Idempotency
	var sealed []byte
	err := s.update(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out.State, out.Code, sealed, err = tx.BeginIdempotent(ctx, keyID, key, hash, now, now.Add(-IdempotencyTTL), now.Add(-lease))
		return err
	})
	if err != nil || out.State != IdempotencyDone {
		return out, err
	}
	if out.Body, err = s.idem.Open(sealed, idemAD(keyID, key)); err != nil {
		return Idempotency{}, fmt.Errorf("apikey: stored response of Idempotency-Key: %w", err)
	}
	return out, nil
}

// FinishIdempotent stores the response to a held key, sealed under the master key
// (a response may carry a secret shown only once, such as a webhook endpoint's).
func (s *Service) FinishIdempotent(ctx context.Context, keyID, key string, code int, body []byte) error {
	sealed := s.idem.Seal(body, idemAD(keyID, key))
	return s.update(ctx, func(ctx context.Context, tx Tx) error {
		return tx.FinishIdempotent(ctx, keyID, key, code, sealed)
	})
}

// AbandonIdempotent releases a held key, so that a retry runs again.
func (s *Service) AbandonIdempotent(ctx context.Context, keyID, key string) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error {
		return tx.AbandonIdempotent(ctx, keyID, key)
	})
}

// Purge deletes the signatures whose window ended before now and the Idempotency-Key
// records older than IdempotencyTTL. Gateway.Run calls it every minute.
func (s *Service) Purge(ctx context.Context, now time.Time) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error {
		_, err1 := tx.PurgeSignatures(ctx, now)
		_, err2 := tx.PurgeIdempotent(ctx, now.Add(-IdempotencyTTL))
		return errors.Join(err1, err2)
	})
}

func idemAD(keyID, key string) []byte { return []byte("idempotency\x00" + keyID + "\x00" + key) }

// CheckSealed opens the secret of the first stored key: an error means the master key
// is not the one the keys were sealed with. With no key stored it returns nil.
func (s *Service) CheckSealed(ctx context.Context) error {
	return s.view(ctx, func(ctx context.Context, tx Tx) error {
		rs, err := tx.ListAPIKeys(ctx)
		if err != nil || len(rs) == 0 {
			return err
		}
		_, err = s.box.Open(rs[0].Sealed, []byte(rs[0].ID))
		return err
	})
}
