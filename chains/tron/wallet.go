package tron

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
)

// Wallet errors.
var (
	ErrBadSpec = errors.New("tron: invalid payout")
	// ErrInsufficientFunds: the hot wallet does not hold what a payout needs now (the
	// amount, or the TRX its fees may burn); nothing was signed. It is a
	// chains.ErrWalletShort, so a Gateway that sweeps lets the payout wait for sweeps.
	ErrInsufficientFunds error = shortError("tron: insufficient funds in the hot wallet")
	ErrRejected                = errors.New("tron: the node rejected the transaction")
	ErrFeeLimit                = errors.New("tron: the energy the transfer needs costs more than the fee limit allows")
	// ErrReverts: the token transfer would revert (the sender lacks the tokens).
	ErrReverts = errors.New("tron: the token transfer reverts")
)

type shortError string

func (e shortError) Error() string        { return string(e) }
func (e shortError) Is(target error) bool { return target == chains.ErrWalletShort }

// WalletConfig configures a Wallet.
type WalletConfig struct {
	Backend *Backend
	Keyring *keys.Keyring
	Update  chains.Runner[chains.WalletTx]
	View    chains.Runner[chains.WalletTx]
	// Follow hands a payout's transaction just signed to the running watcher, before
	// it is broadcast (chains.WalletConfig.Follow).
	Follow func(t chains.Sent)
	// Book books what a sweep, a top-up or a failed payout burnt, in the wallet's
	// transaction (chains.WalletConfig.Book); nil books nothing.
	Book func(ctx context.Context, tx chains.WalletTx, f chains.FeeSpent) error
	// MaxFeeLimit bounds the fee_limit of a token transfer, in sun: the most its
	// energy may burn. Default 100 TRX; a transfer whose estimated energy costs more
	// is refused (ErrFeeLimit) rather than sent.
	MaxFeeLimit int64
	// EnergyMargin is added to the energy triggerconstantcontract estimates, in
	// percent, for the fee limit (default 20).
	EnergyMargin int64
	// Expiration is how long a signed transaction stays valid (default 12 h; Tron
	// allows at most 24 h): the stored bytes are broadcast again until then.
	Expiration time.Duration
	// Now is the clock of raw_data's timestamp (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Wallet signs and broadcasts TRX and TRC20 transfers from the hot wallet (branch 1,
// index 0 of the Tron account). It builds raw_data itself (Raw.Marshal: reference
// block from the node's head, expiration, fee limit), so no node-built transaction is
// signed; every transaction is stored before it is broadcast (wallet/broadcasthex),
// and a retry sends the stored bytes again, never a second signature.
//
// Fees follow Tron's resource model: bandwidth (the transaction's bytes at
// getTransactionFee, unless the account's free or staked bandwidth covers them),
// the activation of a new account by a TRX transfer (getCreateNewAccountFeeInSystemContract
// plus getCreateAccountFee), and a contract call's energy (estimated with
// triggerconstantcontract, less the energy the account has staked or been delegated,
// at getEnergyFee). What a transaction burnt is read from its info once mined.
type Wallet struct {
	cfg WalletConfig
	net chains.NetworkRef
	hot keys.Address

	mu        sync.Mutex
	lastStamp int64 // the last raw_data timestamp given (stamp)
}

// stamp is a raw_data timestamp, in ms: the clock's, and above every one this wallet
// gave before. Tron has no nonce: two transfers alike in everything else (the same
// amount to the same address, on the same reference block) differ by it, so they
// are two transactions, not one id.
func (w *Wallet) stamp() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastStamp = max(w.cfg.Now().UnixMilli(), w.lastStamp+1)
	return w.lastStamp
}

// NewWallet returns a wallet for the backend's network.
func NewWallet(cfg WalletConfig) (*Wallet, error) {
	if cfg.Backend == nil || cfg.Keyring == nil || cfg.Update == nil || cfg.View == nil {
		return nil, errors.New("tron: wallet needs Backend, Keyring, Update and View")
	}
	if cfg.Keyring.WatchOnly() {
		return nil, keys.ErrWatchOnly
	}
	if cfg.MaxFeeLimit <= 0 {
		cfg.MaxFeeLimit = 100 * sunPerTRX
	}
	if cfg.EnergyMargin <= 0 {
		cfg.EnergyMargin = 20
	}
	switch {
	case cfg.Expiration < 0 || cfg.Expiration > MaxExpiration:
		return nil, fmt.Errorf("tron: Expiration %s: want 0 (12 h) up to %s (java-tron takes at most 24 h)", cfg.Expiration, MaxExpiration)
	case cfg.Expiration == 0:
		cfg.Expiration = 12 * time.Hour
	}
	if cfg.Follow == nil {
		cfg.Follow = func(chains.Sent) {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := &Wallet{cfg: cfg, net: cfg.Backend.net}
	var err error
	if w.hot, err = cfg.Keyring.Address(asset.FamilyTron, w.net.Mode, keys.Change, 0); err != nil {
		return nil, err
	}
	return w, nil
}

const sunPerTRX = 1_000_000

// MaxExpiration bounds WalletConfig.Expiration: java-tron refuses a transaction that
// expires more than 24 h after its head block.
const MaxExpiration = 23 * time.Hour

// FeeAsset is the asset code fees are paid in: TRX.
func (w *Wallet) FeeAsset() string { return w.cfg.Backend.native }

// HotAddress is the address payouts are sent from.
func (w *Wallet) HotAddress() string { return w.hot.Encoded }

// params are the chain parameters fees are computed from, in sun.
type params struct {
	transactionFee, energyFee, createAccountFee, activationFee int64
}

func (w *Wallet) params(ctx context.Context) (params, error) {
	var out struct {
		ChainParameter []struct {
			Key   string `json:"key"`
			Value int64  `json:"value"`
		} `json:"chainParameter"`
	}
	if err := w.cfg.Backend.call(ctx, "/wallet/getchainparameters", struct{}{}, &out); err != nil {
		return params{}, err
	}
	var p params
	for _, kv := range out.ChainParameter {
		switch kv.Key {
		case "getTransactionFee":
			p.transactionFee = kv.Value
		case "getEnergyFee":
			p.energyFee = kv.Value
		case "getCreateAccountFee":
			p.createAccountFee = kv.Value
		case "getCreateNewAccountFeeInSystemContract":
			p.activationFee = kv.Value
		}
	}
	const most = 1_000_000_000 // sun: far above any price Tron has had
	if p.transactionFee <= 0 || p.energyFee <= 0 || p.transactionFee > most || p.energyFee > most ||
		p.createAccountFee < 0 || p.createAccountFee > most || p.activationFee < 0 || p.activationFee > most {
		return params{}, fmt.Errorf("%w: tron: getchainparameters: fees out of range (%+v)", chains.ErrUnavailable, p)
	}
	return p, nil
}

// resources is what an account can spend without burning TRX.
type resources struct {
	exists    bool
	bandwidth int64 // free and staked bytes left
	energy    int64 // staked and delegated energy left
}

func (w *Wallet) resources(ctx context.Context, a Address) (resources, error) {
	var acc struct {
		Address string `json:"address"`
	}
	if err := w.cfg.Backend.call(ctx, "/wallet/getaccount", map[string]any{"address": a.Hex()}, &acc); err != nil {
		return resources{}, err
	}
	if acc.Address == "" {
		return resources{}, nil // not activated
	}
	var r struct {
		FreeNetLimit int64 `json:"freeNetLimit"`
		FreeNetUsed  int64 `json:"freeNetUsed"`
		NetLimit     int64 `json:"NetLimit"`
		NetUsed      int64 `json:"NetUsed"`
		EnergyLimit  int64 `json:"EnergyLimit"`
		EnergyUsed   int64 `json:"EnergyUsed"`
	}
	if err := w.cfg.Backend.call(ctx, "/wallet/getaccountresource", map[string]any{"address": a.Hex()}, &r); err != nil {
		return resources{}, err
	}
	return resources{exists: true, bandwidth: max(0, r.FreeNetLimit-r.FreeNetUsed) + max(0, r.NetLimit-r.NetUsed),
		energy: max(0, r.EnergyLimit-r.EnergyUsed)}, nil
}

// energy asks the node what a transfer of amount of token to to from owner would
// use (triggerconstantcontract).
func (w *Wallet) energy(ctx context.Context, owner, token, to Address, amount *big.Int) (int64, error) {
	data, err := TransferData(to, amount)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadSpec, err)
	}
	var out struct {
		Result struct {
			Result  bool   `json:"result"`
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"result"`
		EnergyUsed  int64 `json:"energy_used"`
		Transaction struct {
			Ret []struct {
				Ret string `json:"ret"`
			} `json:"ret"`
		} `json:"transaction"`
	}
	if err := w.cfg.Backend.call(ctx, "/wallet/triggerconstantcontract", map[string]any{"owner_address": owner.Hex(),
		"contract_address": token.Hex(), "function_selector": "transfer(address,uint256)",
		"parameter": hex.EncodeToString(data[4:])}, &out); err != nil {
		return 0, err
	}
	msg := out.Result.Message
	if b, err := hex.DecodeString(msg); err == nil {
		msg = string(b)
	}
	// java-tron answers a call that reverts with result true, the transaction's ret
	// FAILED and a message ("REVERT opcode executed"); some versions with result false.
	reverted := len(out.Transaction.Ret) > 0 && out.Transaction.Ret[0].Ret == "FAILED"
	if reverted || strings.Contains(msg, "REVERT") {
		return 0, fmt.Errorf("%w: %s", ErrReverts, msg)
	}
	if !out.Result.Result {
		return 0, fmt.Errorf("%w: tron: triggerconstantcontract: %s %s", chains.ErrUnavailable, out.Result.Code, msg)
	}
	if out.EnergyUsed <= 0 || out.EnergyUsed > 100_000_000 {
		return 0, fmt.Errorf("%w: tron: triggerconstantcontract reported %d energy", chains.ErrUnavailable, out.EnergyUsed)
	}
	return out.EnergyUsed, nil
}

// bandwidthOf is the bytes a signed transaction of raw's size uses: the serialized
// Transaction (raw_data and a 65-byte signature, with their tags) and the 64 bytes
// java-tron counts for its result.
func bandwidthOf(rawLen int) int64 {
	return int64(1+len(appendVarintLen(rawLen))+rawLen) + 2 + 65 + 64
}

func appendVarintLen(n int) []byte {
	var b []byte
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}

// plan is a transfer priced and ready to sign.
type plan struct {
	raw    Raw
	maxFee *big.Int // the most it may burn, in sun
	// bandwidthFee is the part of maxFee its bytes may burn, energyFee the part its
	// energy may (a token transfer: the energy the sender's own does not cover).
	bandwidthFee, energyFee int64
}

// plan prices a transfer of amount of code from the address from to to, and builds
// its raw_data: the solidified block as reference (every node behind a load
// balancer has it), an expiration Expiration after the head's time, a timestamp of
// its own (stamp). A token transfer's fee limit is its whole estimated energy (plus
// EnergyMargin) at getEnergyFee: java-tron caps all the energy a call uses by it,
// the sender's own staked or delegated energy included, and burns TRX only for the
// energy its own does not cover.
func (w *Wallet) plan(ctx context.Context, from keys.Address, code string, to Address, amount *big.Int) (plan, error) {
	owner, err := ParseAddress(from.Encoded)
	if err != nil {
		return plan{}, err
	}
	p, err := w.params(ctx)
	if err != nil {
		return plan{}, err
	}
	var head, solid nodeBlock
	if err := w.cfg.Backend.call(ctx, "/wallet/getnowblock", struct{}{}, &head); err != nil {
		return plan{}, err
	}
	if err := w.cfg.Backend.call(ctx, "/walletsolidity/getnowblock", struct{}{}, &solid); err != nil {
		return plan{}, err
	}
	headRef, err := head.ref()
	if err != nil {
		return plan{}, err
	}
	ref, err := solid.ref()
	if err != nil {
		return plan{}, err
	}
	id, err := hex.DecodeString(ref.Hash)
	if err != nil || len(id) != 32 {
		return plan{}, fmt.Errorf("%w: tron: block id %q", chains.ErrUnavailable, ref.Hash)
	}
	r := Raw{Owner: owner, Timestamp: w.stamp(), Expiration: headRef.Time.Add(w.cfg.Expiration).UnixMilli()}
	r.RefBlockBytes, r.RefBlockHash = RefBlock(int64(ref.Height), [32]byte(id))
	own, err := w.resources(ctx, owner)
	if err != nil {
		return plan{}, err
	}
	var fee, energyFee int64
	if code == w.cfg.Backend.native {
		if !amount.IsInt64() {
			return plan{}, fmt.Errorf("%w: amount too large", ErrBadSpec)
		}
		r.Type, r.To, r.Amount = TransferContract, to, amount.Int64()
		dest, err := w.resources(ctx, to)
		if err != nil {
			return plan{}, err
		}
		if !dest.exists {
			fee = p.activationFee + p.createAccountFee
		}
	} else {
		tok, ok := w.token(code)
		if !ok {
			return plan{}, fmt.Errorf("%w: %s is not served on %s", ErrBadSpec, code, w.net)
		}
		energy, err := w.energy(ctx, owner, tok.contract, to, amount)
		if err != nil {
			return plan{}, err
		}
		energy = energy * (100 + w.cfg.EnergyMargin) / 100
		r.FeeLimit = energy * p.energyFee
		if r.FeeLimit > w.cfg.MaxFeeLimit {
			return plan{}, fmt.Errorf("%w: %d sun, the bound is %d", ErrFeeLimit, r.FeeLimit, w.cfg.MaxFeeLimit)
		}
		energyFee = max(0, energy-own.energy) * p.energyFee
		r.Type, r.To = TriggerSmartContract, tok.contract
		if r.Data, err = TransferData(to, amount); err != nil {
			return plan{}, fmt.Errorf("%w: %v", ErrBadSpec, err)
		}
		fee = energyFee
	}
	raw, err := r.Marshal()
	if err != nil {
		return plan{}, err
	}
	var bwFee int64
	if bw := bandwidthOf(len(raw)); fee < p.activationFee || code != w.cfg.Backend.native {
		// An activating transfer's bytes are paid by getCreateAccountFee instead.
		if own.bandwidth < bw {
			bwFee = bw * p.transactionFee
		}
	}
	return plan{raw: r, maxFee: big.NewInt(fee + bwFee), bandwidthFee: bwFee, energyFee: energyFee}, nil
}

func (w *Wallet) token(code string) (token, bool) {
	for _, t := range w.cfg.Backend.tokens {
		if t.code == code {
			return t, true
		}
	}
	return token{}, false
}

// estimateTo prices a destination-less estimate as the costliest: an address that
// holds nothing (a new account, a new token holder).
var estimateTo = AddressFromEVM([20]byte(func() []byte { h := sha256.Sum256([]byte("kassa tron estimate")); return h[:20] }()))

// EstimateFee is the most a payout of amount of code to to ("" for the costliest
// destination) should burn now, in sun.
func (w *Wallet) EstimateFee(ctx context.Context, code, to string, amount *big.Int) (*big.Int, error) {
	dest := estimateTo
	if to != "" {
		var err error
		if dest, err = ParseAddress(to); err != nil {
			return nil, err
		}
	}
	if amount == nil || amount.Sign() <= 0 {
		amount = big.NewInt(1)
	}
	pl, err := w.plan(ctx, w.hot, code, dest, amount)
	if errors.Is(err, ErrReverts) {
		// The hot wallet lacks the tokens now (sweeps may bring them): price the
		// transfer as one to a new holder would cost.
		return w.estimateWithoutBalance(ctx)
	}
	if err != nil {
		return nil, err
	}
	return pl.maxFee, nil
}

// estimateWithoutBalance prices a token payout the node cannot estimate because the
// hot wallet lacks the tokens now: TokenEnergyBound energy (a transfer to a new holder,
// with room), plus EnergyMargin, at getEnergyFee, and the bytes of a transfer.
func (w *Wallet) estimateWithoutBalance(ctx context.Context) (*big.Int, error) {
	p, err := w.params(ctx)
	if err != nil {
		return nil, err
	}
	energy := TokenEnergyBound * (100 + w.cfg.EnergyMargin) / 100
	return big.NewInt(energy*p.energyFee + bandwidthOf(200)*p.transactionFee), nil
}

// TokenEnergyBound is the energy a TRC20 transfer is priced at when the node cannot
// estimate it (mainnet USDT to a new holder takes about 130,000).
const TokenEnergyBound = 150_000

// Send pays spec from the hot wallet. The first call with an id prices, builds, signs,
// stores and broadcasts; later calls broadcast the stored bytes again.
func (w *Wallet) Send(ctx context.Context, spec chains.PayoutSpec) (chains.AccountSend, error) {
	if spec.ID == "" || len(spec.ID) > 200 {
		return chains.AccountSend{}, fmt.Errorf("%w: id must be 1..200 bytes", ErrBadSpec)
	}
	to, err := ParseAddress(spec.To)
	if err != nil {
		return chains.AccountSend{}, err
	}
	if spec.Amount == nil || spec.Amount.Sign() <= 0 {
		return chains.AccountSend{}, fmt.Errorf("%w: amount must be positive", ErrBadSpec)
	}
	if to.String() == w.hot.Encoded {
		return chains.AccountSend{}, fmt.Errorf("%w: the hot wallet cannot pay itself", ErrBadSpec)
	}
	return w.send(ctx, spec.ID, "payout", w.hot, spec.Asset, to, spec.Amount)
}

// send signs (once per id), stores and broadcasts a transfer of amount of code from
// the address from to to; later calls with the id broadcast the stored bytes again. A
// payout's is followed from the storage transaction that stores it on
// (chains.WalletConfig.Follow), and is signed only if the hot wallet holds the amount
// and the TRX its fees may burn (ErrInsufficientFunds otherwise).
func (w *Wallet) send(ctx context.Context, id, kind string, from keys.Address, code string, to Address, amount *big.Int) (chains.AccountSend, error) {
	s, found, err := w.latest(ctx, id)
	if err != nil {
		return chains.AccountSend{}, err
	}
	if found {
		return s, w.broadcast(ctx, s, false)
	}
	pl, err := w.plan(ctx, from, code, to, amount)
	if errors.Is(err, ErrReverts) && kind == "payout" {
		return chains.AccountSend{}, fmt.Errorf("%w: %v", ErrInsufficientFunds, err)
	}
	if err != nil {
		return chains.AccountSend{}, err
	}
	if kind == "payout" {
		if err := w.funded(ctx, code, amount, pl.maxFee); err != nil {
			return chains.AccountSend{}, err
		}
	}
	signed, err := w.sign(id, kind, from, code, amount, pl)
	if err != nil {
		return chains.AccountSend{}, err
	}
	err = w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		s, found = signed, false // a rerun (PostgreSQL retries conflicts) starts afresh
		if prev, ok, err := tx.LatestAccountSend(ctx, w.net, id); err != nil || ok {
			s, found = prev, ok
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
		return chains.AccountSend{}, err
	}
	if found { // another caller stored it first: its bytes
		return s, w.broadcast(ctx, s, false)
	}
	if kind == "payout" {
		w.cfg.Follow(chains.Sent{TxID: s.TxID})
	}
	return s, w.broadcast(ctx, s, true)
}

// funded checks that the hot wallet holds amount of code and the TRX fee may burn.
func (w *Wallet) funded(ctx context.Context, code string, amount, fee *big.Int) error {
	hot, err := ParseAddress(w.hot.Encoded)
	if err != nil {
		return err
	}
	trx, err := w.balance(ctx, "/wallet", hot, w.cfg.Backend.native)
	if err != nil {
		return err
	}
	needTRX := new(big.Int).Set(fee)
	if code == w.cfg.Backend.native {
		needTRX.Add(needTRX, amount)
	} else {
		have, err := w.balance(ctx, "/wallet", hot, code)
		if err != nil {
			return err
		}
		if have.Cmp(amount) < 0 {
			return fmt.Errorf("%w: it holds %s of %s, the payout is %s", ErrInsufficientFunds, have, code, amount)
		}
	}
	if trx.Cmp(needTRX) < 0 {
		return fmt.Errorf("%w: it holds %s sun, the payout needs %s with its fees", ErrInsufficientFunds, trx, needTRX)
	}
	return nil
}

// sign signs pl, a transfer from the address from, as the send id.
func (w *Wallet) sign(id, kind string, from keys.Address, code string, amount *big.Int, pl plan) (chains.AccountSend, error) {
	key, err := w.cfg.Keyring.SigningKey(asset.FamilyTron, w.net.Mode, from.Branch, from.Index)
	if err != nil {
		return chains.AccountSend{}, err
	}
	raw, err := pl.raw.Marshal()
	if err != nil {
		return chains.AccountSend{}, err
	}
	txid := TxID(raw)
	sig := Sign(txid, key)
	if signer, err := Signer(txid, sig); err != nil || signer != pl.raw.Owner {
		return chains.AccountSend{}, fmt.Errorf("tron: the signature recovers %s, not %s: %v", signer, pl.raw.Owner, err)
	}
	to := pl.raw.To
	if pl.raw.Type == TriggerSmartContract {
		to, _, _ = ParseTransferData(pl.raw.Data)
	}
	return chains.AccountSend{Network: w.net, SpecID: id, Kind: kind, From: from.Encoded, To: to.String(),
		Asset: code, Amount: new(big.Int).Set(amount), TxID: hex.EncodeToString(txid[:]), Raw: Signed(raw, sig),
		MaxFee: pl.maxFee, Status: chains.SendSigned, At: time.Now().UTC()}, nil
}

// broadcast sends the stored bytes (wallet/broadcasthex). fresh says they were
// signed by this very call, never sent before: only then is the node's refusal final
// (the send is marked failed, ErrRejected), and DUP_TRANSACTION_ERROR means another
// transaction has the same id (so this one is refused too). Sent before, they may be
// mined already (java-tron checks the expiration, and forgets ids, before it checks
// for duplicates): a refusal is then not final (Confirm decides on the solidified
// chain), and DUP_TRANSACTION_ERROR is success.
func (w *Wallet) broadcast(ctx context.Context, s chains.AccountSend, fresh bool) error {
	switch s.Status {
	case chains.SendConfirmed, chains.SendReplaced:
		return nil
	case chains.SendFailed:
		return fmt.Errorf("%w: %s was refused", ErrRejected, s.TxID)
	}
	var out struct {
		Result  bool   `json:"result"`
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if err := w.cfg.Backend.call(ctx, "/wallet/broadcasthex", map[string]any{"transaction": hex.EncodeToString(s.Raw)}, &out); err != nil {
		return fmt.Errorf("broadcast %s: %w", s.TxID, err)
	}
	if !out.Result && (out.Code != "DUP_TRANSACTION_ERROR" || fresh) {
		msg := out.Message
		if b, err := hex.DecodeString(msg); err == nil {
			msg = string(b)
		}
		switch out.Code {
		case "CONTRACT_VALIDATE_ERROR", "BANDWITH_ERROR", "SIGERROR", "TAPOS_ERROR", "TRANSACTION_EXPIRATION_ERROR",
			"TOO_BIG_TRANSACTION_ERROR", "CONTRACT_EXE_ERROR", "DUP_TRANSACTION_ERROR":
			if !fresh {
				return fmt.Errorf("%w: broadcast %s again: %s: %s", chains.ErrUnavailable, s.TxID, out.Code, msg)
			}
		default: // SERVER_BUSY, NO_CONNECTION, NOT_ENOUGH_EFFECTIVE_CONNECTION, OTHER_ERROR
			return fmt.Errorf("%w: broadcast %s: %s: %s", chains.ErrUnavailable, s.TxID, out.Code, msg)
		}
		if err := w.setStatus(ctx, s, chains.SendSigned, chains.SendFailed); err != nil {
			return err
		}
		return fmt.Errorf("%w: %s: %s", ErrRejected, out.Code, msg)
	}
	return w.setStatus(ctx, s, chains.SendSigned, chains.SendBroadcast)
}

// setStatus moves s's stored status from from to to, and leaves any other as it is
// (a Confirm in between).
func (w *Wallet) setStatus(ctx context.Context, s chains.AccountSend, from, to chains.SendStatus) error {
	return w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		cur, ok, err := tx.LatestAccountSend(ctx, w.net, s.SpecID)
		if err != nil || !ok || cur.Attempt != s.Attempt || cur.Status != from {
			return err
		}
		return tx.SetAccountSendStatus(ctx, w.net, s.SpecID, s.Attempt, to, nil)
	})
}

// latest returns the latest attempt of id.
func (w *Wallet) latest(ctx context.Context, id string) (s chains.AccountSend, found bool, err error) {
	err = w.cfg.View(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		s, found, err = tx.LatestAccountSend(ctx, w.net, id)
		return err
	})
	return s, found, err
}
