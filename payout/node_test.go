package payout_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/chains/evm"
	"github.com/kassapay/kassa/chains/evm/evmdevnet"
	"github.com/kassapay/kassa/internal/nodetest"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/kassatest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/storage"
	"github.com/shopspring/decimal"
)

var regtest = nodetest.Regtest

// TestPayout_MassAcrossBTCETHAndUSDTOnRealNodes pays one batch of BTC (btcd regtest),
// ETH and USDT (go-ethereum) and checks what arrived on chain and what the ledger kept,
// to the base unit.
func TestPayout_MassAcrossBTCETHAndUSDTOnRealNodes(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	e.Credit("BTC", "0.05")
	e.Credit("ETH", "1")
	e.Credit("USDT_ETHEREUM", "100")
	// EVM payouts leave from the hot wallet (deposits reach it by sweeping, a separate
	// job): put the same money there from the node's faucet.
	hot, err := e.Keys.Address(asset.FamilyEVM, asset.Test, keys.Change, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.ETH.PayETH(hot.Encoded, e.Units("ETH", kassatest.Dec("1")))
	e.ETH.PayToken(evmdevnet.USDT, hot.Encoded, e.Units("USDT_ETHEREUM", kassatest.Dec("100")))
	e.ETH.Mine(1)

	btcDest, _ := address.NewAddressWitnessPubKeyHash(address.Hash160(e.BTC.Miner.PubKey().SerializeCompressed()), regtest)
	btcDest2, _ := address.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{7}, 20), regtest)
	ethDest := common.HexToAddress("0x00000000000000000000000000000000000000bb").Hex()
	batch, ps, err := e.G.Payouts().CreateMass(ctx, asset.Test, payout.MassParams{BatchReference: "suppliers", Destinations: []payout.CreateParams{
		{Amount: kassatest.Dec("0.02"), Currency: "BTC", Destination: btcDest.EncodeAddress()},
		{Amount: kassatest.Dec("0.007"), Currency: "BTC", Destination: btcDest2.EncodeAddress()},
		{Amount: kassatest.Dec("0.3"), Currency: "ETH", Destination: ethDest},
		{Amount: kassatest.Dec("40"), Currency: "USDT", Network: "ethereum", Destination: ethDest},
	}})
	if err != nil || len(ps) != 4 {
		t.Fatalf("mass payout: %v (%d payouts)", err, len(ps))
	}
	for _, p := range ps {
		if p.Status != payout.StatusBroadcast || p.TxHash == "" || p.BatchID != batch {
			t.Fatalf("%s payout after create: %+v", p.Asset, p)
		}
		if p.Asset != "BTC" && p.Fee != nil {
			t.Fatalf("%s payout reports a fee of %s before it is mined", p.Asset, p.Fee)
		}
	}
	e.BTC.Generate(1)
	e.ETH.Mine(12) // ETH payouts complete at 12 confirmations, BTC ones at 1
	e.Sync()
	got := map[string]*payout.Payout{}
	var btcPs []*payout.Payout
	for _, p := range ps {
		g, err := e.G.Payouts().Get(ctx, asset.Test, p.ID)
		if err != nil || g.Status != payout.StatusCompleted || g.Fee == nil || !g.Fee.IsPositive() {
			t.Fatalf("%s payout after mining: %+v, %v", p.Asset, g, err)
		}
		got[g.Asset] = g
		if g.Asset == "BTC" {
			btcPs = append(btcPs, g)
		}
	}
	ethP, usdtP := got["ETH"], got["USDT_ETHEREUM"]

	// On chain: both BTC destinations in one transaction, each output exact, and the
	// payouts' fee shares adding up to that transaction's fee.
	if btcPs[0].TxHash != btcPs[1].TxHash || btcPs[0].SendID == "" {
		t.Fatalf("BTC payouts of one batch in two transactions: %s, %s", btcPs[0].TxHash, btcPs[1].TxHash)
	}
	var btcTx *wire.MsgTx
	for _, tx := range e.BTC.Block(e.LastBTCBlock()).Transactions {
		if tx.TxHash().String() == btcPs[0].TxHash {
			btcTx = tx
		}
	}
	if btcTx == nil {
		t.Fatalf("payout transaction %s not in the block", btcPs[0].TxHash)
	}
	outs := map[string]int64{}
	totalOut := int64(0)
	for _, out := range btcTx.TxOut {
		outs[string(out.PkScript)] += out.Value
		totalOut += out.Value
	}
	btcSpent, btcFees := decimal.Zero, decimal.Zero
	for _, p := range btcPs {
		script, _ := bitcoin.AddressScript(p.Destination, regtest)
		if outs[string(script)] != e.Units("BTC", p.NetAmount).Int64() {
			t.Fatalf("output to %s is %d sat, want %s BTC", p.Destination, outs[string(script)], p.NetAmount)
		}
		btcSpent = btcSpent.Add(p.NetAmount).Add(*p.Fee)
		btcFees = btcFees.Add(*p.Fee)
	}
	// The only input is the 0.05 BTC deposit: fee = input - outputs.
	if fee := 5_000_000 - totalOut; e.Units("BTC", btcFees).Int64() != fee {
		t.Fatalf("fee shares add up to %s BTC, the transaction paid %d sat", btcFees, fee)
	}
	if b := e.ETH.Balance(ethDest); b.Cmp(e.Units("ETH", ethP.NetAmount)) != 0 {
		t.Fatalf("destination has %s wei, want %s ETH", b, ethP.NetAmount)
	}
	if b := e.ETH.TokenBalance(evmdevnet.USDT, ethDest); b.Cmp(e.Units("USDT_ETHEREUM", kassatest.Dec("40"))) != 0 || !usdtP.NetAmount.Equal(kassatest.Dec("40")) {
		t.Fatalf("destination has %s USDT units, net %s", b, usdtP.NetAmount)
	}
	// The hot wallet paid exactly the net amounts and the two fees the payouts report.
	spent := ethP.NetAmount.Add(*ethP.Fee).Add(*usdtP.Fee)
	if b := e.ETH.Balance(hot.Encoded); b.Cmp(e.Units("ETH", kassatest.Dec("1").Sub(spent))) != 0 {
		t.Fatalf("hot wallet has %s wei, want 1 ETH - %s", b, spent)
	}
	// The ledger: what left is the net amount plus the actual fee, nothing more.
	if a := e.Available("BTC"); !a.Equal(kassatest.Dec("0.05").Sub(btcSpent)) {
		t.Fatalf("BTC available %s, want 0.05 - %s", a, btcSpent)
	}
	if a := e.Available("ETH"); !a.Equal(kassatest.Dec("1").Sub(spent)) {
		t.Fatalf("ETH available %s, want 1 - %s", a, spent)
	}
	if a := e.Available("USDT_ETHEREUM"); !a.Equal(kassatest.Dec("60")) {
		t.Fatalf("USDT available %s", a)
	}
	e.Verify()
	// Later passes book nothing again.
	e.BTC.Generate(1)
	e.ETH.Mine(1)
	e.Sync()
	if a := e.Available("ETH"); !a.Equal(kassatest.Dec("1").Sub(spent)) {
		t.Fatalf("ETH available moved to %s", a)
	}
	e.Verify()
}

// TestPayout_RefusalOnRealNodeRollsBack: the ledger has the money but the hot wallet on
// chain does not (nothing swept yet): the node refuses, the hold is voided, and the
// payout is failed with the node's reason.
func TestPayout_RefusalOnRealNodeRollsBack(t *testing.T) {
	e := nodetest.New(t)
	e.Credit("ETH", "1")
	dest := common.HexToAddress("0x00000000000000000000000000000000000000cc").Hex()
	_, err := e.G.Payouts().Create(context.Background(), asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.3"), Currency: "ETH", Destination: dest})
	var be *payout.BroadcastError
	if !errors.As(err, &be) {
		t.Fatalf("payout from an empty hot wallet: %v", err)
	}
	p, err := e.G.Payouts().Get(context.Background(), asset.Test, be.PayoutID)
	if err != nil || p.Status != payout.StatusFailed || p.TxHash != "" || !strings.Contains(p.FailureReason, "insufficient funds") {
		t.Fatalf("refused payout: %+v, %v", p, err)
	}
	if a := e.Available("ETH"); !a.Equal(kassatest.Dec("1")) {
		t.Fatalf("ETH available after the refusal: %s", a)
	}
	if b := e.ETH.Balance(dest); b.Sign() != 0 {
		t.Fatalf("destination received %s", b)
	}
	e.Verify()
}

// TestPayout_CrashBetweenSigningAndBroadcastSendsTheSameTransaction: the payout is
// signed and stored, the broadcast is lost, the process restarts, and the background
// pass broadcasts the very transaction that was signed: same txid, paid once.
func TestPayout_CrashBetweenSigningAndBroadcastSendsTheSameTransaction(t *testing.T) {
	e := nodetest.New(t)
	e.Credit("BTC", "0.05")
	drop := &nodetest.DropBroadcast{}
	rpc, err := bitcoin.NewRPC(bitcoin.RPCConfig{URL: e.BTC.URL, User: e.BTC.User, Pass: e.BTC.Pass, Transport: drop})
	if err != nil {
		t.Fatal(err)
	}
	e.G.Close()
	e.Open(rpc)
	dest, _ := address.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{9}, 20), regtest)
	p, err := e.G.Payouts().Create(context.Background(), asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: dest.EncodeAddress()})
	if err != nil || p.Status != payout.StatusProcessing || len(drop.Raw) != 1 {
		t.Fatalf("payout with a lost broadcast: %+v, %v, %d broadcasts", p, err, len(drop.Raw))
	}
	if len(e.BTC.Mempool()) != 0 {
		t.Fatal("the lost broadcast reached the node")
	}
	raw, _ := hex.DecodeString(drop.Raw[0])
	var signed wire.MsgTx
	if err := signed.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	e.G.Close() // the crash; then a restart with a working connection
	e.Open(e.BTC.RPC)
	got, _ := e.G.Payouts().Get(context.Background(), asset.Test, p.ID)
	if got.Status != payout.StatusBroadcast || got.TxHash != signed.TxHash().String() {
		t.Fatalf("after restart: %s %s, signed %s", got.Status, got.TxHash, signed.TxHash())
	}
	if mp := e.BTC.Mempool(); len(mp) != 1 || mp[0] != got.TxHash {
		t.Fatalf("mempool %v, want only %s", mp, got.TxHash)
	}
	e.BTC.Generate(1)
	e.Sync()
	got, _ = e.G.Payouts().Get(context.Background(), asset.Test, p.ID)
	if got.Status != payout.StatusCompleted {
		t.Fatalf("payout is %s", got.Status)
	}
	if a := e.Available("BTC"); !a.Equal(kassatest.Dec("0.05").Sub(got.NetAmount).Sub(*got.Fee)) {
		t.Fatalf("BTC available %s", a)
	}
	e.Verify()
}

// answerLost is a transport that delivers every broadcast (sendrawtransaction,
// eth_sendRawTransaction) to the node but loses its answer, as a process killed
// between broadcasting a payout and recording it would, or a connection cut after the
// request went out.
type answerLost struct {
	mu   sync.Mutex
	sent int
}

func (a *answerLost) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var call struct {
		Method string `json:"method"`
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && json.Unmarshal(body, &call) == nil && (call.Method == "sendrawtransaction" || call.Method == "eth_sendRawTransaction") {
		resp.Body.Close()
		a.mu.Lock()
		a.sent++
		a.mu.Unlock()
		return nil, errors.New("connection lost")
	}
	return resp, err
}

// TestPayout_BroadcastMinedBeforeItIsRecordedCompletes: the node takes a payout's
// transaction but the answer is lost (the process dies before recording it), a block
// mines it, and only then does the restarted Gateway's pass send it again and record
// it, after its watcher scanned that block. The payout completes, paid once, rather
// than waiting at broadcast for a block the watcher has passed.
func TestPayout_BroadcastMinedBeforeItIsRecordedCompletes(t *testing.T) {
	for _, code := range []string{"BTC", "ETH"} {
		t.Run(code, func(t *testing.T) {
			e := nodetest.New(t)
			ctx := context.Background()
			lost := &answerLost{}
			ethB, dest := e.EthB, regtestDest(13)
			if code == "BTC" {
				e.Credit("BTC", "0.05")
				rpc, err := bitcoin.NewRPC(bitcoin.RPCConfig{URL: e.BTC.URL, User: e.BTC.User, Pass: e.BTC.Pass, Transport: lost})
				if err != nil {
					t.Fatal(err)
				}
				e.G.Close()
				e.Open(rpc)
			} else {
				e.Credit("ETH", "0.05")
				hot, _ := e.Keys.Address(asset.FamilyEVM, asset.Test, keys.Change, 0)
				e.ETH.PayETH(hot.Encoded, e.Units("ETH", kassatest.Dec("0.05")))
				e.ETH.Mine(1)
				proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
					u, _ := url.Parse(e.ETH.URL)
					r.SetURL(u)
				}, Transport: lost, ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }})
				t.Cleanup(proxy.Close)
				b, err := evm.New(ctx, evm.Config{Network: asset.Ethereum, Mode: asset.Test, URL: proxy.URL,
					ChainID: evmdevnet.ChainID, Assets: e.Reg, Logger: e.Quiet})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(b.Close)
				e.G.Close()
				e.EthB = b
				e.Open(e.BTC.RPC)
				dest = common.HexToAddress("0x00000000000000000000000000000000000000e2").Hex()
			}
			p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: code, Destination: dest})
			if err != nil || p.Status != payout.StatusProcessing || lost.sent != 1 {
				t.Fatalf("payout whose broadcast answer was lost: %+v, %v, %d broadcasts", p, err, lost.sent)
			}
			var txid string
			if code == "BTC" {
				mp := e.BTC.Mempool()
				if len(mp) != 1 {
					t.Fatalf("mempool %v: the broadcast should have reached the node", mp)
				}
				txid = mp[0]
				e.BTC.Generate(1) // mined before the payout knows its transaction
			} else {
				blk := e.ETH.Commit() // mined before the payout knows its transaction
				b, err := e.ETH.Client.BlockByHash(ctx, blk)
				if err != nil || len(b.Transactions()) != 1 {
					t.Fatalf("block with the payout: %v", err)
				}
				txid = b.Transactions()[0].Hash().Hex()
			}
			e.G.Close() // the crash; the restart's first pass scans the block, then sends again
			e.EthB = ethB
			e.Open(e.BTC.RPC)
			got, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
			if !strings.EqualFold(got.TxHash, txid) {
				t.Fatalf("after restart: %s %q, mined %s", got.Status, got.TxHash, txid)
			}
			if code == "BTC" {
				e.BTC.Generate(2)
			} else {
				e.ETH.Mine(2)
			}
			e.Sync()
			e.Clock.Advance(payout.RebroadcastAfter + time.Second)
			e.Sync()
			got, _ = e.G.Payouts().Get(ctx, asset.Test, p.ID)
			if got.Status != payout.StatusCompleted || got.Fee == nil {
				t.Fatalf("payout mined before it was recorded is %s (fee %v), want completed", got.Status, got.Fee)
			}
			if code == "BTC" {
				if paid := e.PaidOnChain(dest); paid != e.Sats(got.NetAmount) {
					t.Fatalf("the recipient has %d sat, want %d once", paid, e.Sats(got.NetAmount))
				}
			} else if b := e.ETH.Balance(dest); b.Cmp(e.Units("ETH", got.NetAmount)) != 0 {
				t.Fatalf("the recipient has %s wei, want %s once", b, e.Units("ETH", got.NetAmount))
			}
			if a := e.Available(code); !a.Equal(kassatest.Dec("0.05").Sub(got.NetAmount).Sub(*got.Fee)) {
				t.Fatalf("%s available %s", code, a)
			}
			e.Verify()
		})
	}
}

// TestPayout_CodesOnRealNodes: above 5,000 USD a BTC payout waits for its code; a wrong
// code is refused, the right one sends it on btcd; five wrong codes, or ten minutes,
// cancel another and release its hold.
func TestPayout_CodesOnRealNodes(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	e.Credit("BTC", "0.3")
	svc := e.G.Payouts()
	dest, _ := address.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{5}, 20), regtest)
	create := func(amount string) *payout.Payout {
		t.Helper()
		p, err := svc.Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec(amount), Currency: "BTC", Destination: dest.EncodeAddress()})
		if err != nil || p.Status != payout.StatusPendingVerification || len(e.Code(p.ID)) != 6 {
			t.Fatalf("payout of %s BTC (%s USD): %+v, %v", amount, kassatest.Dec(amount).Mul(kassatest.Dec("65000")), p, err)
		}
		return p
	}
	wrongFor := func(id string) string {
		if e.Code(id) == "000000" {
			return "111111"
		}
		return "000000"
	}
	a := create("0.1") // 6,500 USD
	if _, err := svc.Verify(ctx, asset.Test, a.ID, wrongFor(a.ID)); !errors.Is(err, payout.ErrBadCode) {
		t.Fatalf("wrong code: %v", err)
	}
	if len(e.BTC.Mempool()) != 0 {
		t.Fatal("sent before the code")
	}
	p, err := svc.Verify(ctx, asset.Test, a.ID, e.Code(a.ID))
	if err != nil || p.Status != payout.StatusBroadcast || len(e.BTC.Mempool()) != 1 {
		t.Fatalf("right code: %+v, %v", p, err)
	}
	b := create("0.08")
	for range 5 {
		svc.Verify(ctx, asset.Test, b.ID, wrongFor(b.ID))
	}
	c := create("0.09")
	e.Clock.Advance(10 * time.Minute)
	e.BTC.Generate(1)
	e.Sync()
	for id, want := range map[string]payout.Status{a.ID: payout.StatusCompleted, b.ID: payout.StatusCancelled, c.ID: payout.StatusCancelled} {
		if got, _ := svc.Get(ctx, asset.Test, id); got.Status != want {
			t.Fatalf("payout %s is %s, want %s", id, got.Status, want)
		}
	}
	got, _ := svc.Get(ctx, asset.Test, a.ID)
	if av := e.Available("BTC"); !av.Equal(kassatest.Dec("0.3").Sub(got.NetAmount).Sub(*got.Fee)) {
		t.Fatalf("BTC available %s", av)
	}
	e.Verify()
}

// TestPayout_RevertedTokenPayoutFailsWithItsGasBooked: two USDT payouts leave before
// either is mined, and the hot wallet holds enough for one: the second transaction is
// mined and reverts. It is failed, its USDT hold released, and the gas it burnt booked.
func TestPayout_RevertedTokenPayoutFailsWithItsGasBooked(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	e.Credit("USDT_ETHEREUM", "100")
	e.Credit("USDT_ETHEREUM", "100")
	e.Credit("ETH", "1")
	hot, _ := e.Keys.Address(asset.FamilyEVM, asset.Test, keys.Change, 0)
	e.ETH.PayETH(hot.Encoded, e.Units("ETH", kassatest.Dec("1")))
	e.ETH.PayToken(evmdevnet.USDT, hot.Encoded, e.Units("USDT_ETHEREUM", kassatest.Dec("100")))
	e.ETH.Mine(1)
	dest := common.HexToAddress("0x00000000000000000000000000000000000000dd").Hex()
	var ps []*payout.Payout
	for range 2 {
		p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("80"), Currency: "USDT", Network: "ethereum", Destination: dest})
		if err != nil || p.Status != payout.StatusBroadcast {
			t.Fatalf("payout: %+v, %v", p, err)
		}
		ps = append(ps, p)
	}
	e.ETH.Mine(12)
	e.Sync()
	first, _ := e.G.Payouts().Get(ctx, asset.Test, ps[0].ID)
	second, _ := e.G.Payouts().Get(ctx, asset.Test, ps[1].ID)
	if first.Status != payout.StatusCompleted || second.Status != payout.StatusFailed || second.Fee == nil || !second.Fee.IsPositive() {
		t.Fatalf("payouts: %s, %s (fee %v)", first.Status, second.Status, second.Fee)
	}
	if b := e.ETH.TokenBalance(evmdevnet.USDT, dest); b.Cmp(e.Units("USDT_ETHEREUM", kassatest.Dec("80"))) != 0 {
		t.Fatalf("destination has %s USDT units", b)
	}
	if a := e.Available("USDT_ETHEREUM"); !a.Equal(kassatest.Dec("120")) {
		t.Fatalf("USDT available %s, want 120", a)
	}
	gas := first.Fee.Add(*second.Fee)
	if a := e.Available("ETH"); !a.Equal(kassatest.Dec("1").Sub(gas)) {
		t.Fatalf("ETH available %s, want 1 - %s", a, gas)
	}
	if b := e.ETH.Balance(hot.Encoded); b.Cmp(e.Units("ETH", kassatest.Dec("1").Sub(gas))) != 0 {
		t.Fatalf("hot wallet has %s wei, want 1 ETH - %s", b, gas)
	}
	e.Verify()
}

// TestPayout_AddressesOfAnotherNetworkOrWithBadChecksums are refused by the real
// backends' address rules, with nothing held.
func TestPayout_AddressesOfAnotherNetworkOrWithBadChecksums(t *testing.T) {
	e := nodetest.New(t)
	e.Credit("BTC", "0.05")
	e.Credit("ETH", "1")
	regtestAddr, _ := address.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{3}, 20), regtest)
	good := regtestAddr.EncodeAddress()
	mutated := []byte(good)
	if mutated[len(mutated)-1] == 'q' {
		mutated[len(mutated)-1] = 'p'
	} else {
		mutated[len(mutated)-1] = 'q'
	}
	for name, c := range map[string]payout.CreateParams{
		"mainnet address on regtest": {Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		"EVM address for BTC":        {Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: "0x00000000000000000000000000000000000000dd"},
		"bech32 checksum":            {Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: string(mutated)},
		"EIP-55 checksum":            {Amount: kassatest.Dec("0.1"), Currency: "ETH", Destination: "0x9858EfFD232B4033E47d90003D41EC34EcaEda95"},
		"BTC address for ETH":        {Amount: kassatest.Dec("0.1"), Currency: "ETH", Destination: good},
	} {
		_, err := e.G.Payouts().Create(context.Background(), asset.Test, c)
		if !errors.Is(err, chains.ErrInvalidAddress) || !hasField(err, "destination_address") {
			t.Errorf("%s: %v", name, err)
		}
	}
	e.Available("BTC") // fails if anything is held
	e.Available("ETH")
	e.Verify()
}

// regtestDest is a regtest P2WPKH address that is not ours, one per i.
func regtestDest(i int) string {
	a, _ := address.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{byte(40 + i)}, 20), regtest)
	return a.EncodeAddress()
}

// TestPayout_OwnAddressInAnySpellingIsRefusedAndOwnOutputsNeverCredit (issue 14.5): a
// payout to one of our deposit addresses written in upper-case bech32 (or lower-case
// hex on EVM) was accepted, and the watcher then booked its output as a customer's
// payment. Addresses are now compared by what they pay to, and an output of a
// transaction our wallet signed never pays an invoice.
func TestPayout_OwnAddressInAnySpellingIsRefusedAndOwnOutputsNeverCredit(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	e.Credit("BTC", "0.05")
	inv, err := e.G.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC"})
	if err != nil {
		t.Fatal(err)
	}
	own := inv.Methods[0].Address
	ethInv, err := e.G.Invoices().Create(ctx, asset.Test, invoice.CreateParams{Amount: kassatest.Dec("0.1"), Currency: "ETH"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []payout.CreateParams{
		{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: strings.ToUpper(own)},
		{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: own},
		{Amount: kassatest.Dec("0.01"), Currency: "ETH", Destination: strings.ToLower(ethInv.Methods[0].Address)},
	} {
		if _, err := e.G.Payouts().Create(ctx, asset.Test, c); !errors.Is(err, payout.ErrOwnAddress) || !hasField(err, "destination_address") {
			t.Fatalf("payout to our own %s: %v", c.Destination, err)
		}
	}
	// Our own wallet pays the invoice's address anyway (as a payout written before
	// this check would have): the output is ours, never the customer's payment.
	btc, err := bitcoin.New(bitcoin.Config{Network: asset.Bitcoin, Mode: asset.Test, Params: regtest, RPC: e.BTC.RPC, Logger: e.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	w, err := bitcoin.NewWallet(bitcoin.WalletConfig{Backend: btc, Keyring: e.Keys, Update: storage.Runner[chains.WalletTx](e.KT.Store.Update),
		View: storage.Runner[chains.WalletTx](e.KT.Store.View), Logger: e.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Send(ctx, chains.PayoutSpec{ID: "own-output", Asset: "BTC", To: strings.ToUpper(own), Amount: big.NewInt(1_000_000)}); err != nil {
		t.Fatal(err)
	}
	e.Sync() // seen in the mempool
	e.BTC.Generate(1)
	e.Sync()
	got, err := e.G.Invoices().Get(ctx, asset.Test, inv.ID)
	if err != nil || got.Status != invoice.StatusPending || !got.AmountPaid.IsZero() {
		t.Fatalf("invoice after our own transaction paid its address: %s paid %s (%v)", got.Status, got.AmountPaid, err)
	}
	if b, _ := e.G.Balance(ctx, asset.Test, "BTC"); !b.Pending.IsZero() || !b.Available.Equal(kassatest.Dec("0.05")) {
		t.Fatalf("our own output was booked: %+v", b)
	}
	e.Verify()
}

// TestPayout_ConcurrentBTCPayoutsSpendTheirOwnUnconfirmedChange (issue 14.5b): ten
// concurrent payouts against a balance for five, from one deposit: the ledger takes
// five, and all five go out, each spending the change of the one before it while it
// is unconfirmed (two used to fail at the node: "insufficient confirmed funds").
func TestPayout_ConcurrentBTCPayoutsSpendTheirOwnUnconfirmedChange(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	e.Credit("BTC", "0.05")
	const n = 10
	var wg sync.WaitGroup
	ps := make([]*payout.Payout, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ps[i], errs[i] = e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.01"), Currency: "BTC", Destination: regtestDest(i)})
		})
	}
	wg.Wait()
	var accepted []*payout.Payout
	for i, err := range errs {
		switch {
		case err == nil:
			accepted = append(accepted, ps[i])
		case errors.Is(err, payout.ErrInsufficientFunds):
		default:
			t.Fatalf("payout %d: %v", i, err) // a *BroadcastError here is the defect
		}
	}
	if len(accepted) != 5 {
		t.Fatalf("%d payouts accepted from a balance for 5", len(accepted))
	}
	// Those that waited for a sibling's broadcast go out at the next pass.
	e.Sync()
	for _, p := range accepted {
		if got, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID); got.Status != payout.StatusBroadcast {
			t.Fatalf("payout %s is %s (%s) after a pass", p.ID, got.Status, got.FailureReason)
		}
	}
	if mp := e.BTC.Mempool(); len(mp) != 5 {
		t.Fatalf("%d transactions in the mempool, want 5 chained ones", len(mp))
	}
	e.BTC.Generate(1)
	e.Sync()
	spent := decimal.Zero
	for _, p := range accepted {
		got, _ := e.G.Payouts().Get(ctx, asset.Test, p.ID)
		if got.Status != payout.StatusCompleted {
			t.Fatalf("payout %s is %s after mining", p.ID, got.Status)
		}
		spent = spent.Add(got.NetAmount).Add(*got.Fee)
	}
	if a := e.Available("BTC"); !a.Equal(kassatest.Dec("0.05").Sub(spent)) {
		t.Fatalf("BTC available %s, want 0.05 - %s", a, spent)
	}
	e.Verify()
}

// TestPayout_DeepChainOfOwnChangeWaitsThenGoesOrTimesOut: a payout whose only coins
// are change deeper than bitcoin.MaxUnconfirmedDepth waits (processing, held) instead
// of failing, and goes out once a block confirms the chain; one that waits longer
// than FundsWait fails with its hold released.
func TestPayout_DeepChainOfOwnChangeWaitsThenGoesOrTimesOut(t *testing.T) {
	e := nodetest.New(t)
	ctx := context.Background()
	e.Credit("BTC", "0.1")
	pay := func(i int) *payout.Payout {
		t.Helper()
		p, err := e.G.Payouts().Create(ctx, asset.Test, payout.CreateParams{Amount: kassatest.Dec("0.001"), Currency: "BTC", Destination: regtestDest(i)})
		if err != nil {
			t.Fatalf("payout %d: %v", i, err)
		}
		return p
	}
	for i := range bitcoin.MaxUnconfirmedDepth {
		if p := pay(i); p.Status != payout.StatusBroadcast {
			t.Fatalf("payout %d of a chain of %d: %s", i, bitcoin.MaxUnconfirmedDepth, p.Status)
		}
	}
	waiting := pay(100)
	if waiting.Status != payout.StatusProcessing {
		t.Fatalf("payout beyond the chain limit: %s (%s)", waiting.Status, waiting.FailureReason)
	}
	e.BTC.Generate(1)
	e.Sync()
	e.Sync() // the confirmed chain's change is spendable at the next pass
	if got, _ := e.G.Payouts().Get(ctx, asset.Test, waiting.ID); got.Status != payout.StatusBroadcast {
		t.Fatalf("after the chain confirmed, the waiting payout is %s", got.Status)
	}
	for i := range bitcoin.MaxUnconfirmedDepth - 1 {
		pay(200 + i)
	}
	timedOut := pay(300)
	if timedOut.Status != payout.StatusProcessing {
		t.Fatalf("second waiting payout: %s", timedOut.Status)
	}
	e.Clock.Advance(61 * time.Minute)
	e.Sync()
	got, _ := e.G.Payouts().Get(ctx, asset.Test, timedOut.ID)
	if got.Status != payout.StatusFailed || !strings.Contains(got.FailureReason, "waited") {
		t.Fatalf("after FundsWait: %s (%s)", got.Status, got.FailureReason)
	}
	b, _ := e.G.Balance(ctx, asset.Test, "BTC")
	if !b.Held.Equal(kassatest.Dec("0.02")) { // the 20 broadcast ones, none of the failed one
		t.Fatalf("held after the timeout: %+v", b)
	}
	e.BTC.Generate(1)
	e.Sync()
	e.Verify()
}
