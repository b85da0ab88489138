package bitcoin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/chains"
)

// ErrCannotBump is returned by Bump for a send that cannot be replaced by fee: mined
// already, without a change output to pay the higher fee from, or whose change a
// later send of ours spends (replacing it would evict that send from the mempool).
var ErrCannotBump = errors.New("the transaction cannot be bumped")

// incrementalRelayFee is BIP 125's minimum fee rate increase, in sat/vB, that nodes
// ask of a replacement for its own size (Bitcoin Core's and btcd's default).
const incrementalRelayFee = 1

// Bump replaces the send stored under id by a fee bump (RBF, BIP 125): the same
// inputs and the same payments, signed again with a higher fee taken from the change,
// stored under id before it is broadcast (the replaced transaction is kept under
// chains.ReplacedSpecID) and followed by the watcher like the first, with record run
// in that storage transaction (chains.Bumper); whichever of the two is mined is the
// payout's. The new fee is the largest of the node's current
// rate for the transaction's size, the old fee plus BIP 125's increment for that
// size, and the old fee plus a quarter; change that would be left below the dust
// limit goes to the fee too. It returns the replacement, ErrCannotBump, or
// chains.ErrReplacementRefused when the node refuses the replacement (the first
// transaction is then the send again).
func (w *Wallet) Bump(ctx context.Context, id string, record func(ctx context.Context, tx chains.WalletTx, next chains.SentTx) error) (chains.SentTx, error) {
	if w.cfg.Keyring.WatchOnly() {
		return chains.SentTx{}, fmt.Errorf("%w: a watch-only wallet's transactions are signed elsewhere", ErrCannotBump)
	}
	rate, err := w.cfg.Backend.FeeRate(ctx)
	if err != nil {
		return chains.SentTx{}, err
	}
	var prev, next Sent
	var follow chains.Sent
	err = w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		var ok bool
		var err error
		if prev, ok, err = tx.SendByID(ctx, w.net, id); err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: no send %q", ErrBadSpec, id)
		}
		if prev.Status != SendSigned && prev.Status != SendBroadcast {
			return fmt.Errorf("%w: send %q is %s", ErrCannotBump, id, prev.Status)
		}
		if prev.Change == "" {
			return fmt.Errorf("%w: %s has no change output to pay a higher fee from", ErrCannotBump, prev.TxID)
		}
		open, err := tx.UnconfirmedChange(ctx, w.net, w.family)
		if err != nil {
			return err
		}
		unspent := false
		for _, u := range open {
			unspent = unspent || (u.TxID == prev.TxID && u.Index == prev.ChangeIndex)
		}
		if !unspent {
			return fmt.Errorf("%w: %s is mined, or a later send of ours spends its change", ErrCannotBump, prev.TxID)
		}
		inputs, err := tx.InputsOf(ctx, w.net, w.family, prev.TxID)
		if err != nil {
			return err
		}
		if next, err = w.resign(prev, inputs, rate); err != nil {
			return err
		}
		follow = chains.Sent{TxID: next.TxID}
		for _, u := range inputs {
			follow.Inputs = append(follow.Inputs, chains.OutPoint{TxID: u.TxID, Index: u.Index})
		}
		if err := tx.ReplaceSend(ctx, w.net, next); err != nil {
			return err
		}
		if err := tx.FollowTx(ctx, w.net, follow); err != nil {
			return err
		}
		if record == nil {
			return nil
		}
		return record(ctx, tx, chains.SentTx{TxID: next.TxID, Raw: next.Raw, Fee: big.NewInt(next.Fee), Inputs: follow.Inputs})
	})
	if err != nil {
		return chains.SentTx{}, err
	}
	w.cfg.Follow(follow)
	w.cfg.Logger.InfoContext(ctx, "bitcoin: fee bump signed", "network", w.net, "send", id, "replaces", prev.TxID,
		"tx", next.TxID, "fee", next.Fee, "old_fee", prev.Fee)
	return w.broadcast(ctx, next)
}

// resign builds and signs the replacement of prev, which spends inputs, at rate.
func (w *Wallet) resign(prev Sent, inputs []Output, rate int64) (Sent, error) {
	var msg wire.MsgTx
	if err := msg.Deserialize(bytes.NewReader(prev.Raw)); err != nil {
		return Sent{}, fmt.Errorf("bitcoin: stored send %s: %w", prev.SpecID, err)
	}
	if int(prev.ChangeIndex) >= len(msg.TxOut) || msg.TxOut[prev.ChangeIndex].Value != prev.ChangeAmount {
		return Sent{}, fmt.Errorf("bitcoin: stored send %s: change output %d does not match", prev.SpecID, prev.ChangeIndex)
	}
	byOut := make(map[wire.OutPoint]Output, len(inputs))
	for _, u := range inputs {
		h, err := chainhash.NewHashFromStr(u.TxID)
		if err != nil {
			return Sent{}, err
		}
		byOut[wire.OutPoint{Hash: *h, Index: u.Index}] = u
	}
	if len(byOut) != len(msg.TxIn) {
		return Sent{}, fmt.Errorf("bitcoin: stored send %s spends %d inputs, %d known", prev.SpecID, len(msg.TxIn), len(byOut))
	}
	// The fee the replacement must pay, for its size (the same as the first's: one
	// witness per input, of the same length within a byte or two).
	vsize := (int64(msg.SerializeSizeStripped())*3 + int64(msg.SerializeSize()) + 3) / 4
	fee := max(vsize*rate, prev.Fee+vsize*incrementalRelayFee, prev.Fee+prev.Fee/4)
	change := prev.ChangeAmount - (fee - prev.Fee)
	if change < 0 {
		return Sent{}, fmt.Errorf("%w: the change of %s (%d sat) cannot pay a fee of %d sat", ErrCannotBump, prev.TxID, prev.ChangeAmount, fee)
	}
	next := prev
	if change < DustLimit {
		// No dust output: what is left goes to the fee.
		msg.TxOut = append(msg.TxOut[:prev.ChangeIndex], msg.TxOut[prev.ChangeIndex+1:]...)
		fee += change
		next.Change, next.ChangeIndex, change = "", 0, 0
	} else {
		msg.TxOut[prev.ChangeIndex].Value = change
	}
	ordered := make([]Output, len(msg.TxIn))
	for i, in := range msg.TxIn {
		ordered[i] = byOut[in.PreviousOutPoint]
		in.Witness = nil
	}
	if err := w.signAll(&msg, ordered); err != nil {
		return Sent{}, err
	}
	var raw bytes.Buffer
	if err := msg.Serialize(&raw); err != nil {
		return Sent{}, err
	}
	next.TxID, next.Raw, next.Fee, next.ChangeAmount = msg.TxHash().String(), raw.Bytes(), fee, change
	// Its change is not spent before it confirms: were the first mined instead, a
	// send spending it could never be.
	next.Depth = MaxUnconfirmedDepth
	next.Status, next.CreatedAt, next.Replaces = SendSigned, time.Now().UTC(), prev.TxID
	return next, nil
}
