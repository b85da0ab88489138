// Package payout sends the merchant's money out: single payouts and mass payouts (up to
// 50 destinations), with minimums, network fee estimates, an optional service fee, an
// approval step with one-time codes above a threshold, and the ledger kept exact
// through two-phase holds.
//
// Money: a payout's Amount is what the merchant's available balance gives up. It is
// held (ledger.PlaceHold) in the same storage transaction that creates the payout. The
// recipient gets NetAmount = Amount - ServiceFee - EstimatedFee when the network fee is
// paid in the payout's own asset (BTC, ETH), or Amount - ServiceFee for tokens, whose
// gas is paid in the network's native coin and held separately. When the transaction
// confirms, the hold is posted with the actual fee: NetAmount to the world, the
// service fee to the operator account, the network fee to fees, and what the estimate
// over-reserved back to available. A transaction the node rejects voids the hold
// (rollback confirmed); one mined and reverted (EVM) voids it too, its gas booked
// from the gas hold.
//
// Confirmations: the chain watcher follows a payout's transaction like a deposit
// (chains.Transfer.Out records) and hands what it sees to Apply, in its own storage
// transaction. Statuses change only through Next, one pure function:
//
//	pending_verification --code--> processing --sent--> broadcast --confirmed--> completed
//	pending_verification --5 wrong codes, or 10 minutes--> cancelled (hold voided)
//	processing --refused--> failed        broadcast --reverted--> failed (holds voided)
//	completed --reorged out or dropped--> broadcast (the same transaction is sent again)
//	broadcast|completed --conflicted--> processing (a new transaction, a new attempt)
//
// A payout completes at its network's payout confirmations. A reorg that takes its
// block away sends it back to broadcast; its money stays booked as paid (the signed
// transaction is still valid) and it completes again, booked once, when a block
// holds it again. Only when its transaction can never confirm (a confirmed
// transaction spends one of its inputs, or an input's own transaction was
// double-spent away: chains.InputChecker) does it go back to processing: the posted
// holds are reopened (ledger.ReopenHold) or the pending ones moved, under a new
// Attempt, and Step signs a new transaction from the wallet's other coins.
//
// A payout is signed once per attempt: the chain wallets store the signed transaction
// before broadcasting and answer a retry with the same id with the same transaction.
// A node that is down is not a refusal: the payout stays processing, held, and Step
// sends the stored transaction again. A broadcast transaction the watcher has not seen
// (in the mempool or a block) for RebroadcastAfter is sent again too (nodes drop
// transactions). Step pages through every open payout, so waiting ones never starve
// new ones.
//
// Idempotency: CreateParams.RequestKey (from the API's Idempotency-Key) is stored with the
// payout in the transaction that creates it; a second create with the same key
// returns the first payout, also after a crash lost the first answer.
//
// Mass payouts: BTC destinations of one batch that need no code share one transaction
// (Payout.SendID names it, chains.BatchWallet sends it); its fee F is split as F/n base units
// each, the remainder one unit each to the first payouts in creation order.
package payout

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/keys"
	"github.com/kassapay/kassa/ledger"
	"github.com/shopspring/decimal"
)

// Status is a payout's state.
type Status string

const (
	StatusPendingVerification Status = "pending_verification"
	StatusProcessing          Status = "processing"
	// StatusAwaitingSignature: a watch-only Gateway built its transaction, which waits
	// for the signed PSBT (Service.SubmitSigned).
	StatusAwaitingSignature Status = "awaiting_signature"
	StatusBroadcast         Status = "broadcast"
	StatusCompleted         Status = "completed"
	StatusFailed            Status = "failed"
	StatusCancelled         Status = "cancelled"
)

// Events.
const (
	EventCreated             event.Type = "payout.created"
	EventAwaitingSignature   event.Type = "payout.awaiting_signature"
	EventPendingVerification event.Type = "payout.pending_verification"
	EventBroadcast           event.Type = "payout.broadcast"
	EventCompleted           event.Type = "payout.completed"
	EventFailed              event.Type = "payout.failed"
)

// Events of a customer wallet's withdrawal (Payout.WalletID), written beside the
// payout's own created, completed and failed events.
const (
	EventWithdrawalInitiated event.Type = "wallet.withdrawal.initiated"
	EventWithdrawalCompleted event.Type = "wallet.withdrawal.completed"
	EventWithdrawalFailed    event.Type = "wallet.withdrawal.failed"
)

// Errors of a payout's fields, each reading as a sentence after the field's name (a
// validation.FieldError names it).
var (
	ErrInsufficientFunds = errors.New("insufficient funds")
	ErrBelowMinimum      = errors.New("is below the minimum payout")
	ErrOwnAddress        = errors.New("is one of our own deposit addresses")
	ErrNoSender          = errors.New("payouts are not available on this network in this mode")
	ErrWatchOnly         = errors.New("the keyring is watch-only: it cannot sign payouts on this network")
	ErrTooManyDest       = errors.New("a mass payout has 1 to 50 destinations")
)

// BroadcastError is returned when the node refused a payout: the hold was voided and
// the money is back in the available balance.
type BroadcastError struct {
	PayoutID string
	Reason   string
}

func (e *BroadcastError) Error() string {
	return "payout " + e.PayoutID + " was rejected by the node and rolled back: " + e.Reason
}

// Payout is the resource.
type Payout struct {
	ID          string          `json:"payout_id"`
	Mode        asset.Mode      `json:"-"`
	BatchID     string          `json:"batch_id,omitempty"`
	BatchRef    string          `json:"batch_reference,omitempty"`
	Status      Status          `json:"status"`
	Asset       string          `json:"code"`
	Currency    string          `json:"currency"`
	Network     asset.NetworkID `json:"network"`
	Destination string          `json:"destination_address"`
	Amount      decimal.Decimal `json:"amount"`
	ServiceFee  decimal.Decimal `json:"service_fee"`
	// EstimatedFee is the network fee estimate in FeeCurrency (the network's coin).
	EstimatedFee decimal.Decimal `json:"estimated_fee"`
	FeeCurrency  string          `json:"fee_currency"`
	NetAmount    decimal.Decimal `json:"net_amount"`
	// Fee is the network fee actually paid, once known.
	Fee    *decimal.Decimal `json:"fee"`
	TxHash string           `json:"tx_hash,omitempty"`
	// Replaced are the transactions of this attempt that a fee bump replaced, oldest
	// first: the payout follows them and TxHash alike, and whichever is mined completes
	// it (its fee is the one booked).
	Replaced []ReplacedTx `json:"replaced_transactions,omitempty"`
	// PSBT is the unsigned transaction (BIP 174, base64) of a payout awaiting its
	// signature: sign it with the keys the watch-only keyring's xpubs come from and
	// submit it back (Service.SubmitSigned).
	PSBT string `json:"psbt,omitempty"`
	// SendID names the transaction this payout shares with others of its batch (BTC
	// destinations of one mass payout are paid in one transaction); "" if its own.
	SendID string `json:"send_id,omitempty"`
	// Attempt counts the transactions signed for it after the first: a new one is
	// signed only when a confirmed double-spend made the last impossible.
	Attempt       int    `json:"attempt,omitempty"`
	FailureReason string `json:"failure_reason,omitempty"`
	// ValueUSD is what the payout was worth in USD when it was created (rounded up to
	// the cent); nil when no rate was known (such a payout always waits for a code).
	ValueUSD *decimal.Decimal `json:"value_usd"`
	// Approval is how it was let out: ApprovalAutomatic (under every threshold),
	// ApprovalCode (it waits, or waited, for a one-time code) or ApprovalInternal (the
	// treasury's cold storage).
	Approval   string `json:"approval"`
	CustomerID string `json:"customer_id"`
	// RefundID names the refund or rebound (package refund) this payout pays; "" for
	// the merchant's own payouts.
	RefundID string `json:"refund_id,omitempty"`
	// WalletID names the customer wallet (package wallet) this payout withdraws from:
	// its amount and, in the payout's own asset, its network fee are held from the
	// wallet's balance, not the merchant's. "" for the merchant's own payouts.
	WalletID string `json:"wallet_id,omitempty"`
	// SubMerchantID is the sub-merchant whose balance pays it ("" for the operator's).
	SubMerchantID string          `json:"sub_merchant_id"`
	Metadata      json.RawMessage `json:"metadata"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	CompletedAt   *time.Time      `json:"completed_at,omitempty"`
	// RequestKey is the key of the request that created it (CreateParams.RequestKey;
	// "#i" is appended for the i-th payout of a batch). Stored, never shown.
	RequestKey string `json:"-"`
}

// ReplacedTx is a transaction a fee bump replaced (Payout.Replaced).
type ReplacedTx struct {
	TxHash string           `json:"tx_hash"`
	Fee    *decimal.Decimal `json:"fee"`
}

// Livemode reports whether the payout is live.
func (p *Payout) Livemode() bool { return p.Mode == asset.Live }

// gasHold reports whether the payout holds its network fee separately (a token).
func (p *Payout) gasHold() bool { return p.FeeCurrency != p.Asset }

// Tx is the storage the payout service needs inside one transaction.
type Tx interface {
	ledger.Tx
	event.Tx
	keys.AddressBook
	InsertPayout(ctx context.Context, p *Payout) error
	UpdatePayout(ctx context.Context, p *Payout) error
	// PayoutByRequestKey returns the payout created with request key key in mode, or
	// ErrNotFound.
	PayoutByRequestKey(ctx context.Context, m asset.Mode, key string) (*Payout, error)
	// GetPayout returns ErrNotFound for an unknown id or one of the other mode.
	GetPayout(ctx context.Context, m asset.Mode, id string) (*Payout, error)
	// ListPayouts returns a page of mode's payouts, newest first, in status (""
	// for any) and of scope sub (nil for any), and how many match.
	ListPayouts(ctx context.Context, m asset.Mode, status Status, sub *string, page, limit int) ([]*Payout, int, error)
	// WalletPayouts returns the payouts of mode that withdraw from wallet id, newest
	// first, up to limit.
	WalletPayouts(ctx context.Context, m asset.Mode, wallet string, limit int) ([]*Payout, error)
	// PayoutsIn returns up to limit payouts of every mode in the given states, in
	// creation order, after the payout after (nil: from the first). The background
	// job pages through all of them.
	PayoutsIn(ctx context.Context, states []Status, after *Payout, limit int) ([]*Payout, error)
	// BatchPayouts returns the payouts of a batch in creation order. In a read-write
	// transaction it returns them as the transactions that changed them committed
	// (waiting for any still open: a row lock on a shared database).
	BatchPayouts(ctx context.Context, m asset.Mode, batchID string) ([]*Payout, error)
	SetPayoutCode(ctx context.Context, id string, hash []byte, expires time.Time) error
	// PayoutCode returns the code's hash, expiry and attempts so far.
	PayoutCode(ctx context.Context, id string) (hash []byte, expires time.Time, attempts int, err error)
	SetPayoutCodeAttempts(ctx context.Context, id string, attempts int) error
	// PayoutsByTx returns the payouts of n's mode on n's network whose transaction is
	// txid, or was before a fee bump replaced it (Payout.Replaced), in creation order;
	// in a read-write transaction as committed, like BatchPayouts.
	PayoutsByTx(ctx context.Context, n chains.NetworkRef, txid string) ([]*Payout, error)
	// FollowTx, UnfollowTx and Transfer are the watcher's (chains.Tx): the payout's
	// transaction is followed from its broadcast until it is confirmed deep enough.
	FollowTx(ctx context.Context, n chains.NetworkRef, t chains.Sent) error
	UnfollowTx(ctx context.Context, n chains.NetworkRef, txid string, after time.Time) error
	Transfer(ctx context.Context, n chains.NetworkRef, txid string, index uint32) (r chains.Record, ok bool, err error)
	// AfterCommit runs fn once the transaction has committed (never if it rolls back).
	AfterCommit(fn func())
	// SendByID and ReplaceSend are the UTXO wallets' record of their sends
	// (chains.UTXOTx): when the transaction a fee bump replaced is mined instead of
	// its replacement, the wallet's record follows the payout to it.
	SendByID(ctx context.Context, n chains.NetworkRef, specID string) (chains.UTXOSend, bool, error)
	ReplaceSend(ctx context.Context, n chains.NetworkRef, next chains.UTXOSend) error
	// ReleaseSpends and SetSendStatus let a cancel of a payout awaiting its signature
	// fail its unsigned send and free its inputs in the transaction that cancels it.
	ReleaseSpends(ctx context.Context, n chains.NetworkRef, spentBy string) error
	SetSendStatus(ctx context.Context, n chains.NetworkRef, specID string, s chains.SendStatus) error
	// AutoApprovedCents sums, in US cents, the ValueUSD of the payouts of mode created
	// at or after since with Approval ApprovalAutomatic that did not fail or get
	// cancelled: what left without a code in the approval window. In a read-write
	// transaction it first waits for every other transaction that called it to end
	// (a lock until commit on a shared database), so that the window is read and the
	// new payouts inserted as one step: two creates, in any assets, never both find
	// it under the limit.
	AutoApprovedCents(ctx context.Context, m asset.Mode, since time.Time) (int64, error)
}
