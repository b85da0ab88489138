// Package btcdtest runs a real btcd node in regtest for tests: it builds btcd from the
// module cache (go build github.com/btcsuite/btcd, once per machine and version),
// starts it on free loopback ports with its data in a temporary directory, mines
// coinbases to a test key, and offers a Payer that spends them to any script, signed
// with txscript. The node is stopped and its data removed when the test ends. Nothing
// leaves 127.0.0.1.
package btcdtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/chains/bitcoin"
)

// Version is the btcd version the harness builds (go.mod's tool directive pins it).
const Version = "v0.26.2"

// TB is what the harness needs of its caller: a *testing.T, or a program's own (the
// reliability harness in internal/torture), which ends the run on Fatal and runs
// cleanups when it is done.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
	TempDir() string
}

var buildOnce sync.Once
var buildErr error
var binary string

// Binary builds btcd once per machine into the OS temp dir and returns its path.
func Binary(t TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "kassa-btcd-"+Version)
		binary = filepath.Join(dir, "btcd")
		if _, err := os.Stat(binary); err == nil {
			return
		}
		if buildErr = os.MkdirAll(dir, 0o755); buildErr != nil {
			return
		}
		tmp := binary + fmt.Sprintf(".%d", os.Getpid())
		cmd := exec.Command("go", "build", "-o", tmp, "github.com/btcsuite/btcd")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build btcd: %v\n%s", err, out)
			return
		}
		buildErr = os.Rename(tmp, binary) // atomic: parallel test binaries never see half a file
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// Node is a running btcd regtest node.
type Node struct {
	t       TB
	RPC     *bitcoin.RPC
	URL     string // http://127.0.0.1:<port>
	Host    string // 127.0.0.1:<port>, for the websocket
	User    string
	Pass    string
	Params  *chaincfg.Params
	dir     string
	p2p     string
	cmd     *exec.Cmd
	Miner   *btcec.PrivateKey
	MinerPk []byte // the miner's P2WPKH script
	payer   *Payer
	exited  chan struct{} // closed when the running btcd exits
}

func freePort(t TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// Start builds (if needed) and starts btcd in regtest, waits for its RPC server and
// mines blocks until mature coinbases exist. It is stopped when the test ends.
func Start(t TB) *Node {
	t.Helper()
	seed := sha256.Sum256([]byte("kassa btcdtest miner"))
	miner, _ := btcec.PrivKeyFromBytes(seed[:])
	minerAddr, err := address.NewAddressWitnessPubKeyHash(address.Hash160(miner.PubKey().SerializeCompressed()), &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	minerPk, _ := txscript.PayToAddrScript(minerAddr)
	n := &Node{t: t, User: "kassa", Pass: "kassa-test", Params: &chaincfg.RegressionNetParams, Miner: miner, MinerPk: minerPk}
	n.dir = t.TempDir()
	// A port found free may be taken by another process (another test's node) before
	// btcd binds it: btcd then exits at once, and it is started again on other ports.
	for attempt := 1; ; attempt++ {
		n.p2p = "127.0.0.1:" + freePort(t)
		n.Host = "127.0.0.1:" + freePort(t)
		n.URL = "http://" + n.Host
		n.RPC, _ = bitcoin.NewRPC(bitcoin.RPCConfig{URL: n.URL, User: n.User, Pass: n.Pass, Timeout: 30 * time.Second})
		err := n.try(minerAddr.EncodeAddress())
		if err == nil {
			break
		}
		if !errors.Is(err, errExited) || attempt == 3 {
			t.Fatalf("btcd did not start: %v (logs in %s)", err, n.dir)
		}
	}
	t.Cleanup(n.Stop)
	n.payer = &Payer{n: n}
	// 100 blocks of maturity plus 100 spendable coinbases of 50 BTC.
	n.Generate(200)
	return n
}

// errExited: btcd exited before its RPC server answered (a port it could not bind).
var errExited = errors.New("btcd exited")

func (n *Node) start(miningAddr string) {
	n.t.Helper()
	if err := n.try(miningAddr); err != nil {
		n.t.Fatalf("btcd did not start: %v (logs in %s)", err, n.dir)
	}
}

// try starts btcd and waits up to 60 s for its RPC server.
func (n *Node) try(miningAddr string) error {
	n.cmd = exec.Command(Binary(n.t), "--regtest", "--datadir="+filepath.Join(n.dir, "data"),
		"--logdir="+filepath.Join(n.dir, "logs"), "--rpcuser="+n.User, "--rpcpass="+n.Pass,
		"--rpclisten="+n.Host, "--notls", "--listen="+n.p2p, "--nodnsseed",
		"--miningaddr="+miningAddr, "--txindex", "--debuglevel=warn")
	n.cmd.Stdout, n.cmd.Stderr = nil, nil
	if err := n.cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	n.exited = exited
	go func(cmd *exec.Cmd) { cmd.Wait(); close(exited) }(n.cmd)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		var h int64
		err := n.RPC.Call(ctx, "getblockcount", &h)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			n.cmd = nil
			return fmt.Errorf("%w: %v", errExited, err)
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop stops the node (idempotent); its data stays until the test ends.
func (n *Node) Stop() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	n.cmd.Process.Signal(os.Interrupt)
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		n.cmd.Process.Kill()
		<-n.exited
	}
	n.cmd = nil
}

// Restart starts a stopped node again on the same ports. NOTE: btcd deletes its
// regtest database on every start, so the node comes back with only its genesis block:
// to a watcher this is a node that lost its chain. To test a node that is unreachable
// for a while, put a Proxy in front of it instead.
func (n *Node) Restart() {
	n.t.Helper()
	addr, _ := address.NewAddressWitnessPubKeyHash(address.Hash160(n.Miner.PubKey().SerializeCompressed()), n.Params)
	n.start(addr.EncodeAddress())
}

func (n *Node) ctx() context.Context { return context.Background() }

// Generate mines blocks and returns their hashes.
func (n *Node) Generate(blocks int) []string {
	n.t.Helper()
	var hashes []string
	if err := n.RPC.Call(n.ctx(), "generate", &hashes, blocks); err != nil {
		n.t.Fatal(err)
	}
	return hashes
}

// Height returns the block count.
func (n *Node) Height() int64 {
	n.t.Helper()
	var h int64
	if err := n.RPC.Call(n.ctx(), "getblockcount", &h); err != nil {
		n.t.Fatal(err)
	}
	return h
}

// Invalidate marks a block invalid (its transactions return to the mempool).
func (n *Node) Invalidate(hash string) {
	n.t.Helper()
	if err := n.RPC.Call(n.ctx(), "invalidateblock", nil, hash); err != nil {
		n.t.Fatal(err)
	}
}

// Reconsider undoes Invalidate.
func (n *Node) Reconsider(hash string) {
	n.t.Helper()
	if err := n.RPC.Call(n.ctx(), "reconsiderblock", nil, hash); err != nil {
		n.t.Fatal(err)
	}
}

// Mempool returns the txids in the mempool.
func (n *Node) Mempool() []string {
	n.t.Helper()
	var ids []string
	if err := n.RPC.Call(n.ctx(), "getrawmempool", &ids); err != nil {
		n.t.Fatal(err)
	}
	return ids
}

// Block returns a block by hash.
func (n *Node) Block(hash string) *wire.MsgBlock {
	n.t.Helper()
	var hx string
	if err := n.RPC.Call(n.ctx(), "getblock", &hx, hash, 0); err != nil {
		n.t.Fatal(err)
	}
	raw, _ := hex.DecodeString(hx)
	var b wire.MsgBlock
	if err := b.Deserialize(bytes.NewReader(raw)); err != nil {
		n.t.Fatal(err)
	}
	return &b
}

// Payer spends the node's coinbases.
func (n *Node) Payer() *Payer { return n.payer }

// Payer pays scripts from mature coinbase outputs, one coinbase per transaction, change
// back to the miner.
type Payer struct {
	n    *Node
	mu   sync.Mutex
	next int64 // next coinbase height to spend
	sent map[string]spent
}

type spent struct {
	in    wire.OutPoint
	value int64
}

// Output is one payment: a script and an amount in satoshi.
type Output struct {
	Script []byte
	Sats   int64
}

// Pay sends a transaction paying outs (RBF signalled) and returns its txid.
func (p *Payer) Pay(outs ...Output) string {
	p.n.t.Helper()
	p.mu.Lock()
	if p.next == 0 {
		p.next = 1
	}
	h := p.next
	p.next++
	p.mu.Unlock()
	var hash string
	if err := p.n.RPC.Call(p.n.ctx(), "getblockhash", &hash, h); err != nil {
		p.n.t.Fatal(err)
	}
	cb := p.n.Block(hash).Transactions[0]
	in := wire.OutPoint{Hash: cb.TxHash(), Index: 0}
	txid, err := p.spend(in, cb.TxOut[0].Value, outs, 2000)
	if err != nil {
		p.n.t.Fatal(err)
	}
	p.mu.Lock()
	if p.sent == nil {
		p.sent = map[string]spent{}
	}
	p.sent[txid] = spent{in: in, value: cb.TxOut[0].Value}
	p.mu.Unlock()
	return txid
}

// Replace double-spends the input of txid with a higher fee, paying outs instead (a
// conflicting transaction; with no outs, everything goes back to the miner).
func (p *Payer) Replace(txid string, outs ...Output) string {
	p.n.t.Helper()
	p.mu.Lock()
	s, ok := p.sent[txid]
	p.mu.Unlock()
	if !ok {
		p.n.t.Fatalf("btcdtest: %s was not sent by this payer", txid)
	}
	id, err := p.spend(s.in, s.value, outs, 20000)
	if err != nil {
		p.n.t.Fatal(err)
	}
	return id
}

func (p *Payer) spend(in wire.OutPoint, value int64, outs []Output, fee int64) (string, error) {
	tx := wire.NewMsgTx(2)
	txin := wire.NewTxIn(&in, nil, nil)
	txin.Sequence = wire.MaxTxInSequenceNum - 2 // BIP125: replaceable
	tx.AddTxIn(txin)
	total := int64(0)
	for _, o := range outs {
		tx.AddTxOut(wire.NewTxOut(o.Sats, o.Script))
		total += o.Sats
	}
	change := value - total - fee
	if change < 0 {
		return "", errors.New("btcdtest: a coinbase cannot cover that")
	}
	if change > 0 {
		tx.AddTxOut(wire.NewTxOut(change, p.n.MinerPk))
	}
	fetcher := txscript.NewCannedPrevOutputFetcher(p.n.MinerPk, value)
	w, err := txscript.WitnessSignature(tx, txscript.NewTxSigHashes(tx, fetcher), 0, value, p.n.MinerPk, txscript.SigHashAll, p.n.Miner, true)
	if err != nil {
		return "", err
	}
	tx.TxIn[0].Witness = w
	return p.n.Send(tx)
}

// Send broadcasts a signed transaction.
func (n *Node) Send(tx *wire.MsgTx) (string, error) {
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		return "", err
	}
	var id string
	if err := n.RPC.Call(n.ctx(), "sendrawtransaction", &id, hex.EncodeToString(buf.Bytes())); err != nil {
		return "", err
	}
	return id, nil
}

// Proxy is a loopback TCP proxy in front of the node's RPC port that a test can cut
// (connections refused, open ones closed) and restore, while the node keeps running.
type Proxy struct {
	t      TB
	URL    string
	listen string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

// Proxy starts a proxy to the node's RPC server.
func (n *Node) Proxy() *Proxy {
	p := &Proxy{t: n.t, target: n.Host, listen: "127.0.0.1:" + freePort(n.t), conns: map[net.Conn]bool{}}
	p.URL = "http://" + p.listen
	p.Restore()
	n.t.Cleanup(p.Cut)
	return p
}

// Cut makes the node unreachable through the proxy.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore makes the node reachable again on the same address.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", p.listen)
	if err != nil {
		p.t.Fatal(err)
	}
	p.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *Proxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut while dialing
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}
