// Command shop is the README's embed example: a shop's main with Kassa on live
// Bitcoin and Ethereum nodes. Configure it with KASSA_MNEMONIC, KASSA_MASTER_KEY (64
// hex digits), BITCOIN_RPC_URL, BITCOIN_RPC_USER, BITCOIN_RPC_PASS and ETH_RPC_URL.
package main

import (
	"context"
	"encoding/hex"
	"log"
	"net/http"
	"os"
	"os/signal"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/rates"
	"github.com/shopspring/decimal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	master, err := hex.DecodeString(os.Getenv("KASSA_MASTER_KEY")) // 32 bytes that seal stored secrets
	check(err)
	rpc, err := bitcoin.NewRPC(bitcoin.RPCConfig{URL: os.Getenv("BITCOIN_RPC_URL"),
		User: os.Getenv("BITCOIN_RPC_USER"), Pass: os.Getenv("BITCOIN_RPC_PASS")})
	check(err)
	btc, err := bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Live, RPC: rpc})
	check(err)
	eth, err := evm.New(ctx, evm.Config{Network: asset.Ethereum, Mode: asset.Live, URL: os.Getenv("ETH_RPC_URL")})
	check(err)
	prices, err := rates.NewCache(rates.CacheConfig{Sources: []rates.Source{rates.Kraken{}, rates.Coinbase{}}})
	check(err)
	g, err := kassa.New(kassa.Config{
		Mnemonic:     os.Getenv("KASSA_MNEMONIC"), // from keys.NewMnemonic(), kept offline
		MasterKey:    master,
		DatabasePath: "kassa.db",
		Chains:       []chains.Backend{btc, eth},
		Rates:        prices,
	})
	check(err)
	defer g.Close()
	check(g.Subscribe("orders", func(ctx context.Context, e kassa.Event) error {
		if e.Type == event.InvoicePaid {
			log.Printf("invoice %s paid: ship the order", e.ObjectID) // runs at least once per event
		}
		return nil // an error means: deliver this event again later
	}))
	pay, err := httphandler.New(g, httphandler.Options{PublicURL: "https://shop.example/pay", StoreName: "Tee shop"})
	check(err)
	mux := http.NewServeMux()
	mux.Handle("/pay/", http.StripPrefix("/pay", pay)) // the REST API and the checkout pages
	mux.HandleFunc("POST /buy", func(w http.ResponseWriter, r *http.Request) {
		inv, err := g.Invoices().Create(r.Context(), asset.Live, invoice.CreateParams{
			Amount: decimal.RequireFromString("25.00"), Currency: "USD", OrderID: "ORD-1001"})
		if err != nil {
			http.Error(w, "cannot take payment now", http.StatusServiceUnavailable)
			return
		}
		http.Redirect(w, r, pay.CheckoutURL(inv.ID), http.StatusSeeOther)
	})
	go g.Run(ctx) // watches the chains, expires invoices, delivers events
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mux}
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
