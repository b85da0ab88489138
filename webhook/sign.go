package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kassapay/kassa/event"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// Verification errors.
var (
	ErrBadSecret    = errors.New("webhook secret must be whsec_ followed by base64")
	ErrNoSignature  = errors.New("missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrBadTimestamp = errors.New("webhook-timestamp is outside the tolerance")
	ErrBadSignature = errors.New("no webhook signature matches")
)

// NewSecret returns a new signing secret: whsec_ and the base64 of 24 random bytes.
func NewSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

func secretKey(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(key) == 0 {
		return nil, ErrBadSecret
	}
	return key, nil
}

// Sign returns the Standard Webhooks signature of a message: "v1," and the base64
// HMAC-SHA256 of "id.timestamp.body" keyed with the secret's bytes.
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, timestamp.Unix())
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Headers returns the three Standard Webhooks headers for a message signed with every
// secret given (during a rotation, the old and the new one).
func Headers(id string, timestamp time.Time, body []byte, secrets ...string) (http.Header, error) {
	var sigs []string
	for _, s := range secrets {
		sig, err := Sign(s, id, timestamp, body)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, sig)
	}
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(timestamp.Unix(), 10))
	h.Set("webhook-signature", strings.Join(sigs, " "))
	return h, nil
}

// Verify checks a received webhook: the headers must be present, the timestamp within
// tolerance of now (tolerance 0 means 5 minutes), and one of the space-separated v1
// signatures must match body under secret (compared in constant time). Use it in a Go
// receiver before trusting the body.
func Verify(secret string, header http.Header, body []byte, tolerance time.Duration) error {
	return VerifyAt(secret, header, body, tolerance, time.Now())
}

// VerifyAt is Verify with now given: a receiver in a test whose Gateway runs on a fake
// clock (kassatest's) passes that clock's time.
func VerifyAt(secret string, header http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	key, err := secretKey(secret)
	if err != nil {
		return err
	}
	id, ts, sigs := header.Get("webhook-id"), header.Get("webhook-timestamp"), header.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return ErrNoSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	if tolerance <= 0 {
		tolerance = 5 * time.Minute
	}
	at := time.Unix(sec, 0)
	if at.Before(now.Add(-tolerance)) || at.After(now.Add(tolerance)) {
		return ErrBadTimestamp
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, sec)
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrBadSignature
}

// ErrIDMismatch means the webhook-id header is not the id of the event in the body.
var ErrIDMismatch = errors.New("webhook: webhook-id is not the event's id")

// Parse verifies a received webhook as Verify does and decodes its event: one call for
// a Go receiver. The event's Data is the object as the API shows it (an invoice, a
// payout); Mode and ObjectID, which are not sent, are empty.
func Parse(secret string, header http.Header, body []byte, tolerance time.Duration) (event.Event, error) {
	return ParseAt(secret, header, body, tolerance, time.Now())
}

// ParseAt is Parse with now given (see VerifyAt).
func ParseAt(secret string, header http.Header, body []byte, tolerance time.Duration, now time.Time) (event.Event, error) {
	if err := VerifyAt(secret, header, body, tolerance, now); err != nil {
		return event.Event{}, err
	}
	var e event.Event
	if err := json.Unmarshal(body, &e); err != nil {
		return event.Event{}, fmt.Errorf("webhook: decode event: %w", err)
	}
	if e.ID != header.Get("webhook-id") {
		return event.Event{}, ErrIDMismatch
	}
	return e, nil
}
