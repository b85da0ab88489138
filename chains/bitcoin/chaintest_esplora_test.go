package bitcoin_test

import (
	"math/big"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/chains/bitcoin"
	"github.com/kassapay/kassa/chains/chaintest"
)

// TestChaintest_Esplora runs the chain conformance suite on the Esplora backend,
// through its real HTTP client against fakeEsplora (esplora_test.go): Esplora's REST
// paths over httptest, serving blocks of real transactions built here, raw and as
// JSON headers. What Esplora cannot do is skipped, with the reason.
func TestChaintest_Esplora(t *testing.T) {
	chaintest.Run(t, chaintest.Harness{New: newEsploraChain, Lacks: map[chaintest.Capability]string{
		chaintest.Mempool: "Esplora has no mempool view (its mempool endpoints are per address): payments are seen once mined",
		chaintest.Push:    "Esplora is a REST API without notifications (no chains.Notifier): the watcher polls it",
		chaintest.FeeEstimate: "the Esplora backend is no chains.Payer: it has no wallet to price a payout " +
			"(its fee rate, in sat/vB, is checked by TestEsplora_FeesBroadcastAndAddressLookup)",
		chaintest.Send: "the Esplora backend is no chains.Payer: it reads the chain and broadcasts, but has no wallet",
	}})
}

func newEsploraChain(t *testing.T) *chaintest.Chain {
	f, e := newEsplora(t)
	c := &esploraChain{t: t, f: f}
	address := regtestAddresses(t)
	return &chaintest.Chain{
		Backend:      e,
		Asset:        "BTC",
		Address:      address,
		WrongNetwork: wrongNetworkForRegtest,
		BadChecksum:  []string{flipLast(address()), "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfm"},
		Pay:          c.pay,
		Mine:         c.mine,
		Disconnect:   c.disconnect,
		Drop:         c.drop,
	}
}

// esploraChain is the chain a fakeEsplora serves, with a mempool only the test sees:
// Esplora's backend has no mempool view.
type esploraChain struct {
	t    *testing.T
	f    *fakeEsplora
	pool []*wire.MsgTx
	n    int // makes every transaction and block unique
}

// pay puts a transaction paying amount to addr into the mempool.
func (c *esploraChain) pay(addr string, amount *big.Int) string {
	script, err := bitcoin.AddressScript(addr, regtest)
	if err != nil {
		c.t.Fatal(err)
	}
	c.n++
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{0xee, byte(c.n), byte(c.n >> 8)}}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(amount.Int64(), script))
	c.pool = append(c.pool, tx)
	return tx.TxHash().String()
}

// mine appends n blocks; the first takes the mempool.
func (c *esploraChain) mine(n int) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	for range n {
		c.n++
		b := newBlock(c.f.blocks[len(c.f.blocks)-1].BlockHash(), 1000+c.n)
		for _, tx := range c.pool {
			b.AddTransaction(tx)
		}
		c.pool = nil
		c.f.blocks = append(c.f.blocks, b)
	}
}

// disconnect removes the last depth blocks; their transactions return to the mempool.
func (c *esploraChain) disconnect(depth int) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	if depth <= 0 || depth >= len(c.f.blocks) {
		c.t.Fatalf("cannot disconnect %d of %d blocks", depth, len(c.f.blocks))
	}
	cut := len(c.f.blocks) - depth
	var back []*wire.MsgTx
	for _, b := range c.f.blocks[cut:] {
		back = append(back, b.Transactions[1:]...) // not the coinbase
	}
	c.f.blocks = slices.Clone(c.f.blocks[:cut])
	c.pool = append(back, c.pool...)
}

// drop removes an unconfirmed transaction from the mempool.
func (c *esploraChain) drop(txid string) {
	i := slices.IndexFunc(c.pool, func(tx *wire.MsgTx) bool { return tx.TxHash().String() == txid })
	if i < 0 {
		c.t.Fatalf("%s is not in the mempool", txid)
	}
	c.pool = slices.Delete(c.pool, i, i+1)
}
