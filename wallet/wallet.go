// Package wallet keeps customer wallets (developer wallets): a persistent deposit
// address per customer and asset, HD-derived from the operator's keyring like an
// invoice's, never handed out again, and watched for as long as the wallet exists.
//
// Money: a wallet's deposits are booked on its own ledger accounts,
// wallet:{mode}:{wallet_id}:{asset}:{available|pending|deficit}, never on the
// merchant's, through the same booking as invoice payments (ledger.MoveDeposit keyed
// by the transfer, in the watcher's transaction): pending while unconfirmed,
// available at the asset's confirmations, taken back when a reorg or a double-spend
// removes the transfer. Each move writes an event: wallet.deposit.pending,
// wallet.deposit.completed (with the new balance) and wallet.deposit.reversed. A
// withdrawal is a payout (package payout) whose amount and, in the wallet's own asset,
// network fee are held from the wallet's available balance (Payout.WalletID); the
// payout's life is the payout engine's, and it writes wallet.withdrawal.initiated,
// completed and failed beside its own events.
//
// Deposits to wallets are swept like invoice deposits (package treasury): a sweep
// moves coins between the operator's own addresses and changes no one's balance; its
// network fee is the merchant's, as for invoice deposits.
//
// A transfer to a wallet's address in another asset than the wallet's (ether sent to
// a USDT wallet) is not the wallet's: it is booked on the merchant's balance and
// logged, as money to an invoice address in an asset it did not ask for is.
//
// Wallets live in a mode (test or live) like every object: an id of the other mode is
// not found. They are never deleted: their addresses stay watched, and a customer
// deleted since keeps its wallets.
package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/internal/text"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// Wallet is a customer's wallet of one asset.
type Wallet struct {
	ID         string     `json:"wallet_id"` // wal_...
	Mode       asset.Mode `json:"mode"`
	CustomerID string     `json:"customer_id"`
	// SubMerchantID is the sub-merchant the wallet is kept for ("" for the operator).
	SubMerchantID string          `json:"sub_merchant_id"`
	Asset         string          `json:"asset"`    // the asset's code, "USDT_ETH"
	Currency      string          `json:"currency"` // "USDT"
	Network       string          `json:"network"`  // "ethereum"
	Address       string          `json:"deposit_address"`
	Index         uint32          `json:"-"` // the address's HD index (receive branch)
	Label         string          `json:"label"`
	Metadata      json.RawMessage `json:"metadata"` // null when none
	CreatedAt     time.Time       `json:"created_at"`

	// Balances, read from the ledger with the wallet.
	Balance decimal.Decimal `json:"balance"`         // confirmed: what can be withdrawn
	Pending decimal.Decimal `json:"pending_balance"` // detected, not yet confirmed
	// Held is what withdrawals being sent keep: neither in Balance nor gone yet.
	Held decimal.Decimal `json:"held_balance"`
	// Deficit is what the wallet owes (positive; zero when nothing): a reorg took back
	// a deposit already withdrawn, or a withdrawal's fee overran what it had. Its
	// next deposits cover it before they become Balance.
	Deficit decimal.Decimal `json:"deficit"`
	// BalanceUSD is Balance in USD at the rates cache's rate (stablecoins at par),
	// rounded down to the cent; null when no rate is known.
	BalanceUSD *decimal.Decimal `json:"balance_usd"`
}

// Errors.
var (
	ErrNotFound = errors.New("wallet not found")
	// ErrNotEnabled: no chain backend runs for the asset's network in the mode.
	ErrNotEnabled = errors.New("the asset is not enabled in this mode")
	ErrBadFormat  = errors.New("invalid format")
)

// IDPrefix opens every wallet id.
const IDPrefix = "wal_"

// IsID reports whether id has the shape of a wallet id.
func IsID(id string) bool { return ids.Valid("wal", id) }

// Tx is the storage the service needs inside one transaction: the invoice package's
// (the ledger, address indexes, the outbox, watched addresses, bookings) and the
// payout package's, with the wallets themselves.
type Tx interface {
	invoice.Tx
	payout.Tx
	// InsertWallet stores w; ErrExists when the mode has a wallet of w's customer and
	// asset already.
	InsertWallet(ctx context.Context, w Wallet) error
	// GetWallet returns wallet id of mode m; ok false if there is none.
	GetWallet(ctx context.Context, m asset.Mode, id string) (w Wallet, ok bool, err error)
	// WalletOf returns the wallet of customer and asset code in mode m and scope sub
	// ("" the operator's own); ok false if there is none.
	WalletOf(ctx context.Context, m asset.Mode, sub, customer, code string) (w Wallet, ok bool, err error)
	// WalletByAddress returns the wallet whose deposit address on n is address; ok
	// false if there is none.
	WalletByAddress(ctx context.Context, n chains.NetworkRef, address string) (w Wallet, ok bool, err error)
	// ListWallets returns a page of p.Mode's wallets matching p's filters, newest
	// first, and how many match in all.
	ListWallets(ctx context.Context, p ListParams) ([]Wallet, int, error)
	// TransfersTo returns the transfers to address on n, newest first, up to limit.
	TransfersTo(ctx context.Context, n chains.NetworkRef, address string, limit int) ([]chains.Record, error)
}

// ErrExists is InsertWallet's answer for a second wallet of one customer and asset.
var ErrExists = errors.New("the customer has a wallet of this asset")

// Runner runs fn in a storage transaction.
type Runner func(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

// Rater gives exchange rates (the Gateway's rates cache).
type Rater = invoice.Rater

// Config configures a Service.
type Config struct {
	Assets  *asset.Registry
	Keys    *keys.Keyring
	Payouts *payout.Service
	// Rates values balances in USD; nil values only stablecoins.
	Rates        Rater
	Update, View Runner
	// Enabled returns the asset codes that can be received in mode (a chain backend
	// runs for their network).
	Enabled func(m asset.Mode) map[string]bool
	// CheckCustomer checks a customer_id (customer.Service.Resolve: a cus_ id must
	// name a customer of the mode; other text is the merchant's own id). Optional.
	CheckCustomer func(ctx context.Context, m asset.Mode, id string) (ok bool, err error)
	// CheckSubMerchant checks a sub_merchant_id (submerchant.Service.Check: a
	// refusal is a *validation.FieldError). Optional.
	CheckSubMerchant func(ctx context.Context, m asset.Mode, id string) error
	// Watch adds addresses to the running watcher of n, once the wallet is stored.
	Watch func(n chains.NetworkRef, addrs ...string)
	// Rescan scans the last depth blocks of n for transfers to addrs (the watcher's
	// Rescan): Check's targeted look. Optional.
	Rescan func(ctx context.Context, n chains.NetworkRef, addrs []string, depth uint64) error
	// CheckDepth is how many blocks back Check looks (default 1000).
	CheckDepth uint64
	Now        func() time.Time
	Logger     *slog.Logger
}

// Service creates and reads wallets, books their deposits and withdraws from them.
type Service struct {
	cfg    Config
	checks cooldown
	// scanning bounds the deposit checks reading blocks at once in this process.
	scanning chan struct{}
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Assets == nil || cfg.Keys == nil || cfg.Payouts == nil || cfg.Update == nil || cfg.View == nil || cfg.Enabled == nil {
		return nil, errors.New("wallet: Assets, Keys, Payouts, Update, View and Enabled are required")
	}
	if cfg.Watch == nil {
		cfg.Watch = func(chains.NetworkRef, ...string) {}
	}
	if cfg.CheckDepth == 0 {
		cfg.CheckDepth = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg, scanning: make(chan struct{}, MaxConcurrentChecks)}, nil
}

// CreateParams are a new wallet's fields.
type CreateParams struct {
	CustomerID string // a cus_ id, or the merchant's own id for its customer
	// SubMerchantID keeps the wallet for that sub-merchant ("" for the operator): a
	// customer has one wallet of an asset per scope.
	SubMerchantID string
	Currency      string // "USDT", or an asset code such as "USDT_TRON"
	Network       string // "tron"; may be empty when Currency names one asset
	Label         string
	Metadata      json.RawMessage // a JSON object, at most 16 KiB (invoice.CheckMetadata)
}

// ListParams filter and page a list.
type ListParams struct {
	Mode       asset.Mode
	CustomerID string // exact, "" for any
	Currency   string // a currency ("USDT": every network) or "" for any
	// SubMerchantID, if not nil, lists only that scope's ("" the operator's own).
	SubMerchantID *string
	Page          int // from 1
	Limit         int // 1..100
}

// errCustomerID refuses a customer_id that is not one (text.ID).
var errCustomerID = fmt.Errorf("%w: %s", ErrBadFormat, text.IDRule)

// checkCustomer validates a customer_id, adding a refusal to v; an error is the
// storage's.
func (s *Service) checkCustomer(ctx context.Context, m asset.Mode, id string, v *validation.Error) error {
	switch {
	case id == "":
		v.Add("customer_id", errors.New("is required"))
		return nil
	case !text.ID(id):
		v.Add("customer_id", errCustomerID)
		return nil
	case s.cfg.CheckCustomer == nil:
		return nil
	}
	ok, err := s.cfg.CheckCustomer(ctx, m, id)
	if err == nil && !ok {
		v.Add("customer_id", fmt.Errorf("%w: %s in %s mode", invoice.ErrUnknownCustomer, id, m))
	}
	return err
}

// resolve parses currency and network into an asset enabled in m.
func (s *Service) resolve(m asset.Mode, currency, network string) (asset.Asset, error) {
	a, err := s.cfg.Assets.Parse(currency, network)
	if err != nil {
		return asset.Asset{}, err
	}
	if !s.cfg.Enabled(m)[a.Code] {
		return asset.Asset{}, fmt.Errorf("%w: %s in %s mode", ErrNotEnabled, a.Code, m)
	}
	return a, nil
}

// Create returns the wallet of p's customer and asset in m, creating it (created true)
// when there is none: a new address, stored and watched in the transaction that
// stores the wallet. Bad input is a *validation.Error naming each wrong field.
func (s *Service) Create(ctx context.Context, m asset.Mode, p CreateParams) (w *Wallet, created bool, err error) {
	var v validation.Error
	if !m.Valid() {
		return nil, false, validation.Field("mode", fmt.Errorf("%w: %q", ErrBadFormat, m))
	}
	if err := s.checkCustomer(ctx, m, p.CustomerID, &v); err != nil {
		return nil, false, err
	}
	if p.SubMerchantID != "" && s.cfg.CheckSubMerchant != nil {
		var fe *validation.FieldError
		if err := s.cfg.CheckSubMerchant(ctx, m, p.SubMerchantID); errors.As(err, &fe) {
			v.Add(fe.Field, fe.Err)
		} else if err != nil {
			return nil, false, err
		}
	}
	a, err := s.resolve(m, p.Currency, p.Network)
	if err != nil {
		v.Add("currency", err)
	}
	if !text.Line(p.Label, 200) {
		v.Add("label", fmt.Errorf("%w: up to 200 bytes of UTF-8 text without control characters", ErrBadFormat))
	}
	v.Add("metadata", invoice.CheckMetadata(p.Metadata))
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	n := chains.NetworkRef{ID: a.Network, Mode: m}
	nw, err := s.cfg.Assets.Network(a.Network)
	if err != nil {
		return nil, false, err
	}
	f := nw.Family
	now := s.cfg.Now().UTC()
	var out Wallet
	err = s.cfg.Update(ctx, func(ctx context.Context, tx Tx) error {
		created = false
		have, ok, err := tx.WalletOf(ctx, m, p.SubMerchantID, p.CustomerID, a.Code)
		if err != nil || ok {
			out = have
			return err
		}
		addr, err := allocate(ctx, tx, s.cfg.Keys, f, m)
		if err != nil {
			return err
		}
		out = Wallet{ID: ids.New("wal"), Mode: m, CustomerID: p.CustomerID, SubMerchantID: p.SubMerchantID, Asset: a.Code, Currency: a.Currency,
			Network: string(a.Network), Address: addr.Encoded, Index: addr.Index, Label: p.Label,
			Metadata: text.CompactJSON(p.Metadata), CreatedAt: now}
		if err := tx.RecordAddress(ctx, addr); err != nil {
			return err
		}
		if err := tx.InsertWallet(ctx, out); err != nil {
			return err
		}
		if err := ledger.EnsureStandardAccounts(ctx, tx, m, a.Code); err != nil {
			return err
		}
		if err := ledger.EnsureWalletAccounts(ctx, tx, m, out.ID, a.Code); err != nil {
			return err
		}
		if err := tx.WatchAddress(ctx, n, out.Address, out.ID); err != nil {
			return err
		}
		tx.AfterCommit(func() { s.cfg.Watch(n, out.Address) })
		created = true
		return nil
	})
	if errors.Is(err, ErrExists) {
		// Another instance made it first (its row appeared while this transaction
		// waited for the address index): that one is the customer's wallet.
		var ok bool
		err = s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
			var err error
			out, ok, err = tx.WalletOf(ctx, m, p.SubMerchantID, p.CustomerID, a.Code)
			if err == nil && !ok {
				err = ErrExists
			}
			return err
		})
		created = false
	}
	if err != nil {
		return nil, false, err
	}
	if created {
		s.cfg.Logger.InfoContext(ctx, "wallet: created", "wallet", out.ID, "asset", out.Asset, "mode", m, "address", out.Address)
	}
	w, err = s.withBalances(ctx, out)
	return w, created, err
}

// allocate derives a new receive address of family f in m from the next unused index
// (shared with invoices: an address is never handed out twice).
func allocate(ctx context.Context, tx Tx, k *keys.Keyring, f asset.Family, m asset.Mode) (keys.Address, error) {
	for {
		idx, err := tx.AllocateIndex(ctx, f, m)
		if err != nil {
			return keys.Address{}, err
		}
		a, err := k.Address(f, m, keys.Receive, idx)
		if errors.Is(err, keys.ErrInvalidChildAtIndex) {
			continue // about one index in 2^127: skipped for good
		}
		return a, err
	}
}

// Get returns wallet id of mode m with its balances (ErrNotFound for an unknown id or
// one of the other mode).
func (s *Service) Get(ctx context.Context, m asset.Mode, id string) (*Wallet, error) {
	var w Wallet
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var ok bool
		var err error
		if w, ok, err = tx.GetWallet(ctx, m, id); err == nil && !ok {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.withBalances(ctx, w)
}

// Lookup returns the wallet of customer and asset (currency and network) in m and
// scope sub ("" the operator's own).
func (s *Service) Lookup(ctx context.Context, m asset.Mode, sub, customer, currency, network string) (*Wallet, error) {
	var v validation.Error
	if !text.ID(customer) {
		v.Add("customer_id", errCustomerID)
	}
	a, err := s.cfg.Assets.Parse(currency, network)
	if err != nil {
		v.Add("currency", err)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var w Wallet
	err = s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var ok bool
		var err error
		if w, ok, err = tx.WalletOf(ctx, m, sub, customer, a.Code); err == nil && !ok {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.withBalances(ctx, w)
}

// List returns a page of wallets with their balances and how many match in all.
func (s *Service) List(ctx context.Context, p ListParams) ([]Wallet, int, error) {
	var v validation.Error
	if p.CustomerID != "" && !text.ID(p.CustomerID) {
		v.Add("customer_id", errCustomerID)
	}
	if p.Currency != "" {
		p.Currency = strings.ToUpper(p.Currency)
		if !s.knownCurrency(p.Currency) {
			v.Add("currency", fmt.Errorf("%w: %q", asset.ErrUnknownAsset, p.Currency))
		}
	}
	if p.Page < 1 {
		v.Add("page", errors.New("must be 1 or more"))
	}
	if p.Limit < 1 || p.Limit > 100 {
		v.Add("limit", errors.New("must be 1..100"))
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	var ws []Wallet
	var total int
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		ws, total, err = tx.ListWallets(ctx, p)
		if err != nil {
			return err
		}
		for i := range ws {
			if err := s.balances(ctx, tx, &ws[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	for i := range ws {
		ws[i].BalanceUSD = s.usd(ctx, ws[i])
	}
	if ws == nil {
		ws = []Wallet{}
	}
	return ws, total, nil
}

// knownCurrency reports whether some asset is of currency cur.
func (s *Service) knownCurrency(cur string) bool {
	for _, a := range s.cfg.Assets.Assets() {
		if a.Currency == cur {
			return true
		}
	}
	return false
}

// Aggregate is a customer's wallets with their total in USD.
type Aggregate struct {
	CustomerID string   `json:"customer_id"`
	TotalUSD   string   `json:"total_balance_usd"`
	Count      int      `json:"wallet_count"`
	Wallets    []Wallet `json:"wallets"`
	// Unpriced names the assets of wallets that hold money but have no USD rate now:
	// their balance is not in TotalUSD.
	Unpriced []string `json:"unpriced_assets"`
}

// maxWalletsPerAggregate bounds the wallets Aggregated reads: one per asset is the
// most a customer can have, far fewer than this.
const maxWalletsPerAggregate = 100

// Aggregated returns every wallet of customer in m and scope sub ("" the operator's
// own) and their balances' sum in USD.
func (s *Service) Aggregated(ctx context.Context, m asset.Mode, sub, customer string) (*Aggregate, error) {
	if !text.ID(customer) {
		return nil, validation.Field("customer_id", errCustomerID)
	}
	ws, total, err := s.List(ctx, ListParams{Mode: m, CustomerID: customer, SubMerchantID: &sub, Page: 1, Limit: maxWalletsPerAggregate})
	if err != nil {
		return nil, err
	}
	sum := decimal.Zero
	out := &Aggregate{CustomerID: customer, Count: total, Wallets: ws, Unpriced: []string{}}
	for _, w := range ws {
		switch {
		case w.BalanceUSD != nil:
			sum = sum.Add(*w.BalanceUSD)
		case !w.Balance.IsZero():
			out.Unpriced = append(out.Unpriced, w.Asset)
		}
	}
	out.TotalUSD = sum.StringFixed(2)
	return out, nil
}

// withBalances reads w's balances and values them.
func (s *Service) withBalances(ctx context.Context, w Wallet) (*Wallet, error) {
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error { return s.balances(ctx, tx, &w) })
	if err != nil {
		return nil, err
	}
	w.BalanceUSD = s.usd(ctx, w)
	return &w, nil
}

// balances fills w's balances from the ledger (accounts never used read as zero).
func (s *Service) balances(ctx context.Context, tx Tx, w *Wallet) error {
	a, err := s.cfg.Assets.Get(w.Asset)
	if err != nil {
		return err
	}
	read := func(name string) (*big.Int, error) {
		acct, err := tx.Account(ctx, name)
		if errors.Is(err, ledger.ErrAccountNotFound) {
			return new(big.Int), nil
		}
		return acct.Balance, err
	}
	avail, err := read(ledger.WalletAvailable(w.Mode, w.ID, w.Asset))
	if err != nil {
		return err
	}
	pend, err := read(ledger.WalletPending(w.Mode, w.ID, w.Asset))
	if err != nil {
		return err
	}
	held, err := read(ledger.WalletHeld(w.Mode, w.ID, w.Asset))
	if err != nil {
		return err
	}
	deficit, err := read(ledger.WalletDeficit(w.Mode, w.ID, w.Asset))
	if err != nil {
		return err
	}
	w.Balance, w.Pending, w.Held = a.FromBaseUnits(avail), a.FromBaseUnits(pend), a.FromBaseUnits(held)
	w.Deficit = a.FromBaseUnits(new(big.Int).Neg(deficit))
	return nil
}

// usd values w's balance in USD, rounded down to the cent; nil without a rate.
func (s *Service) usd(ctx context.Context, w Wallet) *decimal.Decimal {
	return s.value(ctx, w.Asset, w.Balance)
}

func (s *Service) value(ctx context.Context, code string, amount decimal.Decimal) *decimal.Decimal {
	a, err := s.cfg.Assets.Get(code)
	if err != nil {
		return nil
	}
	usd := amount
	if !a.Stable {
		if s.cfg.Rates == nil {
			return nil
		}
		r, err := s.cfg.Rates.Rate(ctx, a.Currency, "USD")
		if err != nil {
			return nil
		}
		usd = amount.Mul(r.Value)
	}
	usd = usd.RoundFloor(2)
	return &usd
}

// cooldown remembers when each wallet was last checked (Check), in this process.
type cooldown struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// due reports whether id may be checked now, and if so notes it.
func (c *cooldown) due(id string, now time.Time, every time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[string]time.Time{}
	}
	if t, ok := c.last[id]; ok && now.Sub(t) < every {
		return false
	}
	for k, t := range c.last { // forget old entries: the map stays small
		if now.Sub(t) >= every {
			delete(c.last, k)
		}
	}
	c.last[id] = now
	return true
}

// forget lets id be checked again at once.
func (c *cooldown) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.last, id)
}

// eventData is the data of a wallet.deposit.* event.
type eventData struct {
	WalletID      string          `json:"wallet_id"`
	CustomerID    string          `json:"customer_id"`
	Asset         string          `json:"asset"`
	Currency      string          `json:"currency"`
	Network       string          `json:"network"`
	Amount        decimal.Decimal `json:"amount"`
	TxHash        string          `json:"tx_hash"`
	Index         uint32          `json:"output_index"`
	Status        string          `json:"status"`
	Confirmations int             `json:"confirmations"`
	NewBalance    decimal.Decimal `json:"new_balance"`
	NewPending    decimal.Decimal `json:"new_pending_balance"`
}

// Deposit events.
const (
	EventDepositPending   event.Type = "wallet.deposit.pending"
	EventDepositCompleted event.Type = "wallet.deposit.completed"
	// EventDepositReversed: a reorg or a double-spend took back a deposit that had
	// been booked (pending or completed).
	EventDepositReversed event.Type = "wallet.deposit.reversed"
)
