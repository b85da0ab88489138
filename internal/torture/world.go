package torture

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/chains/evm/evmdevnet"
	"github.com/kassapay/kassa/internal/btcdtest"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/webhook"
)

// testMnemonic is the public BIP39 test mnemonic the standalone server uses without
// KASSA_MNEMONIC_FILE; the harness derives the server's hot wallet from it to fund it.
const testMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

// nodes are the real chains a campaign runs against: btcd in regtest and the
// go-ethereum simulated backend with a 6-decimal USDT, both on 127.0.0.1.
type nodes struct {
	btc *btcdtest.Node
	eth *evmdevnet.Node
	// start is the first block height the harness looks at for payouts.
	start int64
	// began is when billing's clock starts running at billingSpeed (the servers'
	// KASSA_TEST_BILLING_CLOCK), so that daily subscriptions renew every 24 s.
	began time.Time

	mu      sync.Mutex
	btcPays int
	blocks  map[string][]*wire.MsgTx // block hash -> transactions (cache)
	hashes  map[int64]string         // height -> hash of the best chain at the last view
}

// startNodes starts btcd (with coinbases for payments) and the EVM node with
// Kassa's EVM hot wallet funded: EVM payouts leave from it.
func startNodes(tb *harnessTB) (*nodes, error) {
	n := &nodes{blocks: map[string][]*wire.MsgTx{}, began: time.Now().UTC().Truncate(time.Second)}
	err := catch(func() {
		n.btc = btcdtest.Start(tb)
		n.btc.Generate(300) // 400 spendable coinbases in all
		n.start = n.btc.Height()
		kr, err := keys.FromMnemonic(testMnemonic, "", keys.WithBitcoinTestParams(&chaincfg.RegressionNetParams))
		if err != nil {
			tb.Fatal(err)
		}
		hot, err := kr.Address(asset.FamilyEVM, asset.Test, keys.Change, 0)
		if err != nil {
			tb.Fatal(err)
		}
		n.eth = evmdevnet.Start(tb, types.GenesisAlloc{common.HexToAddress(hot.Encoded): {Balance: new(big.Int).Mul(big.NewInt(100), evmdevnet.Ether)}})
		n.eth.PayToken(evmdevnet.USDT, hot.Encoded, big.NewInt(1_000_000*1_000_000))
		n.eth.Commit()
	})
	return n, err
}

// serverEnv is the standalone server's configuration for these nodes.
func (n *nodes) serverEnv() map[string]string {
	return map[string]string{
		"KASSA_MASTER_KEY":   masterKey(),
		"KASSA_BTC_RPC_URL":  n.btc.URL,
		"KASSA_BTC_RPC_USER": n.btc.User, "KASSA_BTC_RPC_PASS": n.btc.Pass,
		"KASSA_BTC_NETWORK":              "regtest",
		"KASSA_TEST_EVM_RPC_ETHEREUM":    n.eth.URL,
		"KASSA_TEST_TOKEN_USDT_ETHEREUM": evmdevnet.USDT.Hex(),
		"KASSA_CONFIRMATIONS_BITCOIN":    "2",
		"KASSA_CONFIRMATIONS_ETHEREUM":   "2",
		"KASSA_FIXED_RATES":              "BTC:USD=65000,ETH:USD=3000",
		"KASSA_ALLOW_PRIVATE_WEBHOOKS":   "1",
		"KASSA_WEBHOOK_TIMEOUT":          "2s",
		"KASSA_WEBHOOK_LEASE":            "5s",
		"KASSA_POLL_INTERVAL":            "200ms",
		"KASSA_IDEMPOTENCY_LEASE":        "2s",
		"KASSA_PAYOUT_APPROVAL_USD":      "1000000000",
		"KASSA_RATE_LIMIT":               "1000000000",
		"KASSA_PUBLIC_RATE_LIMIT":        "1000000000",
		"KASSA_RATE_BURST":               "100000",
		"KASSA_SWEEP":                    "1", // deposits swept to the hot wallet while the server is killed
		"KASSA_TEST_BILLING_CLOCK":       fmt.Sprintf("%dx@%s", billingSpeed, n.began.Format(time.RFC3339)),
	}
}

// billingSpeed is how much faster than the wall clock the servers' billing runs: a
// day every 6 s.
const billingSpeed = 4 * 3600

// mine mines one block on each chain.
func (n *nodes) mine() error {
	return catch(func() {
		n.btc.Generate(1)
		n.eth.Commit()
	})
}

// pay pays units of code to addr and returns the transaction id.
func (n *nodes) pay(code, addr string, units *big.Int) (txid string, err error) {
	err = catch(func() {
		switch code {
		case "BTC":
			txid = n.btc.Payer().Pay(btcdtest.Output{Script: scriptOf(addr), Sats: units.Int64()})
		case "ETH":
			txid = n.eth.PayETH(addr, units).Hex()
		case "USDT_ETHEREUM":
			txid = n.eth.PayToken(evmdevnet.USDT, addr, units).Hex()
		default:
			panic(fatal{"cannot pay " + code})
		}
	})
	return txid, err
}

// canPayBTC reports whether mature coinbases are left for k more BTC payments (each
// spends one), and reserves them.
func (n *nodes) canPayBTC(k int) bool {
	h := int64(0)
	if err := catch(func() { h = n.btc.Height() }); err != nil {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if int64(n.btcPays+k) > h-101 { // a coinbase at height c is spendable at tip c+100
		return false
	}
	n.btcPays += k
	return true
}

// newDestination returns a fresh address outside Kassa for a payout of code.
func newDestination(code string) string {
	var seed [32]byte
	rand.Read(seed[:])
	if code == "BTC" {
		k, _ := btcec.PrivKeyFromBytes(seed[:])
		a, _ := address.NewAddressWitnessPubKeyHash(address.Hash160(k.PubKey().SerializeCompressed()), &chaincfg.RegressionNetParams)
		return a.EncodeAddress()
	}
	k, _ := crypto.ToECDSA(crypto.Keccak256(seed[:]))
	return crypto.PubkeyToAddress(k.PublicKey).Hex()
}

// view returns an onChain view of the chains now: for BTC, the outputs paying dest in
// the best chain since the campaign began and in the mempool (indexed once per view);
// for EVM, dest's balance.
func (n *nodes) view() (onChain, error) {
	type sum struct {
		n     int
		total *big.Int
	}
	index := map[string]*sum{}
	err := catch(func() {
		for _, tx := range n.chainTxs() {
			for _, out := range tx.TxOut {
				s := index[string(out.PkScript)]
				if s == nil {
					s = &sum{total: new(big.Int)}
					index[string(out.PkScript)] = s
				}
				s.n++
				s.total.Add(s.total, big.NewInt(out.Value))
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return func(code, dest string) (int, *big.Int, error) {
		if code == "BTC" {
			script, err := bitcoin.AddressScript(dest, &chaincfg.RegressionNetParams)
			if err != nil {
				return 0, nil, err
			}
			if s := index[string(script)]; s != nil {
				return s.n, new(big.Int).Set(s.total), nil
			}
			return 0, new(big.Int), nil
		}
		return n.received(code, dest)
	}, nil
}

// received is dest's balance of an EVM asset (count 1 when not zero).
func (n *nodes) received(code, dest string) (count int, total *big.Int, err error) {
	total = new(big.Int)
	err = catch(func() {
		switch code {
		case "ETH":
			total = n.eth.Balance(dest)
		case "USDT_ETHEREUM":
			total = n.eth.TokenBalance(evmdevnet.USDT, dest)
		default:
			panic(fatal{"no balance view for " + code})
		}
		if total.Sign() > 0 {
			count = 1
		}
	})
	return count, total, err
}

// chainTxs returns the transactions of the best chain since start and the mempool.
func (n *nodes) chainTxs() []*wire.MsgTx {
	var out []*wire.MsgTx
	tip := n.btc.Height()
	// Heights whose hash is unchanged since the last view are not asked again: below
	// the first unchanged height from the top, nothing changed either.
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.hashes == nil {
		n.hashes = map[int64]string{}
	}
	for h := tip; h > n.start; h-- {
		var hash string
		if err := n.btc.RPC.Call(context.Background(), "getblockhash", &hash, h); err != nil {
			panic(fatal{err.Error()})
		}
		if n.hashes[h] == hash {
			break
		}
		n.hashes[h] = hash
		if _, ok := n.blocks[hash]; !ok {
			n.blocks[hash] = n.btc.Block(hash).Transactions
		}
	}
	for h := n.start + 1; h <= tip; h++ {
		out = append(out, n.blocks[n.hashes[h]]...)
	}
	for _, id := range n.btc.Mempool() {
		var hx string
		if err := n.btc.RPC.Call(context.Background(), "getrawtransaction", &hx, id, 0); err != nil {
			continue // mined or gone since the list was taken
		}
		raw, _ := hex.DecodeString(hx)
		var tx wire.MsgTx
		if tx.Deserialize(bytes.NewReader(raw)) == nil {
			out = append(out, &tx)
		}
	}
	return out
}

// receiver is the test webhook endpoint: it verifies every delivery's signature and
// counts deliveries per event id.
type receiver struct {
	f        *facts
	secret   atomic.Value // string
	srv      *http.Server
	url      string
	bad      atomic.Int64
	accepted atomic.Int64
}

func startReceiver(f *facts, log *slog.Logger) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{f: f, url: "http://" + ln.Addr().String() + "/hook"}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 5 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, 1<<20))
	secret, _ := r.secret.Load().(string)
	if secret == "" { // a delivery before the endpoint's creation answered: try later
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	if err != nil || webhook.Verify(secret, req.Header, body, 5*time.Minute) != nil {
		r.bad.Add(1)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &ev) != nil || ev.ID == "" {
		r.bad.Add(1)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	r.f.delivered(ev.ID)
	r.accepted.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) close() { r.srv.Close() }

// register creates the endpoint for every event type and keeps its secret.
func (r *receiver) register(ctx context.Context, c *client) error {
	var ep struct {
		Secret string `json:"secret"`
	}
	if err := c.do(ctx, "POST", "/v1/webhook-endpoints", map[string]any{"url": r.url, "events": []string{"*"}}, "", &ep); err != nil {
		return fmt.Errorf("register webhook endpoint: %w", err)
	}
	r.secret.Store(ep.Secret)
	return nil
}

func masterKeyBytes() []byte {
	k := sha256.Sum256([]byte("kassa torture master key"))
	return k[:]
}

func masterKey() string { return hex.EncodeToString(masterKeyBytes()) }
