package payout

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"sync"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// Notifier sends a one-time code to the owner (SMTPNotifier, NotifierFunc).
type Notifier interface {
	Notify(ctx context.Context, p *Payout, code string) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, p *Payout, code string) error

// Notify implements Notifier.
func (f NotifierFunc) Notify(ctx context.Context, p *Payout, code string) error {
	return f(ctx, p, code)
}

// Config configures a Service.
type Config struct {
	Assets *asset.Registry
	Keys   *keys.Keyring
	Update chains.Runner[Tx] // read-write transactions
	View   chains.Runner[Tx] // read-only transactions
	// Wallets returns the wallet that pays out on a network in a mode.
	Wallets func(n chains.NetworkRef) (chains.Wallet, bool)
	// Rates values payouts in USD for the approval threshold (stablecoins need none).
	Rates invoice.Rater
	// ApprovalUSD: payouts worth this much or more wait for a one-time code (default
	// 5,000). A payout whose value cannot be known waits too. A mass payout is held
	// as a whole when its total reaches it.
	ApprovalUSD decimal.Decimal
	// WindowUSD and Window bound what leaves without a code: when the payouts of a
	// mode that went out without one in the last Window (default 24 h), plus the new
	// payout or batch, reach WindowUSD (default ApprovalUSD), the new one waits for a
	// code too. Splitting a large amount into small payouts therefore gains nothing.
	WindowUSD decimal.Decimal
	Window    time.Duration
	// ServiceFeePercent is kept from every payout for the operator (default 0).
	ServiceFeePercent decimal.Decimal
	// Notifier sends codes; without one, codes are logged at WARN (local use only).
	Notifier Notifier
	// FundsWait is how long a payout the ledger covers waits for the chain wallet's
	// funds to become spendable (chains.ErrFundsUnconfirmed: its own change not yet
	// confirmed; or FundsShort) before it fails with its hold released (default 1 h).
	FundsWait time.Duration
	// CheckCustomer, if set, checks a customer_id (customer.Service.Resolve).
	CheckCustomer func(ctx context.Context, m asset.Mode, id string) (ok bool, err error)
	// CheckSubMerchant, if set, checks a sub_merchant_id (submerchant.Service.Check:
	// "" or an active sub-merchant of the mode; a refusal is a
	// *validation.FieldError).
	CheckSubMerchant func(ctx context.Context, m asset.Mode, id string) error
	// FundsShort, if set, says that a wallet's refusal means its funds are short for
	// now (an EVM hot wallet that sweeps will fill): the payout waits up to FundsWait
	// instead of failing at once.
	FundsShort func(err error) bool
	// BumpAfter, if positive, is how long a broadcast payout's transaction may stay
	// unmined before Step replaces it by fee (Bump), and again after as long, up to
	// MaxAutoBumps times per transaction signed; 0 bumps only on request.
	BumpAfter time.Duration
	// Follow hands a payout's transaction, once its broadcast is recorded, to the
	// running chain watcher of its network, which reports it back to Apply.
	Follow func(n chains.NetworkRef, t chains.Sent)
	// FollowFor is how long a completed payout's transaction is still followed, in
	// case a reorg takes it out of the chain (default 24 h).
	FollowFor time.Duration
	// Approver, if set, may require verification of any payout (manual review).
	Approver func(ctx context.Context, p *Payout) bool
	// Changed, if set, is told of every change of a payout that pays a refund
	// (Payout.RefundID), inside the storage transaction that stores it: the refund
	// follows its payout in the same commit.
	Changed func(ctx context.Context, tx Tx, p *Payout) error
	Now     func() time.Time
	Logger  *slog.Logger
}

// Service manages payouts.
type Service struct {
	cfg Config
	// resent: payout id -> when its unmined transaction was last sent again.
	resent sync.Map
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Assets == nil || cfg.Keys == nil || cfg.Update == nil || cfg.View == nil || cfg.Wallets == nil {
		return nil, errors.New("payout: Assets, Keys, Update, View and Wallets are required")
	}
	if cfg.ApprovalUSD.IsZero() {
		cfg.ApprovalUSD = decimal.NewFromInt(5000)
	}
	if cfg.WindowUSD.IsZero() {
		cfg.WindowUSD = cfg.ApprovalUSD
	}
	if cfg.Window <= 0 {
		cfg.Window = 24 * time.Hour
	}
	if cfg.Follow == nil {
		cfg.Follow = func(chains.NetworkRef, chains.Sent) {}
	}
	if cfg.FollowFor <= 0 {
		cfg.FollowFor = 24 * time.Hour
	}
	if cfg.FundsWait <= 0 {
		cfg.FundsWait = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}, nil
}

// OperatorAccount receives service fees.
func OperatorAccount(m asset.Mode, code string) string {
	return "operator:" + string(m) + ":" + code + ":service"
}

// CreateParams create one payout.
type CreateParams struct {
	// RequestKey makes the create idempotent: a second create with the same key in
	// the same mode returns the first payout, even after a crash between the payout's
	// commit and the caller hearing of it. The API passes a digest of its
	// Idempotency-Key and the request, so a key reused later for another request is
	// not taken for a retry. Up to 255 characters; "" for none. In a batch,
	// MassParams.RequestKey is used instead.
	RequestKey  string
	Amount      decimal.Decimal
	Currency    string
	Network     string
	Destination string
	CustomerID  string
	Metadata    json.RawMessage
	// RefundID names the refund or rebound the payout pays (Hold); such a payout
	// carries no service fee.
	RefundID string
	// WalletID names the customer wallet the payout withdraws from (package wallet,
	// which checked it exists): the amount is held from the wallet's available
	// balance, with the network fee when it is paid in the same asset (a token's gas
	// comes from the merchant's coin). No service fee; the customer_id is the
	// wallet's and is not checked again.
	WalletID string
	// SubMerchantID pays the payout from that sub-merchant's balance (and its gas,
	// for a token, from its coin); "" from the operator's. Checked by
	// Config.CheckSubMerchant.
	SubMerchantID string
	// Internal marks a move of the merchant's money to an address the operator
	// configured in code (the treasury's cold storage): no one-time code (the Approver
	// is not asked either), not counted in the rolling window, no service fee. Never
	// set it from outside input.
	Internal bool
	// FeeOnTop adds the network fee to Amount when it is paid in the payout's own
	// asset: the merchant's balance gives up Amount plus the fee and the recipient
	// gets Amount. Without it the fee comes out of Amount. (A token's gas is held
	// apart in the network's coin either way.)
	FeeOnTop bool
}

// plan is a validated payout with its units, before storage.
type plan struct {
	p                      *Payout
	a, feeAsset            asset.Asset
	amount, fee, net, serv *big.Int
	sender                 chains.Wallet
	verify                 bool
	internal               bool
}

// checkCustomer checks a customer_id a merchant gave (CheckCustomer), adding a
// refusal to v under field; an error is the storage's. Refunds' payouts, which carry
// their invoice's customer_id (its customer may be gone since), are not checked.
func (s *Service) checkCustomer(ctx context.Context, m asset.Mode, id, field string, v *validation.Error) error {
	if id == "" || len(id) > 128 || s.cfg.CheckCustomer == nil {
		return nil
	}
	ok, err := s.cfg.CheckCustomer(ctx, m, id)
	if err == nil && !ok {
		v.Add(field, fmt.Errorf("%w: %s in %s mode", invoice.ErrUnknownCustomer, id, m))
	}
	return err
}

// checkSub checks a sub_merchant_id (CheckSubMerchant), adding a refusal to v; an
// error of another kind is the storage's.
func (s *Service) checkSub(ctx context.Context, m asset.Mode, id string, v *validation.Error) error {
	if id == "" || s.cfg.CheckSubMerchant == nil {
		return nil
	}
	var fe *validation.FieldError
	if err := s.cfg.CheckSubMerchant(ctx, m, id); errors.As(err, &fe) {
		v.Add(fe.Field, fe.Err)
	} else if err != nil {
		return err
	}
	return nil
}

// prepare validates one payout; errors are added to v under prefix.
func (s *Service) prepare(ctx context.Context, m asset.Mode, c CreateParams, prefix string, v *validation.Error) *plan {
	field := func(f string) string {
		if prefix == "" {
			return f
		}
		return prefix + "." + f
	}
	a, err := s.cfg.Assets.Parse(c.Currency, c.Network)
	if err != nil {
		v.Add(field("currency"), err)
		return nil
	}
	snd, ok := s.cfg.Wallets(chains.NetworkRef{ID: a.Network, Mode: m})
	if !ok && s.cfg.Keys.WatchOnly() {
		// A watch-only keyring pays out where its wallet takes signatures from
		// elsewhere (Bitcoin's PSBTs) and nowhere else.
		v.Add(field("currency"), fmt.Errorf("%w (on %s)", ErrWatchOnly, a.Network))
		return nil
	}
	if !ok {
		v.Add(field("network"), fmt.Errorf("%w: %s in %s mode", ErrNoSender, a.Network, m))
		return nil
	}
	feeAsset, _ := s.cfg.Assets.Get(snd.FeeAsset())
	pl := &plan{a: a, feeAsset: feeAsset, sender: snd}
	_, units, err := a.CheckPositive(c.Amount)
	if err != nil {
		v.Add(field("amount"), err)
	} else if c.Amount.LessThan(a.MinPayout) {
		v.Add(field("amount"), fmt.Errorf("%w (%s %s)", ErrBelowMinimum, a.MinPayout, a.Code))
	}
	pl.amount = units
	dest, err := s.validateAddress(ctx, snd, m, a, c.Destination)
	if err != nil {
		v.Add(field("destination_address"), err)
	}
	c.Destination = dest
	v.Add(field("metadata"), invoice.CheckMetadata(c.Metadata))
	if len(c.CustomerID) > 128 {
		v.Add(field("customer_id"), fmt.Errorf("%w: over 128 bytes", invoice.ErrTooLarge))
	}
	if v.Err() != nil || units == nil {
		return nil
	}
	fee, err := snd.EstimateFee(ctx, a.Code, c.Destination, units)
	if err != nil {
		v.Add(field("network"), fmt.Errorf("no fee estimate: %v", err))
		return nil
	}
	if limit, _ := feeAsset.ToBaseUnits(feeAsset.DefaultFee.Mul(decimal.NewFromInt(50))); fee.Cmp(limit) > 0 {
		v.Add(field("network"), fmt.Errorf("network fees are unusually high now (%s %s)", feeAsset.FromBaseUnits(fee), feeAsset.Code))
		return nil
	}
	pl.fee = fee
	if c.FeeOnTop && feeAsset.Code == a.Code {
		units = new(big.Int).Add(units, fee)
		pl.amount = units
	}
	hundred := decimal.NewFromInt(100)
	service := decimal.Zero
	if c.RefundID == "" && c.WalletID == "" && !c.Internal {
		service = asset.DivRoundUp(c.Amount.Mul(s.cfg.ServiceFeePercent), hundred, a.Decimals)
	}
	pl.serv, _ = a.ToBaseUnits(service)
	pl.net = new(big.Int).Sub(units, pl.serv)
	if feeAsset.Code == a.Code {
		pl.net.Sub(pl.net, fee)
	}
	if pl.net.Sign() <= 0 {
		v.Add(field("amount"), fmt.Errorf("%w: it does not cover the fees", ErrBelowMinimum))
		return nil
	}
	now := s.cfg.Now().UTC()
	pl.p = &Payout{ID: ids.New("po"), Mode: m, Status: StatusProcessing, Asset: a.Code, Currency: a.Currency, Network: a.Network,
		Destination: c.Destination, Amount: a.FromBaseUnits(units), ServiceFee: a.FromBaseUnits(pl.serv),
		EstimatedFee: feeAsset.FromBaseUnits(fee), FeeCurrency: feeAsset.Code, NetAmount: a.FromBaseUnits(pl.net),
		CustomerID: c.CustomerID, Metadata: c.Metadata, RefundID: c.RefundID, WalletID: c.WalletID, SubMerchantID: c.SubMerchantID, CreatedAt: now, UpdatedAt: now}
	pl.p.ValueUSD = s.valueUSD(ctx, pl.p)
	pl.internal = c.Internal
	pl.verify = !c.Internal && s.needsVerification(ctx, pl.p)
	return pl
}

// validateAddress checks addr for the wallet's network and returns its canonical
// spelling (chains.Wallet.CanonicalAddress), which the payout keeps. One of our own
// addresses, however it is written (bech32 in upper case, EVM hex without its checksum), is
// refused with ErrOwnAddress: the address book is searched by the canonical spelling,
// the one Kassa stores.
func (s *Service) validateAddress(ctx context.Context, snd chains.Wallet, m asset.Mode, a asset.Asset, addr string) (string, error) {
	canon, err := snd.CanonicalAddress(addr)
	if err != nil {
		return "", err
	}
	addr = canon
	n, _ := s.cfg.Assets.Network(a.Network)
	var own bool
	err = s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		_, found, err := tx.LookupAddress(ctx, n.Family, m, addr)
		own = found
		return err
	})
	if err != nil {
		return "", err
	}
	if own {
		return "", ErrOwnAddress
	}
	return addr, nil
}

// Create validates, holds and (unless it needs a code) broadcasts one payout. Bad input
// returns a *validation.Error and holds nothing; a node refusal returns
// *BroadcastError with the hold voided.
func (s *Service) Create(ctx context.Context, m asset.Mode, c CreateParams) (*Payout, error) {
	if p, err := s.byRequestKey(ctx, m, c.RequestKey); p != nil || err != nil {
		return p, err
	}
	var v validation.Error
	if c.WalletID == "" {
		if err := s.checkCustomer(ctx, m, c.CustomerID, "customer_id", &v); err != nil {
			return nil, err
		}
	}
	if err := s.checkSub(ctx, m, c.SubMerchantID, &v); err != nil {
		return nil, err
	}
	pl := s.prepare(ctx, m, c, "", &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	pl.p.RequestKey = c.RequestKey
	var first existing
	if err := s.store(ctx, []*plan{pl}, ""); errors.As(err, &first) {
		return first.p, nil
	} else if err != nil {
		return nil, err
	}
	return s.after(ctx, pl)
}

// existing is store's answer when a payout with the plan's request key exists.
type existing struct{ p *Payout }

func (e existing) Error() string { return "payout: request key already used by " + e.p.ID }

// byRequestKey returns the payout made with key (nil when key is "" or unused).
func (s *Service) byRequestKey(ctx context.Context, m asset.Mode, key string) (*Payout, error) {
	if key == "" {
		return nil, nil
	}
	if len(key) > 255 {
		return nil, validation.Field("request_key", invoice.ErrTooLarge)
	}
	var p *Payout
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		p, err = tx.PayoutByRequestKey(ctx, m, key)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// MassParams create a batch.
type MassParams struct {
	// RequestKey makes the batch idempotent like CreateParams.RequestKey: a second
	// CreateMass with it returns the first batch.
	RequestKey string
	// SubMerchantID is every destination's (CreateParams.SubMerchantID).
	SubMerchantID  string
	BatchReference string
	Destinations   []CreateParams
}

// CreateMass validates every destination before any is accepted, checks the funds of
// the whole batch per asset, and creates one payout per destination in one
// transaction: all or none.
func (s *Service) CreateMass(ctx context.Context, m asset.Mode, mp MassParams) (string, []*Payout, error) {
	if first, err := s.byRequestKey(ctx, m, requestKey(mp.RequestKey, 0)); err != nil {
		return "", nil, err
	} else if first != nil {
		return s.batch(ctx, m, first.BatchID)
	}
	var v validation.Error
	if len(mp.Destinations) == 0 || len(mp.Destinations) > 50 {
		v.Add("destinations", ErrTooManyDest)
		return "", nil, v.Err()
	}
	if len(mp.BatchReference) > 200 {
		v.Add("batch_reference", invoice.ErrTooLarge)
	}
	if err := s.checkSub(ctx, m, mp.SubMerchantID, &v); err != nil {
		return "", nil, err
	}
	var plans []*plan
	for i, d := range mp.Destinations {
		d.SubMerchantID = mp.SubMerchantID
		if err := s.checkCustomer(ctx, m, d.CustomerID, fmt.Sprintf("destinations[%d].customer_id", i), &v); err != nil {
			return "", nil, err
		}
		if pl := s.prepare(ctx, m, d, fmt.Sprintf("destinations[%d]", i), &v); pl != nil {
			plans = append(plans, pl)
		}
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	batch := ids.New("batch")
	for i, pl := range plans {
		pl.p.RequestKey = requestKey(mp.RequestKey, i)
	}
	held := s.holdBatch(plans)
	if held {
		for _, pl := range plans {
			pl.verify = true
		}
	}
	// Destinations on a network whose sender can batch share one transaction: those
	// that need no code, or all of them when the batch waits for its code as a whole.
	groups := map[asset.NetworkID][]*plan{}
	for _, pl := range plans {
		pl.p.BatchID, pl.p.BatchRef = batch, mp.BatchReference
		if _, ok := pl.sender.(chains.BatchWallet); ok && (held || !pl.verify) {
			groups[pl.a.Network] = append(groups[pl.a.Network], pl)
		}
	}
	for n, g := range groups {
		if len(g) < 2 {
			continue
		}
		for _, pl := range g {
			pl.p.SendID = batch + ":" + string(n)
		}
	}
	var first existing
	if err := s.store(ctx, plans, batch); errors.As(err, &first) {
		return s.batch(ctx, m, first.p.BatchID)
	} else if err != nil {
		return "", nil, err
	}
	errs := []error{s.sendCodes(ctx, plans)}
	done := map[string]bool{}
	for _, pl := range plans {
		switch {
		case pl.verify:
		case pl.p.SendID == "":
			if _, err := s.process(ctx, pl.p); err != nil {
				errs = append(errs, err)
			}
		case !done[pl.p.SendID]:
			done[pl.p.SendID] = true
			if _, err := s.process(ctx, pl.p); err != nil {
				errs = append(errs, err)
			}
		}
	}
	_, out, err := s.batch(ctx, m, batch)
	return batch, out, errors.Join(append(errs, err)...)
}

// batch returns the payouts of a batch.
func (s *Service) batch(ctx context.Context, m asset.Mode, id string) (string, []*Payout, error) {
	var out []*Payout
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, err = tx.BatchPayouts(ctx, m, id)
		return err
	})
	return id, out, err
}

// requestKey is the request key of a batch's i-th payout ("" without a key).
func requestKey(key string, i int) string {
	if key == "" {
		return ""
	}
	return key + "#" + strconv.Itoa(i)
}

// store creates the payouts and their holds in one transaction.
func (s *Service) store(ctx context.Context, plans []*plan, batch string) error {
	return s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		return s.hold(ctx, tx, plans, batch)
	})
}

// hold creates the payouts and their holds in tx.
func (s *Service) hold(ctx context.Context, tx Tx, plans []*plan, batch string) error {
	if k := plans[0].p.RequestKey; k != "" {
		// Checked again inside the transaction: two concurrent retries make one.
		p, err := tx.PayoutByRequestKey(ctx, plans[0].p.Mode, k)
		if err == nil {
			return existing{p}
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if err := s.approve(ctx, tx, plans[0].p.Mode, plans); err != nil {
		return err
	}
	for i, pl := range plans {
		m := pl.p.Mode
		for _, code := range []string{pl.a.Code, pl.feeAsset.Code} {
			if err := ledger.EnsureStandardAccounts(ctx, tx, m, code); err != nil {
				return err
			}
		}
		if err := ledger.EnsureAccount(ctx, tx, ledger.Account{Name: OperatorAccount(m, pl.a.Code), Asset: pl.a.Code, Mode: m, NonNegative: true}); err != nil {
			return err
		}
		// owner is whose balance code is held from: a wallet's asset from the wallet,
		// everything else (a token's gas too) from the payout's merchant: the
		// operator, or the sub-merchant it is for.
		owner := func(code string) ledger.Owner {
			if code == pl.a.Code && pl.p.WalletID != "" {
				return ledger.Owner{Wallet: pl.p.WalletID}
			}
			return ledger.Owner{Sub: pl.p.SubMerchantID}
		}
		if pl.p.WalletID != "" {
			if err := ledger.EnsureWalletAccounts(ctx, tx, m, pl.p.WalletID, pl.a.Code); err != nil {
				return err
			}
		}
		for _, code := range []string{pl.a.Code, pl.feeAsset.Code} {
			if err := ledger.EnsureSubAccounts(ctx, tx, m, pl.p.SubMerchantID, code); err != nil {
				return err
			}
		}
		for _, code := range []string{pl.a.Code, pl.feeAsset.Code} {
			// Locked, so that a reorg booking a deficit on another instance is seen,
			// not slipped past (a deadlock with it is detected and run again).
			deficit, err := tx.LockAccount(ctx, owner(code).Deficit(m, code))
			if err != nil {
				return err
			}
			if deficit.Balance.Sign() < 0 {
				f := "amount"
				if batch != "" {
					f = fmt.Sprintf("destinations[%d].amount", i)
				}
				a, _ := s.cfg.Assets.Get(code)
				return validation.Field(f, fmt.Errorf("%w: %s %s", ErrDeficit, a.FromBaseUnits(new(big.Int).Neg(deficit.Balance)), code))
			}
		}
		hold := func(id, code string, units *big.Int) error {
			err := ledger.PlaceHold(ctx, tx, id, owner(code).Available(m, code), owner(code).Holds(m, code), units)
			if errors.Is(err, ledger.ErrInsufficientFunds) {
				f := "amount"
				if batch != "" {
					f = fmt.Sprintf("destinations[%d].amount", i)
				}
				if code != pl.a.Code {
					err = fmt.Errorf("%w of %s for the network fee", ErrInsufficientFunds, code)
				} else {
					err = ErrInsufficientFunds
				}
				return validation.Field(f, err)
			}
			return err
		}
		if err := hold(holdID(pl.p), pl.a.Code, pl.amount); err != nil {
			return err
		}
		if pl.p.gasHold() {
			if err := hold(gasHoldID(pl.p), pl.feeAsset.Code, pl.fee); err != nil {
				return err
			}
		}
		if err := tx.InsertPayout(ctx, pl.p); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, pl.p, EventCreated); err != nil {
			return err
		}
		if pl.verify {
			if err := s.emit(ctx, tx, pl.p, EventPendingVerification); err != nil {
				return err
			}
		}
	}
	return nil
}

// Prepared is a payout validated by Prepare, not yet stored.
type Prepared struct{ pl *plan }

// Payout is the payout as it will be stored (its Status says whether it waits for a
// code once Hold has decided).
func (pp *Prepared) Payout() *Payout { return pp.pl.p }

// Prepare validates a payout and estimates its fee, as Create does, and stores
// nothing: the caller then holds it with Hold inside its own storage transaction
// (refunds: the refund, its limit and the payout's hold commit together) and, once
// that committed, sends it with Release. Bad input is a *validation.Error.
func (s *Service) Prepare(ctx context.Context, m asset.Mode, c CreateParams) (*Prepared, error) {
	var v validation.Error
	pl := s.prepare(ctx, m, c, "", &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return &Prepared{pl: pl}, nil
}

// Hold decides whether the prepared payout waits for a code (the approval threshold
// and window apply), places its holds and stores it, in tx. Insufficient funds are a
// *validation.Error naming "amount".
func (s *Service) Hold(ctx context.Context, tx Tx, pp *Prepared) error {
	// A rerun (PostgreSQL retries conflicts) decides again; a code asked for by the
	// rolling window on a first run is still asked for (the safe side).
	pp.pl.p.Approval, pp.pl.p.Status = "", StatusProcessing
	return s.hold(ctx, tx, []*plan{pp.pl}, "")
}

// Release sends the one-time code of a held payout that waits for one, or signs and
// broadcasts it (a node refusal: *BroadcastError, the hold voided). Call it once
// Hold's transaction committed.
func (s *Service) Release(ctx context.Context, pp *Prepared) (*Payout, error) {
	return s.after(ctx, pp.pl)
}

// after sends the code of a payout that needs one, or broadcasts it.
func (s *Service) after(ctx context.Context, pl *plan) (*Payout, error) {
	if pl.verify {
		return pl.p, s.sendCodes(ctx, []*plan{pl})
	}
	return s.process(ctx, pl.p)
}

const codeLifetime = 10 * time.Minute

func codeHash(id, code string) []byte {
	h := sha256.Sum256([]byte(id + ":" + code))
	return h[:]
}

// sendCodes makes one 6-digit code for every plan that waits for verification (a
// batch is approved with one code), stores its hash per payout and sends it once,
// naming the first of them.
func (s *Service) sendCodes(ctx context.Context, plans []*plan) error {
	var wait []*Payout
	for _, pl := range plans {
		if pl.verify {
			wait = append(wait, pl.p)
		}
	}
	if len(wait) == 0 {
		return nil
	}
	var b [8]byte
	rand.Read(b[:])
	code := fmt.Sprintf("%06d", binary.BigEndian.Uint64(b[:])%1_000_000)
	expires := s.cfg.Now().Add(codeLifetime)
	if err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		for _, p := range wait {
			if err := tx.SetPayoutCode(ctx, p.ID, codeHash(p.ID, code), expires); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if s.cfg.Notifier == nil {
		s.cfg.Logger.WarnContext(ctx, "payout: verification code (no notifier configured)", "payout", wait[0].ID,
			"batch", wait[0].BatchID, "payouts", len(wait), "code", code)
		return nil
	}
	return s.cfg.Notifier.Notify(ctx, wait[0], code)
}

// Verify checks the one-time code of a payout waiting for it: right, the payout is
// broadcast; wrong, ErrBadCode (the fifth wrong code cancels it); late, ErrCodeExpired
// and the payout is cancelled. Cancelling voids the hold. The payouts of a batch that
// waited for one code together are released (or cancelled) together: verifying any
// of them verifies all.
func (s *Service) Verify(ctx context.Context, m asset.Mode, id, code string) (*Payout, error) {
	var p *Payout
	var released []*Payout
	var verr error
	err := s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		released, verr = nil, nil // a rerun (PostgreSQL retries conflicts) starts afresh
		var err error
		if p, err = tx.GetPayout(ctx, m, id); err != nil {
			return err
		}
		if p.Status != StatusPendingVerification {
			return fmt.Errorf("%w: it is %s", ErrInvalidState, p.Status)
		}
		hash, expires, attempts, err := tx.PayoutCode(ctx, id)
		if err != nil {
			return err
		}
		group, err := s.codeGroup(ctx, tx, p, expires)
		if err != nil {
			return err
		}
		cancel := func(reason string) error {
			for _, q := range group {
				if err := s.end(ctx, tx, q, ChangeCodeFailed, reason); err != nil {
					return err
				}
			}
			return nil
		}
		switch {
		case !s.cfg.Now().Before(expires):
			verr = validation.Field("otp_code", ErrCodeExpired)
			return cancel("verification code expired")
		case subtle.ConstantTimeCompare(hash, codeHash(id, code)) != 1:
			attempts++
			verr = validation.Field("otp_code", fmt.Errorf("%w (%d of 5 attempts used)", ErrBadCode, attempts))
			if attempts >= 5 {
				return cancel("five wrong verification codes")
			}
			return tx.SetPayoutCodeAttempts(ctx, id, attempts)
		}
		for _, q := range group {
			if err := s.move(ctx, tx, q, ChangeVerified); err != nil {
				return err
			}
			released = append(released, q)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if verr != nil {
		if cur, gerr := s.Get(ctx, m, id); gerr == nil {
			p = cur
		}
		return p, verr
	}
	var errs []error
	sent := map[string]bool{}
	for _, q := range released {
		if q.ID == p.ID || (q.SendID != "" && (q.SendID == p.SendID || sent[q.SendID])) {
			continue
		}
		sent[q.SendID] = true
		if _, err := s.process(ctx, q); err != nil {
			var be *BroadcastError
			if !errors.As(err, &be) {
				errs = append(errs, err)
			}
		}
	}
	out, err := s.process(ctx, p)
	return out, errors.Join(append([]error{err}, errs...)...)
}

// codeGroup returns p and the other payouts of its batch waiting for the same code
// (issued together: the same expiry).
func (s *Service) codeGroup(ctx context.Context, tx Tx, p *Payout, expires time.Time) ([]*Payout, error) {
	group := []*Payout{p}
	if p.BatchID == "" {
		return group, nil
	}
	all, err := tx.BatchPayouts(ctx, p.Mode, p.BatchID)
	if err != nil {
		return nil, err
	}
	for _, q := range all {
		if q.ID == p.ID || q.Status != StatusPendingVerification {
			continue
		}
		_, exp, _, err := tx.PayoutCode(ctx, q.ID)
		if err != nil {
			return nil, err
		}
		if exp.Equal(expires) {
			group = append(group, q)
		}
	}
	return group, nil
}

// Get returns a payout of mode.
func (s *Service) Get(ctx context.Context, m asset.Mode, id string) (*Payout, error) {
	var p *Payout
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		p, err = tx.GetPayout(ctx, m, id)
		return err
	})
	return p, err
}

// List returns payouts of mode, newest first.
// sub, if not nil, lists only that scope's ("" the operator's own).
func (s *Service) List(ctx context.Context, m asset.Mode, st Status, sub *string, page, limit int) ([]*Payout, int, error) {
	var out []*Payout
	var total int
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		out, total, err = tx.ListPayouts(ctx, m, st, sub, page, limit)
		return err
	})
	return out, total, err
}

// Estimate is a fee estimate for a payout.
type Estimate struct {
	NetworkFee  decimal.Decimal `json:"network_fee"`
	FeeCurrency string          `json:"fee_currency"`
	ServiceFee  decimal.Decimal `json:"service_fee"`
	Total       decimal.Decimal `json:"total_estimated_fee"`
	MinAmount   decimal.Decimal `json:"min_amount"`
}

// EstimateFee estimates the fees of paying amount of currency on network.
func (s *Service) EstimateFee(ctx context.Context, m asset.Mode, currency, network string, amount decimal.Decimal) (Estimate, error) {
	var v validation.Error
	a, err := s.cfg.Assets.Parse(currency, network)
	if err != nil {
		v.Add("currency", err)
		return Estimate{}, v.Err()
	}
	snd, ok := s.cfg.Wallets(chains.NetworkRef{ID: a.Network, Mode: m})
	if !ok {
		v.Add("network", ErrNoSender)
		return Estimate{}, v.Err()
	}
	if amount.IsZero() {
		amount = a.MinPayout
	}
	_, units, err := a.CheckPositive(amount)
	if err != nil {
		v.Add("amount", err)
		return Estimate{}, v.Err()
	}
	fee, err := snd.EstimateFee(ctx, a.Code, "", units)
	if err != nil {
		return Estimate{}, err
	}
	fa, _ := s.cfg.Assets.Get(snd.FeeAsset())
	serv := asset.DivRoundUp(amount.Mul(s.cfg.ServiceFeePercent), decimal.NewFromInt(100), a.Decimals)
	e := Estimate{NetworkFee: fa.FromBaseUnits(fee), FeeCurrency: fa.Code, ServiceFee: serv, MinAmount: a.MinPayout}
	e.Total = e.ServiceFee
	if fa.Code == a.Code {
		e.Total = e.Total.Add(e.NetworkFee)
	}
	return e, nil
}

func (s *Service) emit(ctx context.Context, tx Tx, p *Payout, t event.Type) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	e := event.Event{ID: ids.New("evt"), Type: t, CreatedAt: s.cfg.Now().UTC(), Mode: p.Mode, Livemode: p.Livemode(), ObjectID: p.ID, Data: data,
		SubMerchantID: p.SubMerchantID}
	if _, err = tx.InsertEvent(ctx, e); err != nil || p.WalletID == "" {
		return err
	}
	// A wallet's withdrawal says so too, about the same payout.
	switch t {
	case EventCreated:
		e.Type = EventWithdrawalInitiated
	case EventCompleted:
		e.Type = EventWithdrawalCompleted
	case EventFailed:
		e.Type = EventWithdrawalFailed
	default:
		return nil
	}
	e.ID = ids.New("evt")
	_, err = tx.InsertEvent(ctx, e)
	return err
}
