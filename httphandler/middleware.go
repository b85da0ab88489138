package httphandler

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/kassapay/kassa/apikey"
)

// maxBody is the request body limit.
const maxBody = 1 << 20

// signatureWindow is how far X-Kassa-Timestamp may be from server time.
const signatureWindow = 5 * time.Minute

type ctxKey struct{}

// call is what middleware learned about a request.
type call struct {
	key    apikey.Key
	secret string
	// requestKey names this request for the services that store what it creates
	// (invoice.CreateParams.RequestKey, payout.CreateParams.RequestKey): a digest of
	// the Idempotency-Key and the request, so a retry finds what the first attempt
	// made, and the same key reused later for another request (after the 24 hours)
	// does not. "" without an Idempotency-Key.
	requestKey string
}

// requestKey is the request's key for the services ("" when it has none).
func requestKey(r *http.Request) string {
	if c := callOf(r); c != nil {
		return c.requestKey
	}
	return ""
}

func callOf(r *http.Request) *call {
	c, _ := r.Context().Value(ctxKey{}).(*call)
	return c
}

// secure sets the headers every answer carries, bounds the body and turns a panic into
// a 500 without details.
func (h *Handler) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		if hd.Get("Content-Security-Policy") == "" {
			hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		r = withRequestID(w, r)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				h.log.ErrorContext(r.Context(), "httphandler: panic", "path", r.URL.Path, "panic", fmt.Sprint(p))
				writeError(w, errf(http.StatusInternalServerError, "internal_error", "Something went wrong on our side."))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// authenticate checks the key (Bearer, or Basic with the key as user name), the IP
// allowlist, the rate limit and the request signature, in that order. A missing or
// wrong key costs its client address a token of Options.FailedAuthLimit; with none
// left it is answered 429 instead of 401.
func (h *Handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := h.clientIP(r)
		secret := keyFromHeader(r.Header.Get("Authorization"))
		var key apikey.Key
		var err error = errUnauthorized
		if secret != "" {
			key, err = h.gw.Keys().Authenticate(r.Context(), secret)
		}
		if err != nil {
			// Each failure costs the client address a token; with none left the answer
			// is 429 instead of 401 (a valid key from the same address still works).
			if e := toAPIError(r.Context(), err, h.log); e.status != http.StatusUnauthorized || h.allowIP(w, r, "auth", h.opts.FailedAuthLimit, 20) {
				writeError(w, e)
			} else {
				writeError(w, errRateLimited)
			}
			return
		}
		if len(key.AllowedIPs) > 0 && !allowed(ip, key.AllowedIPs) {
			writeError(w, errf(http.StatusForbidden, "ip_not_allowed",
				fmt.Sprintf("The IP address %s is not whitelisted for this API key.", ip)))
			return
		}
		if !h.limit(w, r, key) {
			writeError(w, errRateLimited)
			return
		}
		if e := h.verifySignature(r, key, secret); e != nil {
			writeError(w, e)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, &call{key: key, secret: secret})))
	})
}

func keyFromHeader(v string) string {
	if s, ok := strings.CutPrefix(v, "Bearer "); ok {
		return strings.TrimSpace(s)
	}
	if s, ok := strings.CutPrefix(v, "Basic "); ok {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			return ""
		}
		user, pass, _ := strings.Cut(string(raw), ":")
		if pass != "" {
			return ""
		}
		return user
	}
	return ""
}

// clientIP is the peer address, or the X-Forwarded-For address the nearest trusted
// proxies report: hops are read right to left while they are trusted proxies.
func (h *Handler) clientIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, _ := netip.ParseAddr(host)
	ip = ip.Unmap()
	if !allowed(ip, h.opts.TrustedProxies) {
		return ip
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return ip
		}
		ip = hop.Unmap()
		if !allowed(ip, h.opts.TrustedProxies) {
			return ip
		}
	}
	return ip
}

func allowed(ip netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// limit applies the key's rate limit (token bucket: RateLimit per hour, bursts up to
// Burst) and sets the X-RateLimit headers; false means over the limit.
func (h *Handler) limit(w http.ResponseWriter, r *http.Request, key apikey.Key) bool {
	perHour := key.RateLimit
	if perHour == 0 {
		perHour = h.opts.RateLimit
	}
	b := h.limits.take(r.Context(), "key:"+key.ID, perHour, min(h.opts.Burst, perHour))
	hd := w.Header()
	hd.Set("X-RateLimit-Limit", strconv.Itoa(perHour))
	hd.Set("X-RateLimit-Remaining", strconv.Itoa(b.Remaining))
	hd.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(b.Full).Unix(), 10))
	if !b.OK {
		retryAfter(w, b)
	}
	return b.OK
}

// verifySignature checks X-Kassa-Signature: required on POST, PUT, PATCH and DELETE,
// checked on a GET that carries one. The HMAC-SHA256, keyed with the secret key,
// covers timestamp + METHOD + the request target as sent (with the mount prefix and
// the query string) + the raw body. A signature seen within the window is refused.
func (h *Handler) verifySignature(r *http.Request, key apikey.Key, secret string) *apiError {
	sig, ts := r.Header.Get("X-Kassa-Signature"), r.Header.Get("X-Kassa-Timestamp")
	mutating := r.Method != http.MethodGet && r.Method != http.MethodHead
	if sig == "" && ts == "" && !mutating {
		return nil
	}
	if sig == "" || ts == "" {
		return errBadSignature
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errStale
	}
	now := h.opts.Now()
	at := time.UnixMilli(ms)
	if at.Before(now.Add(-signatureWindow)) || at.After(now.Add(signatureWindow)) {
		return errStale
	}
	body, aerr := readBody(r)
	if aerr != nil {
		return aerr
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	want := Sign(secret, ts, r.Method, r.RequestURI, body)
	got, err := hex.DecodeString(strings.ToLower(sig))
	wantRaw, _ := hex.DecodeString(want)
	if err != nil || !hmac.Equal(got, wantRaw) {
		return errBadSignature
	}
	first, err := h.gw.Keys().FirstUse(r.Context(), key.ID, wantRaw, at.Add(signatureWindow), now)
	if err != nil {
		return toAPIError(r.Context(), err, h.log)
	}
	if !first {
		return errReplayed
	}
	return nil
}

// Sign is the API's request signature: the lower-case hex HMAC-SHA256, keyed with
// the secret key, of timestamp (Unix milliseconds) + METHOD + path (as sent, with the
// mount prefix and the query string) + body.
func Sign(secret, timestamp, method, path string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + strings.ToUpper(method) + path))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// idempotent applies Idempotency-Key to a POST: the first response for a key is stored
// for 24 hours, bound to the API key that sent it and sealed under the master key;
// the same key with the same body from the same API key gets it again with
// Idempotent-Replayed: true; with another body 422 idempotency_key_reused; while the
// first still runs 409 idempotency_in_progress. 5xx answers are not stored. Another
// API key's request with the same Idempotency-Key is a request of its own.
func (h *Handler) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPost || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 255 {
			var e = errf(http.StatusUnprocessableEntity, "validation_error", "Idempotency-Key is longer than 255 characters.")
			e.details = map[string][]string{"Idempotency-Key": {"is longer than 255 characters"}}
			writeError(w, e)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeError(w, errTooLarge)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.New()
		sum.Write([]byte(r.Method + " " + r.URL.Path + "\n"))
		sum.Write(body)
		hash := sum.Sum(nil)
		c := callOf(r)
		scope := ""
		if c.key.SubMerchantID != "" { // two sub-merchants' same key and body are two requests
			scope = c.key.SubMerchantID + "\x00"
		}
		rk := sha256.Sum256(append([]byte(scope+key+"\x00"), hash...))
		c.requestKey = hex.EncodeToString(rk[:])
		keys := h.gw.Keys()
		idem, err := keys.BeginIdempotent(r.Context(), c.key.ID, key, hash, h.opts.IdempotencyLease)
		if err != nil {
			writeError(w, toAPIError(r.Context(), err, h.log))
			return
		}
		switch idem.State {
		case apikey.IdempotencyRunning:
			writeError(w, errInProgress)
			return
		case apikey.IdempotencyMismatch:
			writeError(w, errKeyReused)
			return
		case apikey.IdempotencyDone:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(idem.Code)
			w.Write(idem.Body)
			return
		}
		rec := &recorder{ResponseWriter: w, code: http.StatusOK}
		finished := false
		defer func() {
			// The answer is out; what is stored now decides what a retry gets. If
			// storing fails, the key stays held until the lease ends and a retry then
			// runs again (every create is idempotent by its request key), so the
			// failure is logged, not hidden.
			ctx := context.WithoutCancel(r.Context())
			if finished && rec.code < 500 {
				if err := keys.FinishIdempotent(ctx, c.key.ID, key, rec.code, rec.body.Bytes()); err != nil {
					h.log.ErrorContext(ctx, "httphandler: storing the answer of an Idempotency-Key failed; a retry after the lease runs again",
						"key_id", c.key.ID, "path", r.URL.Path, "err", err)
				}
				return
			}
			if err := keys.AbandonIdempotent(ctx, c.key.ID, key); err != nil {
				h.log.ErrorContext(ctx, "httphandler: releasing an Idempotency-Key failed; it is free again after the lease",
					"key_id", c.key.ID, "path", r.URL.Path, "err", err)
			}
		}()
		next.ServeHTTP(rec, r)
		finished = true
	})
}

// recorder copies what a handler writes.
type recorder struct {
	http.ResponseWriter
	code int
	body bytes.Buffer
}

func (r *recorder) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}
