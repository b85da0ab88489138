// Package evmdevnet runs go-ethereum's own node code in process, for tests and demos: an
// ethclient/simulated backend serving real JSON-RPC (and websockets) on free loopback
// ports, with a funded payer, two ERC-20 tokens and a forwarder contract in its
// genesis, and helpers to pay, mine and reorganise. Nothing leaves 127.0.0.1. Point
// chains/evm at it with evm.Config{URL: node.URL, ChainID: evmdevnet.ChainID} and set
// the test-mode contract of USDT_ETHEREUM to evmdevnet.USDT (examples/quickstart does
// exactly this). In a test, pass the *testing.T to Start; in a program, a *Standalone.
//
// The contracts are built with go-ethereum's core/vm/program, so no solc is needed:
//
//   - Token: any call is transfer(address to, uint256 amount) (the ABI of ERC-20's
//     transfer, selector ignored). It reverts when the caller's balance is short,
//     otherwise moves the balance (storage slot = holder address) and emits the
//     standard Transfer(from, to, value) log, and returns true. Two instances stand for
//     a 6-decimal (USDT) and an 18-decimal (LINK) token; decimals live in Kassa's
//     registry, not in the contract.
//   - Forwarder: forwards the call's value to the address in the first 32 bytes of
//     calldata with an internal CALL, like a smart-contract wallet paying: the native
//     transfer appears in no transaction's "to" and in no log.
package evmdevnet

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/core/vm/program"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
)

// TB is what Start needs of its caller: a *testing.T, or a *Standalone in a program,
// which panics on Fatal (see Catch) and runs the cleanups at Close.
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

// ChainID is the simulated backend's fixed chain id.
const ChainID = 1337

// Fixed addresses of the genesis contracts.
var (
	USDT      = common.HexToAddress("0x00000000000000000000000000000000000a0006")
	LINK      = common.HexToAddress("0x00000000000000000000000000000000000a0018")
	Forwarder = common.HexToAddress("0x00000000000000000000000000000000000f0001")
)

// TokenCode is the runtime code of the test token: balanceOf(address) answers the
// holder's balance; any other call is transfer(to, amount).
func TokenCode() []byte {
	p := program.New()
	// amount = calldata[36:68]; bal = sload(caller); if bal < amount: revert
	p.Push(36).Op(vm.CALLDATALOAD) // [amount]
	p.Op(vm.CALLER).Op(vm.SLOAD)   // [bal amount]
	p.Op(vm.LT)                    // [bal < amount]
	ok := program.New()
	// sstore(caller, sload(caller) - amount)
	ok.Push(36).Op(vm.CALLDATALOAD).Op(vm.CALLER).Op(vm.SLOAD).Op(vm.SUB).Op(vm.CALLER).Op(vm.SSTORE)
	// sstore(to, sload(to) + amount)
	ok.Push(36).Op(vm.CALLDATALOAD).Push(4).Op(vm.CALLDATALOAD).Op(vm.SLOAD).Op(vm.ADD).Push(4).Op(vm.CALLDATALOAD).Op(vm.SSTORE)
	// mstore(0, amount); log3(0, 32, Transfer, caller, to)
	ok.Push(36).Op(vm.CALLDATALOAD).Push(0).Op(vm.MSTORE)
	ok.Push(4).Op(vm.CALLDATALOAD).Op(vm.CALLER).Push(params.EthTransferLogEvent.Bytes()).Push(32).Push(0).Op(vm.LOG3)
	// return true
	ok.Push(1).Push(0).Op(vm.MSTORE).Return(0, 32)
	// Layout: [check][PUSH revertDest JUMPI][ok...][JUMPDEST PUSH0 PUSH0 REVERT]
	// Layout: [balanceOf? PUSH balDest JUMPI][check][PUSH revertDest JUMPI][ok...]
	// [JUMPDEST PUSH0 PUSH0 REVERT][JUMPDEST balanceOf...]
	const dispatch = 15 // the balanceOf check below, in bytes
	head := p.Bytes()
	body := ok.Bytes()
	dest := dispatch + len(head) + 3 + len(body) // PUSH1 dest (2 bytes) + JUMPI (1 byte)
	balDest := dest + 4
	// selector = calldata[0:4]; if selector == balanceOf(address): jump
	code := []byte{byte(vm.PUSH1), 0, byte(vm.CALLDATALOAD), byte(vm.PUSH1), 224, byte(vm.SHR),
		byte(vm.PUSH4), 0x70, 0xa0, 0x82, 0x31, byte(vm.EQ), byte(vm.PUSH1), byte(balDest), byte(vm.JUMPI)}
	code = append(code, head...)
	code = append(code, byte(vm.PUSH1), byte(dest), byte(vm.JUMPI))
	code = append(code, body...)
	code = append(code, byte(vm.JUMPDEST), byte(vm.PUSH0), byte(vm.PUSH0), byte(vm.REVERT))
	// balanceOf(holder): return sload(holder)
	code = append(code, byte(vm.JUMPDEST), byte(vm.PUSH1), 4, byte(vm.CALLDATALOAD), byte(vm.SLOAD), byte(vm.PUSH1), 0, byte(vm.MSTORE),
		byte(vm.PUSH1), 32, byte(vm.PUSH1), 0, byte(vm.RETURN))
	return code
}

// ForwarderCode is the runtime code of the forwarder.
func ForwarderCode() []byte {
	p := program.New()
	// call(gas, to=calldata[0:32], value=callvalue, 0, 0, 0, 0); pop
	p.Push(0).Push(0).Push(0).Push(0).Op(vm.CALLVALUE).Push(0).Op(vm.CALLDATALOAD).Op(vm.GAS).Op(vm.CALL).Op(vm.POP)
	p.Op(vm.STOP)
	return p.Bytes()
}

// Node is a running simulated chain.
type Node struct {
	t     TB
	Sim   *simulated.Backend
	URL   string
	Payer *ecdsa.PrivateKey
	From  common.Address
	// Poor has gas money but no tokens: its token transfers revert.
	Poor     *ecdsa.PrivateKey
	PoorFrom common.Address
	Client   *ethclient.Client
	// WSURL is the node's websocket endpoint (for newHeads subscriptions).
	WSURL string

	mu sync.Mutex // orders sends, commits and forks
	// next is the nonce after the last transaction each key sent. geth's pool
	// promotes a new transaction asynchronously, so its pending nonce can lag behind
	// what was just sent (go-ethereum#32280): nonces are assigned here.
	next map[common.Address]uint64
	// unmined are the transactions sent since the last Commit.
	unmined []common.Hash
}

func freePort(t TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func key(seed string) (*ecdsa.PrivateKey, common.Address) {
	k, _ := crypto.ToECDSA(crypto.Keccak256([]byte(seed)))
	return k, crypto.PubkeyToAddress(k.PublicKey)
}

// Ether is 10^18 wei.
var Ether = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// Start starts a simulated chain with the payer funded with 1,000 ETH, 10^9 USDT (6
// decimals) and 10^9 LINK (18 decimals), and serves JSON-RPC on 127.0.0.1.
func Start(t TB, extra types.GenesisAlloc) *Node {
	t.Helper()
	n := &Node{t: t, next: map[common.Address]uint64{}}
	n.Payer, n.From = key("kassa evmtest payer")
	n.Poor, n.PoorFrom = key("kassa evmtest poor")
	supply := func(decimals int64) common.Hash {
		return common.BigToHash(new(big.Int).Mul(big.NewInt(1_000_000_000), new(big.Int).Exp(big.NewInt(10), big.NewInt(decimals), nil)))
	}
	alloc := types.GenesisAlloc{
		n.From:     {Balance: new(big.Int).Mul(big.NewInt(1000), Ether)},
		n.PoorFrom: {Balance: Ether},
		USDT:       {Code: TokenCode(), Storage: map[common.Hash]common.Hash{common.BytesToHash(n.From.Bytes()): supply(6)}},
		LINK:       {Code: TokenCode(), Storage: map[common.Hash]common.Hash{common.BytesToHash(n.From.Bytes()): supply(18)}},
		Forwarder:  {Code: ForwarderCode()},
	}
	for a, acct := range extra {
		alloc[a] = acct
	}
	port, wsPort := freePort(t), freePort(t)
	n.Sim = simulated.NewBackend(alloc, func(nc *node.Config, ec *ethconfig.Config) {
		nc.HTTPHost, nc.HTTPPort = "127.0.0.1", port
		nc.HTTPModules = []string{"eth", "net", "web3", "txpool"}
		nc.WSHost, nc.WSPort = "127.0.0.1", wsPort
		nc.WSModules = []string{"eth", "net", "web3"}
	})
	n.WSURL = "ws://127.0.0.1:" + strconv.Itoa(wsPort)
	t.Cleanup(func() { n.Sim.Close() })
	n.URL = "http://127.0.0.1:" + strconv.Itoa(port)
	var err error
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if n.Client, err = ethclient.DialContext(ctx, n.URL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Client.Close)
	return n
}

// callGas is the gas limit of the Node's contract calls (token transfers, the
// forwarder): a block with less room left than this is full for them.
const callGas = 300_000

// Commit mines a block and returns its hash. Every transaction sent through the
// Node since the last Commit must be in it (mined or reverted): a test must never
// go on believing a payment was made that was not. Two exceptions are mined in the
// next blocks: a full block leaves the rest for the next Commit; and geth's pool,
// which takes a sent transaction in asynchronously, sometimes (rarely, under load)
// still holds one the block should have had: then Commit mines up to three more
// blocks until it is in, so that test sees extra confirmations rather than a
// missing payment. Anything else is fatal, with what the node says of it.
func (n *Node) Commit() common.Hash {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	ctx := context.Background()
	h := n.Sim.Commit()
	for extra := 0; ; extra++ {
		head, err := n.Client.HeaderByHash(ctx, h)
		if err != nil {
			n.t.Fatal(err)
		}
		var left, lagging []common.Hash
		for _, tx := range n.unmined {
			if _, err := n.Client.TransactionReceipt(ctx, tx); err == nil {
				continue
			}
			t, pending, err := n.Client.TransactionByHash(ctx, tx)
			switch {
			case err == nil && pending && head.GasUsed+callGas > head.GasLimit:
				left = append(left, tx)
			case err == nil && pending && extra < 3:
				lagging = append(lagging, tx)
			case err == nil:
				from, _ := types.Sender(types.LatestSignerForChainID(big.NewInt(ChainID)), t)
				mined, _ := n.Client.NonceAt(ctx, from, head.Number)
				var status map[string]any
				n.Client.Client().CallContext(ctx, &status, "txpool_status")
				n.t.Fatal(fmt.Sprintf("evmdevnet: transaction %s (nonce %d, in the pool %v; the sender's mined nonce %d; pool %v) sent before the commit is not in block %d %s (%d gas used of %d)",
					tx, t.Nonce(), pending, mined, status, head.Number, h, head.GasUsed, head.GasLimit))
			default:
				n.t.Fatal(fmt.Sprintf("evmdevnet: transaction %s sent before the commit is neither in block %d nor known: %v", tx, head.Number, err))
			}
		}
		if len(lagging) == 0 {
			n.unmined = left
			return h
		}
		n.unmined = append(left, lagging...)
		h = n.Sim.Commit()
	}
}

// Fork makes parent the head of a new branch (the blocks above it are orphaned once
// the branch is longer) and forgets the nonces given out above it.
func (n *Node) Fork(parent common.Hash) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.next)
	n.unmined = n.unmined[:0]
	return n.Sim.Fork(parent)
}

// Rollback drops every transaction waiting in the pool.
func (n *Node) Rollback() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.next)
	n.unmined = n.unmined[:0]
	n.Sim.Rollback()
}

// Mine mines blocks.
func (n *Node) Mine(blocks int) {
	for range blocks {
		n.Commit()
	}
}

// send signs and sends an EIP-1559 transaction from k.
func (n *Node) send(k *ecdsa.PrivateKey, to common.Address, value *big.Int, data []byte, gas uint64) common.Hash {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	ctx := context.Background()
	from := crypto.PubkeyToAddress(k.PublicKey)
	nonce, err := n.Client.PendingNonceAt(ctx, from)
	if err != nil {
		n.t.Fatal(err)
	}
	// Right after a Commit the pool may not have seen the new head yet: its pending
	// nonce can be one already mined, and it would accept a transaction at that nonce
	// only to drop it when it catches up. The chain's own nonce is never stale.
	mined, err := n.Client.NonceAt(ctx, from, nil)
	if err != nil {
		n.t.Fatal(err)
	}
	nonce = max(nonce, mined, n.next[from])

	head, err := n.Client.HeaderByNumber(ctx, nil)
	if err != nil {
		n.t.Fatal(err)
	}
	tip := big.NewInt(1_000_000_000)
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	// Another sender's transactions (or ones re-injected by a fork) may still hold the
	// nonce; the pool then says so: take the next one.
	for try := 0; ; try++ {
		tx, err := types.SignNewTx(k, types.LatestSignerForChainID(big.NewInt(ChainID)), &types.DynamicFeeTx{
			ChainID: big.NewInt(ChainID), Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: gas, To: &to, Value: value, Data: data})
		if err != nil {
			n.t.Fatal(err)
		}
		err = n.Client.SendTransaction(ctx, tx)
		if err == nil || strings.Contains(err.Error(), "already known") {
			n.next[from] = nonce + 1
			n.unmined = append(n.unmined, tx.Hash())
			return tx.Hash()
		}
		if try < 8 && (strings.Contains(err.Error(), "replacement transaction underpriced") || strings.Contains(err.Error(), "nonce too low")) {
			nonce++
			continue
		}
		n.t.Fatal(err)
	}
}

// TransferData is ERC-20 transfer(to, amount) calldata.
func TransferData(to common.Address, amount *big.Int) []byte {
	data := append([]byte{0xa9, 0x05, 0x9c, 0xbb}, common.LeftPadBytes(to.Bytes(), 32)...)
	return append(data, common.LeftPadBytes(amount.Bytes(), 32)...)
}

// PayETH sends wei to addr from the payer (into the pool; Commit mines it).
func (n *Node) PayETH(to string, wei *big.Int) common.Hash {
	return n.send(n.Payer, common.HexToAddress(to), wei, nil, 21_000)
}

// PayToken sends amount base units of token to addr.
func (n *Node) PayToken(token common.Address, to string, amount *big.Int) common.Hash {
	return n.send(n.Payer, token, nil, TransferData(common.HexToAddress(to), amount), callGas)
}

// PayTokenFrom sends amount base units of token to addr from k's account.
func (n *Node) PayTokenFrom(k *ecdsa.PrivateKey, token common.Address, to string, amount *big.Int) common.Hash {
	return n.send(k, token, nil, TransferData(common.HexToAddress(to), amount), callGas)
}

// Resend sends an already signed transaction again (after a Fork and a Rollback
// dropped it, say), tracked like the Node's own.
func (n *Node) Resend(tx *types.Transaction) {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.Client.SendTransaction(context.Background(), tx); err != nil {
		n.t.Fatal(err)
	}
	n.unmined = append(n.unmined, tx.Hash())
}

// PayTokenReverting sends a token transfer from an account without tokens: it is mined
// and reverts.
func (n *Node) PayTokenReverting(token common.Address, to string, amount *big.Int) common.Hash {
	return n.send(n.Poor, token, nil, TransferData(common.HexToAddress(to), amount), callGas)
}

// PayThroughContract pays wei to addr through the forwarder's internal call.
func (n *Node) PayThroughContract(to string, wei *big.Int) common.Hash {
	return n.send(n.Payer, Forwarder, wei, common.LeftPadBytes(common.HexToAddress(to).Bytes(), 32), callGas)
}

// TokenBalance reads a holder's balance of the test token from its storage.
func (n *Node) TokenBalance(token common.Address, holder string) *big.Int {
	n.t.Helper()
	v, err := n.Client.StorageAt(context.Background(), token, common.BytesToHash(common.HexToAddress(holder).Bytes()), nil)
	if err != nil {
		n.t.Fatal(err)
	}
	return new(big.Int).SetBytes(v)
}

// Balance returns addr's ether balance.
func (n *Node) Balance(addr string) *big.Int {
	n.t.Helper()
	b, err := n.Client.BalanceAt(context.Background(), common.HexToAddress(addr), nil)
	if err != nil {
		n.t.Fatal(err)
	}
	return b
}

// Receipt returns a mined transaction's receipt.
func (n *Node) Receipt(h common.Hash) *types.Receipt {
	n.t.Helper()
	r, err := n.Client.TransactionReceipt(context.Background(), h)
	if err != nil {
		n.t.Fatal(fmt.Errorf("receipt %s: %w", h, err))
	}
	return r
}
