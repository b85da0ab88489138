// Package trondevnet is an in-process stand-in for a java-tron full node, for tests
// and demos, since no Tron node runs on our machines: it serves the endpoints of the
// full-node HTTP API that Kassa uses over HTTP on 127.0.0.1, with answers shaped like
// the recorded answers of real nodes in chains/tron/testdata/node (the package's tests
// hold every field Kassa reads to those recordings).
//
// It keeps a chain of blocks, one every 3 s of chain time, and the TRX and token
// balances they make, replayed from genesis after every change so a reorg
// (Disconnect) is exact. Transactions are real: the payer's are built with
// chains/tron's protobuf encoding and signed with its key; a broadcast one is decoded,
// its id recomputed and its signer recovered, and refused with the error codes a real
// node gives (SIGERROR, TAPOS_ERROR, TRANSACTION_EXPIRATION_ERROR, DUP_TRANSACTION_ERROR,
// CONTRACT_VALIDATE_ERROR). Fees follow Tron's resource model: bandwidth (bytes ×
// getTransactionFee, 600 free bytes a day for each account, never reset here), energy
// for contract calls (the account's own energy first, delegated to it with SetEnergy,
// then burnt at getEnergyFee; the fee limit caps all of it, as java-tron's does), and
// the activation of a new account by a TRX transfer.
//
// Its token is a TRC20 contract at Token that answers transfer(address,uint256) and
// balanceOf(address): a transfer to a holder costs 64,285 energy, to a new holder
// 130,285, as USDT does on mainnet.
package trondevnet

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/kassapay/kassa/chains/tron"
)

// Chain parameters (wallet/getchainparameters), as mainnet had them in 2025.
const (
	TransactionFee    = 1000      // sun per bandwidth byte
	EnergyFee         = 210       // sun per energy unit
	CreateAccountFee  = 100_000   // sun: the bandwidth of a transfer that activates an account
	ActivationFee     = 1_000_000 // sun: getCreateNewAccountFeeInSystemContract
	FreeBandwidth     = 600       // bytes an account may use without burning TRX
	EnergyToHolder    = 64_285    // energy of a token transfer to an address that holds the token
	EnergyToNewHolder = 130_285   // ... to one that does not
	energyRevert      = 2_000     // energy of a reverted transfer
	blockInterval     = 3 * time.Second
	resultSize        = 64 // java-tron's MAX_RESULT_SIZE_IN_TX, counted in bandwidth
)

// Sun is 10^6 sun: one TRX.
const Sun = 1_000_000

// TB is what Start needs of its caller: a *testing.T, or an evmdevnet.Standalone in a
// program (the quickstart runs both devnets on one).
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

// tx is a transaction on the devnet.
type tx struct {
	id     string
	raw    tron.Raw
	rawB   []byte
	sig    []byte
	signed []byte
}

// block is a mined block.
type block struct {
	number int64
	id     [32]byte
	parent [32]byte
	time   int64 // ms
	txs    []*tx
	// Filled by replay:
	results []result
}

// result is a transaction's outcome in its block.
type result struct {
	ret       string // SUCCESS, REVERT, OUT_OF_ENERGY
	fee       int64
	netFee    int64
	netUsage  int64
	energy    int64
	energyFee int64
	logs      []log
}

type log struct {
	from, to tron.Address
	amount   *big.Int
}

// account is an address's state. An address that only received tokens holds them
// but is no account yet (activated is false): it cannot send, and the node does not
// know it (getaccount answers {}), until TRX activates it.
type account struct {
	activated bool
	trx       int64
	tokens    *big.Int
	freeUsed  int64
	energy    int64 // delegated energy left
}

// Node is a running devnet.
type Node struct {
	// URL is the base of the HTTP API (Kassa's tron.Config.URL).
	URL string
	// Token is the TRC20 contract's address.
	Token tron.Address
	// Payer holds 10^9 TRX and 10^9 tokens (6 decimals) at genesis.
	Payer tron.Address

	srv      *httptest.Server
	mu       sync.Mutex
	payerKey *btcec.PrivateKey
	poorKey  *btcec.PrivateKey // holds TRX and no tokens: its transfers revert
	blocks   []*block
	pool     []*tx
	state    map[tron.Address]*account
	delegate map[tron.Address]int64 // energy delegated to an address (SetEnergy), as of the tip
	salt     uint64                 // makes blocks mined again after a reorg differ
	start    time.Time
	// Refuse, when set, answers every broadcast with this code instead (a test
	// injecting a node's refusal).
	refuse string
	// solidDepth is how far below the head the solidified block is
	// (/walletsolidity/*): 19 on Tron.
	solidDepth int64
}

func keyOf(seed string) (*btcec.PrivateKey, tron.Address) {
	h := sha256.Sum256([]byte(seed))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k, tron.AddressOf(k.PubKey())
}

// Start starts a devnet: genesis and one block on top, the token deployed, the payer
// funded. It stops with t's cleanup.
func Start(t TB) *Node {
	t.Helper()
	n := &Node{state: map[tron.Address]*account{}, delegate: map[tron.Address]int64{}, solidDepth: 19,
		start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h := sha256.Sum256([]byte("trondevnet token"))
	n.Token = tron.AddressFromEVM([20]byte(h[:20]))
	n.payerKey, n.Payer = keyOf("trondevnet payer")
	n.poorKey, _ = keyOf("trondevnet poor")
	n.blocks = []*block{{number: 0, id: blockID(0, sha256.Sum256([]byte("genesis"))), time: n.start.UnixMilli()}}
	n.replay()
	n.mine(1)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal("trondevnet: ", err)
	}
	n.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: n.handler(), ReadHeaderTimeout: 10 * time.Second}}
	n.srv.Start()
	n.URL = n.srv.URL
	t.Cleanup(n.srv.Close)
	return n
}

func blockID(number int64, h [32]byte) [32]byte {
	binary.BigEndian.PutUint64(h[:8], uint64(number))
	return h
}

// genesis is the state before block 1.
func (n *Node) genesis() map[tron.Address]*account {
	_, poor := keyOf("trondevnet poor")
	return map[tron.Address]*account{
		n.Payer: {activated: true, trx: 1_000_000_000 * Sun, tokens: big.NewInt(1_000_000_000 * Sun)},
		poor:    {activated: true, trx: 1_000 * Sun, tokens: new(big.Int)},
		n.Token: {activated: true, tokens: new(big.Int)},
	}
}

// replay recomputes the state and every block's results from genesis.
func (n *Node) replay() {
	n.state = n.stateAt(int64(len(n.blocks)) - 1)
}

// stateAt replays the blocks up to height h from genesis and returns the state they
// make (recording each block's results on the way).
func (n *Node) stateAt(h int64) map[tron.Address]*account {
	st := n.genesis()
	delegated := map[tron.Address]int64{}
	for a, e := range n.delegate {
		delegated[a] = e
	}
	for _, b := range n.blocks[:max(0, h+1)] {
		b.results = b.results[:0]
		for _, t := range b.txs {
			b.results = append(b.results, execute(st, delegated, n.Token, t))
		}
	}
	for a, acc := range st {
		acc.energy = delegated[a]
	}
	return st
}

// solid is the height of the solidified block. Callers hold mu.
func (n *Node) solid() int64 { return max(0, n.head().number-n.solidDepth) }

// SetSolidDepth sets how far below the head /walletsolidity/* answers (default 19).
func (n *Node) SetSolidDepth(depth int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.solidDepth = int64(depth)
}

// bandwidth is the bytes a transaction uses: its serialized size and the result's.
func bandwidth(t *tx) int64 { return int64(len(t.signed)) + resultSize }

// execute applies t to st and returns its outcome.
func execute(st map[tron.Address]*account, energy map[tron.Address]int64, token tron.Address, t *tx) result {
	owner := st[t.raw.Owner]
	if owner == nil || !owner.activated {
		return result{ret: "FAILED"}
	}
	r := result{ret: "SUCCESS", netUsage: bandwidth(t)}
	// Bandwidth: free bytes first, else burnt.
	if owner.freeUsed+r.netUsage <= FreeBandwidth {
		owner.freeUsed += r.netUsage
	} else {
		r.netFee = r.netUsage * TransactionFee
		r.netUsage = 0
	}
	switch t.raw.Type {
	case tron.TransferContract:
		to := st[t.raw.To]
		if to == nil {
			to = &account{tokens: new(big.Int)}
			st[t.raw.To] = to
		}
		if !to.activated {
			to.activated = true
			if r.netFee == 0 {
				owner.freeUsed -= r.netUsage // the activation's bandwidth is paid, not free
			}
			r.netFee, r.netUsage = CreateAccountFee, 0
			r.fee = ActivationFee
		}
		owner.trx -= t.raw.Amount
		to.trx += t.raw.Amount
	case tron.TriggerSmartContract:
		to, amount, err := tron.ParseTransferData(t.raw.Data)
		switch {
		case err != nil || t.raw.To != token:
			r.ret, r.energy = "REVERT", energyRevert
		case owner.tokens == nil || owner.tokens.Cmp(amount) < 0:
			r.ret, r.energy = "REVERT", energyRevert
		default:
			r.energy = EnergyToNewHolder
			if acc := st[to]; acc != nil && acc.tokens != nil && acc.tokens.Sign() > 0 {
				r.energy = EnergyToHolder
			}
		}
		// java-tron's energy limit (VMActuator): the account's own energy and what its
		// balance (after the bandwidth) buys, capped by the fee limit, which counts the
		// account's own energy too. Own energy is used first; the rest is burnt.
		frozen := energy[t.raw.Owner]
		limit := min(frozen+max(0, owner.trx-r.netFee)/EnergyFee, t.raw.FeeLimit/EnergyFee)
		if r.energy > limit {
			r.ret, r.energy = "OUT_OF_ENERGY", limit
		}
		use := min(frozen, r.energy)
		energy[t.raw.Owner] -= use
		r.energyFee = (r.energy - use) * EnergyFee
		if r.ret == "SUCCESS" {
			acc := st[to]
			if acc == nil {
				acc = &account{tokens: new(big.Int)}
				st[to] = acc
			}
			owner.tokens.Sub(owner.tokens, amount)
			acc.tokens.Add(acc.tokens, amount)
			r.logs = []log{{from: t.raw.Owner, to: to, amount: amount}}
		}
	}
	r.fee += r.netFee + r.energyFee
	owner.trx -= r.fee
	if owner.trx < 0 {
		panic(fmt.Sprintf("trondevnet: %s burnt more TRX than it had: the broadcast checks let through what a node refuses", t.raw.Owner))
	}
	return r
}

// head is the best block. Callers hold mu.
func (n *Node) head() *block { return n.blocks[len(n.blocks)-1] }

// mine adds blocks holding the pool. Callers hold mu.
func (n *Node) mine(count int) {
	for range count {
		parent := n.head()
		b := &block{number: parent.number + 1, parent: parent.id, time: parent.time + blockInterval.Milliseconds()}
		for _, t := range n.pool {
			if t.raw.Expiration > b.time {
				b.txs = append(b.txs, t)
			}
		}
		n.pool = nil
		n.salt++
		h := sha256.New()
		h.Write(parent.id[:])
		h.Write(binary.BigEndian.AppendUint64(nil, n.salt))
		for _, t := range b.txs {
			h.Write([]byte(t.id))
		}
		b.id = blockID(b.number, [32]byte(h.Sum(nil)))
		n.blocks = append(n.blocks, b)
	}
	n.replay()
}

// Mine mines count blocks; the first holds every transaction waiting.
func (n *Node) Mine(count int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mine(count)
}

// Disconnect takes the last depth blocks off the chain; their transactions go back to
// the pool.
func (n *Node) Disconnect(depth int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if depth <= 0 || depth >= len(n.blocks) {
		panic(fmt.Sprintf("trondevnet: cannot disconnect %d of %d blocks", depth, len(n.blocks)))
	}
	cut := n.blocks[len(n.blocks)-depth:]
	n.blocks = n.blocks[:len(n.blocks)-depth]
	var back []*tx
	for _, b := range cut {
		back = append(back, b.txs...)
	}
	n.pool = append(back, n.pool...)
	n.replay()
}

// Drop takes txid out of the pool.
func (n *Node) Drop(txid string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pool = slices.DeleteFunc(n.pool, func(t *tx) bool { return t.id == txid })
}

// Height is the number of the best block.
func (n *Node) Height() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.head().number
}

// SetEnergy delegates energy to addr (as a DelegateResourceContract from a staker
// would): its contract calls use it before burning TRX.
func (n *Node) SetEnergy(addr tron.Address, energy int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.delegate[addr] = energy
	n.replay()
}

// RefuseBroadcasts makes every broadcast answer code (such as "SERVER_BUSY"); "" takes
// broadcasts again.
func (n *Node) RefuseBroadcasts(code string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.refuse = code
}

// TRX is what addr holds, in sun.
func (n *Node) TRX(addr tron.Address) int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if acc := n.state[addr]; acc != nil {
		return acc.trx
	}
	return 0
}

// Tokens is what addr holds of the token, in base units.
func (n *Node) Tokens(addr tron.Address) *big.Int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if acc := n.state[addr]; acc != nil && acc.tokens != nil {
		return new(big.Int).Set(acc.tokens)
	}
	return new(big.Int)
}

// Fee is what the mined transaction txid burnt, in sun, and whether it is mined.
func (n *Node) Fee(txid string) (int64, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, b := range n.blocks {
		for i, t := range b.txs {
			if t.id == txid {
				return b.results[i].fee, true
			}
		}
	}
	return 0, false
}

// sign builds and signs a transaction of key's on the head block, expiring in a
// minute of chain time. Callers hold mu.
func (n *Node) sign(key *btcec.PrivateKey, r tron.Raw) *tx {
	h := n.head()
	r.Owner = tron.AddressOf(key.PubKey())
	r.RefBlockBytes, r.RefBlockHash = tron.RefBlock(h.number, h.id)
	r.Timestamp = h.time
	r.Expiration = h.time + 60_000
	raw, err := r.Marshal()
	if err != nil {
		panic(err)
	}
	id := tron.TxID(raw)
	sig := tron.Sign(id, key)
	return &tx{id: hex.EncodeToString(id[:]), raw: r, rawB: raw, sig: sig, signed: tron.Signed(raw, sig)}
}

// submit puts a payer's transaction in the pool and returns its id.
func (n *Node) submit(key *btcec.PrivateKey, r tron.Raw) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := n.sign(key, r)
	n.pool = append(n.pool, t)
	return t.id
}

// PayTRX sends sun to addr from the payer (into the pool; Mine mines it).
func (n *Node) PayTRX(to string, sun int64) string {
	return n.submit(n.payerKey, tron.Raw{Type: tron.TransferContract, To: mustParse(to), Amount: sun})
}

// PayToken sends amount base units of the token to addr from the payer.
func (n *Node) PayToken(to string, amount *big.Int) string {
	data, err := tron.TransferData(mustParse(to), amount)
	if err != nil {
		panic(err)
	}
	return n.submit(n.payerKey, tron.Raw{Type: tron.TriggerSmartContract, To: n.Token, Data: data, FeeLimit: 100 * Sun})
}

// PayTokenReverting sends a token transfer from an account without tokens: it is
// mined, reverts and pays nothing.
func (n *Node) PayTokenReverting(to string, amount *big.Int) string {
	data, err := tron.TransferData(mustParse(to), amount)
	if err != nil {
		panic(err)
	}
	return n.submit(n.poorKey, tron.Raw{Type: tron.TriggerSmartContract, To: n.Token, Data: data, FeeLimit: 100 * Sun})
}

// PayTokenOutOfEnergy sends a token transfer with a fee limit too low for its energy:
// it is mined, runs out of energy, burns its fee limit and pays nothing.
func (n *Node) PayTokenOutOfEnergy(to string, amount *big.Int) string {
	data, err := tron.TransferData(mustParse(to), amount)
	if err != nil {
		panic(err)
	}
	return n.submit(n.payerKey, tron.Raw{Type: tron.TriggerSmartContract, To: n.Token, Data: data, FeeLimit: 1 * Sun})
}

func mustParse(s string) tron.Address {
	a, err := tron.ParseAddress(s)
	if err != nil {
		panic(fmt.Sprintf("trondevnet: %q: %v", s, err))
	}
	return a
}

// Transaction returns the signed bytes of txid as the devnet took them (broadcast, or
// built by its payer), mined or waiting.
func (n *Node) Transaction(txid string) ([]byte, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, t := range n.pool {
		if t.id == txid {
			return t.signed, true
		}
	}
	for _, b := range n.blocks {
		for _, t := range b.txs {
			if t.id == txid {
				return t.signed, true
			}
		}
	}
	return nil, false
}
