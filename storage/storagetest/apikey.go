package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/netip"
	"testing"
	"time"

	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/storage"
)

var apikeyTests = []test{
	{"APIKey_InsertLookupList", testAPIKeys},
	{"APIKey_Revoke", testRevokeAPIKey},
	{"APIKey_SetAllowedIPs", testSetAPIKeyAllowedIPs},
	{"APIKey_IdempotencyRecords", testIdempotency},
	{"APIKey_ReplayedSignatures", testSignatures},
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// apiKey returns a key record with every field set as the key service stores it.
func apiKey(id string, m asset.Mode, secret string, created time.Time) apikey.Record {
	return apikey.Record{
		Key: apikey.Key{ID: id, Mode: m, Label: "deploy bot ☕", Prefix: secret[:12], RateLimit: 5000, CreatedAt: created,
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::1/128")}},
		Hash: hash(secret), Sealed: []byte("sealed:" + secret + "\x00\xff"),
	}
}

func keyByHash(t *testing.T, s storage.Store, h []byte) (apikey.Record, error) {
	t.Helper()
	var r apikey.Record
	err := s.View(t.Context(), func(ctx context.Context, tx storage.Tx) error {
		var err error
		r, err = tx.APIKeyByHash(ctx, h)
		return err
	})
	return r, err
}

func listKeys(t *testing.T, s storage.Store) map[string]apikey.Record {
	t.Helper()
	rs := get(t, s, func(ctx context.Context, tx storage.Tx) ([]apikey.Record, error) { return tx.ListAPIKeys(ctx) })
	out := map[string]apikey.Record{}
	for _, r := range rs {
		out[r.ID] = r
	}
	return out
}

const (
	testSecret = "sk_test_abcdefghijklmnopqrstuvwxyz234567abcdefgh"
	liveSecret = "sk_live_zyxwvutsrqponmlkjihgfedcba765432zyxwvuts"
)

// testAPIKeys checks InsertAPIKey, APIKeyByHash (ErrNotFound for an unknown hash)
// and ListAPIKeys (every key of both modes).
func testAPIKeys(t *testing.T, s storage.Store) {
	test := apiKey("key_test", asset.Test, testSecret, t0)
	live := apiKey("key_live", asset.Live, liveSecret, at(time.Minute))
	live.AllowedIPs, live.RateLimit, live.Label = nil, 0, ""
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.InsertAPIKey(ctx, test); err != nil {
			return err
		}
		return tx.InsertAPIKey(ctx, live)
	})
	for _, want := range []apikey.Record{test, live} {
		got, err := keyByHash(t, s, want.Hash)
		if err != nil {
			t.Errorf("APIKeyByHash(%s): %v", want.ID, err)
			continue
		}
		sameJSON(t, "APIKeyByHash "+want.ID, got, want)
	}
	_, err := keyByHash(t, s, hash("sk_test_not-a-key"))
	wantNotFound(t, "APIKeyByHash of an unknown hash", err, apikey.ErrNotFound)
	all := listKeys(t, s)
	if len(all) != 2 {
		t.Fatalf("ListAPIKeys = %d keys, want 2", len(all))
	}
	sameJSON(t, "ListAPIKeys key_test", all["key_test"], test)
	sameJSON(t, "ListAPIKeys key_live", all["key_live"], live)
}

// testRevokeAPIKey checks RevokeAPIKey: the key keeps its first revocation time, and
// revoking an unknown or revoked key returns apikey.ErrNotFound (the doc is silent;
// apikey.Service.Revoke passes it on, and the root tests rely on it).
func testRevokeAPIKey(t *testing.T, s storage.Store) {
	test, other := apiKey("key_test", asset.Test, testSecret, t0), apiKey("key_live", asset.Live, liveSecret, t0)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.InsertAPIKey(ctx, test); err != nil {
			return err
		}
		return tx.InsertAPIKey(ctx, other)
	})
	revoke := func(id string, at time.Time) error {
		return update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.RevokeAPIKey(ctx, id, at) })
	}
	if err := revoke("key_test", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := test
	want.RevokedAt = ptr(at(time.Hour))
	if got, err := keyByHash(t, s, test.Hash); err != nil {
		t.Fatal(err)
	} else {
		sameJSON(t, "APIKeyByHash of the revoked key", got, want)
	}
	wantNotFound(t, "revoking a revoked key", revoke("key_test", at(2*time.Hour)), apikey.ErrNotFound)
	wantNotFound(t, "revoking an unknown key", revoke("key_nope", at(2*time.Hour)), apikey.ErrNotFound)
	all := listKeys(t, s)
	sameJSON(t, "ListAPIKeys: the revoked key keeps its first revocation", all["key_test"], want)
	if all["key_live"].RevokedAt != nil {
		t.Errorf("revoking key_test revoked key_live: %v", all["key_live"].RevokedAt)
	}
}

// testSetAPIKeyAllowedIPs checks SetAPIKeyAllowedIPs: it replaces one key's list and
// nothing else, nil clears it, and a revoked or unknown key is apikey.ErrNotFound.
func testSetAPIKeyAllowedIPs(t *testing.T, s storage.Store) {
	test, other := apiKey("key_test", asset.Test, testSecret, t0), apiKey("key_live", asset.Live, liveSecret, t0)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.InsertAPIKey(ctx, test); err != nil {
			return err
		}
		return tx.InsertAPIKey(ctx, other)
	})
	set := func(id string, allowed []netip.Prefix) error {
		return update(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.SetAPIKeyAllowedIPs(ctx, id, allowed) })
	}
	narrow := []netip.Prefix{netip.MustParsePrefix("198.51.100.7/32")}
	if err := set("key_test", narrow); err != nil {
		t.Fatal(err)
	}
	want := test
	want.AllowedIPs = narrow
	all := listKeys(t, s)
	sameJSON(t, "ListAPIKeys after SetAPIKeyAllowedIPs", all["key_test"], want)
	sameJSON(t, "ListAPIKeys: the other key is unchanged", all["key_live"], other)
	if err := set("key_test", nil); err != nil {
		t.Fatal(err)
	}
	want.AllowedIPs = nil
	if got, err := keyByHash(t, s, test.Hash); err != nil {
		t.Fatal(err)
	} else {
		sameJSON(t, "APIKeyByHash after the list is cleared", got, want)
	}
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.RevokeAPIKey(ctx, "key_live", at(time.Hour)) })
	wantNotFound(t, "restricting a revoked key", set("key_live", narrow), apikey.ErrNotFound)
	wantNotFound(t, "restricting an unknown key", set("key_nope", narrow), apikey.ErrNotFound)
	if got := listKeys(t, s)["key_live"]; len(got.AllowedIPs) != len(other.AllowedIPs) {
		t.Errorf("the revoked key's list changed: %v", got.AllowedIPs)
	}
}

// testIdempotency checks the Idempotency-Key records as the API's middleware uses
// them: BeginIdempotent's states (new, running, done with the stored response, body
// mismatch), per API key, a running record past stale held again, a record older
// than since forgotten, AbandonIdempotent releasing a held key, and
// PurgeIdempotent.
func testIdempotency(t *testing.T, s storage.Store) {
	const lease = time.Minute
	type result struct {
		state apikey.IdempotencyState
		code  int
		body  []byte
	}
	begin := func(keyID, key string, h []byte, now time.Time) result {
		var r result
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			r.state, r.code, r.body, err = tx.BeginIdempotent(ctx, keyID, key, h, now, now.Add(-apikey.IdempotencyTTL), now.Add(-lease))
			return err
		})
		return r
	}
	expect := func(what string, got result, state apikey.IdempotencyState) {
		t.Helper()
		if got.state != state {
			t.Errorf("%s: state %d, want %d", what, got.state, state)
		}
	}
	finish := func(keyID, key string, code int, body []byte) {
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
			return tx.FinishIdempotent(ctx, keyID, key, code, body)
		})
	}
	body1, body2 := hash("POST /v1/invoices\n{\"amount\":\"10\"}"), hash("POST /v1/invoices\n{\"amount\":\"11\"}")
	response := []byte("sealed response \x00\xff {\"id\":\"inv_1\"}")

	expect("first request", begin("key_a", "order-1", body1, t0), apikey.IdempotencyNew)
	expect("retry while running", begin("key_a", "order-1", body1, at(10*time.Second)), apikey.IdempotencyRunning)
	expect("other body while running", begin("key_a", "order-1", body2, at(10*time.Second)), apikey.IdempotencyMismatch)
	expect("another API key, same Idempotency-Key", begin("key_b", "order-1", body2, at(10*time.Second)), apikey.IdempotencyNew)
	finish("key_a", "order-1", 201, response)
	got := begin("key_a", "order-1", body1, at(20*time.Second))
	expect("retry after the answer", got, apikey.IdempotencyDone)
	if got.code != 201 || !bytes.Equal(got.body, response) {
		t.Errorf("the stored answer: %d %q, want 201 %q", got.code, got.body, response)
	}
	expect("other body after the answer", begin("key_a", "order-1", body2, at(20*time.Second)), apikey.IdempotencyMismatch)
	expect("key_b's record untouched by key_a's", begin("key_b", "order-1", body2, at(20*time.Second)), apikey.IdempotencyRunning)

	// A request whose process died: after the lease it is held again.
	expect("order-2", begin("key_a", "order-2", body1, t0), apikey.IdempotencyNew)
	expect("order-2 within the lease", begin("key_a", "order-2", body1, at(lease-time.Second)), apikey.IdempotencyRunning)
	expect("order-2 past the lease", begin("key_a", "order-2", body1, at(lease+time.Second)), apikey.IdempotencyNew)
	expect("order-2 held again", begin("key_a", "order-2", body1, at(lease+2*time.Second)), apikey.IdempotencyRunning)

	// A request that failed before answering releases its key: a retry runs again.
	expect("order-3", begin("key_a", "order-3", body1, t0), apikey.IdempotencyNew)
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.AbandonIdempotent(ctx, "key_a", "order-3") })
	expect("order-3 after it was abandoned", begin("key_a", "order-3", body2, at(time.Second)), apikey.IdempotencyNew)

	// After IdempotencyTTL the key is free for a new request and a new answer.
	later := at(apikey.IdempotencyTTL + time.Hour)
	expect("order-1 a day later", begin("key_a", "order-1", body2, later), apikey.IdempotencyNew)
	finish("key_a", "order-1", 200, []byte("second answer"))
	if got := begin("key_a", "order-1", body2, later.Add(time.Second)); got.state != apikey.IdempotencyDone || string(got.body) != "second answer" {
		t.Errorf("order-1's second answer: %+v", got)
	}

	// Purge the records created before t0+1h: order-2 (held again at t0+61s), order-3,
	// key_b's order-1; not key_a's order-1 (created a day later).
	var purged int
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		purged, err = tx.PurgeIdempotent(ctx, at(time.Hour))
		return err
	})
	if purged != 3 {
		t.Errorf("PurgeIdempotent = %d, want 3", purged)
	}
	expect("key_b's order-1 after the purge", begin("key_b", "order-1", body1, at(2*time.Hour)), apikey.IdempotencyNew)
	expect("key_a's order-1 after the purge", begin("key_a", "order-1", body2, later.Add(2*time.Second)), apikey.IdempotencyDone)
}

// testSignatures checks RememberSignature (false for a signature recorded with an
// expiry after now, per API key; an expired one is taken over) and PurgeSignatures.
func testSignatures(t *testing.T, s storage.Store) {
	remember := func(keyID string, sig []byte, expires, now time.Time) bool {
		var first bool
		mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
			var err error
			first, err = tx.RememberSignature(ctx, keyID, sig, expires, now)
			return err
		})
		return first
	}
	sig, sig2 := hash("v1,signature-one"), hash("v1,signature-two")
	for i, c := range []struct {
		keyID        string
		sig          []byte
		expires, now time.Time
		want         bool
	}{
		{"key_a", sig, at(5 * time.Minute), t0, true},
		{"key_a", sig, at(5 * time.Minute), at(time.Minute), false},                         // a replay
		{"key_a", sig, at(6 * time.Minute), at(4 * time.Minute), false},                     // a replay with another window
		{"key_b", sig, at(5 * time.Minute), at(time.Minute), true},                          // another key's
		{"key_a", sig2, at(20 * time.Minute), at(time.Minute), true},                        // another signature
		{"key_a", sig, at(11 * time.Minute), at(6 * time.Minute), true},                     // the first expired
		{"key_a", sig, at(11 * time.Minute), at(7 * time.Minute), false},                    // the new one has not
		{"key_a", sig2, at(25 * time.Minute), at(19 * time.Minute), false},                  // still recorded
		{"key_b", sig, at(15 * time.Minute), at(5*time.Minute + time.Microsecond), true},    // expired just now
		{"key_b", sig, at(16 * time.Minute), at(5*time.Minute + 2*time.Microsecond), false}, // and recorded again
	} {
		if got := remember(c.keyID, c.sig, c.expires, c.now); got != c.want {
			t.Errorf("call %d: RememberSignature(%s, expires t0%+v, now t0%+v) = %v, want %v", i, c.keyID, c.expires.Sub(t0), c.now.Sub(t0), got, c.want)
		}
	}
	// Expiries now: key_a/sig t0+11m, key_a/sig2 t0+20m, key_b/sig t0+15m.
	var purged int
	mustUpdate(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		purged, err = tx.PurgeSignatures(ctx, at(16*time.Minute))
		return err
	})
	if purged != 2 {
		t.Errorf("PurgeSignatures = %d, want 2", purged)
	}
	if remember("key_a", sig2, at(30*time.Minute), at(16*time.Minute)) {
		t.Error("PurgeSignatures forgot a signature that had not expired")
	}
	if !remember("key_a", sig, at(30*time.Minute), at(16*time.Minute)) {
		t.Error("a purged signature is still recorded")
	}
}
