package httphandler

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// requestIDKey is the context key of a request's id.
type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to ("" outside one): the
// client's X-Request-Id when it sent a sane one, else one the handler made. Every
// answer carries it in X-Request-Id, and the handler's logs in request_id.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// clientRequestID is what a client's X-Request-Id may be to be kept.
var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// withRequestID gives r an id (the client's, if sane) and sets X-Request-Id.
func withRequestID(w http.ResponseWriter, r *http.Request) *http.Request {
	id := r.Header.Get("X-Request-Id")
	if !clientRequestID.MatchString(id) {
		id = "req_" + rand.Text()[:20]
	}
	w.Header().Set("X-Request-Id", id)
	return r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
}

// LogHandler wraps a slog.Handler so that records logged with a request's context
// carry its request_id. The handler's own logs go through it; give it to the
// Gateway's logger too (kassa.Config.Logger) to tie the services' logs to requests.
func LogHandler(next slog.Handler) slog.Handler {
	if _, ok := next.(requestIDHandler); ok {
		return next // wrapped already: the id once per line
	}
	return requestIDHandler{next}
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// httpMetrics are the handler's request metrics (Options.Metrics).
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kassa_http_requests_total",
			Help: "HTTP requests by route (the path template), method and status code."}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kassa_http_request_duration_seconds",
			Help: "How long HTTP requests took, by route and method.", Buckets: prometheus.DefBuckets}, []string{"route", "method"}),
	}
	// A second handler on one registry (a restarted Gateway, several mounts) counts
	// into the same series.
	var err error
	if m.requests, err = registerOnce(reg, m.requests); err != nil {
		return nil, err
	}
	if m.duration, err = registerOnce(reg, m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// registerOnce registers c, or returns the collector of its kind registered already
// under its name; another kind under that name is an error.
func registerOnce[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	var are prometheus.AlreadyRegisteredError
	err := reg.Register(c)
	if !errors.As(err, &are) {
		return c, err
	}
	existing, ok := are.ExistingCollector.(C)
	if !ok {
		return c, fmt.Errorf("%w: another kind of collector has its name", err)
	}
	return existing, nil
}

// statusWriter remembers the status an answer was written with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument counts and times the requests of one route.
func (m *httpMetrics) instrument(method, route string, next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		m.requests.WithLabelValues(route, method, strconv.Itoa(sw.status)).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	})
}
