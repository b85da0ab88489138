package httphandler_test

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/kassatest"
	_ "modernc.org/sqlite" // to read the database file as an attacker with a copy of it would
)

// raw is one signed request, kept byte for byte so it can be sent again.
type raw struct {
	method, path string
	body         []byte
	header       http.Header
}

// signed builds a signed request as a client would, without sending it.
func (a *api) signed(method, path string, body string) raw {
	ms := max(time.Now().UnixMilli(), a.lastTS+1)
	a.lastTS = ms
	ts := strconv.FormatInt(ms, 10)
	h := http.Header{}
	h.Set("Authorization", "Bearer "+a.key)
	h.Set("X-Kassa-Timestamp", ts)
	h.Set("X-Kassa-Signature", sign(a.key, ts, method, "/pay"+path, []byte(body)))
	h.Set("Content-Type", "application/json")
	return raw{method: method, path: path, body: []byte(body), header: h}
}

func (a *api) send(r raw) resp {
	a.t.Helper()
	req, _ := http.NewRequest(r.method, a.srv.URL+"/pay"+r.path, bytes.NewReader(r.body))
	req.Header = r.header.Clone()
	return a.exec(req)
}

// TestAPI_SignedPayoutReplayedAfterRestartIsRefused (issue 14.2): a signed POST
// /v1/payouts without Idempotency-Key, replayed byte for byte after a server restart
// within the 5-minute window, made a second payout. Seen signatures now live in the
// database.
func TestAPI_SignedPayoutReplayedAfterRestartIsRefused(t *testing.T) {
	a := newAPI(t, httphandler.Options{}, kassatest.WithDatabase(filepath.Join(t.TempDir(), "kassa.db")))
	a.fundBTC()
	req := a.signed("POST", "/v1/payouts", `{"amount":"0.01","currency":"BTC","destination_address":"`+a.env.Recipient(asset.Bitcoin, 0)+`"}`)
	want(t, a.send(req), 201, "")
	want(t, a.send(req), 401, "replayed_request") // the same process
	a.restart()
	want(t, a.send(req), 401, "replayed_request") // after a restart
	if l := a.do("GET", "/v1/payouts", nil, nil); len(l.body["data"].([]any)) != 1 {
		t.Fatalf("payouts after the replays: %s", l.raw)
	}
}

// TestAPI_SignaturesAreForgottenAfterTheirWindow: a signature is refused again inside
// its window, a new one is accepted, and Purge deletes the signatures whose window
// ended, so the table holds only the last 5 minutes of signed requests.
func TestAPI_SignaturesAreForgottenAfterTheirWindow(t *testing.T) {
	a := newAPI(t, httphandler.Options{}, kassatest.WithDatabase(filepath.Join(t.TempDir(), "kassa.db")))
	keys := a.env.Gateway.Keys()
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	window := 5 * time.Minute
	first := func(sig string, at time.Time) bool {
		ok, err := keys.FirstUse(ctx, a.keyID(), []byte(sig), at.Add(window), at)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !first("a", now) || first("a", now.Add(time.Minute)) {
		t.Fatal("a signature must be accepted once within its window")
	}
	if !first("a", now.Add(2*window)) { // its window has passed: a new request
		t.Fatal("an expired signature's row was not taken over")
	}
	for i := range 1000 {
		first("s"+strconv.Itoa(i), now)
	}
	if got := a.count(`SELECT count(*) FROM seen_signatures`); got != 1001 {
		t.Fatalf("%d signatures stored, want 1001", got)
	}
	if err := keys.Purge(ctx, now.Add(2*window)); err != nil {
		t.Fatal(err)
	}
	if got := a.count(`SELECT count(*) FROM seen_signatures`); got != 1 {
		t.Fatalf("%d signatures kept after their window passed, want 1", got)
	}
}

// TestAPI_IdempotencyRecordsAreBoundToTheirKeyAndSealed (issue 14.3): another API key
// of the same mode sending the same Idempotency-Key and body got the first answer,
// webhook secret included, and the secret was stored in clear.
func TestAPI_IdempotencyRecordsAreBoundToTheirKeyAndSealed(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "kassa.db")
	a := newAPI(t, httphandler.Options{}, kassatest.WithDatabase(dbPath))
	body := map[string]any{"url": "https://hooks.shop.example/kassa", "events": []string{"*"}}
	hdr := map[string]string{"Idempotency-Key": "endpoint-1"}
	first := a.do("POST", "/v1/webhook-endpoints", body, hdr)
	want(t, first, 201, "")
	secret, _ := first.data()["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("no secret in %s", first.raw)
	}
	again := a.do("POST", "/v1/webhook-endpoints", body, hdr)
	if again.code != 201 || again.header.Get("Idempotent-Replayed") != "true" || again.data()["secret"] != secret {
		t.Fatalf("the same key's retry: %d %s", again.code, again.raw)
	}
	// Another key of the same mode: its own request, never the first one's answer.
	a.key = a.newKey(apikey.CreateParams{Mode: asset.Test})
	other := a.do("POST", "/v1/webhook-endpoints", body, hdr)
	if other.code != 201 || other.header.Get("Idempotent-Replayed") != "" || bytes.Contains(other.raw, []byte(secret)) ||
		other.data()["id"] == first.data()["id"] {
		t.Fatalf("another key with the same Idempotency-Key: %d %s", other.code, other.raw)
	}
	// Nothing in the database file shows the secret.
	if n := a.count(`SELECT count(*) FROM idempotency WHERE instr(body, ?) > 0`, secret); n != 0 {
		t.Fatalf("%d idempotency records hold the secret in clear", n)
	}
	// Records older than 24 hours are purged.
	if got := a.count(`SELECT count(*) FROM idempotency`); got != 2 {
		t.Fatalf("%d idempotency records, want 2", got)
	}
	if err := a.env.Gateway.Keys().Purge(context.Background(), a.env.Clock.Now().Add(25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := a.count(`SELECT count(*) FROM idempotency`); got != 0 {
		t.Fatalf("%d idempotency records after 25 hours", got)
	}
}

// count runs a counting query on the Env's database file (kassatest.WithDatabase).
func (a *api) count(query string, args ...any) int {
	a.t.Helper()
	var n int
	db, err := sql.Open("sqlite", "file:"+a.env.DatabasePath()+"?mode=ro")
	if err != nil {
		a.t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}
