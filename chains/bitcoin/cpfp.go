package bitcoin

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
	"github.com/shopspring/decimal"
)

// cpfpPrefix names the sends that are CPFP children: "cpfp:<parent txid>".
const cpfpPrefix = "cpfp:"

// CPFP hurries a payment to our addresses that waits in the mempool with too low a
// fee: a child transaction spends every output of txid paid to us to a new change
// address of ours, paying a fee that brings the two to the node's current rate
// (child pays for parent): rate x (the parent's size + the child's) - the parent's
// fee, and never less than the child's own size at that rate. The child is stored
// before it is broadcast, under "cpfp:<txid>" (asking again sends the same child),
// and its fee is booked, once, when the node takes it. It returns ErrCannotBump when
// txid is not in the node's mempool, pays none of our addresses there, or pays too
// little to cover the child.
func (w *Wallet) CPFP(ctx context.Context, txid string) (chains.SentTx, error) {
	if w.cfg.Keyring.WatchOnly() {
		return chains.SentTx{}, fmt.Errorf("%w: a watch-only wallet's transactions are signed elsewhere", ErrCannotBump)
	}
	id := cpfpPrefix + txid
	var s Sent
	var found bool
	if err := w.cfg.View(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		var err error
		s, found, err = tx.SendByID(ctx, w.net, id)
		return err
	}); err != nil {
		return chains.SentTx{}, err
	}
	if found {
		if s.Status == SendFailed {
			return chains.SentTx{}, fmt.Errorf("%w: the child of %s was refused before", ErrRejected, txid)
		}
		return w.broadcast(ctx, s)
	}
	parentFee, parentVsize, err := w.mempoolEntry(ctx, txid)
	if err != nil {
		return chains.SentTx{}, err
	}
	var rawHex string
	if err := w.cfg.Backend.cfg.RPC.Call(ctx, "getrawtransaction", &rawHex, txid, 0); err != nil {
		return chains.SentTx{}, fmt.Errorf("%w: getrawtransaction %s: %v", chains.ErrUnavailable, txid, err)
	}
	raw, err := hex.DecodeString(rawHex)
	if err != nil {
		return chains.SentTx{}, err
	}
	var parent wire.MsgTx
	if err := parent.Deserialize(bytes.NewReader(raw)); err != nil {
		return chains.SentTx{}, err
	}
	rate, err := w.cfg.Backend.FeeRate(ctx)
	if err != nil {
		return chains.SentTx{}, err
	}
	err = w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		var ins []Output
		total := int64(0)
		for i := range parent.TxOut {
			r, ok, err := tx.Transfer(ctx, w.net, txid, uint32(i))
			if err != nil {
				return err
			}
			if !ok || r.Out || r.Status != chains.StatusMempool || r.Amount == nil || !r.Amount.IsInt64() {
				continue
			}
			a, ok, err := tx.LookupAddress(ctx, w.family, w.net.Mode, r.To)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			ins = append(ins, Output{TxID: txid, Index: uint32(i), Amount: r.Amount.Int64(), Address: a})
			total += r.Amount.Int64()
		}
		if len(ins) == 0 {
			return fmt.Errorf("%w: %s pays none of our addresses in the mempool", ErrCannotBump, txid)
		}
		childVsize := feeFor(len(ins), 22)(1)
		fee := max(rate*(parentVsize+childVsize)-parentFee, rate*childVsize, childVsize*incrementalRelayFee)
		if total-fee < DustLimit {
			return fmt.Errorf("%w: %s pays us %d sat, too little for a child paying %d sat", ErrCannotBump, txid, total, fee)
		}
		idx, err := tx.AllocateIndex(ctx, keys.ChangeSequence(w.family), w.net.Mode)
		if err != nil {
			return err
		}
		change, err := w.cfg.Keyring.Address(w.family, w.net.Mode, keys.Change, idx)
		if err != nil {
			return err
		}
		if err := tx.RecordAddress(ctx, change); err != nil {
			return err
		}
		if err := tx.WatchAddress(ctx, w.net, change.Encoded, "change:"+id); err != nil {
			return err
		}
		script, err := AddressScript(change.Encoded, w.cfg.Backend.params)
		if err != nil {
			return err
		}
		msg := wire.NewMsgTx(2)
		var outpoints []chains.OutPoint
		for _, u := range ins {
			h, _ := chainhash.NewHashFromStr(u.TxID)
			in := wire.NewTxIn(&wire.OutPoint{Hash: *h, Index: u.Index}, nil, nil)
			in.Sequence = wire.MaxTxInSequenceNum - 2
			msg.AddTxIn(in)
			outpoints = append(outpoints, chains.OutPoint{TxID: u.TxID, Index: u.Index})
		}
		msg.AddTxOut(wire.NewTxOut(total-fee, script))
		if err := w.signAll(msg, ins); err != nil {
			return err
		}
		var b bytes.Buffer
		if err := msg.Serialize(&b); err != nil {
			return err
		}
		s = Sent{Network: w.net, SpecID: id, TxID: msg.TxHash().String(), Raw: b.Bytes(), Fee: fee, Change: change.Encoded,
			ChangeAmount: total - fee, Depth: MaxUnconfirmedDepth, Status: SendSigned, CreatedAt: time.Now().UTC()}
		if err := tx.MarkSpent(ctx, w.net, outpoints, s.TxID); err != nil {
			return err
		}
		return tx.InsertSend(ctx, s)
	})
	if err != nil {
		return chains.SentTx{}, err
	}
	w.cfg.Watch(s.Change)
	w.cfg.Logger.InfoContext(ctx, "bitcoin: child pays for a stuck payment", "network", w.net, "parent", txid,
		"parent_fee", parentFee, "parent_vsize", parentVsize, "tx", s.TxID, "fee", s.Fee, "rate", rate)
	return w.broadcast(ctx, s)
}

// signAll signs every input of msg, which spends ins in order, and checks each
// signature before anything leaves.
func (w *Wallet) signAll(msg *wire.MsgTx, ins []Output) error {
	prev := txscript.NewMultiPrevOutFetcher(nil)
	for i, u := range ins {
		script, err := AddressScript(u.Address.Encoded, w.cfg.Backend.params)
		if err != nil {
			return err
		}
		prev.AddPrevOut(msg.TxIn[i].PreviousOutPoint, wire.NewTxOut(u.Amount, script))
	}
	hashes := txscript.NewTxSigHashes(msg, prev)
	for i, u := range ins {
		key, err := w.cfg.Keyring.SigningKey(w.family, w.net.Mode, u.Address.Branch, u.Address.Index)
		if err != nil {
			return err
		}
		pk := prev.FetchPrevOutput(msg.TxIn[i].PreviousOutPoint)
		wit, err := txscript.WitnessSignature(msg, hashes, i, u.Amount, pk.PkScript, txscript.SigHashAll, key, true)
		if err != nil {
			return err
		}
		msg.TxIn[i].Witness = wit
		vm, err := txscript.NewEngine(pk.PkScript, msg, i, txscript.StandardVerifyFlags, nil, hashes, u.Amount, prev)
		if err != nil {
			return err
		}
		if err := vm.Execute(); err != nil {
			return fmt.Errorf("bitcoin: signature check of input %d: %w", i, err)
		}
	}
	return nil
}

// bookChild books the fee of a CPFP child once the node took it (in the transaction
// that records it broadcast): a fee no payout books.
func (w *Wallet) bookChild(ctx context.Context, tx chains.WalletTx, s Sent) error {
	if !strings.HasPrefix(s.SpecID, cpfpPrefix) || w.cfg.Book == nil {
		return nil
	}
	return w.cfg.Book(ctx, tx, chains.FeeSpent{Network: w.net, Key: "cpfp:" + string(w.net.ID) + ":" + string(w.net.Mode) + ":" + s.TxID,
		Asset: w.cfg.Backend.native, Amount: big.NewInt(s.Fee), What: "fee of CPFP child " + s.TxID + " of " + strings.TrimPrefix(s.SpecID, cpfpPrefix), Owed: true})
}

// mempoolEntry returns the fee (satoshi) and virtual size of txid in the node's
// mempool: getmempoolentry (Bitcoin Core), else the verbose getrawmempool (btcd has
// no getmempoolentry). A transaction not in the mempool is ErrCannotBump.
func (w *Wallet) mempoolEntry(ctx context.Context, txid string) (fee, vsize int64, err error) {
	type entry struct {
		Vsize int64       `json:"vsize"`
		Size  int64       `json:"size"`
		Fee   json.Number `json:"fee"`
		Fees  *struct {
			Base json.Number `json:"base"`
		} `json:"fees"`
	}
	var e entry
	err = w.cfg.Backend.cfg.RPC.Call(ctx, "getmempoolentry", &e, txid)
	var re *RPCError
	if IsCode(err, codeMethodNotFound) || (errors.As(err, &re) && strings.Contains(strings.ToLower(re.Message), "unimplemented")) {
		// btcd answers -1 "Command unimplemented".
		var all map[string]entry
		if err = w.cfg.Backend.cfg.RPC.Call(ctx, "getrawmempool", &all, true); err == nil {
			var ok bool
			if e, ok = all[txid]; !ok {
				return 0, 0, fmt.Errorf("%w: %s is not in the node's mempool", ErrCannotBump, txid)
			}
		}
	}
	if err != nil && !errors.As(err, &re) {
		return 0, 0, fmt.Errorf("%w: mempool entry of %s: %v", chains.ErrUnavailable, txid, err)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %s is not in the node's mempool: %v", ErrCannotBump, txid, err)
	}
	btc := e.Fee
	if e.Fees != nil && e.Fees.Base != "" {
		btc = e.Fees.Base
	}
	d, err := decimal.NewFromString(string(btc))
	if err != nil {
		return 0, 0, fmt.Errorf("bitcoin: mempool fee of %s: %v", txid, err)
	}
	vsize = e.Vsize
	if vsize == 0 {
		vsize = e.Size
	}
	return d.Shift(8).IntPart(), vsize, nil
}
