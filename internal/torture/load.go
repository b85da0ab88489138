package torture

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LoadConfig sizes the load campaign.
type LoadConfig struct {
	Duration time.Duration // how long traffic is sent
	Clients  int           // concurrent clients
}

// latencies collects request durations of one kind.
type latencies struct {
	mu     sync.Mutex
	d      []time.Duration
	errors int
}

func (l *latencies) add(d time.Duration, err error) {
	l.mu.Lock()
	if err != nil {
		l.errors++
	} else {
		l.d = append(l.d, d)
	}
	l.mu.Unlock()
}

func (l *latencies) quantile(q float64) time.Duration {
	if len(l.d) == 0 {
		return 0
	}
	slices.Sort(l.d)
	return l.d[min(len(l.d)-1, int(float64(len(l.d))*q))]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + "ms"
}

// Load runs the load campaign: the standalone server on SQLite with sim chains, and
// cfg.Clients clients creating invoices (signed POSTs) and reading their status (the
// API's GET and the checkout page's public /status) for cfg.Duration. It reports
// throughput, p50/p99 per kind, errors, and the server's memory over time.
func Load(ctx context.Context, dir string, cfg LoadConfig, log *slog.Logger) (string, error) {
	srv, key, err := launch(ctx, dir, simEnv(map[string]string{"KASSA_RATE_LIMIT": "1000000000", "KASSA_RATE_BURST": "100000",
		"KASSA_PUBLIC_RATE_LIMIT": "1000000000"}), false)
	if err != nil {
		return "", err
	}
	defer srv.kill()
	pid := srv.cmd.Process.Pid
	api := newClient(srv.base(), key)
	var create, status, page latencies
	var ids sync.Map
	runCtx, stop := context.WithTimeout(ctx, cfg.Duration)
	defer stop()
	// Memory, once a second.
	var rss []int64
	var memWG sync.WaitGroup
	memWG.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			rss = append(rss, residentKB(pid))
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
			}
		}
	})
	log.Info("load: sending traffic", "clients", cfg.Clients, "for", cfg.Duration)
	began := time.Now()
	var wg sync.WaitGroup
	for i := range cfg.Clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 3))
			var mine []string
			for n := 0; runCtx.Err() == nil; n++ {
				t := time.Now()
				switch {
				case n%4 == 0 || len(mine) == 0:
					var inv invoiceAnswer
					err := api.do(runCtx, "POST", "/v1/invoices", map[string]any{"amount": "19.99", "currency": "USD",
						"accepted_assets": []string{"BTC", "ETH", "USDT_TRON"}, "order_id": fmt.Sprintf("load-%d-%d", i, n)}, "", &inv)
					if runCtx.Err() != nil {
						return
					}
					create.add(time.Since(t), err)
					if err == nil {
						mine = append(mine, inv.ID)
						ids.Store(inv.ID, true)
					}
				case n%2 == 0:
					err := api.do(runCtx, "GET", "/v1/invoices/"+mine[rng.IntN(len(mine))], nil, "", nil)
					if runCtx.Err() != nil {
						return
					}
					status.add(time.Since(t), err)
				default:
					err := api.getPublic(runCtx, "/checkout/"+mine[rng.IntN(len(mine))]+"/status")
					if runCtx.Err() != nil {
						return
					}
					page.add(time.Since(t), err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	memWG.Wait()
	if err := srv.stop(); err != nil {
		return "", fmt.Errorf("graceful stop after load: %w", err)
	}
	fi, _ := os.Stat(srv.db())
	total := len(create.d) + len(status.d) + len(page.d)
	errs := create.errors + status.errors + page.errors
	line := fmt.Sprintf("load: %d clients for %s: %d requests (%.0f/s), %d errors; create invoice %.0f/s p50 %s p99 %s; GET invoice p50 %s p99 %s; checkout status p50 %s p99 %s; server RSS %s; database %d MB for %d invoices",
		cfg.Clients, cfg.Duration, total, float64(total)/elapsed.Seconds(), errs,
		float64(len(create.d))/elapsed.Seconds(), ms(create.quantile(0.5)), ms(create.quantile(0.99)),
		ms(status.quantile(0.5)), ms(status.quantile(0.99)), ms(page.quantile(0.5)), ms(page.quantile(0.99)),
		memoryCurve(rss), sizeMB(fi), len(create.d))
	if errs > 0 {
		return "", fmt.Errorf("%d requests failed: %s", errs, line)
	}
	if err := scanLogs(dir); err != nil {
		return "", err
	}
	return line, nil
}

func sizeMB(fi os.FileInfo) int64 {
	if fi == nil {
		return 0
	}
	return fi.Size() >> 20
}

// memoryCurve shows resident memory in MB at the start, each quarter and the peak.
func memoryCurve(kb []int64) string {
	if len(kb) == 0 {
		return "unknown"
	}
	// Five points, or eleven (one a minute in a 10-minute run) for runs of two
	// minutes and more.
	parts := 4
	if len(kb) >= 120 {
		parts = 10
	}
	var pts []string
	for q := range parts + 1 {
		i := min(len(kb)-1, q*(len(kb)-1)/parts)
		pts = append(pts, strconv.FormatInt(kb[i]>>10, 10))
	}
	return strings.Join(pts, "→") + " MB (peak " + strconv.FormatInt(slices.Max(kb)>>10, 10) + ")"
}

// residentKB reads a process's resident set size from /proc (0 where there is none).
func residentKB(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
