package chaintest

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/kassapay/kassa/chains"
)

// mined mines the payment txid and returns its record from the step that follows.
func (e *env) mined(txid string) chains.Record {
	e.t.Helper()
	e.c.Mine(1)
	got := payments(e.step(), txid)
	if len(got) != 1 {
		e.t.Fatalf("the step after mining reported %s, want the payment, mined", records(got))
	}
	e.wantOnChain(got[0])
	return got[0]
}

// disconnect takes the block of r, and those above it, off the chain and returns
// how many blocks that was.
func (e *env) disconnect(r chains.Record) int {
	e.t.Helper()
	tip := e.tip()
	depth := int(tip.Height - r.Block.Height + 1)
	e.c.Disconnect(depth)
	if now := e.tip(); now.Height != r.Block.Height-1 {
		e.t.Fatalf("chaintest: Chain.Disconnect(%d) at tip %d left the tip at %d, want %d", depth, tip.Height, now.Height, r.Block.Height-1)
	}
	return depth
}

// untilConfirmed mines one block at a time until r is confirmed. After each block,
// the step must change r (picked from the step's changes by pick) once, in the same
// block, with confirmations counted from the tip.
func (e *env) untilConfirmed(r chains.Record, pick func([]chains.Record) []chains.Record) chains.Record {
	e.t.Helper()
	for blocks := 0; r.Status != chains.StatusConfirmed; blocks++ {
		if blocks > required+3 {
			e.t.Fatalf("%s is not confirmed %d blocks later", record(r), blocks)
		}
		e.c.Mine(1)
		got := pick(e.step())
		if len(got) != 1 {
			e.t.Fatalf("a block above %s, the step reported %s, want it once, one confirmation more", record(r), records(got))
		}
		next := got[0]
		if next.Key() != r.Key() || next.Block.Hash != r.Block.Hash || next.Confirmations <= r.Confirmations {
			e.t.Fatalf("a block above %s, the step reported %s", record(r), record(next))
		}
		e.wantOnChain(next)
		r = next
	}
	if r.Confirmations != required {
		e.t.Fatalf("confirmed with %d confirmations, want %d: %s", r.Confirmations, required, record(r))
	}
	return r
}

// wantOnChain fails unless r is recorded in the block the chain has at its height,
// with the confirmations the tip gives it and the status they make.
func (e *env) wantOnChain(r chains.Record) {
	e.t.Helper()
	tip := e.tip()
	if r.Block.Hash == "" || r.Block.Height > tip.Height {
		e.t.Fatalf("%s is not in a block of the chain (tip %d)", record(r), tip.Height)
	}
	if b := e.scan(r.Block.Height, e.set()); b.Ref.Hash != r.Block.Hash {
		e.t.Fatalf("%s: the chain has block %s at its height", record(r), b.Ref.Hash)
	}
	confs := int(tip.Height - r.Block.Height + 1)
	status := chains.StatusConfirming
	if confs >= r.Required {
		status = chains.StatusConfirmed
	}
	wantStatus(e.t, r, status, confs)
	if r.Required != required {
		e.t.Fatalf("%s requires %d confirmations, the registry says %d", record(r), r.Required, required)
	}
}

func wantTransfer(t *testing.T, tr chains.Transfer, asset, to string, amount *big.Int, txid string) {
	t.Helper()
	if tr.Out || tr.Asset != asset || tr.To != to || tr.Amount == nil || tr.Amount.Cmp(amount) != 0 || tr.TxID != txid {
		t.Fatalf("transfer %s, want %s %s to %s in %s", transfer(tr), amount, asset, to, txid)
	}
}

func wantPayment(t *testing.T, r chains.Record, asset, to string, amount *big.Int, txid string) {
	t.Helper()
	wantTransfer(t, r.Transfer, asset, to, amount, txid)
}

func wantStatus(t *testing.T, r chains.Record, s chains.Status, confirmations int) {
	t.Helper()
	if r.Status != s || r.Confirmations != confirmations {
		t.Fatalf("%s, want %s with %d confirmations", record(r), s, confirmations)
	}
}

// wantSame fails unless r is the same transfer as was (its identity and content).
func wantSame(t *testing.T, r, was chains.Record) {
	t.Helper()
	if r.Key() != was.Key() || r.Out != was.Out || r.To != was.To || r.Asset != was.Asset || r.Amount.Cmp(was.Amount) != 0 {
		t.Fatalf("%s, want the same transfer as %s", record(r), record(was))
	}
}

func transfer(t chains.Transfer) string {
	s := fmt.Sprintf("%s %s to %q in %s", t.Amount, t.Asset, t.To, t.Key())
	if t.Out {
		s = fmt.Sprintf("ours %s (amount %s %s)", t.Key(), t.Amount, t.Asset)
	}
	if t.Block.Hash != "" {
		s += fmt.Sprintf(" at block %d %s", t.Block.Height, t.Block.Hash)
	}
	return s
}

func transfers(ts []chains.Transfer) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = transfer(t)
	}
	return "[" + strings.Join(out, "; ") + "]"
}

func record(r chains.Record) string {
	return fmt.Sprintf("%s: %s, %d/%d confirmations", transfer(r.Transfer), r.Status, r.Confirmations, r.Required)
}

func records(rs []chains.Record) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = record(r)
	}
	return "[" + strings.Join(out, "; ") + "]"
}
