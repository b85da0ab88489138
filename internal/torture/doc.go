// Package torture is Kassa's reliability harness: campaigns that run the real thing
// (the standalone server binary, btcd in regtest, go-ethereum's node, SQLite files),
// break it the ways production does, and check invariants that a bug would break.
//
//   - Crash: the server SIGKILLed at random moments under concurrent clients that
//     create invoices, pay them on chain and ask for payouts; the database is checked
//     after every kill and at the end.
//   - Reorg: reorgs of depth 1..6 during payments, on btcd in regtest (some payments
//     double-spent away) and on the go-ethereum node (ETH and a token; some payments
//     dropped and their nonces taken; some while Kassa is down, found by the next
//     process from what the last one stored); the merchant's available balance of
//     each asset must match the best chain after every step.
//   - Load: sustained create-invoice and status traffic over HTTP: throughput,
//     p50/p99, errors, memory over time.
//   - BadInput: every fuzz target of outside input for an execution budget, and a
//     table of hostile requests that must each be refused with nothing stored.
//
// What Kassa stored is compared with facts the harness keeps of what it did outside
// Kassa (payments it sent, payouts it asked for, webhook deliveries its receiver
// verified) and with what the nodes say (check.go). Run it with
// go run ./internal/torture/cmd/torture; CI runs the -short form.
package torture
