package kassa

import (
	"context"
	"sync"
	"time"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/webhook"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Gateway's Prometheus metrics (Config.Metrics). Counts of invoices
// and payouts are read from the database when scraped (every instance reports the
// same totals: aggregate them with max, not sum); the rest are this instance's own.
type metrics struct {
	g          *Gateway
	reg        prometheus.Registerer
	collectors []prometheus.Collector

	detection    *prometheus.HistogramVec
	confirmation *prometheus.HistogramVec
	deliveries   *prometheus.CounterVec
	deliveryTime prometheus.Histogram

	invoices, payouts *prometheus.Desc
	height, tip, lag  *prometheus.Desc
	stepped, up       *prometheus.Desc

	mu     sync.Mutex
	counts []storage.StatusCount // the last read, reported when a read fails
}

func newMetrics(g *Gateway) *metrics {
	net := []string{"network", "mode"}
	m := &metrics{
		g: g,
		detection: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kassa_payment_detection_seconds",
			Help:    "How long after its block's timestamp a deposit first seen in a block was seen (block timestamps may be off by minutes).",
			Buckets: []float64{1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800}}, net),
		confirmation: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kassa_payment_confirmation_seconds",
			Help:    "How long after it was first seen a deposit reached its confirmations.",
			Buckets: []float64{0, 1, 10, 30, 60, 300, 600, 1800, 3600, 7200, 21600}}, net),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kassa_webhook_deliveries_total",
			Help: "Webhook delivery attempts by outcome: succeeded, pending (to be retried) or failed (no retries left)."}, []string{"outcome"}),
		deliveryTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kassa_webhook_delivery_seconds",
			Help: "How long a webhook POST took.", Buckets: prometheus.DefBuckets}),
		invoices: prometheus.NewDesc("kassa_invoices", "Invoices (with checkout sessions and payments) by mode and status.", []string{"mode", "status"}, nil),
		payouts:  prometheus.NewDesc("kassa_payouts", "Payouts by mode and status.", []string{"mode", "status"}, nil),
		height:   prometheus.NewDesc("kassa_watcher_height", "The last block the chain watcher processed.", net, nil),
		tip:      prometheus.NewDesc("kassa_watcher_tip", "The node's best block at the watcher's last step.", net, nil),
		lag:      prometheus.NewDesc("kassa_watcher_lag_blocks", "Blocks the watcher has still to process.", net, nil),
		stepped:  prometheus.NewDesc("kassa_watcher_last_success_timestamp_seconds", "When the watcher's last step succeeded.", net, nil),
		up:       prometheus.NewDesc("kassa_watcher_up", "1 if the watcher's last step succeeded, 0 if it failed.", net, nil),
	}
	for _, o := range []string{string(webhook.DeliverySucceeded), string(webhook.DeliveryPending), string(webhook.DeliveryFailed)} {
		m.deliveries.WithLabelValues(o) // every outcome is reported from the start, at 0
	}
	return m
}

// register puts the metrics on reg; on an error none stays registered.
func (m *metrics) register(reg prometheus.Registerer) error {
	m.reg = reg
	for _, c := range []prometheus.Collector{m.detection, m.confirmation, m.deliveries, m.deliveryTime, m} {
		if err := reg.Register(c); err != nil {
			m.unregister()
			return err
		}
		m.collectors = append(m.collectors, c)
	}
	return nil
}

// unregister takes the metrics off the registerer (Close), so that a new Gateway may
// register its own there.
func (m *metrics) unregister() {
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
	m.collectors = nil
}

// Detected implements chains.Observer.
func (m *metrics) Detected(n chains.NetworkRef, after time.Duration) {
	m.detection.WithLabelValues(string(n.ID), string(n.Mode)).Observe(after.Seconds())
}

// Confirmed implements chains.Observer.
func (m *metrics) Confirmed(n chains.NetworkRef, after time.Duration) {
	m.confirmation.WithLabelValues(string(n.ID), string(n.Mode)).Observe(after.Seconds())
}

// delivered is webhook.Config.Observe.
func (m *metrics) delivered(status webhook.DeliveryStatus, took time.Duration) {
	m.deliveries.WithLabelValues(string(status)).Inc()
	m.deliveryTime.Observe(took.Seconds())
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.invoices, m.payouts, m.height, m.tip, m.lag, m.stepped, m.up} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: the counts from the database, and what
// each watcher this instance has stepped saw.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.statusCounts() {
		d := m.invoices
		if c.Kind == "payout" {
			d = m.payouts
		}
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(c.N), string(c.Mode), c.Status)
	}
	running := m.g.running.Load() > 0
	for n, w := range m.g.watchers {
		st := w.Status()
		if st.Stepped.IsZero() && st.Failed.IsZero() {
			continue // it has not stepped yet
		}
		if running && !m.g.leases.Held(watchLease(n)) {
			continue // another instance runs it now: its numbers are that instance's
		}
		labels := []string{string(st.Network.ID), string(st.Network.Mode)}
		up := 1.0
		if st.Err != "" {
			up = 0
		}
		ch <- prometheus.MustNewConstMetric(m.up, prometheus.GaugeValue, up, labels...)
		if st.Stepped.IsZero() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(m.height, prometheus.GaugeValue, float64(st.Height), labels...)
		ch <- prometheus.MustNewConstMetric(m.tip, prometheus.GaugeValue, float64(st.Tip), labels...)
		ch <- prometheus.MustNewConstMetric(m.lag, prometheus.GaugeValue, float64(st.Tip-min(st.Tip, st.Height)), labels...)
		ch <- prometheus.MustNewConstMetric(m.stepped, prometheus.GaugeValue, float64(st.Stepped.UnixNano())/1e9, labels...)
	}
}

// statusCounts reads the counts of invoices and payouts (one grouped count of each
// table per scrape; concurrent scrapes wait for each other); a failed read reports
// the last counts, and logs.
func (m *metrics) statusCounts() []storage.StatusCount {
	m.mu.Lock()
	defer m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var counts []storage.StatusCount
	err := m.g.store.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		var err error
		counts, err = tx.CountByStatus(ctx)
		return err
	})
	if err != nil {
		m.g.log.WarnContext(ctx, "kassa: metrics: counting invoices and payouts", "err", err)
		return m.counts
	}
	m.counts = counts
	return counts
}
