package bitcoin

import (
	"bytes"
	"context"
	"encoding/hex"

	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/chains"
)

// maxPayers bounds the cache of payers by transaction.
const maxPayers = 4096

// payers sets the From of the deposits in ts whose payer is not known yet: the
// address of the output the paying transaction's first input spends (a wallet pays
// from addresses of its own; a transaction with inputs of several owners, such as a
// coinjoin, names only the first). It asks the node for the transactions
// (getrawtransaction): one of the mempool, or a mined one when the node keeps a
// transaction index (btcd --txindex, bitcoind -txindex). A payer it cannot find stays
// unknown; finding it never fails a scan. Results are cached by transaction.
func (b *Backend) payers(ctx context.Context, ts []chains.Transfer, known map[string]*wire.MsgTx) {
	for i := range ts {
		t := &ts[i]
		if t.Out || t.From != "" {
			continue
		}
		b.payerMu.Lock()
		from, ok := b.payerOf[t.TxID]
		b.payerMu.Unlock()
		if !ok {
			tx, final := known[t.TxID], true
			if tx == nil {
				tx, final = b.rawTx(ctx, t.TxID)
			}
			var sure bool
			from, sure = b.firstInputAddress(ctx, tx)
			if final && sure { // a timeout or a cancelled call is asked again next time
				b.payerMu.Lock()
				if len(b.payerOf) >= maxPayers {
					clear(b.payerOf)
				}
				b.payerOf[t.TxID] = from
				b.payerMu.Unlock()
			}
		}
		t.From = from
	}
}

// rawTx returns a transaction from the node, or nil if it cannot find it; final is
// false when the answer may be different next time (the node did not answer, as
// opposed to saying it does not know the transaction).
func (b *Backend) rawTx(ctx context.Context, txid string) (tx *wire.MsgTx, final bool) {
	var hx string
	if err := b.cfg.RPC.Call(ctx, "getrawtransaction", &hx, txid, 0); err != nil {
		b.log.DebugContext(ctx, "bitcoin: payer unknown: no transaction", "tx", txid, "err", err)
		return nil, IsCode(err, codeNoInformation)
	}
	raw, err := hex.DecodeString(hx)
	if err != nil {
		return nil, true
	}
	var t wire.MsgTx
	if err := t.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, true
	}
	return &t, true
}

// firstInputAddress returns the address of the output tx's first input spends ("" for
// a coinbase, an unknown transaction or a script with no single address); sure is
// false when asking again may tell more.
func (b *Backend) firstInputAddress(ctx context.Context, tx *wire.MsgTx) (addr string, sure bool) {
	if tx == nil || len(tx.TxIn) == 0 {
		return "", true
	}
	prev := tx.TxIn[0].PreviousOutPoint
	if prev.Index == wire.MaxPrevOutIndex {
		return "", true // a coinbase
	}
	ptx, final := b.rawTx(ctx, prev.Hash.String())
	if ptx == nil || int(prev.Index) >= len(ptx.TxOut) {
		return "", final
	}
	addr, _ = ScriptAddress(ptx.TxOut[prev.Index].PkScript, b.params)
	return addr, true
}
