// Package treasury moves the merchant's money between Kassa's own addresses: the sweep
// pass takes confirmed deposits on account-based chains (EVM, Tron) from the deposit
// addresses to the network's hot wallet, where payouts leave from.
//
// A deposit is a sweep candidate once the chain watcher has booked it available
// (confirmed). Step, the leased background pass (Gateway.Run and Sync call it), looks
// at the candidates of every network with a Sweeper: an address's asset is swept when
// its balance at the asset's confirmed depth (and no more than it holds now) reaches
// the asset's threshold and, for the network's coin, the sweep's fee is at most
// MaxFeePercent of it (a token is swept from its threshold on); otherwise its
// transfers are marked as looked at, and the next deposit to the address brings the
// whole balance back (a Sweeper that cannot tell the balance yet answers ErrWaiting,
// and the candidate is looked at again by the next pass). A
// token sweep takes two steps: the hot wallet sends the deposit address the gas it
// needs, and once that is mined the deposit address sends the tokens. Every fee is
// booked by the wallet when its transaction is confirmed (ledger.BookNetworkFee:
// from the merchant's available balance of the network's coin).
//
// A sweep is a record (Sweep) that follows its steps: topping_up (a token's gas on
// its way), sweeping (its transaction sent), then completed (sweep.completed) or
// failed (sweep.failed: its transfers are candidates again). The record, with its
// transfers taken, is stored before anything is signed, and its id names its
// transactions: the wallet signs each step once per id and stores it before
// broadcast, sends a stored step again while it is not mined, and a crash anywhere
// resumes where it stopped, never sweeping twice. At most one sweep of an address's
// asset is open at a time (a unique index, also when two passes overlap).
//
// Cold storage: with Config.Cold, what a hot wallet holds above an asset's ceiling,
// less what open payouts will take, goes to the cold wallet as a payout of the
// merchant's own (Forwarder), while no payout waits for funds; after a failed forward
// the next waits an hour.
package treasury

import (
	"context"
	"errors"
	"math/big"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/keys"
	"github.com/shopspring/decimal"
)

// SweepStatus is where a sweep stands.
type SweepStatus string

// Sweep statuses.
const (
	SweepToppingUp SweepStatus = "topping_up"
	SweepSweeping  SweepStatus = "sweeping"
	SweepCompleted SweepStatus = "completed"
	SweepFailed    SweepStatus = "failed"
)

// Events.
const (
	EventSweepCompleted event.Type = "sweep.completed"
	EventSweepFailed    event.Type = "sweep.failed"
)

// Kinds of Sweep records.
const (
	KindSweep = "sweep" // a deposit address's balance to the hot wallet
	KindCold  = "cold"  // the hot wallet's excess over its ceiling to cold storage
)

// Sweep moves one address's balance of one asset to the hot wallet (KindSweep), or
// the hot wallet's excess over its ceiling to cold storage (KindCold: a payout of the
// merchant's own, PayoutID; Address is the cold wallet's).
type Sweep struct {
	ID       string          `json:"id"`
	Kind     string          `json:"kind"`
	PayoutID string          `json:"payout_id,omitempty"`
	Mode     asset.Mode      `json:"-"`
	Network  asset.NetworkID `json:"network"`
	Address  string          `json:"address"`
	Asset    string          `json:"code"`
	Amount   decimal.Decimal `json:"amount"`
	Status   SweepStatus     `json:"status"`
	TxHash   string          `json:"tx_hash,omitempty"`
	GasTx    string          `json:"gas_tx_hash,omitempty"` // a token's gas top-up
	// Gas is what the top-up sent the deposit address, in the network's coin.
	Gas    *decimal.Decimal `json:"gas,omitempty"`
	Fee    *decimal.Decimal `json:"fee"` // in the network's coin, once known
	Reason string           `json:"failure_reason,omitempty"`
	// Transfers are the deposits it takes (chain transfer ids).
	Transfers []string  `json:"transfers"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Candidate is an address's asset with deposits not yet swept.
type Candidate struct {
	Address, Asset string
	Transfers      []string // chain transfer ids
}

// Tx is the storage the treasury needs inside one transaction.
type Tx interface {
	event.Tx
	keys.AddressBook
	// SweepCandidates returns up to limit (address, asset) pairs of n with transfers
	// booked available and not yet swept, with those transfers' ids.
	SweepCandidates(ctx context.Context, n chains.NetworkRef, limit int) ([]Candidate, error)
	// MarkSwept marks transfers of n as swept (taken by a sweep, or looked at), or
	// not (a failed sweep gives them back).
	MarkSwept(ctx context.Context, n chains.NetworkRef, ids []string, swept bool) error
	InsertSweep(ctx context.Context, s *Sweep) error
	UpdateSweep(ctx context.Context, s *Sweep) error
	// OpenSweeps returns the sweeps of n that are topping up or sweeping.
	OpenSweeps(ctx context.Context, n chains.NetworkRef) ([]*Sweep, error)
	// ColdForwarded sums, per asset code, the amounts of n's completed forwards to
	// cold storage (KindCold).
	ColdForwarded(ctx context.Context, n chains.NetworkRef) (map[string]decimal.Decimal, error)
	// ListSweeps returns the latest limit sweeps of mode m, newest first.
	ListSweeps(ctx context.Context, m asset.Mode, limit int) ([]*Sweep, error)
}

// Cold is where a network's hot wallet forwards what it holds above its ceilings.
type Cold struct {
	// Address is the cold wallet's, checked at start (the network's format, not one
	// of our own addresses).
	Address string
	// Ceilings: the most the hot wallet keeps of each asset code; what is above (by at
	// least the asset's minimum payout) is forwarded.
	Ceilings map[string]decimal.Decimal
}

// Forwarder pays the cold wallet (the Gateway's payouts: CreateParams.Internal).
type Forwarder interface {
	// Forward pays amount of code on n from the hot wallet to dest as a payout of the
	// merchant's own, idempotent by key, and returns its id.
	Forward(ctx context.Context, n chains.NetworkRef, code, dest string, amount decimal.Decimal, key string) (string, error)
	// Forwarded says whether payout id completed or failed (neither: still open).
	Forwarded(ctx context.Context, m asset.Mode, id string) (done, failed bool, err error)
	// Committed is what the open payouts of code on n will take from the hot wallet
	// (amounts and fees in code), and whether one of them waits for funds.
	Committed(ctx context.Context, n chains.NetworkRef, code string) (amount decimal.Decimal, waiting bool, err error)
}

// Sweeper is a network's wallet as the sweep pass uses it (chains/evm's and
// chains/tron's wallets, through the Gateway).
type Sweeper interface {
	// FeeAsset is the asset code fees are paid in (the network's coin).
	FeeAsset() string
	// HotAddress is where sweeps go.
	HotAddress() string
	// ConfirmedBalance is what addr holds of code at the given confirmations;
	// ErrWaiting when the node cannot tell yet (the candidate is looked at again by
	// the next pass).
	ConfirmedBalance(ctx context.Context, addr, code string, confirmations int) (*big.Int, error)
	// SweepWorth says whether sweeping units of code is worth its fee now
	// (ErrNotWorth when the fee would be more than maxFeePercent of it).
	SweepWorth(ctx context.Context, code string, units *big.Int, maxFeePercent int64) error
	// SweepStep takes the next step of sweep id: moving units of code from addr to the
	// hot wallet (a token's gas top-up first), and reports it; ErrNotWorth when the
	// fee would be more than maxFeePercent of it. Called again with the same id it
	// sends again what is not mined, confirms what it sent and goes on, never signing
	// a step twice.
	SweepStep(ctx context.Context, id string, addr keys.Address, code string, units *big.Int, maxFeePercent int64) (Step, error)
}

// Step is where a sweep's transactions stand on chain.
type Step struct {
	GasTx, TxID string
	// Gas is what the top-up sent (a token's sweep), in the network's coin's base units.
	Gas *big.Int
	// Done: the sweep's transaction is mined (Failed: reverted); Fee is what all its
	// transactions cost, in the network's coin.
	Done, Failed bool
	Fee          *big.Int
}

// Errors.
var (
	// ErrNotWorth: the sweep's fee would be more than MaxFeePercent of it.
	ErrNotWorth = errors.New("sweeping this costs too large a share of it in fees")
	// ErrRejected: the node refused one of the sweep's transactions for good.
	ErrRejected = errors.New("the node refused the sweep's transaction")
	// ErrWaiting: the sweep cannot take its next step yet (the hot wallet cannot pay a
	// token's gas top-up): it stays open and the next pass tries again.
	ErrWaiting = errors.New("the sweep waits")
)
