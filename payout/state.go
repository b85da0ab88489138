package payout

import "fmt"

// Change is something that happened to a payout: a code checked, its transaction sent
// or refused, or what the chain watcher saw of that transaction.
type Change string

const (
	// ChangeVerified: its one-time code was right.
	ChangeVerified Change = "verified"
	// ChangeCodeFailed: five wrong codes, or the code expired.
	ChangeCodeFailed Change = "code_failed"
	// ChangeSent: the node accepted its transaction (or had it already).
	ChangeSent Change = "sent"
	// ChangeUnsigned: its transaction is built and waits for an external signer (a
	// watch-only keyring's PSBT).
	ChangeUnsigned Change = "unsigned"
	// ChangeCancelled: cancelled on request before its transaction was signed.
	ChangeCancelled Change = "cancelled"
	// ChangeRefused: the node refused its transaction for good, or it could not be
	// built, or the funds did not become spendable in time.
	ChangeRefused Change = "refused"
	// ChangeSeen: the watcher sees its transaction in the mempool or in a block, with
	// fewer confirmations than the network's payout confirmations.
	ChangeSeen Change = "seen"
	// ChangeConfirmed: its transaction has the network's payout confirmations.
	ChangeConfirmed Change = "confirmed"
	// ChangeReverted: its transaction was mined and reverted (EVM): nothing was paid.
	ChangeReverted Change = "reverted"
	// ChangeDropped: its transaction left the chain (a reorg) or the mempool: the same
	// signed transaction is sent again.
	ChangeDropped Change = "dropped"
	// ChangeConflicted: a confirmed transaction spends one of its transaction's inputs,
	// so it can never confirm: it is signed again, with other inputs.
	ChangeConflicted Change = "conflicted"
)

// Next is the one place that decides a payout's status: the status a payout in from
// moves to on change c. A change that does not apply to from is an error wrapping
// ErrInvalidState, and the payout keeps its status.
//
//	pending_verification --verified--> processing
//	pending_verification --code_failed--> cancelled
//	processing --sent | seen--> broadcast        processing --confirmed--> completed
//	processing --refused--> failed               processing --unsigned--> awaiting_signature
//	awaiting_signature --sent | seen--> broadcast  awaiting_signature --confirmed--> completed
//	awaiting_signature --refused--> failed       awaiting_signature --cancelled--> cancelled
//	broadcast --seen | dropped--> broadcast      broadcast --confirmed--> completed
//	broadcast --reverted--> failed               broadcast --conflicted--> processing
//	completed --seen | dropped--> broadcast (a reorg took its block away)
//	completed --conflicted--> processing         completed --confirmed--> completed
//
// failed and cancelled are final.
func Next(from Status, c Change) (Status, error) {
	switch from {
	case StatusPendingVerification:
		switch c {
		case ChangeVerified:
			return StatusProcessing, nil
		case ChangeCodeFailed:
			return StatusCancelled, nil
		}
	case StatusProcessing:
		switch c {
		case ChangeSent, ChangeSeen:
			return StatusBroadcast, nil
		case ChangeConfirmed:
			return StatusCompleted, nil
		case ChangeRefused:
			return StatusFailed, nil
		case ChangeUnsigned:
			return StatusAwaitingSignature, nil
		}
	case StatusAwaitingSignature:
		switch c {
		case ChangeSent, ChangeSeen:
			return StatusBroadcast, nil
		case ChangeConfirmed:
			return StatusCompleted, nil // signed and sent, then mined before it was recorded
		case ChangeRefused:
			return StatusFailed, nil
		case ChangeCancelled:
			return StatusCancelled, nil
		}
	case StatusBroadcast:
		switch c {
		case ChangeSent, ChangeSeen, ChangeDropped:
			return StatusBroadcast, nil
		case ChangeConfirmed:
			return StatusCompleted, nil
		case ChangeReverted:
			return StatusFailed, nil
		case ChangeConflicted:
			return StatusProcessing, nil
		}
	case StatusCompleted:
		switch c {
		case ChangeSeen, ChangeDropped:
			return StatusBroadcast, nil
		case ChangeConfirmed:
			return StatusCompleted, nil
		case ChangeConflicted:
			return StatusProcessing, nil
		}
	}
	return from, fmt.Errorf("%w: a %s payout cannot be %s", ErrInvalidState, from, c)
}
