package invoice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"sync"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/ids"
	"github.com/kassapay/kassa/internal/netguard"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
)

// Config configures a Service.
type Config struct {
	Assets *asset.Registry
	Keys   *keys.Keyring
	Rates  Rater
	// Update and View run storage transactions.
	Update, View chains.Runner[Tx]
	// Watch and Unwatch change the running watchers' address sets; the service calls
	// them once the transaction that decided it has committed.
	Watch, Unwatch func(n chains.NetworkRef, addrs ...string)
	// Rescan scans the last depth blocks of n for transfers to addrs (the watcher's
	// Rescan). Optional.
	Rescan func(ctx context.Context, n chains.NetworkRef, addrs []string, depth uint64) error
	// Changed, if set, is told of every change Recompute stores, inside its storage
	// transaction, with whether the invoice is still watched (rebounds are decided
	// there: package refund).
	Changed func(ctx context.Context, tx Tx, inv *Invoice, watching bool) error
	// Refreshable, if set, may refuse to refresh inv (an error wrapping
	// ErrInvalidState says why): a subscription's invoice that a newer one replaced
	// (package billing).
	Refreshable func(ctx context.Context, tx Tx, inv *Invoice) error
	// Enabled returns the asset codes that can be paid in mode (a chain backend runs
	// for their network).
	Enabled func(m asset.Mode) map[string]bool
	// CheckCustomer, if set, checks a customer_id (customer.Service.Resolve: a cus_ id
	// must name a customer of the mode; other text is the merchant's own id).
	CheckCustomer func(ctx context.Context, m asset.Mode, id string) (ok bool, err error)
	// CheckSubMerchant, if set, checks a sub_merchant_id (submerchant.Service.Check:
	// "" or an active sub-merchant of the mode; a refusal is a
	// *validation.FieldError).
	CheckSubMerchant func(ctx context.Context, m asset.Mode, id string) error
	// MonitoringWindow is how long after expiry late payments still count (default 24 h).
	MonitoringWindow time.Duration
	// MaxRefreshes is how often one invoice may be refreshed (Refresh; default 1;
	// negative: never).
	MaxRefreshes int
	Now          func() time.Time
	Logger       *slog.Logger
	// Resolver looks up the host of an invoice's url_callback when it is created
	// (default net.DefaultResolver; each lookup has a 5 s timeout).
	Resolver Resolver
	// AllowPrivate accepts a url_callback whose host is, or resolves to, a loopback,
	// private or reserved address (tests, local development), as
	// webhook.Options.AllowPrivate does for endpoints. Never set it in production.
	AllowPrivate bool
}

// Resolver looks up hosts; *net.Resolver is one.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Service implements invoices, each change in one storage transaction with its ledger
// entries and its events. Apply and Recompute take the caller's transaction (the
// chain watcher's), so a block's meaning commits with the block.
type Service struct {
	cfg Config
	// callbacks checks url_callback as the webhook dialler will: the same SSRF guard.
	callbacks netguard.Guard
	// rescans keeps Rescan to once per RescanCooldown per invoice.
	rescans cooldowns
	// accounts holds the mode/asset pairs whose ledger accounts a committed
	// transaction made sure of: accounts are never deleted, so a create does not read
	// them again (six reads per asset, most of a fiat invoice's statements).
	accounts sync.Map
	// indexes keeps address indexes reserved for creates (addresses.go).
	indexes indexPool
}

// known reports whether the ledger accounts of key (mode/asset) are known to exist.
func (s *Service) known(key string) bool {
	_, ok := s.accounts.Load(key)
	return ok
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Assets == nil || cfg.Keys == nil || cfg.Rates == nil || cfg.Enabled == nil || cfg.Update == nil || cfg.View == nil {
		return nil, errors.New("invoice: Assets, Keys, Rates, Enabled, Update and View are required")
	}
	if cfg.Watch == nil {
		cfg.Watch = func(chains.NetworkRef, ...string) {}
	}
	if cfg.Unwatch == nil {
		cfg.Unwatch = func(chains.NetworkRef, ...string) {}
	}
	if cfg.MonitoringWindow <= 0 {
		cfg.MonitoringWindow = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg, callbacks: netguard.Guard{Resolver: cfg.Resolver, AllowPrivate: cfg.AllowPrivate}}, nil
}

func (s *Service) enabled(m asset.Mode) map[string]bool { return s.cfg.Enabled(m) }

// Prepared is a validated and quoted invoice, ready for Insert. Prepare does the slow
// part (rates) outside any transaction.
type Prepared struct{ d *draft }

// Prepare validates p and quotes it. On error (a *validation.Error naming each wrong
// field) nothing was written and no address index was used.
func (s *Service) Prepare(ctx context.Context, m asset.Mode, p CreateParams) (Prepared, error) {
	d, err := s.prepare(ctx, m, p)
	return Prepared{d}, err
}

// Insert creates the prepared invoice in tx: it allocates one address index per family
// (shared by all EVM networks), derives the addresses, writes the invoice, its watched
// addresses and an invoice.created event. If an invoice with the same order id, or
// the same request key, exists in the mode, it returns that one and created is false.
func (s *Service) Insert(ctx context.Context, tx Tx, p Prepared) (inv *Invoice, created bool, err error) {
	if p.d == nil {
		return nil, false, errors.New("invoice: Insert needs a Prepared from Prepare")
	}
	src := p.d.inv
	for _, by := range []struct {
		key  string
		find func(context.Context, asset.Mode, string) (*Invoice, error)
	}{{OrderKey(src.SubMerchantID, src.OrderID), tx.InvoiceByOrderID}, {src.RequestKey, tx.InvoiceByRequestKey}} {
		if by.key == "" {
			continue
		}
		existing, err := by.find(ctx, src.Mode, by.key)
		if err == nil {
			if src.OrderID != "" && by.key == OrderKey(src.SubMerchantID, src.OrderID) {
				if existing.ParamsHash != "" && existing.ParamsHash != src.ParamsHash {
					return nil, false, validation.Field("order_id", fmt.Errorf("%w: %s", ErrOrderConflict, existing.ID))
				}
				existing.Existing = true
			}
			return existing, false, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, false, err
		}
	}
	c := *src
	inv = &c
	inv.Methods = append([]Method(nil), src.Methods...)
	inv.ID = ids.New(idPrefix(inv.Kind))
	addrs := map[asset.Family]keys.Address{}
	for i := range inv.Methods {
		m := &inv.Methods[i]
		a, ok := addrs[m.Family]
		if !ok {
			if a, ok = p.d.addrs[m.Family]; !ok { // derived before the transaction
				var err error
				if a, err = s.allocate(ctx, tx, m.Family, inv.Mode); err != nil {
					return nil, false, err
				}
			}
			addrs[m.Family] = a
			if err := tx.RecordAddress(ctx, a); err != nil {
				return nil, false, err
			}
		}
		m.Address, m.Index = a.Encoded, a.Index
		if key := string(inv.Mode) + "/" + m.Asset; !s.known(key) {
			if err := ledger.EnsureStandardAccounts(ctx, tx, inv.Mode, m.Asset); err != nil {
				return nil, false, err
			}
			tx.AfterCommit(func() { s.accounts.Store(key, true) })
		}
	}
	if err := tx.InsertInvoice(ctx, inv); err != nil {
		return nil, false, err
	}
	for _, m := range inv.Methods {
		n := chains.NetworkRef{ID: m.Network, Mode: inv.Mode}
		if err := tx.WatchAddress(ctx, n, m.Address, inv.ID); err != nil {
			return nil, false, err
		}
		tx.AfterCommit(func() { s.cfg.Watch(n, m.Address) })
	}
	if err := s.emit(ctx, tx, inv, event.InvoiceCreated, nil); err != nil {
		return nil, false, err
	}
	return inv, true, nil
}

func idPrefix(k Kind) string {
	switch k {
	case KindPayment:
		return "pay"
	case KindCheckoutSession:
		return "chk"
	}
	return "inv"
}

func (s *Service) cancel(ctx context.Context, tx Tx, m asset.Mode, id string) (*Invoice, error) {
	inv, err := tx.GetInvoice(ctx, m, id)
	if err != nil {
		return nil, err
	}
	if inv.Status != StatusPending {
		return nil, fmt.Errorf("%w: cannot cancel a %s invoice", ErrInvalidState, inv.Status)
	}
	now := s.cfg.Now().UTC()
	inv.Status, inv.CancelledAt, inv.UpdatedAt = StatusCancelled, &now, now
	watching := now.Before(inv.MonitorUntil)
	if err := tx.UpdateInvoice(ctx, inv, watching); err != nil {
		return nil, err
	}
	if err := s.emit(ctx, tx, inv, event.InvoiceCancelled, nil); err != nil { // a pending invoice has no payments
		return nil, err
	}
	if s.cfg.Changed != nil {
		if err := s.cfg.Changed(ctx, tx, inv, watching); err != nil {
			return nil, err
		}
	}
	return inv, nil
}

// Apply is the chain watcher's sink: it books each changed transfer in the ledger and
// recomputes the invoices they pay.
func (s *Service) Apply(ctx context.Context, tx Tx, n chains.NetworkRef, changed []chains.Record) error {
	affected := map[string]bool{}
	var order []string
	for _, r := range changed {
		if r.Out {
			continue // our own transaction: the payout service follows it
		}
		inv, err := tx.InvoiceByAddress(ctx, n, r.Asset, r.To)
		if errors.Is(err, ErrNotFound) {
			inv = nil // money to an address of ours in an asset no method asked for: the operator's, booked only
		} else if err != nil {
			return err
		}
		var sub string // whose balance: the invoice's scope
		if inv != nil {
			sub = inv.SubMerchantID
		}
		if err := s.book(ctx, tx, n, r, sub); err != nil {
			return err
		}
		own, err := tx.OwnTx(ctx, n, r.TxID)
		if err != nil {
			return err
		}
		if own || inv == nil {
			continue // our own payout, sweep or change: never a customer's payment
		}
		if !affected[inv.ID] {
			affected[inv.ID] = true
			order = append(order, inv.ID)
		}
	}
	for _, id := range order {
		if _, err := s.Recompute(ctx, tx, n.Mode, id); err != nil {
			return err
		}
	}
	return nil
}

// book moves a transfer's money to where its status says it belongs: pending while
// unconfirmed, available when confirmed, back to the world when orphaned or dropped.
// Each move is one ledger entry keyed by the transfer and a sequence number, in the
// same transaction as the new booking state, so a transfer is credited exactly once.
func (s *Service) book(ctx context.Context, tx Tx, n chains.NetworkRef, r chains.Record, sub string) error {
	want := BookedNone
	switch r.Status {
	case chains.StatusMempool, chains.StatusConfirming:
		want = BookedPending
	case chains.StatusConfirmed:
		want = BookedAvailable
	}
	have, seq, err := tx.Booking(ctx, n, r.TxID, r.Index)
	if err != nil {
		return err
	}
	if have == want {
		return nil
	}
	if own, err := tx.OwnTx(ctx, n, r.TxID); err != nil || own {
		return err // change of our own payout: the payout's entry accounts for it
	}
	short, err := ledger.MoveDeposit(ctx, tx, ledger.Owner{Sub: sub}, n.Mode, r.Asset, fmt.Sprintf("transfer:%s:%s:%s:%d:%d", n.ID, n.Mode, r.TxID, r.Index, seq+1),
		fmt.Sprintf("%s %s %s -> %s", r.Asset, r.Key(), have, want), have, want, r.Amount)
	if err != nil {
		return err
	}
	if short.Sign() > 0 {
		// A confirmed payment was taken back after the money had been paid out: the
		// ledger books it as the merchant's deficit, and says so.
		s.cfg.Logger.ErrorContext(ctx, "invoice: a reorg took back a payment already spent: the balance is in deficit",
			"network", n, "tx", r.Key(), "asset", r.Asset, "amount", r.Amount, "deficit", short)
		if err := s.emitDeficit(ctx, tx, n.Mode, sub, r, short); err != nil {
			return err
		}
	}
	return tx.SetBooking(ctx, n, r.TxID, r.Index, want, seq+1)
}

// Recompute brings an invoice up to date with its payments and the clock, writing the
// transition and its events if anything changed.
func (s *Service) Recompute(ctx context.Context, tx Tx, m asset.Mode, id string) (*Invoice, error) {
	inv, err := tx.GetInvoice(ctx, m, id)
	if err != nil {
		return nil, err
	}
	pays, err := s.payments(ctx, tx, inv)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	st := Compute(inv, pays, now)
	var events []event.Type
	for i := range inv.Methods {
		switch st.MethodPaid[i].Cmp(inv.Methods[i].AmountPaid) {
		case 1:
			events = append(events, event.InvoicePaymentDetected)
		case -1:
			events = append(events, event.InvoicePaymentReversed)
		}
	}
	if st.Status != inv.Status {
		switch st.Status {
		case StatusPartiallyPaid:
			events = append(events, event.InvoicePartiallyPaid)
		case StatusConfirming:
			events = append(events, event.InvoiceConfirming)
		case StatusPaid:
			events = append(events, event.InvoicePaid)
		case StatusExpired:
			events = append(events, event.InvoiceExpired)
		}
	}
	open := false
	for _, p := range pays {
		if p.Status == chains.StatusMempool || p.Status == chains.StatusConfirming {
			open = true
		}
	}
	watching := now.Before(inv.MonitorUntil) || open
	changed := st.Status != inv.Status || st.Exception != inv.Exception ||
		!st.AmountPaid.Equal(inv.AmountPaid) || !st.AmountConfirmed.Equal(inv.AmountConfirmed)
	for i := range inv.Methods {
		changed = changed || !st.MethodPaid[i].Equal(inv.Methods[i].AmountPaid) || !st.MethodConfirmed[i].Equal(inv.Methods[i].AmountConfirmed)
	}
	claims, failedClaims := settleClaims(inv, st.Status, pays, watching, now)
	changed = changed || claims
	events = append(events, claimFailedEvents(failedClaims)...)
	if !changed && watching {
		return inv, nil
	}
	inv.Status, inv.Exception = st.Status, st.Exception
	inv.AmountPaid, inv.AmountConfirmed = st.AmountPaid, st.AmountConfirmed
	for i := range inv.Methods {
		inv.Methods[i].AmountPaid, inv.Methods[i].AmountConfirmed = st.MethodPaid[i], st.MethodConfirmed[i]
	}
	if st.Status == StatusPaid && inv.PaidAt == nil {
		inv.PaidAt = &now
	}
	inv.UpdatedAt = now
	if err := tx.UpdateInvoice(ctx, inv, watching); err != nil {
		return nil, err
	}
	if !watching {
		if err := tx.UnwatchInvoice(ctx, inv.ID); err != nil {
			return nil, err
		}
		for _, m := range inv.Methods {
			n := chains.NetworkRef{ID: m.Network, Mode: inv.Mode}
			tx.AfterCommit(func() { s.cfg.Unwatch(n, m.Address) })
		}
	}
	for _, t := range events {
		if err := s.emit(ctx, tx, inv, t, pays); err != nil {
			return nil, err
		}
	}
	if s.cfg.Changed != nil {
		if err := s.cfg.Changed(ctx, tx, inv, watching); err != nil {
			return nil, err
		}
	}
	return inv, nil
}

// payments returns the transfers that pay inv: those to its addresses, less the
// outputs of transactions our own wallets signed (a payout, sweep or top-up that
// reached one of its addresses is the merchant's own money, never the payer's).
func (s *Service) payments(ctx context.Context, tx Tx, inv *Invoice) ([]Payment, error) {
	all, err := tx.Payments(ctx, inv)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, p := range all {
		own, err := tx.OwnTx(ctx, p.Network, p.TxID)
		if err != nil {
			return nil, err
		}
		if !own {
			out = append(out, p)
		}
	}
	return out, nil
}

// Due returns the ids of the invoices of mode whose expiry or monitoring window has
// passed; the Gateway recomputes each in its own transaction.
func (s *Service) Due(ctx context.Context, tx Tx, m asset.Mode, limit int) ([]string, error) {
	return tx.DueInvoices(ctx, m, s.cfg.Now().UTC(), limit)
}

// Deficit is the data of a balance.deficit event.
type Deficit struct {
	Asset    string          `json:"code"`
	Shortage string          `json:"shortage"` // in the asset, decimal
	TxID     string          `json:"txid"`
	Index    uint32          `json:"index"`
	Network  asset.NetworkID `json:"network"`
}

// emitDeficit writes a balance.deficit event: a reorg or a double-spend took back
// money the merchant had already paid out.
func (s *Service) emitDeficit(ctx context.Context, tx Tx, m asset.Mode, sub string, r chains.Record, short *big.Int) error {
	a, _ := s.cfg.Assets.Get(r.Asset)
	data, err := json.Marshal(Deficit{Asset: r.Asset, Shortage: a.FromBaseUnits(short).String(), TxID: r.TxID, Index: r.Index,
		Network: r.Network.ID})
	if err != nil {
		return err
	}
	_, err = tx.InsertEvent(ctx, event.Event{ID: ids.New("evt"), Type: event.BalanceDeficit, CreatedAt: s.cfg.Now().UTC(), Mode: m,
		Livemode: m == asset.Live, ObjectID: r.Asset, Data: data, SubMerchantID: sub})
	return err
}

// EventData is the data of an invoice's events: the invoice, and its latest payments
// (at most MaxEventPayments, newest last), each with its transaction and its
// confirmations as the watcher last counted them; PaymentsTotal counts them all.
type EventData struct {
	*Invoice
	Payments      []EventPayment `json:"payments"`
	PaymentsTotal int            `json:"payments_total"`
}

// MaxEventPayments bounds the payments an event carries: an invoice paid in a
// thousand dust transfers does not make a thousand events of a thousand payments.
const MaxEventPayments = 20

// EventPayment is one payment of an invoice, as its events show it.
type EventPayment struct {
	TxHash  string          `json:"tx_hash"`
	Index   uint32          `json:"index"`
	Code    string          `json:"code"`
	Network asset.NetworkID `json:"network"`
	Amount  decimal.Decimal `json:"amount"`
	// Status is mempool, confirming, confirmed, orphaned or dropped.
	Status                chains.Status `json:"status"`
	Confirmations         int           `json:"confirmations"`
	ConfirmationsRequired int           `json:"confirmations_required"`
	BlockHeight           *uint64       `json:"block_height,omitempty"`
	SeenAt                time.Time     `json:"seen_at"`
	// From is the payer's address when the chain tells it (see chains.Transfer.From):
	// often an exchange's hot wallet; never refund there without asking.
	From string `json:"from,omitempty"`
}

// emit writes an event about inv, with its payments pays, to the outbox.
func (s *Service) emit(ctx context.Context, tx Tx, inv *Invoice, t event.Type, pays []Payment) error {
	d := EventData{Invoice: inv, Payments: []EventPayment{}, PaymentsTotal: len(pays)}
	for _, p := range pays[max(0, len(pays)-MaxEventPayments):] {
		if p.Method < 0 || p.Method >= len(inv.Methods) || p.Amount == nil {
			continue
		}
		// The method's own decimals: an event never depends on the registry of today.
		amount := decimal.NewFromBigInt(p.Amount, -inv.Methods[p.Method].Decimals)
		ep := EventPayment{TxHash: p.TxID, Index: p.Index, Code: p.Asset, Network: p.Network.ID, Amount: amount,
			Status: p.Status, Confirmations: p.Confirmations, ConfirmationsRequired: p.Required, SeenAt: p.SeenAt.UTC(), From: p.From}
		if p.Block.Hash != "" {
			h := p.Block.Height
			ep.BlockHeight = &h
		}
		d.Payments = append(d.Payments, ep)
	}
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = tx.InsertEvent(ctx, event.Event{
		ID: ids.New("evt"), Type: t, CreatedAt: s.cfg.Now().UTC(), Mode: inv.Mode, Livemode: inv.Livemode(),
		ObjectID: inv.ID, Data: data, SubMerchantID: inv.SubMerchantID,
	})
	return err
}
