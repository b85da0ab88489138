package sqlite

// Lookups by a column that only some rows have (” for the others) use partial
// indexes (... WHERE col != ”). SQLite uses such an index for "col = ?" only when
// the query says col != ” too: it cannot know that the bound value is not ”.
// Without it each lookup scans the whole table (TestQueryPlans_UseTheirIndexes).
const (
	whereInvoiceRequestKey      = `mode = ? AND request_key = ? AND request_key != ''`
	wherePayoutRequestKey       = `mode = ? AND request_key = ? AND request_key != ''`
	whereRefundRequestKey       = `mode = ? AND request_key = ? AND request_key != ''`
	whereRefundToken            = `claim_token = ? AND claim_token != ''`
	whereRefundPayout           = `payout_id = ? AND payout_id != ''`
	wherePayoutBatch            = `batch_id = ? AND batch_id != '' AND mode = ?`
	wherePayoutWallet           = `wallet_id = ? AND wallet_id <> '' AND mode = ?`
	whereCustomerExternalID     = `mode = ? AND external_id = ? AND external_id <> ''`
	whereProductRequestKey      = `mode = ? AND request_key = ? AND request_key != ''`
	whereSubscriptionRequestKey = `mode = ? AND request_key = ? AND request_key != ''`
	// A payout whose transaction is txid (?2), or was before a fee bump replaced it.
	wherePayoutTx = `id IN (SELECT id FROM payouts WHERE tx_hash = ?2 AND tx_hash != '' AND mode = ?1
		UNION SELECT payout_id FROM payout_replaced_txs WHERE mode = ?1 AND txid = ?2)`
)

// subIndexed is what a list filtered to scope sub adds after "sub_merchant_id = ?" for
// the scope's partial index (a sub-merchant's rows: sub_merchant_id <> ”); the
// operator's own scope (”) has none.
func subIndexed(sub string) string {
	if sub == "" {
		return ""
	}
	return ` AND sub_merchant_id <> ''`
}
