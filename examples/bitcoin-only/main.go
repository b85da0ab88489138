// Command bitcoin-only is the smallest shop that embeds Kassa for Bitcoin alone: a
// Gateway on a SQLite file and the shop's own bitcoind or btcd, with the REST API and
// the checkout page mounted under /pay/. It links no go-ethereum package: the root
// package imports no chain package, so a program pays only for the chains it
// imports (main_test.go checks it with go list -deps, and logs the binary's size).
//
//	go run ./examples/bitcoin-only -rpc http://127.0.0.1:18443 -rpcuser u -rpcpass p
//
// It runs in test mode on regtest; a real shop would use asset.Live, mainnet
// parameters and its own mnemonic from a secret store.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/keys"
)

// config is what the command is given.
type config struct {
	Addr, DB              string
	RPC, RPCUser, RPCPass string
	Mnemonic              string
}

func main() {
	var c config
	flag.StringVar(&c.Addr, "addr", "127.0.0.1:8082", "listen address")
	flag.StringVar(&c.DB, "db", "bitcoin-only.db", "SQLite database file")
	flag.StringVar(&c.RPC, "rpc", "http://127.0.0.1:18443", "the node's JSON-RPC URL (bitcoind or btcd, regtest)")
	flag.StringVar(&c.RPCUser, "rpcuser", "", "RPC user")
	flag.StringVar(&c.RPCPass, "rpcpass", "", "RPC password")
	flag.StringVar(&c.Mnemonic, "mnemonic", "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about", "BIP39 mnemonic (a demo one by default)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "bitcoin-only:", err)
		os.Exit(1)
	}
}

// run serves the shop until ctx ends; ready, if set, receives the Gateway and the
// listening address once it serves.
func run(ctx context.Context, c config, logs io.Writer, ready chan<- served) error {
	log := slog.New(slog.NewTextHandler(logs, nil))
	kr, err := keys.FromMnemonic(c.Mnemonic, "", keys.WithBitcoinTestParams(&chaincfg.RegressionNetParams))
	if err != nil {
		return err
	}
	rpc, err := bitcoin.NewRPC(bitcoin.RPCConfig{URL: c.RPC, User: c.RPCUser, Pass: c.RPCPass})
	if err != nil {
		return err
	}
	btc, err := bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Test, Params: &chaincfg.RegressionNetParams, RPC: rpc, Logger: log})
	if err != nil {
		return err
	}
	gw, err := kassa.New(kassa.Config{Keyring: kr, DatabasePath: c.DB, MasterKey: []byte("bitcoin-only demo key, 32 bytes!"),
		Chains: []chains.Backend{btc}, Logger: log})
	if err != nil {
		return err
	}
	defer gw.Close()
	api, err := httphandler.New(gw, httphandler.Options{PublicURL: "http://" + c.Addr + "/pay", Logger: log})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/pay/", http.StripPrefix("/pay", api))
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { gw.Run(runCtx); close(done) }()
	go srv.Serve(ln)
	log.Info("bitcoin-only: API and checkout at http://" + ln.Addr().String() + "/pay/")
	if ready != nil {
		ready <- served{gw: gw, addr: ln.Addr().String()}
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

// served is a running shop, for tests.
type served struct {
	gw   *kassa.Gateway
	addr string
}
