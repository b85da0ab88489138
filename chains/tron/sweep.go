package tron

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
)

// Sweep errors.
var (
	// ErrNotWorth: a TRX sweep's fee would be more than the share of it allowed.
	ErrNotWorth = errors.New("tron: sweeping this costs too large a share of it in fees")
	// ErrHotWalletShort: the hot wallet cannot pay a token sweep's TRX top-up now.
	ErrHotWalletShort = errors.New("tron: the hot wallet cannot pay the top-up now")
	// ErrNotMined: the transaction is not solidified yet.
	ErrNotMined = errors.New("tron: the transaction is not solidified yet")
	// ErrExpired: the transaction expired without being mined; it never will be.
	ErrExpired = errors.New("tron: the transaction expired unmined")
)

// SweepState is where a sweep's transactions stand (SweepStep).
type SweepState struct {
	GasTx, TxID  string
	Gas          *big.Int // the TRX a token sweep's top-up sent
	Done, Failed bool
	Fee          *big.Int // what all its transactions burnt, in sun
}

// ErrNotSolid: the balance at the depth asked for is not known yet (see
// ConfirmedBalance).
var ErrNotSolid = errors.New("tron: the balance at that depth is not solidified yet")

// ConfirmedBalance is what addr holds of code with the given confirmations, and no
// more than it holds now. java-tron answers state at its head and at its solidified
// block (irreversible, about 19 blocks down), not at depths between: with one
// confirmation it is the head's; otherwise the solidified block's when that is at
// least as high as the depth asked for (what it holds can no longer be reorganised
// away), or when it equals the head's (nothing arrived since). A solidified block
// below the depth, with money arrived above it, is ErrNotSolid: ask again later.
func (w *Wallet) ConfirmedBalance(ctx context.Context, addr, code string, confirmations int) (*big.Int, error) {
	a, err := ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	now, err := w.balance(ctx, "/wallet", a, code)
	if err != nil || confirmations <= 1 {
		return now, err
	}
	var head, solid nodeBlock
	if err := w.cfg.Backend.call(ctx, "/wallet/getnowblock", struct{}{}, &head); err != nil {
		return nil, err
	}
	if err := w.cfg.Backend.call(ctx, "/walletsolidity/getnowblock", struct{}{}, &solid); err != nil {
		return nil, err
	}
	at, err := w.balance(ctx, "/walletsolidity", a, code)
	if err != nil {
		return nil, err
	}
	if at.Cmp(now) >= 0 {
		return now, nil
	}
	if solid.Header.Raw.Number < head.Header.Raw.Number-int64(confirmations)+1 {
		return nil, fmt.Errorf("%w: %s at block %d, %d confirmations asked at %d", ErrNotSolid, addr,
			solid.Header.Raw.Number, confirmations, head.Header.Raw.Number)
	}
	return at, nil
}

// balance reads what a holds of code in the state api serves (/wallet: the head,
// /walletsolidity: the solidified block).
func (w *Wallet) balance(ctx context.Context, api string, a Address, code string) (*big.Int, error) {
	if code == w.cfg.Backend.native {
		var acc struct {
			Balance int64 `json:"balance"`
		}
		if err := w.cfg.Backend.call(ctx, api+"/getaccount", map[string]any{"address": a.Hex()}, &acc); err != nil {
			return nil, err
		}
		return big.NewInt(acc.Balance), nil
	}
	tok, ok := w.token(code)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not served on %s", ErrBadSpec, code, w.net)
	}
	hot, err := ParseAddress(w.hot.Encoded)
	if err != nil {
		return nil, err
	}
	evm := a.EVM()
	var out struct {
		Result struct {
			Result bool `json:"result"`
		} `json:"result"`
		ConstantResult []string `json:"constant_result"`
	}
	if err := w.cfg.Backend.call(ctx, api+"/triggerconstantcontract", map[string]any{"owner_address": hot.Hex(),
		"contract_address": tok.contract.Hex(), "function_selector": "balanceOf(address)",
		"parameter": fmt.Sprintf("%064x", evm[:])}, &out); err != nil {
		return nil, err
	}
	if !out.Result.Result || len(out.ConstantResult) != 1 || len(out.ConstantResult[0]) != 64 {
		return nil, fmt.Errorf("%w: tron: balanceOf of %s answered %v", chains.ErrUnavailable, code, out.ConstantResult)
	}
	b, ok := new(big.Int).SetString(out.ConstantResult[0], 16)
	if !ok {
		return nil, fmt.Errorf("%w: tron: balanceOf of %s answered %q", chains.ErrUnavailable, code, out.ConstantResult[0])
	}
	return b, nil
}

// worth refuses (ErrNotWorth) a fee above maxShare percent of units.
func worth(fee, units *big.Int, maxShare int64) error {
	if new(big.Int).Mul(fee, big.NewInt(100)).Cmp(new(big.Int).Mul(units, big.NewInt(maxShare))) > 0 {
		return fmt.Errorf("%w: up to %s sun for %s", ErrNotWorth, fee, units)
	}
	return nil
}

// SweepWorth says whether sweeping units of code is worth its fee now: for TRX, the
// bandwidth of the transfer at most maxShare percent of it; a token is swept from its
// threshold on.
func (w *Wallet) SweepWorth(ctx context.Context, code string, units *big.Int, maxShare int64) error {
	if code != w.cfg.Backend.native {
		return nil
	}
	p, err := w.params(ctx)
	if err != nil {
		return err
	}
	// The bytes of a TRX transfer's raw_data at most (amounts below 2^63).
	fee := big.NewInt(bandwidthOf(120) * p.transactionFee)
	return worth(fee, units, maxShare)
}

// SweepStep takes the next step of sweep id, moving units of code from the deposit
// address from to the hot wallet, and says where it stands. TRX goes in one
// transfer, less its bandwidth fee. A token takes two steps unless the deposit
// address is an account with the energy, bandwidth and TRX the transfer needs
// (energy delegated to it, say): the hot wallet first sends it the TRX the transfer
// may burn (activating the address if it has never held TRX), and once that is
// solidified the address sends the tokens. Called again it confirms what was sent,
// sends again what is not mined, and goes on, never signing a step twice. Each
// transaction's fee is booked once it is solidified (Confirm).
func (w *Wallet) SweepStep(ctx context.Context, id string, from keys.Address, code string, units *big.Int, maxShare int64) (SweepState, error) {
	var st SweepState
	if units == nil || units.Sign() <= 0 {
		return st, fmt.Errorf("%w: sweep of %s", ErrBadSpec, units)
	}
	hot, err := ParseAddress(w.hot.Encoded)
	if err != nil {
		return st, err
	}
	sweepID, gasID := "sweep:"+id, "gas:sweep:"+id
	if g, ok, err := w.latest(ctx, gasID); err != nil {
		return st, err
	} else if ok {
		st.GasTx, st.Gas = g.TxID, g.Amount
		if g.Status != chains.SendConfirmed {
			c, err := w.confirmOrResend(ctx, g)
			if errors.Is(err, ErrNotMined) {
				return st, nil // on its way: the tokens go once it is solidified
			}
			if err != nil {
				return st, err
			}
			if c.Status != chains.SendConfirmed {
				return st, fmt.Errorf("%w: top-up %s failed", ErrRejected, c.TxID)
			}
			g = c
		}
		st.Fee = feeOf(g)
	}
	s, found, err := w.latest(ctx, sweepID)
	if err != nil {
		return st, err
	}
	if !found {
		if code == w.cfg.Backend.native {
			pl, err := w.plan(ctx, from, code, hot, units)
			if err != nil {
				return st, err
			}
			if err := worth(pl.maxFee, units, maxShare); err != nil {
				return st, err
			}
			units = new(big.Int).Sub(units, pl.maxFee)
		} else if st.GasTx == "" {
			need, err := w.plan(ctx, from, code, hot, units)
			if err != nil {
				return st, err
			}
			own, err := w.resources(ctx, mustAddress(from.Encoded))
			if err != nil {
				return st, err
			}
			trx, err := w.balance(ctx, "/wallet", mustAddress(from.Encoded), w.cfg.Backend.native)
			if err != nil {
				return st, err
			}
			if burn := need.energyFee + need.bandwidthFee; !own.exists || trx.Int64() < burn {
				return w.topUp(ctx, gasID, from, big.NewInt(max(burn, 1))) // a transfer activates an account
			}
		}
		s, err = w.send(ctx, sweepID, "sweep", from, code, hot, units)
		if err != nil && (s.TxID == "" || !errors.Is(err, chains.ErrUnavailable)) {
			return st, err // refused at once (the send is failed), or nothing signed
		}
		st.TxID = s.TxID
		return st, nil
	}
	st.TxID = s.TxID
	c, err := w.confirmOrResend(ctx, s)
	if errors.Is(err, ErrNotMined) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Done, st.Failed = true, c.Status == chains.SendFailed
	if st.Fee == nil {
		st.Fee = new(big.Int)
	}
	st.Fee.Add(st.Fee, feeOf(c))
	return st, nil
}

// confirmOrResend confirms s on the solidified chain, and broadcasts it again while
// it is not there (ErrNotMined).
func (w *Wallet) confirmOrResend(ctx context.Context, s chains.AccountSend) (chains.AccountSend, error) {
	c, err := w.Confirm(ctx, s.SpecID)
	if errors.Is(err, ErrNotMined) {
		if berr := w.broadcast(ctx, c, false); berr != nil {
			w.cfg.Logger.WarnContext(ctx, "tron: sent again, not taken", "send", s.SpecID, "tx", s.TxID, "err", berr)
		}
	}
	return c, err
}

// feeOf is what s burnt (0 when it burnt nothing, or never reached the chain).
func feeOf(s chains.AccountSend) *big.Int {
	if s.Fee == nil {
		return new(big.Int)
	}
	return new(big.Int).Set(s.Fee)
}

// topUp sends amount of TRX from the hot wallet to the deposit address to, if the hot
// wallet can pay it with its own fee (ErrHotWalletShort otherwise: nothing signed).
func (w *Wallet) topUp(ctx context.Context, id string, to keys.Address, amount *big.Int) (SweepState, error) {
	dest := mustAddress(to.Encoded)
	pl, err := w.plan(ctx, w.hot, w.cfg.Backend.native, dest, amount)
	if err != nil {
		return SweepState{}, err
	}
	have, err := w.balance(ctx, "/wallet", mustAddress(w.hot.Encoded), w.cfg.Backend.native)
	if err != nil {
		return SweepState{}, err
	}
	if need := new(big.Int).Add(amount, pl.maxFee); have.Cmp(need) < 0 {
		return SweepState{}, fmt.Errorf("%w: it has %s sun, the top-up needs %s", ErrHotWalletShort, have, need)
	}
	s, err := w.send(ctx, id, "gas", w.hot, w.cfg.Backend.native, dest, amount)
	if s.TxID == "" {
		return SweepState{}, err
	}
	if err != nil && !errors.Is(err, chains.ErrUnavailable) {
		return SweepState{GasTx: s.TxID, Gas: s.Amount}, err
	}
	return SweepState{GasTx: s.TxID, Gas: s.Amount}, nil
}

func mustAddress(s string) Address {
	a, err := ParseAddress(s)
	if err != nil {
		panic(fmt.Sprintf("tron: our own address %q: %v", s, err))
	}
	return a
}

// Confirm checks the latest attempt of id against the solidified chain and records
// the outcome: SendConfirmed, or SendFailed for a transaction that failed (a reverted
// or out-of-energy call), with what it burnt, which is booked (a sweep's or a
// top-up's: a payout's fee is booked by the payout, from the watcher's record). A transaction not
// solidified is ErrNotMined, unless it expired without being mined: then it is
// failed, with nothing burnt, and ErrExpired.
func (w *Wallet) Confirm(ctx context.Context, id string) (chains.AccountSend, error) {
	s, found, err := w.latest(ctx, id)
	if err != nil {
		return s, err
	}
	if !found {
		return s, fmt.Errorf("%w: no send %q", ErrBadSpec, id)
	}
	if s.Status == chains.SendConfirmed || s.Status == chains.SendFailed {
		return s, nil
	}
	var info txInfo
	if err := w.cfg.Backend.call(ctx, "/walletsolidity/gettransactioninfobyid", map[string]any{"value": s.TxID}, &info); err != nil {
		return s, err
	}
	if info.ID == "" {
		return s, w.expired(ctx, s)
	}
	if info.Fee < 0 {
		return s, fmt.Errorf("%w: tron: info of %s has fee %d", chains.ErrUnavailable, s.TxID, info.Fee)
	}
	s.Fee, s.Status = big.NewInt(info.Fee), chains.SendConfirmed
	if info.Result == "FAILED" || (info.Receipt.Result != "" && info.Receipt.Result != "SUCCESS") {
		s.Status = chains.SendFailed
	}
	err = w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		if err := tx.SetAccountSendStatus(ctx, w.net, id, s.Attempt, s.Status, s.Fee); err != nil {
			return err
		}
		if w.cfg.Book == nil || s.Fee.Sign() == 0 || s.Kind == "payout" { // a payout's fee is the payout's to book
			return nil
		}
		return w.cfg.Book(ctx, tx, chains.FeeSpent{Network: w.net, Key: fmt.Sprintf("tron-fee:%s:%s", w.net.Mode, s.TxID),
			Asset: w.cfg.Backend.native, Amount: s.Fee, What: fmt.Sprintf("%s %s", s.Kind, s.TxID)})
	})
	return s, err
}

// Expired implements chains.Expirer: the send stored under id expired unmined, as the
// solidified chain proves (Confirm's ErrExpired, now or before: a send failed with
// nothing burnt).
func (w *Wallet) Expired(ctx context.Context, id string) (bool, error) {
	s, err := w.Confirm(ctx, id)
	switch {
	case errors.Is(err, ErrExpired):
		return true, nil
	case errors.Is(err, ErrNotMined):
		return false, nil
	case err != nil:
		return false, err
	}
	return s.Status == chains.SendFailed && s.Fee == nil, nil
}

// expiryMargin is how far past a transaction's expiration the solidified block must
// be before it is taken as never mined: a block may take a transaction while its
// parent is older than the expiration, so the block itself may be a little newer.
const expiryMargin = 60 * time.Second

// expired returns ErrNotMined for a send not yet solidified, or, when the solidified
// block is well past its expiration (expiryMargin: so every block that could have
// taken it is solidified) and then, asked again, neither the solidified chain nor the
// head knows it, marks it failed and returns ErrExpired. The order matters: asked
// before the solidified block passed the margin, "unknown" proves nothing.
func (w *Wallet) expired(ctx context.Context, s chains.AccountSend) error {
	raw, _, err := ParseSigned(s.Raw)
	if err != nil {
		return err
	}
	r, err := UnmarshalRaw(raw)
	if err != nil {
		return err
	}
	var blk nodeBlock
	if err := w.cfg.Backend.call(ctx, "/walletsolidity/getnowblock", struct{}{}, &blk); err != nil {
		return err
	}
	if blk.Header.Raw.Timestamp <= r.Expiration+expiryMargin.Milliseconds() {
		return ErrNotMined
	}
	for _, api := range []string{"/walletsolidity", "/wallet"} {
		var info txInfo
		if err := w.cfg.Backend.call(ctx, api+"/gettransactioninfobyid", map[string]any{"value": s.TxID}, &info); err != nil {
			return err
		}
		if info.ID != "" {
			return ErrNotMined // mined after all: the next Confirm records it
		}
	}
	if err := w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		return tx.SetAccountSendStatus(ctx, w.net, s.SpecID, s.Attempt, chains.SendFailed, nil)
	}); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s expired at %d", ErrExpired, s.TxID, r.Expiration)
}
