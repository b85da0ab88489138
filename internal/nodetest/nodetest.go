// Package nodetest runs a Kassa Gateway in test mode on real node software for tests:
// a btcd regtest node (internal/btcdtest) and an in-process go-ethereum node over
// JSON-RPC on 127.0.0.1 (chains/evm/evmdevnet), with no sim chain. The payout and
// refund packages prove what they send on chain with it.
package nodetest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/chains/evm/evmdevnet"
	"github.com/kassapay/kassa/internal/btcdtest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/storage"
	"github.com/shopspring/decimal"
)

// Env is a Gateway in test mode on a real btcd regtest node and an in-process
// go-ethereum node (JSON-RPC on 127.0.0.1), with no sim chain.
type Env struct {
	T     *testing.T
	KT    *kassatest.Env // the Gateway on the nodes, and its database
	G     *kassa.Gateway
	DB    string
	Clock *kassatest.Clock
	EthB  *evm.Backend
	Quiet *slog.Logger
	BTC   *btcdtest.Node
	ETH   *evmdevnet.Node
	Reg   *asset.Registry
	Keys  *keys.Keyring
	opts  []kassatest.Option
}

// Regtest is btcd's regression test network.
var Regtest = &chaincfg.RegressionNetParams

var regtest = Regtest

// New starts both nodes and a Gateway on them (a SQLite file in t's temporary
// directory, a fake clock, BTC at 1 confirmation, ETH and USDT at 2), with opts added
// to kassatest's (kassatest.WithRebounds, say).
func New(t *testing.T, opts ...kassatest.Option) *Env {
	t.Helper()
	e := &Env{T: t, BTC: btcdtest.Start(t), ETH: evmdevnet.Start(t, nil), Reg: asset.Default(), opts: opts}
	if err := e.Reg.SetContract("USDT_ETHEREUM", asset.Test, evmdevnet.USDT.Hex()); err != nil {
		t.Fatal(err)
	}
	e.Reg.SetConfirmations("BTC", 1)
	e.Reg.SetConfirmations("ETH", 2)
	e.Reg.SetConfirmations("USDT_ETHEREUM", 2)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var err error
	if e.Keys, err = keys.FromMnemonic(kassatest.Mnemonic, "", keys.WithBitcoinTestParams(regtest)); err != nil {
		t.Fatal(err)
	}
	e.Quiet, e.DB = quiet, filepath.Join(t.TempDir(), "kassa.db")
	e.Clock = kassatest.NewClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	if e.EthB, err = evm.New(context.Background(), evm.Config{Network: asset.Ethereum, Mode: asset.Test, URL: e.ETH.URL,
		ChainID: evmdevnet.ChainID, Assets: e.Reg, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.EthB.Close)
	e.Open(e.BTC.RPC)
	return e
}

// NewWatchOnly is New with a watch-only Gateway: its keyring holds only the BTC
// test account's xpub and the master fingerprint (a watch-only deployment), so its
// BTC payouts wait for signed PSBTs; e.Keys, built from the mnemonic, stands in for
// the hardware wallet that signs them (bitcoin.SignPSBT).
func NewWatchOnly(t *testing.T, opts ...kassatest.Option) *Env {
	t.Helper()
	full, err := keys.FromMnemonic(kassatest.Mnemonic, "", keys.WithBitcoinTestParams(regtest))
	if err != nil {
		t.Fatal(err)
	}
	xpub, err := full.AccountXPub(asset.FamilyBTC, asset.Test)
	if err != nil {
		t.Fatal(err)
	}
	a0, _ := full.Address(asset.FamilyBTC, asset.Test, keys.Receive, 0)
	fp, _, _ := full.Derivation(a0)
	watch, err := keys.FromXPubs([]keys.XPub{{Family: asset.FamilyBTC, Mode: asset.Test, Key: xpub, Fingerprint: hex.EncodeToString(fp[:])}},
		keys.WithBitcoinTestParams(regtest))
	if err != nil {
		t.Fatal(err)
	}
	return New(t, append([]kassatest.Option{kassatest.WithKeyring(watch)}, opts...)...)
}

// Open starts a Gateway on the env's database, reaching btcd through rpc (a restart
// after G.Close, or a transport that loses calls).
func (e *Env) Open(rpc *bitcoin.RPC) {
	e.T.Helper()
	btc, err := bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Test, Params: regtest, RPC: rpc, Logger: e.Quiet})
	if err != nil {
		e.T.Fatal(err)
	}
	e.KT = kassatest.New(e.T, append([]kassatest.Option{kassatest.WithBackends(btc, e.EthB), kassatest.WithKeyring(e.Keys), kassatest.WithClock(e.Clock),
		kassatest.WithAssets(e.Reg), kassatest.WithDatabase(e.DB), kassatest.WithLogger(e.Quiet)}, e.opts...)...)
	e.G = e.KT.Gateway
}

// Code is the one-time code sent for payout id.
func (e *Env) Code(id string) string { return e.KT.Code(id) }

// Sync runs the Gateway's background passes once.
func (e *Env) Sync() {
	e.T.Helper()
	if err := e.G.Sync(context.Background()); err != nil {
		e.T.Fatal(err)
	}
}

// Units is d in code's base units.
func (e *Env) Units(code string, d decimal.Decimal) *big.Int {
	e.T.Helper()
	a, _ := e.Reg.Get(code)
	u, err := a.ToBaseUnits(d)
	if err != nil {
		e.T.Fatal(err)
	}
	return u
}

// Available is the merchant's available balance of code; it fails the test while
// anything is held.
func (e *Env) Available(code string) decimal.Decimal {
	e.T.Helper()
	b, err := e.G.Balance(context.Background(), asset.Test, code)
	if err != nil {
		e.T.Fatal(err)
	}
	if !b.Held.IsZero() {
		e.T.Fatalf("%s still held: %+v", code, b)
	}
	return b.Available
}

// Credit pays an invoice of amount code on its chain and confirms it.
func (e *Env) Credit(code, amount string) {
	e.T.Helper()
	inv, err := e.G.Invoices().Create(context.Background(), asset.Test, invoice.CreateParams{Amount: kassatest.Dec(amount), Currency: code})
	if err != nil {
		e.T.Fatal(err)
	}
	e.send(code, inv.Methods[0].Address, e.Units(code, kassatest.Dec(amount)))
	e.Sync()
	if got, _ := e.G.Invoices().Get(context.Background(), asset.Test, inv.ID); got.Status != invoice.StatusPaid {
		e.T.Fatalf("funding invoice of %s %s is %s", amount, code, got.Status)
	}
}

// Verify checks the ledger.
func (e *Env) Verify() {
	e.T.Helper()
	e.KT.Verify()
}

// LastBTCBlock is the hash of btcd's best block.
func (e *Env) LastBTCBlock() string {
	e.T.Helper()
	var hash string
	if err := e.BTC.RPC.Call(context.Background(), "getbestblockhash", &hash); err != nil {
		e.T.Fatal(err)
	}
	return hash
}

// Pay pays what inv's method in asset code asks (its AmountDue, to its address) on
// the method's node, mines the blocks it needs and syncs; the invoice must then be
// paid.
func (e *Env) Pay(inv *invoice.Invoice, code string) {
	e.T.Helper()
	var m *invoice.Method
	for i := range inv.Methods {
		if inv.Methods[i].Asset == code {
			m = &inv.Methods[i]
		}
	}
	if m == nil {
		e.T.Fatalf("invoice %s has no %s method", inv.ID, code)
	}
	e.send(code, m.Address, e.Units(code, m.AmountDue))
	e.Sync()
	if got, _ := e.G.Invoices().Get(context.Background(), asset.Test, inv.ID); got.Status != invoice.StatusPaid {
		e.T.Fatalf("invoice %s paid in %s is %s", inv.ID, code, got.Status)
	}
}

// PayAmount pays amount of code to inv's method in code on its node, mines the
// blocks it needs and syncs.
func (e *Env) PayAmount(inv *invoice.Invoice, code string, amount decimal.Decimal) {
	e.T.Helper()
	for _, m := range inv.Methods {
		if m.Asset == code {
			e.send(code, m.Address, e.Units(code, amount))
			e.Sync()
			return
		}
	}
	e.T.Fatalf("invoice %s has no %s method", inv.ID, code)
}

// send pays units of code to addr from the node's own funds and mines it past the
// test registry's confirmations.
func (e *Env) send(code, addr string, units *big.Int) {
	e.T.Helper()
	switch code {
	case "BTC":
		script, err := bitcoin.AddressScript(addr, regtest)
		if err != nil {
			e.T.Fatal(err)
		}
		e.BTC.Payer().Pay(btcdtest.Output{Script: script, Sats: units.Int64()})
		e.BTC.Generate(1)
	case "ETH":
		e.ETH.PayETH(addr, units)
		e.ETH.Mine(2)
	case "USDT_ETHEREUM":
		e.ETH.PayToken(evmdevnet.USDT, addr, units)
		e.ETH.Mine(2)
	default:
		e.T.Fatalf("nodetest: no node pays %s", code)
	}
}

// RawTx returns a mined or mempool transaction from btcd (txindex is on).
func (e *Env) RawTx(txid string) *wire.MsgTx {
	e.T.Helper()
	var hx string
	if err := e.BTC.RPC.Call(context.Background(), "getrawtransaction", &hx, txid, 0); err != nil {
		e.T.Fatal(err)
	}
	raw, _ := hex.DecodeString(hx)
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		e.T.Fatal(err)
	}
	return &tx
}

// BlockOf returns the hash of the block that holds txid.
func (e *Env) BlockOf(txid string) string {
	e.T.Helper()
	var v struct {
		BlockHash string `json:"blockhash"`
	}
	if err := e.BTC.RPC.Call(context.Background(), "getrawtransaction", &v, txid, 1); err != nil || v.BlockHash == "" {
		e.T.Fatalf("block of %s: %q, %v", txid, v.BlockHash, err)
	}
	return v.BlockHash
}

// ChainUTXOs walks btcd's best chain from genesis and returns the unspent outputs:
// what the chain says, computed without Kassa.
func (e *Env) ChainUTXOs() map[wire.OutPoint]*wire.TxOut {
	e.T.Helper()
	ctx := context.Background()
	var tip int64
	if err := e.BTC.RPC.Call(ctx, "getblockcount", &tip); err != nil {
		e.T.Fatal(err)
	}
	utxos := map[wire.OutPoint]*wire.TxOut{}
	for h := int64(1); h <= tip; h++ {
		var hash string
		if err := e.BTC.RPC.Call(ctx, "getblockhash", &hash, h); err != nil {
			e.T.Fatal(err)
		}
		for _, tx := range e.BTC.Block(hash).Transactions {
			for _, in := range tx.TxIn {
				delete(utxos, in.PreviousOutPoint)
			}
			id := tx.TxHash()
			for i, o := range tx.TxOut {
				utxos[wire.OutPoint{Hash: id, Index: uint32(i)}] = o
			}
		}
	}
	return utxos
}

// OwnedOnChain sums the chain's unspent outputs to addresses of our wallet, in satoshi.
func (e *Env) OwnedOnChain() int64 {
	e.T.Helper()
	var total int64
	utxos := e.ChainUTXOs()
	err := e.KT.Store.View(context.Background(), func(ctx context.Context, tx storage.Tx) error {
		for _, o := range utxos {
			_, addrs, _, err := txscript.ExtractPkScriptAddrs(o.PkScript, regtest)
			if err != nil || len(addrs) != 1 {
				continue
			}
			_, ours, err := tx.LookupAddress(ctx, asset.FamilyBTC, asset.Test, addrs[0].EncodeAddress())
			if err != nil {
				return err
			}
			if ours {
				total += o.Value
			}
		}
		return nil
	})
	if err != nil {
		e.T.Fatal(err)
	}
	return total
}

// PaidOnChain sums what the chain's unspent outputs pay to addr, in satoshi.
func (e *Env) PaidOnChain(addr string) int64 {
	e.T.Helper()
	script, err := bitcoin.AddressScript(addr, regtest)
	if err != nil {
		e.T.Fatal(err)
	}
	var total int64
	for _, o := range e.ChainUTXOs() {
		if bytes.Equal(o.PkScript, script) {
			total += o.Value
		}
	}
	return total
}

// Sats is d BTC in satoshi.
func (e *Env) Sats(d decimal.Decimal) int64 { return e.Units("BTC", d).Int64() }

// DropBroadcast is an http.RoundTripper that loses every sendrawtransaction call after the
// request is written, as a crash or a cut connection between signing and broadcast
// would; it keeps the raw transactions it saw.
type DropBroadcast struct {
	mu  sync.Mutex
	Raw []string // the raw transactions, hex
}

// RoundTrip implements http.RoundTripper.
func (d *DropBroadcast) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var call struct {
		Method string `json:"method"`
		Params []any  `json:"params"`
	}
	if json.Unmarshal(body, &call) == nil && call.Method == "sendrawtransaction" {
		d.mu.Lock()
		d.Raw = append(d.Raw, call.Params[0].(string))
		d.mu.Unlock()
		return nil, errors.New("connection lost")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// BTCRPC is a client of the env's btcd whose calls go through transport (DropBroadcast
// loses its broadcasts); Open starts the Gateway on it.
func (e *Env) BTCRPC(transport http.RoundTripper) (*bitcoin.RPC, error) {
	return bitcoin.NewRPC(bitcoin.RPCConfig{URL: e.BTC.URL, User: e.BTC.User, Pass: e.BTC.Pass, Transport: transport})
}
