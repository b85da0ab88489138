// Command shop is the README's embed example: a shop's main with Kassa on live
// Bitcoin and Ethereum nodes. Configure it with KASSA_MNEMONIC, KASSA_MASTER_KEY (64
// hex digits), BITCOIN_RPC_URL, BITCOIN_RPC_USER, BITCOIN_RPC_PASS and ETH_RPC_URL.
package main

import (
	"context"
	"crypto/rand"
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
	if err := run(ctx, os.Getenv); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	master, err := hex.DecodeString(getenv("KASSA_MASTER_KEY")) // 32 bytes that seal stored secrets
	if err != nil {
		return err
	}
	// The assets, their contracts and confirmations: BTC counts at 2 blocks here.
	reg := asset.Default()
	if err := reg.SetConfirmations("BTC", 2); err != nil {
		return err
	}
	rpc, err := bitcoin.NewRPC(bitcoin.RPCConfig{URL: getenv("BITCOIN_RPC_URL"),
		User: getenv("BITCOIN_RPC_USER"), Pass: getenv("BITCOIN_RPC_PASS")})
	if err != nil {
		return err
	}
	btc, err := bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Live, RPC: rpc})
	if err != nil {
		return err
	}
	eth, err := evm.New(ctx, evm.Config{Network: asset.Ethereum, Mode: asset.Live, URL: getenv("ETH_RPC_URL"), Assets: reg})
	if err != nil {
		return err
	}
	prices, err := rates.NewCache(rates.CacheConfig{Sources: []rates.Source{rates.Kraken{}, rates.Coinbase{}}})
	if err != nil {
		return err
	}
	g, err := kassa.New(kassa.Config{
		Mnemonic:     getenv("KASSA_MNEMONIC"), // from keys.NewMnemonic(), kept offline
		MasterKey:    master,
		DatabasePath: "kassa.db",
		Chains:       []chains.Backend{btc, eth},
		Rates:        prices,
		Assets:       reg,
	})
	if err != nil {
		return err
	}
	defer g.Close()
	err = g.Subscribe("orders", func(ctx context.Context, e kassa.Event) error {
		if e.Type != event.InvoicePaid {
			return nil
		}
		inv, err := g.Invoices().Get(ctx, e.Mode, e.ObjectID)
		if err != nil {
			return err // an error means: deliver this event again later
		}
		log.Printf("order %s paid: ship it", inv.OrderID) // at least once per event: make it idempotent
		return nil
	})
	if err != nil {
		return err
	}
	pay, err := httphandler.New(g, httphandler.Options{PublicURL: "https://shop.example/pay", StoreName: "Tee shop"})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/pay/", http.StripPrefix("/pay", pay)) // the REST API and the checkout pages
	mux.HandleFunc("POST /buy", func(w http.ResponseWriter, r *http.Request) {
		inv, err := g.Invoices().Create(r.Context(), asset.Live, invoice.CreateParams{
			Amount: decimal.RequireFromString("25.00"), Currency: "USD",
			OrderID: "ORD-" + rand.Text()}) // your order's id: creating twice with it returns the same invoice
		if err != nil {
			http.Error(w, "cannot take payment now", http.StatusServiceUnavailable)
			return
		}
		http.Redirect(w, r, pay.CheckoutURL(inv.ID), http.StatusSeeOther)
	})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- g.Run(ctx); cancel() }() // watches the chains, expires invoices, delivers events
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mux}
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }() // when the process or Run stops
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return <-ran
}
