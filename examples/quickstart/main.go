// Command quickstart is Kassa's main demo: a small shop that takes crypto, with
// everything in one process and nothing on the internet.
//
//	go run ./examples/quickstart             serve the shop on http://127.0.0.1:8080 until Ctrl-C
//	go run ./examples/quickstart -smoke      buy once through HTTP, print what happened, exit
//
// It runs a Gateway on a SQLite file in test mode: ETH and USDT on an in-process
// go-ethereum node (a real EVM node, JSON-RPC on 127.0.0.1), TRX and USDT-TRC20 on an
// in-process Tron devnet (java-tron's HTTP API on 127.0.0.1, read by the real Tron
// backend), BTC on the sim chain.
// The shop has a product page with a "Pay with crypto" button that opens Kassa's hosted
// checkout page, whose "Pay with test funds" button pays from the devnet; a webhook
// receiver that verifies every signature and logs the events; and the whole API under
// /pay/v1. Each run uses a new database (in a temporary directory unless -db names
// one): the chains live in memory, and a database that remembers blocks of a chain that
// no longer exists would rightly treat its payments as reorganised away.
package main

import (
	"context"
	"crypto/rand"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/chains/evm/evmdevnet"
	"github.com/kassapay/kassa/chains/sim"
	"github.com/kassapay/kassa/chains/tron"
	"github.com/kassapay/kassa/chains/tron/trondevnet"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/rates"
	"github.com/kassapay/kassa/webhook"
	"github.com/shopspring/decimal"
)

// logo is the demo shop's logo on Kassa's checkout page (httphandler.Options.Logo).
//
//go:embed logo.svg
var logo []byte

// demoMnemonic is the BIP39 test mnemonic. Never receive real money on it.
const demoMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	db := flag.String("db", "", "SQLite database file (default: a new one in a temporary directory)")
	smoke := flag.Bool("smoke", false, "buy once through HTTP, print the events and exit")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, config{addr: *addr, db: *db, smoke: *smoke, out: os.Stdout, log: log}); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart failed:", err)
		os.Exit(1)
	}
}

type config struct {
	addr, db string
	smoke    bool
	out      io.Writer
	log      *slog.Logger
	// ready, if set, receives the shop's base URL once it serves (tests).
	ready chan<- string
}

// devnetChain is the EVM backend on the devnet, able to pay like a test chain: the
// devnet's funded account sends ETH or USDT, then blocks are mined.
type devnetChain struct {
	*evm.Backend
	node *evmdevnet.Node
}

func (d devnetChain) Pay(to, code string, amount *big.Int) string {
	if code == "ETH" {
		return d.node.PayETH(to, amount).Hex()
	}
	return d.node.PayToken(evmdevnet.USDT, to, amount).Hex()
}

func (d devnetChain) Mine(n int) chains.BlockRef {
	d.node.Mine(n)
	tip, _ := d.Tip(context.Background())
	return tip
}

// tronChain is the Tron backend on the Tron devnet, able to pay like a test chain.
type tronChain struct {
	*tron.Backend
	node *trondevnet.Node
}

func (d tronChain) Pay(to, code string, amount *big.Int) string {
	if code == "TRX" {
		return d.node.PayTRX(to, amount.Int64())
	}
	return d.node.PayToken(to, amount)
}

func (d tronChain) Mine(n int) chains.BlockRef {
	d.node.Mine(n)
	tip, _ := d.Tip(context.Background())
	return tip
}

// run serves the demo until ctx ends. The devnet's helpers report a failure by
// panicking (they are written for tests); Catch turns that back into an error.
func run(ctx context.Context, cfg config) (err error) {
	tb := &evmdevnet.Standalone{}
	defer tb.Close()
	if cerr := evmdevnet.Catch(func() { err = serve(ctx, cfg, tb) }); cerr != nil {
		return cerr
	}
	return err
}

func serve(ctx context.Context, cfg config, tb *evmdevnet.Standalone) error {
	if cfg.db == "" {
		dir, err := os.MkdirTemp("", "kassa-quickstart-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.db = filepath.Join(dir, "kassa.db")
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (use -addr)", cfg.addr, err)
	}
	base := "http://" + ln.Addr().String()

	cfg.log.Info("quickstart: starting the EVM devnet (go-ethereum, in process)")
	node := evmdevnet.Start(tb, nil)
	reg := asset.Default()
	if err := reg.SetContract("USDT_ETHEREUM", asset.Test, evmdevnet.USDT.Hex()); err != nil {
		return err
	}
	for _, code := range []string{"ETH", "USDT_ETHEREUM"} {
		reg.SetConfirmations(code, 2) // a demo does not wait for 12 blocks
	}
	eth, err := evm.New(ctx, evm.Config{Network: asset.Ethereum, Mode: asset.Test, URL: node.URL, PushURL: node.WSURL, ChainID: evmdevnet.ChainID,
		Assets: reg, Logger: cfg.log})
	if err != nil {
		return err
	}
	defer eth.Close()
	cfg.log.Info("quickstart: starting the Tron devnet (java-tron's HTTP API, in process)")
	tnode := trondevnet.Start(tb)
	if err := reg.SetContract("USDT_TRON", asset.Test, tnode.Token.String()); err != nil {
		return err
	}
	for _, code := range []string{"TRX", "USDT_TRON"} {
		reg.SetConfirmations(code, 2) // nor for Tron's 19
	}
	trx, err := tron.New(ctx, tron.Config{Mode: asset.Test, URL: tnode.URL, Assets: reg, Logger: cfg.log})
	if err != nil {
		return err
	}
	btc := sim.New(chains.NetworkRef{ID: asset.Bitcoin, Mode: asset.Test})
	prices, err := rates.NewCache(rates.CacheConfig{Sources: []rates.Source{
		rates.Fixed{"BTC": decimal.NewFromInt(65000), "ETH": decimal.NewFromInt(3000), "TRX": decimal.RequireFromString("0.25")},
	}, Logger: cfg.log})
	if err != nil {
		return err
	}
	master := make([]byte, 32)
	rand.Read(master)
	g, err := kassa.New(kassa.Config{Mnemonic: demoMnemonic, DatabasePath: cfg.db, Logger: cfg.log, Assets: reg,
		Chains: []chains.Backend{btc, devnetChain{Backend: eth, node: node}, tronChain{Backend: trx, node: tnode}}, Rates: prices, MasterKey: master,
		PollInterval: 250 * time.Millisecond, Webhooks: webhook.Options{AllowPrivate: true}})
	if err != nil {
		return err
	}
	defer g.Close()
	api, err := httphandler.New(g, httphandler.Options{PublicURL: base + "/pay", StoreName: "Kassa demo shop", Logo: logo, Logger: cfg.log})
	if err != nil {
		return err
	}
	ep, err := g.Webhooks().Create(ctx, asset.Test, webhook.CreateParams{URL: base + "/webhooks", Events: []string{"*"},
		Description: "the demo shop's receiver"})
	if err != nil {
		return err
	}
	s := &shop{g: g, base: base, secret: ep.Secret, log: cfg.log, events: make(chan string, 64)}
	mux := http.NewServeMux()
	mux.Handle("/pay/", http.StripPrefix("/pay", api))
	s.routes(mux)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	ran := make(chan struct{})
	go func() {
		g.Run(ctx)
		close(ran)
	}()
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			done <- err
		}
	}()
	fmt.Fprintf(cfg.out, "Kassa demo shop on %s (test mode: BTC on the sim chain, ETH and USDT on an in-process go-ethereum node, TRX and USDT on an in-process Tron devnet)\n", base)
	fmt.Fprintf(cfg.out, "  open %s/ and press \"Pay with crypto\", then \"Pay with test funds\"\n", base)
	fmt.Fprintf(cfg.out, "  API %s/pay/v1 (OpenAPI at %s/pay/openapi.json); webhooks go to %s/webhooks\n", base, base, base)
	if cfg.ready != nil {
		cfg.ready <- base
	}
	if cfg.smoke {
		err = smoke(ctx, base, s.events, cfg.out)
	} else {
		fmt.Fprintln(cfg.out, "  Ctrl-C stops it")
		select {
		case <-ctx.Done():
		case err = <-done:
		}
	}
	cancel()
	shut, cancelShut := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShut()
	srv.Shutdown(shut)
	<-ran // the Gateway's jobs have stopped: now it can close
	fmt.Fprintln(cfg.out, "stopped")
	return err
}
