// Command embed is a small existing net/http shop that adopts Kassa the way most Go
// users will: it mounts the whole API and the hosted pages under /pay/ and uses the Go
// API directly for its own order flow (create an invoice at checkout, mark the order
// paid from an in-process subscriber).
//
//	go run ./examples/embed     then open http://127.0.0.1:8081/
package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/rates"
	"github.com/shopspring/decimal"
)

// Shop is the host application: its own orders, its own routes.
type Shop struct {
	gw     *kassa.Gateway
	mu     sync.Mutex
	orders map[string]*Order // by invoice id
}

// Order is the shop's order.
type Order struct {
	ID      string
	Invoice string
	Paid    bool
}

var page = template.Must(template.New("shop").Parse(`<!doctype html><title>Tee shop</title>
<h1>Kassa T-shirt, 25 USD</h1>
<form method="post" action="/buy"><button>Pay with crypto</button></form>`))

// Routes mounts the shop's pages and Kassa's API under /pay/.
func (s *Shop) Routes(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { page.Execute(w, nil) })
	mux.HandleFunc("POST /buy", s.buy)
	mux.HandleFunc("GET /orders/{id}", s.order)
	mux.Handle("/pay/", http.StripPrefix("/pay", api))
	return mux
}

func (s *Shop) buy(w http.ResponseWriter, r *http.Request) {
	inv, err := s.gw.Invoices().Create(r.Context(), asset.Test, invoice.CreateParams{
		Amount: decimal.NewFromInt(25), Currency: "USD", Description: "Kassa T-shirt"})
	if err != nil {
		http.Error(w, "cannot create the invoice", http.StatusInternalServerError)
		return
	}
	o := &Order{ID: fmt.Sprintf("order-%d", time.Now().UnixNano()), Invoice: inv.ID}
	s.mu.Lock()
	s.orders[inv.ID] = o
	s.mu.Unlock()
	http.Redirect(w, r, "/pay/checkout/"+inv.ID, http.StatusSeeOther)
}

func (s *Shop) order(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orders {
		if o.ID == r.PathValue("id") {
			fmt.Fprintf(w, "%s: paid=%v\n", o.ID, o.Paid)
			return
		}
	}
	http.NotFound(w, r)
}

// onEvent marks orders paid: in-process, at least once, so it is idempotent.
func (s *Shop) onEvent(_ context.Context, e kassa.Event) error {
	if e.Type != event.InvoicePaid {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.orders[e.ObjectID]; ok {
		o.Paid = true
	}
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, "127.0.0.1:8081", os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string, logs io.Writer, ready chan<- *Shop) error {
	log := slog.New(slog.NewTextHandler(logs, nil))
	dir, err := os.MkdirTemp("", "kassa-embed-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cache, _ := rates.NewCache(rates.CacheConfig{Sources: []rates.Source{rates.Fixed{"TRX": decimal.RequireFromString("0.125")}}})
	gw, err := kassa.New(kassa.Config{
		Mnemonic:     "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
		DatabasePath: dir + "/shop.db", MasterKey: []byte("embed demo master key, 32 bytes!"),
		Chains: []chains.Backend{sim.New(chains.NetworkRef{ID: asset.Tron, Mode: asset.Test})}, Rates: cache, Logger: log,
	})
	if err != nil {
		return err
	}
	defer gw.Close()
	shop := &Shop{gw: gw, orders: map[string]*Order{}}
	if err := gw.Subscribe("shop-orders", shop.onEvent); err != nil {
		return err
	}
	api, err := httphandler.New(gw, httphandler.Options{PublicURL: "http://" + addr + "/pay", Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: shop.Routes(api), ReadHeaderTimeout: 10 * time.Second}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { gw.Run(runCtx); close(done) }()
	go srv.Serve(ln)
	log.Info("embed: shop at http://" + ln.Addr().String() + "/")
	if ready != nil {
		ready <- shop
	}
	<-ctx.Done()
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	err = srv.Shutdown(sctx)
	cancel()
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
