package webhook

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa/event"
)

// The Standard Webhooks specification's published example (DESIGN.md §8).
func TestSign_PublishedExample(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	at := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)
	sig, err := Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", at, body)
	if err != nil || sig != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("signature %q, %v", sig, err)
	}
	h, _ := Headers("msg_p5jXN8AQM9LWM0D4loKWxJek", at, body, secret)
	if err := VerifyAt(secret, h, body, 0, at.Add(time.Minute)); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestVerify_Rejects(t *testing.T) {
	secret, other := NewSecret(), NewSecret()
	at := time.Unix(1700000000, 0)
	body := []byte(`{"id":"evt_1"}`)
	good, _ := Headers("msg_1", at, body, secret)
	cases := []struct {
		name   string
		secret string
		h      http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"tampered body", secret, good, []byte(`{"id":"evt_2"}`), at, ErrBadSignature},
		{"other secret", other, good, body, at, ErrBadSignature},
		{"too old", secret, good, body, at.Add(6 * time.Minute), ErrBadTimestamp},
		{"from the future", secret, good, body, at.Add(-6 * time.Minute), ErrBadTimestamp},
		{"no headers", secret, http.Header{}, body, at, ErrNoSignature},
		{"bad secret", "sk_nope", good, body, at, ErrBadSecret},
	}
	for _, c := range cases {
		if err := VerifyAt(c.secret, c.h, c.body, 0, c.now); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// A replayed id with a new timestamp fails: the timestamp is signed.
	replay := good.Clone()
	replay.Set("webhook-timestamp", "1700000100")
	if err := VerifyAt(secret, replay, body, 0, at); !errors.Is(err, ErrBadSignature) {
		t.Errorf("re-timestamped: %v", err)
	}
	// During a rotation both signatures are sent; either secret verifies.
	both, _ := Headers("msg_1", at, body, other, secret)
	if len(strings.Fields(both.Get("webhook-signature"))) != 2 {
		t.Fatal("rotation header should carry two signatures")
	}
	for _, s := range []string{secret, other} {
		if err := VerifyAt(s, both, body, 0, at); err != nil {
			t.Errorf("rotation: %v", err)
		}
	}
	if !strings.HasPrefix(NewSecret(), "whsec_") || len(NewSecret()) != len("whsec_")+32 {
		t.Error("secret shape")
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("msg_1", "1700000000", "v1,abc", []byte("{}"))
	f.Add("", "", "", []byte(nil))
	f.Add("id", "-1", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v2,x", []byte("x"))
	secret := NewSecret()
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		if err := VerifyAt(secret, h, body, 0, time.Unix(1700000000, 0)); err == nil {
			t.Fatalf("forged webhook verified: %q %q %q", id, ts, sig)
		}
	})
}

// Parse verifies and decodes in one call: a signed event comes back as sent; a changed
// body, another event's id in the header, or a stale timestamp (a receiver whose
// Gateway runs on a fake clock passes that clock to ParseAt) is refused.
func TestParse_VerifiesAndDecodes(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sent := event.Event{ID: "evt_1", Type: event.InvoicePaid, CreatedAt: at, Livemode: false, Data: json.RawMessage(`{"id":"inv_1"}`)}
	body, err := json.Marshal(sent)
	if err != nil {
		t.Fatal(err)
	}
	h, err := Headers(sent.ID, at, body, secret)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseAt(secret, h, body, 0, at.Add(time.Second))
	if err != nil || got.ID != sent.ID || got.Type != sent.Type || !got.CreatedAt.Equal(at) || string(got.Data) != string(sent.Data) {
		t.Fatalf("ParseAt = %+v, %v; want %+v", got, err, sent)
	}
	if _, err := Parse(secret, h, body, 0); !errors.Is(err, ErrBadTimestamp) {
		t.Fatalf("Parse on the real clock of an event signed at the fake one: %v, want ErrBadTimestamp", err)
	}
	if _, err := ParseAt(secret, h, append([]byte(nil), bytes.Replace(body, []byte("inv_1"), []byte("inv_2"), 1)...), 0, at); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("a changed body: %v, want ErrBadSignature", err)
	}
	other, _ := Headers("evt_2", at, body, secret) // a valid signature, for another id
	if _, err := ParseAt(secret, other, body, 0, at); !errors.Is(err, ErrIDMismatch) {
		t.Fatalf("another event's id: %v, want ErrIDMismatch", err)
	}
}
