// Package apikey manages the secret keys that authenticate API requests: sk_live_...
// keys act in live mode, sk_test_... keys in test mode, and the key alone decides the
// mode. A key's secret is returned once, at creation; storage keeps a SHA-256 hash to
// find it and the secret itself sealed under the master key (request signatures are
// HMACs keyed with it, so the server needs it back). Lookups compare hashes in
// constant time.
package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/internal/secretbox"
	"github.com/kassapay/kassa/validation"
)

// Errors.
var (
	ErrNotFound  = errors.New("API key not found")
	ErrRevoked   = errors.New("API key revoked")
	ErrMalformed = errors.New("not a Kassa secret key")
)

// Key is an API key. Secret is set only in the answer of Create.
type Key struct {
	ID     string     `json:"id"`
	Mode   asset.Mode `json:"mode"`
	Label  string     `json:"label"`
	Prefix string     `json:"prefix"` // "sk_test_ab12", to recognise a key in lists
	Secret string     `json:"secret,omitempty"`
	// AllowedIPs limits the client addresses (CIDR prefixes); empty allows all.
	AllowedIPs []netip.Prefix `json:"allowed_ips,omitempty"`
	// RateLimit is requests per hour (0: the handler's default).
	RateLimit int `json:"rate_limit,omitempty"`
	// SubMerchantID binds the key to one sub-merchant: it sees and makes only that
	// sub-merchant's objects, and cannot manage sub-merchants or keys. "" is the
	// operator's key.
	SubMerchantID string     `json:"sub_merchant_id,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
}

// Record is a key as storage keeps it.
type Record struct {
	Key
	Hash   []byte // SHA-256 of the secret
	Sealed []byte // the secret, sealed under the master key
}

// Tx is the storage the key service needs.
type Tx interface {
	InsertAPIKey(ctx context.Context, r Record) error
	// APIKeyByHash returns ErrNotFound when no key has this hash.
	APIKeyByHash(ctx context.Context, hash []byte) (Record, error)
	ListAPIKeys(ctx context.Context) ([]Record, error)
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error
	// SetAPIKeyAllowedIPs replaces the allowed client addresses of a key that is not
	// revoked (nil allows all); ErrNotFound when no such key is.
	SetAPIKeyAllowedIPs(ctx context.Context, id string, allowed []netip.Prefix) error
	IdempotencyTx
	ReplayTx
}

// Runner runs fn in a storage transaction.
type Runner func(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

// Service creates, lists, restricts, revokes and authenticates keys, and keeps what
// the API remembers between requests: seen request signatures and Idempotency-Key
// records.
type Service struct {
	update, view Runner
	box          *secretbox.Box
	// idem seals stored responses (they may carry secrets, such as a new webhook
	// endpoint's), bound to the API key and Idempotency-Key they answer.
	idem *secretbox.Box
	now  func() time.Time
	// subs checks the sub-merchant a new key is bound to (CheckSubMerchants).
	subs func(ctx context.Context, m asset.Mode, id string) error
}

// CheckSubMerchants sets how Create checks the sub-merchant a key is bound to
// (submerchant.Service.Check; a refusal is a *validation.FieldError). Without it, a
// bound key is refused: its sub-merchant cannot be checked. Call it before the
// Service is used.
func (s *Service) CheckSubMerchants(check func(ctx context.Context, m asset.Mode, id string) error) {
	s.subs = check
}

// checkSub checks the sub-merchant id a new key is bound to.
func (s *Service) checkSub(ctx context.Context, m asset.Mode, id string) error {
	if s.subs == nil {
		return validation.Field("sub_merchant_id", errors.New("no sub-merchants here to bind a key to"))
	}
	return s.subs(ctx, m, id)
}

// New returns a Service.
func New(masterKey []byte, update, view Runner, now func() time.Time) (*Service, error) {
	box, err := secretbox.New(masterKey, "api-key")
	if err != nil {
		return nil, fmt.Errorf("apikey: %w", err)
	}
	idem, err := secretbox.New(masterKey, "idempotent-response")
	if err != nil {
		return nil, fmt.Errorf("apikey: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Service{update: update, view: view, box: box, idem: idem, now: now}, nil
}

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// CreateParams create a key.
type CreateParams struct {
	Mode       asset.Mode
	Label      string
	AllowedIPs []string // CIDR prefixes or single addresses
	RateLimit  int      // requests per hour; 0 for the default
	// SubMerchantID binds the key to that sub-merchant (Key.SubMerchantID); checked
	// by the function given to CheckSubMerchants.
	SubMerchantID string
}

// Create makes a key and returns it with its secret, which is never shown again.
func (s *Service) Create(ctx context.Context, p CreateParams) (Key, error) {
	var v validation.Error
	if !p.Mode.Valid() {
		v.Add("mode", asset.ErrUnknownMode)
	}
	if len(p.Label) > 200 {
		v.Add("label", errors.New("is longer than 200 bytes"))
	}
	if p.RateLimit < 0 || p.RateLimit > 1_000_000 {
		v.Add("rate_limit", errors.New("must be 0..1000000 requests per hour"))
	}
	prefixes := parseAllowedIPs(p.AllowedIPs, &v)
	if p.SubMerchantID != "" {
		var fe *validation.FieldError
		switch err := s.checkSub(ctx, p.Mode, p.SubMerchantID); {
		case errors.As(err, &fe):
			v.Add(fe.Field, fe.Err)
		case err != nil:
			return Key{}, err
		}
	}
	if err := v.Err(); err != nil {
		return Key{}, err
	}
	raw := make([]byte, 25)
	rand.Read(raw)
	secret := "sk_" + string(p.Mode) + "_" + enc.EncodeToString(raw)
	k := Key{ID: ids.New("key"), Mode: p.Mode, Label: p.Label, Prefix: secret[:len("sk_"+string(p.Mode)+"_")+4],
		AllowedIPs: prefixes, RateLimit: p.RateLimit, SubMerchantID: p.SubMerchantID, CreatedAt: s.now().UTC()}
	hash := sha256.Sum256([]byte(secret))
	err := s.update(ctx, func(ctx context.Context, tx Tx) error {
		return tx.InsertAPIKey(ctx, Record{Key: k, Hash: hash[:], Sealed: s.box.Seal([]byte(secret), []byte(k.ID))})
	})
	if err != nil {
		return Key{}, err
	}
	k.Secret = secret
	return k, nil
}

// parseAllowedIPs reads CIDR prefixes or single addresses (a /32 or /128), adding a
// field error to v for each that is neither.
func parseAllowedIPs(list []string, v *validation.Error) []netip.Prefix {
	var prefixes []netip.Prefix
	for i, a := range list {
		pfx, err := netip.ParsePrefix(a)
		if err != nil {
			addr, aerr := netip.ParseAddr(a)
			if aerr != nil {
				v.Add(fmt.Sprintf("allowed_ips[%d]", i), errors.New("is not an IP address or CIDR prefix"))
				continue
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		prefixes = append(prefixes, pfx.Masked())
	}
	return prefixes
}

// ModeOf returns the mode a secret's prefix claims (before it is authenticated).
func ModeOf(secret string) (asset.Mode, error) {
	switch {
	case strings.HasPrefix(secret, "sk_live_"):
		return asset.Live, nil
	case strings.HasPrefix(secret, "sk_test_"):
		return asset.Test, nil
	}
	return "", ErrMalformed
}

// Authenticate returns the key whose secret this is. It fails with ErrMalformed,
// ErrNotFound or ErrRevoked, and never says more.
func (s *Service) Authenticate(ctx context.Context, secret string) (Key, error) {
	mode, err := ModeOf(secret)
	if err != nil || len(secret) > 100 {
		return Key{}, ErrMalformed
	}
	hash := sha256.Sum256([]byte(secret))
	var r Record
	if err := s.view(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		r, err = tx.APIKeyByHash(ctx, hash[:])
		return err
	}); err != nil {
		return Key{}, err
	}
	if subtle.ConstantTimeCompare(r.Hash, hash[:]) != 1 || r.Mode != mode {
		return Key{}, ErrNotFound
	}
	if r.RevokedAt != nil {
		return Key{}, ErrRevoked
	}
	return r.Key, nil
}

// List returns every key, without secrets.
func (s *Service) List(ctx context.Context) ([]Key, error) {
	var out []Key
	err := s.view(ctx, func(ctx context.Context, tx Tx) error {
		rs, err := tx.ListAPIKeys(ctx)
		for _, r := range rs {
			out = append(out, r.Key)
		}
		return err
	})
	return out, err
}

// Revoke makes a key unusable at once.
func (s *Service) Revoke(ctx context.Context, id string) error {
	return s.update(ctx, func(ctx context.Context, tx Tx) error { return tx.RevokeAPIKey(ctx, id, s.now().UTC()) })
}

// SetAllowedIPs replaces the client addresses a key accepts requests from, as
// CreateParams.AllowedIPs gives them (CIDR prefixes or single addresses); an empty
// list allows every address. It applies to the next request. It returns the key as
// stored, or ErrNotFound when no key that is not revoked has this id.
func (s *Service) SetAllowedIPs(ctx context.Context, id string, allowed []string) (Key, error) {
	var v validation.Error
	prefixes := parseAllowedIPs(allowed, &v)
	if err := v.Err(); err != nil {
		return Key{}, err
	}
	var k Key
	err := s.update(ctx, func(ctx context.Context, tx Tx) error {
		if err := tx.SetAPIKeyAllowedIPs(ctx, id, prefixes); err != nil {
			return err
		}
		rs, err := tx.ListAPIKeys(ctx)
		for _, r := range rs {
			if r.ID == id {
				k = r.Key
			}
		}
		return err
	})
	if err != nil {
		return Key{}, err
	}
	return k, nil
}

// IdempotencyState is what BeginIdempotent found.
type IdempotencyState int

const (
	// IdempotencyNew: the key was free and is now held for this request.
	IdempotencyNew IdempotencyState = iota
	// IdempotencyRunning: a request with this key is still running.
	IdempotencyRunning
	// IdempotencyDone: a request with this key finished; its response is returned.
	IdempotencyDone
	// IdempotencyMismatch: the key was used for a request with another body.
	IdempotencyMismatch
)

// IdempotencyTx stores Idempotency-Key records: the first response to a key, for 24
// hours, per API key (another API key, even of the same mode, never sees it).
type IdempotencyTx interface {
	// BeginIdempotent holds key of API key keyID for a request whose hash is hash,
	// unless a record newer than since exists: then it reports that record's state
	// (and, when done, its stored response). A record still running that began before
	// stale was left by a process that died mid-request: it is held again for this
	// request, as if new.
	BeginIdempotent(ctx context.Context, keyID, key string, hash []byte, now, since, stale time.Time) (IdempotencyState, int, []byte, error)
	// FinishIdempotent stores the response of a held key.
	FinishIdempotent(ctx context.Context, keyID, key string, code int, body []byte) error
	// AbandonIdempotent releases a held key (the request failed before answering), so a
	// retry runs again.
	AbandonIdempotent(ctx context.Context, keyID, key string) error
	// PurgeIdempotent deletes the records created before before.
	PurgeIdempotent(ctx context.Context, before time.Time) (int, error)
}

// ReplayTx remembers the signatures of signed requests for as long as their timestamp
// is inside the signature window, so a replay is refused after a restart and by
// every instance sharing the database.
type ReplayTx interface {
	// RememberSignature records sig of API key keyID until expires. It reports false
	// if sig is already recorded with an expiry after now (a replay).
	RememberSignature(ctx context.Context, keyID string, sig []byte, expires, now time.Time) (bool, error)
	// PurgeSignatures deletes the signatures that expired before now.
	PurgeSignatures(ctx context.Context, now time.Time) (int, error)
}
