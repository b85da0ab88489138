package kassa_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/payout"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics over HTTP, as Prometheus does, and returns each sample's
// value by "name{label=value,...}" (labels in name order; histograms by their count).
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			key := name + "{" + strings.Join(labels, ",") + "}"
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				out[key] = float64(m.GetHistogram().GetSampleCount())
			case dto.MetricType_COUNTER:
				out[key] = m.GetCounter().GetValue()
			default:
				out[key] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// TestMetrics_EveryFamilyMoves scrapes /metrics before and after a day's business
// (invoices paid, a webhook answered 500 then delivered, a payout, blocks mined, a
// node down) and checks that each family of the Gateway's metrics moved as it did.
func TestMetrics_EveryFamilyMoves(t *testing.T) {
	reg := prometheus.NewRegistry()
	env := kassatest.New(t, kassatest.WithMetrics(reg))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	before := scrape(t, srv.URL)
	btc := "{mode=test,network=bitcoin}"
	if before["kassa_watcher_up"+btc] != 1 || before["kassa_watcher_height"+btc] != before["kassa_watcher_tip"+btc] {
		t.Fatalf("after the first sync: %v", before)
	}
	if before["kassa_webhook_deliveries_total{outcome=failed}"] != 0 || len(before) == 0 {
		t.Fatalf("deliveries are not reported from 0: %v", before)
	}

	hooks := env.WebhookReceiver("invoice.paid")
	hooks.FailNext(1)
	inv := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC"})
	env.PayInFull(inv, "BTC") // first seen in the mempool
	env.Confirm(inv, "BTC")   // confirmed: the webhook answers 500
	late := env.Create(invoice.CreateParams{Amount: kassatest.Dec("0.02"), Currency: "BTC"})
	m := env.Method(late, "BTC")
	env.Chain(asset.Bitcoin).Pay(m.Address, "BTC", env.Units("BTC", "0.02"))
	env.Mine(asset.Bitcoin, 1)   // first seen in a block
	env.Advance(2 * time.Minute) // the failed delivery is retried
	env.Fund("BTC", "1")
	env.NewPayout(payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: env.Recipient(asset.Bitcoin, 0)})
	after := scrape(t, srv.URL)

	moved := []struct {
		key  string
		want func(before, after float64) bool
	}{
		{"kassa_invoices{mode=test,status=paid}", func(b, a float64) bool { return a >= b+2 }},
		{"kassa_payouts{mode=test,status=broadcast}", func(b, a float64) bool { return a == b+1 }},
		{"kassa_payment_detection_seconds" + btc, func(b, a float64) bool { return a >= b+1 }},
		{"kassa_payment_confirmation_seconds" + btc, func(b, a float64) bool { return a >= b+2 }},
		{"kassa_webhook_deliveries_total{outcome=pending}", func(b, a float64) bool { return a == b+1 }},
		{"kassa_webhook_deliveries_total{outcome=succeeded}", func(b, a float64) bool { return a >= b+2 }},
		{"kassa_webhook_delivery_seconds{}", func(b, a float64) bool { return a >= b+3 }},
		{"kassa_watcher_height" + btc, func(b, a float64) bool { return a > b }},
		{"kassa_watcher_tip" + btc, func(b, a float64) bool { return a > b }},
		{"kassa_watcher_last_success_timestamp_seconds" + btc, func(b, a float64) bool { return a > b }},
	}
	for _, c := range moved {
		if !c.want(before[c.key], after[c.key]) {
			t.Errorf("%s: %v -> %v", c.key, before[c.key], after[c.key])
		}
	}

	env.Chain(asset.Bitcoin).SetOffline(true)
	env.Chain(asset.Bitcoin).Mine(5)
	if err := env.Gateway.Sync(t.Context()); err == nil {
		t.Fatal("a sync with the node down succeeded")
	}
	down := scrape(t, srv.URL)
	if down["kassa_watcher_up"+btc] != 0 || down["kassa_watcher_lag_blocks"+btc] != 0 {
		t.Errorf("node down: up %v lag %v", down["kassa_watcher_up"+btc], down["kassa_watcher_lag_blocks"+btc])
	}
	env.Chain(asset.Bitcoin).SetOffline(false)
	env.Sync()
	if up := scrape(t, srv.URL); up["kassa_watcher_up"+btc] != 1 || up["kassa_watcher_height"+btc] != after["kassa_watcher_height"+btc]+5 {
		t.Errorf("node back: %v", up)
	}

	// A restarted Gateway registers on the same registry.
	env.Restart()
	if again := scrape(t, srv.URL); again["kassa_watcher_up"+btc] != 1 {
		t.Errorf("after a restart: %v", again)
	}
}
