package evm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
)

// Wallet errors.
var (
	ErrBadSpec                 = errors.New("invalid payout")
	ErrInsufficientFunds error = shortError("insufficient funds in the hot wallet")
	ErrRejected                = errors.New("the node rejected the transaction")
	ErrNotMined                = errors.New("transaction is not mined yet")
)

// SendStatus is the state of a stored EVM send attempt (chains.SendStatus).
type SendStatus = chains.SendStatus

// Send states.
const (
	SendSigned    = chains.SendSigned
	SendBroadcast = chains.SendBroadcast
	SendConfirmed = chains.SendConfirmed // mined and succeeded
	SendFailed    = chains.SendFailed    // mined and reverted (gas spent), or rejected
	SendReplaced  = chains.SendReplaced  // superseded by a fee bump
)

// Send is one signed attempt of a payout, sweep or gas top-up (chains.AccountSend).
type Send = chains.AccountSend

// WalletConfig configures a Wallet.
type WalletConfig struct {
	Backend *Backend
	Keyring *keys.Keyring
	Update  chains.Runner[chains.WalletTx]
	View    chains.Runner[chains.WalletTx]
	// Book books the gas of what is not a successful payout (sweeps, top-ups, reverted
	// payouts) in the wallet's transaction; nil books nothing (tests of the wallet alone).
	Book func(ctx context.Context, tx chains.WalletTx, f chains.FeeSpent) error
	// Follow hands a payout's transaction just signed to the running watcher, before
	// it is broadcast (chains.WalletConfig.Follow).
	Follow func(t chains.Sent)
	// MaxFeePerGas bounds the fee cap of any transaction (wei; default 500 gwei).
	MaxFeePerGas *big.Int
	// GasMargin is added to estimates, in percent (default 20).
	GasMargin int
	Logger    *slog.Logger
	// beforeBroadcast is a test hook: an error from it stops after the signed
	// transaction is stored, as a crash would.
	beforeBroadcast func() error
}

// Wallet signs and broadcasts EIP-1559 transactions from Kassa's EVM keys: payouts
// from the hot wallet (branch 1, index 0 of the EVM account), and sweeps of deposit
// addresses into it. Every transaction is stored before it is broadcast; a retry, or
// Rebroadcast after a crash, sends the stored bytes again and never signs a second
// transaction for the same id. Nonces are kept in storage per sending address.
type Wallet struct {
	cfg WalletConfig
	net chains.NetworkRef
	hot keys.Address
}

// NewWallet returns a wallet for the backend's network.
func NewWallet(cfg WalletConfig) (*Wallet, error) {
	if cfg.Backend == nil || cfg.Keyring == nil || cfg.Update == nil || cfg.View == nil {
		return nil, errors.New("evm: wallet needs Backend, Keyring, Update and View")
	}
	if cfg.Keyring.WatchOnly() {
		return nil, keys.ErrWatchOnly
	}
	if cfg.MaxFeePerGas == nil {
		cfg.MaxFeePerGas = new(big.Int).Mul(big.NewInt(500), big.NewInt(1_000_000_000))
	}
	if cfg.GasMargin <= 0 {
		cfg.GasMargin = 20
	}
	if cfg.Follow == nil {
		cfg.Follow = func(chains.Sent) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := &Wallet{cfg: cfg, net: cfg.Backend.net}
	var err error
	if w.hot, err = cfg.Keyring.Address(asset.FamilyEVM, w.net.Mode, keys.Change, 0); err != nil {
		return nil, err
	}
	return w, nil
}

// FeeAsset is the asset code fees are paid in: the network's coin.
func (w *Wallet) FeeAsset() string { return w.cfg.Backend.native }

// HotAddress is the address payouts are sent from and sweeps go to.
func (w *Wallet) HotAddress() string { return w.hot.Encoded }

// fees returns the tip and the fee cap for a new transaction: the node's suggested
// tip, and twice the latest base fee plus the tip, bounded by MaxFeePerGas.
func (w *Wallet) fees(ctx context.Context) (tip, feeCap *big.Int, err error) {
	var t hexutil.Big
	if err := w.cfg.Backend.rpc.CallContext(ctx, &t, "eth_maxPriorityFeePerGas"); err != nil {
		return nil, nil, fmt.Errorf("%w: eth_maxPriorityFeePerGas: %v", chains.ErrUnavailable, err)
	}
	var head struct {
		BaseFee *hexutil.Big `json:"baseFeePerGas"`
	}
	if err := w.cfg.Backend.rpc.CallContext(ctx, &head, "eth_getBlockByNumber", "latest", false); err != nil {
		return nil, nil, fmt.Errorf("%w: latest block: %v", chains.ErrUnavailable, err)
	}
	if head.BaseFee == nil {
		return nil, nil, errors.New("evm: the network has no EIP-1559 base fee")
	}
	tip = t.ToInt()
	feeCap = new(big.Int).Add(new(big.Int).Mul(head.BaseFee.ToInt(), big.NewInt(2)), tip)
	if feeCap.Cmp(w.cfg.MaxFeePerGas) > 0 {
		feeCap = new(big.Int).Set(w.cfg.MaxFeePerGas)
	}
	if tip.Cmp(feeCap) > 0 {
		tip = new(big.Int).Set(feeCap)
	}
	return tip, feeCap, nil
}

// tokenTransferGas is what an ERC-20 transfer to a fresh holder typically uses (USDT
// about 63,000); the margin of WalletConfig.GasMargin comes on top.
const tokenTransferGas = 65_000

// EstimateFee is the most a payout of code from the hot wallet should cost now, in
// wei: the gas of a typical transfer plus the margin, times the fee cap Send would
// sign with. The fee actually paid (gas used times the effective price) is lower or
// equal for a standard token.
func (w *Wallet) EstimateFee(ctx context.Context, code string) (*big.Int, error) {
	gas := uint64(plainTransferGas)
	if code != w.cfg.Backend.native {
		if _, _, err := w.callFor(code, w.hot.Encoded, big.NewInt(1)); err != nil {
			return nil, err
		}
		gas = tokenTransferGas
	}
	_, feeCap, err := w.fees(ctx)
	if err != nil {
		return nil, err
	}
	gas = gas * uint64(100+w.cfg.GasMargin) / 100
	return new(big.Int).Mul(new(big.Int).SetUint64(gas), feeCap), nil
}

// call is one transfer to build: native value or a token transfer.
type call struct {
	to    common.Address // transaction recipient (the token contract for tokens)
	value *big.Int
	data  []byte
	gas   uint64 // known gas (a plain transfer to our own address); 0 means estimate
	// feeCap and tip, when set, are signed instead of the node's current fees.
	feeCap, tip *big.Int
}

// plainTransferGas is the gas of a value transfer to an account without code.
const plainTransferGas = 21_000

func (w *Wallet) callFor(code, to string, amount *big.Int) (call, string, error) {
	if code == w.cfg.Backend.native {
		return call{to: common.HexToAddress(to), value: new(big.Int).Set(amount)}, code, nil
	}
	for addr, t := range w.cfg.Backend.tokens {
		if t.code == code {
			return call{to: addr, value: new(big.Int), data: transferData(common.HexToAddress(to), amount)}, code, nil
		}
	}
	return call{}, "", fmt.Errorf("%w: %s is not an asset of %s", ErrBadSpec, code, w.net)
}

// transferData is ERC-20 transfer(to, amount) calldata.
func transferData(to common.Address, amount *big.Int) []byte {
	data := append([]byte{0xa9, 0x05, 0x9c, 0xbb}, common.LeftPadBytes(to.Bytes(), 32)...)
	return append(data, common.LeftPadBytes(amount.Bytes(), 32)...)
}

// Send pays spec from the hot wallet. The first call with an id estimates gas, takes
// the next nonce, signs, stores and broadcasts; later calls with the same id broadcast
// the stored bytes of the latest attempt again.
func (w *Wallet) Send(ctx context.Context, spec chains.PayoutSpec) (chains.SentTx, error) {
	if spec.ID == "" || len(spec.ID) > 200 {
		return chains.SentTx{}, fmt.Errorf("%w: id must be 1..200 bytes", ErrBadSpec)
	}
	if err := ValidateAddress(spec.To); err != nil {
		return chains.SentTx{}, err
	}
	if spec.Amount == nil || spec.Amount.Sign() <= 0 {
		return chains.SentTx{}, fmt.Errorf("%w: amount must be positive", ErrBadSpec)
	}
	c, code, err := w.callFor(spec.Asset, spec.To, spec.Amount)
	if err != nil {
		return chains.SentTx{}, err
	}
	s, err := w.send(ctx, spec.ID, "payout", w.hot, spec.To, code, spec.Amount, c)
	if s.TxID == "" {
		return chains.SentTx{}, err
	}
	// Signed and stored: the caller gets its hash even if broadcasting failed.
	return chains.SentTx{TxID: s.TxID, Raw: s.Raw, Fee: s.MaxFee}, err
}

// send signs (once per id), stores and broadcasts a transaction from key from. A
// payout's is followed from the storage transaction that stores it on
// (chains.WalletConfig.Follow).
func (w *Wallet) send(ctx context.Context, id, kind string, from keys.Address, to, code string, amount *big.Int, c call) (Send, error) {
	p, err := w.latest(ctx, id)
	if err != nil {
		return Send{}, err
	}
	var s Send
	found := p != nil
	if found {
		s = *p
	} else {
		tip, feeCap := c.tip, c.feeCap
		if feeCap == nil {
			var err error
			if tip, feeCap, err = w.fees(ctx); err != nil {
				return Send{}, err
			}
		}
		gas := c.gas
		if gas == 0 {
			if gas, err = w.estimate(ctx, from.Encoded, c); err != nil {
				return Send{}, err
			}
		}
		var pending hexutil.Uint64
		if err := w.cfg.Backend.rpc.CallContext(ctx, &pending, "eth_getTransactionCount", from.Encoded, "pending"); err != nil {
			return Send{}, fmt.Errorf("%w: nonce: %v", chains.ErrUnavailable, err)
		}
		err = w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
			s, found = Send{}, false // a rerun (PostgreSQL retries conflicts) starts afresh
			if prev, ok, err := tx.LatestAccountSend(ctx, w.net, id); err != nil || ok {
				s, found = prev, ok
				return err
			}
			nonce, err := tx.NextNonce(ctx, w.net, from.Encoded, uint64(pending))
			if err != nil {
				return err
			}
			s, err = w.sign(from, id, kind, to, code, amount, c, nonce, gas, tip, feeCap, 0)
			if err != nil {
				return err
			}
			if kind == "payout" {
				if err := tx.FollowTx(ctx, w.net, chains.Sent{TxID: s.TxID}); err != nil {
					return err
				}
			}
			return tx.InsertAccountSend(ctx, s)
		})
		if err != nil {
			return Send{}, err
		}
		if !found && kind == "payout" {
			w.cfg.Follow(chains.Sent{TxID: s.TxID})
		}
	}
	return s, w.broadcast(ctx, s)
}

func (w *Wallet) estimate(ctx context.Context, from string, c call) (uint64, error) {
	msg := map[string]any{"from": from, "to": c.to, "value": (*hexutil.Big)(c.value)}
	if len(c.data) > 0 {
		msg["data"] = hexutil.Bytes(c.data)
	}
	var gas hexutil.Uint64
	if err := w.cfg.Backend.rpc.CallContext(ctx, &gas, "eth_estimateGas", msg); err != nil {
		if strings.Contains(err.Error(), "insufficient funds") || strings.Contains(err.Error(), "revert") {
			return 0, fmt.Errorf("%w: %v", ErrInsufficientFunds, err)
		}
		return 0, fmt.Errorf("%w: eth_estimateGas: %v", chains.ErrUnavailable, err)
	}
	return uint64(gas) * uint64(100+w.cfg.GasMargin) / 100, nil
}

func (w *Wallet) sign(from keys.Address, id, kind, to, code string, amount *big.Int, c call, nonce, gas uint64, tip, feeCap *big.Int, attempt int) (Send, error) {
	key, err := w.cfg.Keyring.SigningKey(asset.FamilyEVM, w.net.Mode, from.Branch, from.Index)
	if err != nil {
		return Send{}, err
	}
	signed, err := types.SignNewTx(key.ToECDSA(), types.LatestSignerForChainID(w.cfg.Backend.chainID), &types.DynamicFeeTx{
		ChainID: w.cfg.Backend.chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: gas,
		To: &c.to, Value: c.value, Data: c.data,
	})
	if err != nil {
		return Send{}, err
	}
	raw, err := signed.MarshalBinary()
	if err != nil {
		return Send{}, err
	}
	return Send{Network: w.net, SpecID: id, Attempt: attempt, Kind: kind, From: from.Encoded, To: to, Asset: code,
		Amount: new(big.Int).Set(amount), Nonce: nonce, TxID: signed.Hash().Hex(), Raw: raw,
		MaxFee: new(big.Int).Mul(new(big.Int).SetUint64(gas), feeCap), Status: SendSigned, At: time.Now().UTC()}, nil
}

// broadcast sends the stored bytes; "already known" is success.
func (w *Wallet) broadcast(ctx context.Context, s Send) error {
	switch s.Status {
	case SendConfirmed, SendFailed, SendReplaced:
		return nil // settled: nothing to send
	}
	if w.cfg.beforeBroadcast != nil {
		if err := w.cfg.beforeBroadcast(); err != nil {
			return err
		}
	}
	var h common.Hash
	err := w.cfg.Backend.rpc.CallContext(ctx, &h, "eth_sendRawTransaction", hexutil.Bytes(s.Raw))
	if err != nil {
		msg := strings.ToLower(err.Error())
		switch {
		case strings.Contains(msg, "already known"):
			// Ours is in the pool.
		case strings.Contains(msg, "nonce too low"):
			// A transaction with this nonce is mined (Confirm tells whether ours), or
			// the node's pool is behind its chain for a moment (geth answers this
			// while it resets after a block): then ours is nowhere, so try again later.
			var mined hexutil.Uint64
			if err := w.cfg.Backend.rpc.CallContext(ctx, &mined, "eth_getTransactionCount", common.HexToAddress(s.From), "latest"); err != nil {
				return fmt.Errorf("%w: broadcast %s: %v", chains.ErrUnavailable, s.TxID, err)
			}
			if uint64(mined) <= s.Nonce {
				return fmt.Errorf("%w: broadcast %s: the node said nonce too low but has mined only %d", chains.ErrUnavailable, s.TxID, mined)
			}
		case strings.Contains(msg, "insufficient funds"):
			return fmt.Errorf("%w: %v", ErrInsufficientFunds, err)
		default:
			return fmt.Errorf("%w: broadcast %s: %v", chains.ErrUnavailable, s.TxID, err)
		}
	}
	if s.Status == SendSigned {
		return w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
			return tx.SetAccountSendStatus(ctx, w.net, s.SpecID, s.Attempt, SendBroadcast, nil)
		})
	}
	return nil
}

// Rebroadcast broadcasts every stored attempt that is not settled (after a crash).
func (w *Wallet) Rebroadcast(ctx context.Context) error {
	var open []Send
	if err := w.cfg.View(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		var err error
		open, err = tx.OpenAccountSends(ctx, w.net)
		return err
	}); err != nil {
		return err
	}
	var errs []error
	for _, s := range open {
		if err := w.broadcast(ctx, s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.SpecID, err))
		}
	}
	return errors.Join(errs...)
}

// Bump re-signs the latest attempt of id with the same nonce and fees raised by 12.5%
// (geth needs at least 10% on both caps), stores it (running record in that storage
// transaction: chains.Bumper) and broadcasts it. Use it for a transaction stuck in
// the mempool.
func (w *Wallet) Bump(ctx context.Context, id string, record func(ctx context.Context, tx chains.WalletTx, next chains.SentTx) error) (Send, error) {
	prev, err := w.existing(ctx, id)
	if err != nil {
		return Send{}, err
	}
	if prev.Status != SendSigned && prev.Status != SendBroadcast {
		return Send{}, fmt.Errorf("%w: send %q is %s", ErrBadSpec, id, prev.Status)
	}
	var old types.Transaction
	if err := old.UnmarshalBinary(prev.Raw); err != nil {
		return Send{}, err
	}
	bump := raiseFee
	if prev.From != w.hot.Encoded {
		return Send{}, fmt.Errorf("%w: only hot wallet sends can be bumped", ErrBadSpec)
	}
	from := w.hot
	var next Send
	err = w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		var err error
		next, err = w.sign(from, id, prev.Kind, prev.To, prev.Asset, prev.Amount, call{to: *old.To(), value: old.Value(), data: old.Data()},
			prev.Nonce, old.Gas(), bump(old.GasTipCap()), bump(old.GasFeeCap()), prev.Attempt+1)
		if err != nil {
			return err
		}
		if err := tx.SetAccountSendStatus(ctx, w.net, id, prev.Attempt, SendReplaced, nil); err != nil {
			return err
		}
		if next.Kind == "payout" {
			// Followed like the first: whichever of the two is mined is the payout's.
			if err := tx.FollowTx(ctx, w.net, chains.Sent{TxID: next.TxID}); err != nil {
				return err
			}
		}
		if err := tx.InsertAccountSend(ctx, next); err != nil {
			return err
		}
		if record == nil {
			return nil
		}
		return record(ctx, tx, chains.SentTx{TxID: next.TxID, Raw: next.Raw})
	})
	if err != nil {
		return Send{}, err
	}
	if next.Kind == "payout" {
		w.cfg.Follow(chains.Sent{TxID: next.TxID})
	}
	return next, w.broadcast(ctx, next)
}

// Confirm checks the latest attempt of id and records the outcome: SendConfirmed, or
// SendFailed for a reverted transaction, with the fee actually paid. It returns
// ErrNotMined while it is not mined.
func (w *Wallet) Confirm(ctx context.Context, id string) (Send, error) {
	s, err := w.existing(ctx, id)
	if err != nil {
		return Send{}, err
	}
	if s.Status == SendConfirmed || s.Status == SendFailed {
		return s, nil
	}
	var r *rpcReceipt
	if err := w.cfg.Backend.rpc.CallContext(ctx, &r, "eth_getTransactionReceipt", s.TxID); err != nil {
		return s, fmt.Errorf("%w: receipt: %v", chains.ErrUnavailable, err)
	}
	if r == nil {
		return s, ErrNotMined
	}
	s.Fee = new(big.Int).Mul(new(big.Int).SetUint64(uint64(r.GasUsed)), r.EffectiveGasPrice.ToInt())
	s.Status = SendConfirmed
	if r.Status != 1 {
		s.Status = SendFailed
	}
	err = w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		if err := tx.SetAccountSendStatus(ctx, w.net, id, s.Attempt, s.Status, s.Fee); err != nil {
			return err
		}
		// A successful payout's amount and fee are booked by the payout service with its
		// hold; everything else spent gas that only this wallet knows of.
		if s.Kind != "payout" || s.Status == SendFailed {
			return w.bookFee(ctx, tx, s)
		}
		return nil
	})
	return s, err
}

// bookFee reports the gas a transaction spent to the Gateway's booking function, in
// the transaction that records its outcome.
func (w *Wallet) bookFee(ctx context.Context, tx chains.WalletTx, s Send) error {
	if w.cfg.Book == nil {
		return nil
	}
	return w.cfg.Book(ctx, tx, chains.FeeSpent{Network: w.net, Key: fmt.Sprintf("evm-fee:%s:%s:%s", w.net.ID, w.net.Mode, s.TxID),
		Asset: w.cfg.Backend.native, Amount: s.Fee, What: fmt.Sprintf("gas of %s %s", s.Kind, s.TxID)})
}

// shortError is an error that is also chains.ErrWalletShort (errors.Is).
type shortError string

func (e shortError) Error() string        { return string(e) }
func (e shortError) Is(target error) bool { return target == chains.ErrWalletShort }

// ErrHotWalletShort is returned by a token sweep whose gas top-up the hot wallet
// cannot pay yet (nothing is signed: try again once it has the coin).
var ErrHotWalletShort = errors.New("the hot wallet cannot pay the gas top-up yet")

// ErrNotWorth is returned by a sweep whose gas would exceed MaxFeeShare of the value.
var ErrNotWorth = errors.New("sweeping this amount costs too large a share of it in gas")

// Deposit is money sitting on one of our deposit addresses, to sweep.
type Deposit struct {
	Address keys.Address // a receive address of the EVM account
	Asset   string
	Amount  *big.Int // what to move: the confirmed deposits not yet swept
	// ID names the sweep: its transactions are signed once per ID (the treasury's
	// record id). Empty: derived from the address, asset and amount.
	ID string
}

// SweepNative moves a deposit of the native coin to the hot wallet: the amount minus
// the most its gas can cost (21,000 x fee cap). It refuses (ErrNotWorth) when that gas
// exceeds maxShare percent of the amount.
func (w *Wallet) SweepNative(ctx context.Context, d Deposit, maxShare int64) (Send, error) {
	if d.Asset != w.cfg.Backend.native || d.Amount == nil || d.Amount.Sign() <= 0 {
		return Send{}, fmt.Errorf("%w: native sweep of %s", ErrBadSpec, d.Asset)
	}
	id := d.sweepID()
	if p, err := w.latest(ctx, id); err != nil || p != nil {
		if p == nil {
			return Send{}, err
		}
		return *p, w.broadcast(ctx, *p) // signed before: the same transaction, whatever fees do now
	}
	_, feeCap, err := w.fees(ctx)
	if err != nil {
		return Send{}, err
	}
	gasCost, err := nativeSweepCost(feeCap, d.Amount, maxShare)
	if err != nil {
		return Send{}, err
	}
	value := new(big.Int).Sub(d.Amount, gasCost)
	return w.send(ctx, id, "sweep", d.Address, w.hot.Encoded, d.Asset, value,
		call{to: common.HexToAddress(w.hot.Encoded), value: value, gas: plainTransferGas})
}

// SweepToken moves a token deposit to the hot wallet in two steps: the first call
// sends the deposit address the gas it needs from the hot wallet (refused with
// ErrHotWalletShort, nothing signed, when the hot wallet cannot pay it); once that
// is mined, the next call sends the tokens, signed with the top-up's fee cap so that
// the top-up always covers it. It returns the send of the step it took (its Kind says
// which), sends the stored top-up again while it is not mined, and is idempotent for
// the same deposit (Deposit.ID).
func (w *Wallet) SweepToken(ctx context.Context, d Deposit) (Send, error) {
	c, code, err := w.callFor(d.Asset, w.hot.Encoded, d.Amount)
	if err != nil || code == w.cfg.Backend.native || d.Amount == nil || d.Amount.Sign() <= 0 {
		return Send{}, fmt.Errorf("%w: token sweep of %s", ErrBadSpec, d.Asset)
	}
	id := d.sweepID()
	gasID := "gas:" + id
	gs, err := w.latest(ctx, gasID)
	if err != nil {
		return Send{}, err
	}
	if gs == nil {
		_, feeCap, err := w.fees(ctx)
		if err != nil {
			return Send{}, err
		}
		gas, err := w.estimate(ctx, d.Address.Encoded, c)
		if err != nil {
			return Send{}, err
		}
		topUp := new(big.Int).Mul(new(big.Int).SetUint64(gas), feeCap)
		// Signed only if the hot wallet can pay it: a top-up it cannot pay would hold
		// the hot wallet's next nonce, and every payout behind it.
		var bal hexutil.Big
		if err := w.cfg.Backend.rpc.CallContext(ctx, &bal, "eth_getBalance", common.HexToAddress(w.hot.Encoded), "pending"); err != nil {
			return Send{}, fmt.Errorf("%w: eth_getBalance: %v", chains.ErrUnavailable, err)
		}
		need := new(big.Int).Add(topUp, new(big.Int).Mul(big.NewInt(plainTransferGas), feeCap))
		if bal.ToInt().Cmp(need) < 0 {
			return Send{}, fmt.Errorf("%w: it has %s wei, the top-up needs %s", ErrHotWalletShort, bal.ToInt(), need)
		}
		return w.send(ctx, gasID, "gas", w.hot, d.Address.Encoded, w.cfg.Backend.native, topUp,
			call{to: common.HexToAddress(d.Address.Encoded), value: topUp, gas: plainTransferGas})
	}
	if gs.Status != SendConfirmed {
		if err := w.broadcast(ctx, *gs); err != nil { // dropped by the node, or never sent: send it again
			w.cfg.Logger.WarnContext(ctx, "evm: gas top-up not sent", "send", gasID, "tx", gs.TxID, "err", err)
		}
		st, err := w.Confirm(ctx, gasID)
		if errors.Is(err, ErrNotMined) {
			return st, nil // on its way: the tokens go once it is mined
		}
		if err != nil {
			return *gs, err
		}
		if st.Status != SendConfirmed {
			return st, fmt.Errorf("%w: gas top-up %s failed", ErrRejected, st.TxID)
		}
		gs = &st
	}
	// The top-up paid gas x fee cap of its own signing: the tokens go with that cap.
	var top types.Transaction
	if err := top.UnmarshalBinary(gs.Raw); err != nil {
		return Send{}, err
	}
	c.feeCap, c.tip = top.GasFeeCap(), top.GasTipCap()
	c.gas = new(big.Int).Div(gs.Amount, c.feeCap).Uint64()
	return w.send(ctx, id, "sweep", d.Address, w.hot.Encoded, code, d.Amount, c)
}

// nativeSweepCost is the most a native sweep of amount can cost at feeCap (21,000 x
// fee cap); ErrNotWorth when that is more than maxShare percent of it.
func nativeSweepCost(feeCap, amount *big.Int, maxShare int64) (*big.Int, error) {
	gasCost := new(big.Int).Mul(big.NewInt(plainTransferGas), feeCap)
	if new(big.Int).Mul(gasCost, big.NewInt(100)).Cmp(new(big.Int).Mul(amount, big.NewInt(maxShare))) > 0 {
		return nil, fmt.Errorf("%w: gas up to %s for %s", ErrNotWorth, gasCost, amount)
	}
	return gasCost, nil
}

// SweepWorth says whether sweeping units of code now is worth its fee: for the native
// coin, its gas at most maxShare percent of it (ErrNotWorth otherwise); a token is
// swept from its threshold on (the caller's).
func (w *Wallet) SweepWorth(ctx context.Context, code string, units *big.Int, maxShare int64) error {
	if code != w.cfg.Backend.native {
		return nil
	}
	_, feeCap, err := w.fees(ctx)
	if err != nil {
		return err
	}
	_, err = nativeSweepCost(feeCap, units, maxShare)
	return err
}

// sweepID is the send id of a deposit's sweep ("gas:" + it for a token's top-up).
func (d Deposit) sweepID() string {
	if d.ID != "" {
		return "sweep:" + d.ID
	}
	return fmt.Sprintf("sweep:%s:%s:%s", strings.ToLower(d.Address.Encoded), d.Asset, d.Amount)
}

// existing returns the latest attempt of id, or ErrBadSpec if there is none.
func (w *Wallet) existing(ctx context.Context, id string) (Send, error) {
	p, err := w.latest(ctx, id)
	if err != nil {
		return Send{}, err
	}
	if p == nil {
		return Send{}, fmt.Errorf("%w: no send %q", ErrBadSpec, id)
	}
	return *p, nil
}

// latest returns the latest attempt of id, nil if there is none.
func (w *Wallet) latest(ctx context.Context, id string) (*Send, error) {
	var s Send
	var found bool
	err := w.cfg.View(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		var err error
		s, found, err = tx.LatestAccountSend(ctx, w.net, id)
		return err
	})
	if err != nil || !found {
		return nil, err
	}
	return &s, nil
}

// ConfirmedBalance is what addr holds of code at the block confirmations deep (the
// tip counts as one): the deposits that far down, without any still confirming.
func (w *Wallet) ConfirmedBalance(ctx context.Context, addr, code string, confirmations int) (*big.Int, error) {
	var tip hexutil.Uint64
	if err := w.cfg.Backend.rpc.CallContext(ctx, &tip, "eth_blockNumber"); err != nil {
		return nil, fmt.Errorf("%w: eth_blockNumber: %v", chains.ErrUnavailable, err)
	}
	height := int64(tip) - int64(max(confirmations, 1)) + 1
	if height < 0 {
		return new(big.Int), nil
	}
	at := hexutil.EncodeUint64(uint64(height))
	if code == w.cfg.Backend.native {
		var b hexutil.Big
		if err := w.cfg.Backend.rpc.CallContext(ctx, &b, "eth_getBalance", common.HexToAddress(addr), at); err != nil {
			return nil, fmt.Errorf("%w: eth_getBalance: %v", chains.ErrUnavailable, err)
		}
		return b.ToInt(), nil
	}
	for contract, t := range w.cfg.Backend.tokens {
		if t.code != code {
			continue
		}
		data := append([]byte{0x70, 0xa0, 0x82, 0x31}, common.LeftPadBytes(common.HexToAddress(addr).Bytes(), 32)...) // balanceOf(addr)
		var out hexutil.Bytes
		if err := w.cfg.Backend.rpc.CallContext(ctx, &out, "eth_call", map[string]any{"to": contract, "data": hexutil.Bytes(data)}, at); err != nil {
			return nil, fmt.Errorf("%w: balanceOf: %v", chains.ErrUnavailable, err)
		}
		if len(out) != 32 {
			return nil, fmt.Errorf("evm: balanceOf of %s answered %d bytes", code, len(out))
		}
		return new(big.Int).SetBytes(out), nil
	}
	return nil, fmt.Errorf("%w: %s is not an asset of %s", ErrBadSpec, code, w.net)
}

// SweepStep takes the next step of sweeping units of code from the deposit address d
// to the hot wallet and says where the sweep stands: the native coin in one
// transaction (SweepNative), a token in two (SweepToken: the gas, then the tokens).
// Called again with the same deposit it confirms what it sent and goes on; Done once
// the sweep's transaction is mined (Failed if it reverted), with Fee, what all its
// transactions cost (each booked by Confirm).
func (w *Wallet) SweepStep(ctx context.Context, d Deposit, maxShare int64) (SweepState, error) {
	var st SweepState
	var s Send
	var err error
	if d.Asset == w.cfg.Backend.native {
		s, err = w.SweepNative(ctx, d, maxShare)
	} else {
		s, err = w.SweepToken(ctx, d)
	}
	if err != nil {
		return st, err
	}
	if s.Kind == "gas" {
		st.GasTx, st.Gas = s.TxID, s.Amount
		return st, nil // the tokens go once the gas is mined
	}
	if s.TxID == "" {
		return st, nil
	}
	st.TxID = s.TxID
	if d.Asset != w.cfg.Backend.native {
		if g, err := w.latest(ctx, "gas:"+s.SpecID); err == nil && g != nil {
			st.GasTx, st.Gas = g.TxID, g.Amount
			if g.Fee != nil {
				st.Fee = new(big.Int).Set(g.Fee)
			}
		}
	}
	c, err := w.Confirm(ctx, s.SpecID)
	if errors.Is(err, ErrNotMined) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Done, st.Failed = true, c.Status == SendFailed
	if st.Fee == nil {
		st.Fee = new(big.Int)
	}
	st.Fee.Add(st.Fee, c.Fee)
	return st, nil
}

// SweepState is where a sweep's transactions stand (SweepStep).
type SweepState struct {
	GasTx, TxID  string
	Gas          *big.Int // what the gas top-up sent (a token's sweep)
	Done, Failed bool
	Fee          *big.Int
}

// raiseFee is a replacement's fee cap or tip: v + 12.5%, rounded up, and at least one
// wei more, so that a tip of a few wei (devnets, L2s) rises too and the node does not
// refuse the replacement as underpriced.
func raiseFee(v *big.Int) *big.Int {
	up := new(big.Int).Mul(v, big.NewInt(1125))
	up.Add(up, big.NewInt(999)).Div(up, big.NewInt(1000))
	if least := new(big.Int).Add(v, big.NewInt(1)); up.Cmp(least) < 0 {
		return least
	}
	return up
}
