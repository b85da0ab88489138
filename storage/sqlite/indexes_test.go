package sqlite

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryPlans_UseTheirIndexes asks SQLite how it runs each lookup by a column that
// only some rows have: through its partial index, never by scanning the table (what
// each did before the lookups said col != ”: an Idempotency-Key's lookup scanned
// every invoice, and made each create slower than the one before).
func TestQueryPlans_UseTheirIndexes(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "kassa.db"), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct{ table, index, where string }{
		{"invoices", "invoices_request_key", whereInvoiceRequestKey},
		{"payouts", "payouts_request_key", wherePayoutRequestKey},
		{"refunds", "refunds_request_key", whereRefundRequestKey},
		{"refunds", "refunds_claim", whereRefundToken},
		{"refunds", "refunds_payout", whereRefundPayout},
		{"payouts", "payouts_batch", wherePayoutBatch},
		{"payouts", "payouts_wallet", wherePayoutWallet},
		{"customers", "customers_external_id", whereCustomerExternalID},
		{"products", "products_request_key", whereProductRequestKey},
		{"subscriptions", "subscriptions_request_key", whereSubscriptionRequestKey},
		{"invoices", "invoices_sub", `mode = ? AND sub_merchant_id = ?` + subIndexed("sm_x")},
		{"payouts", "payouts_tx", wherePayoutTx},
	} {
		q := "EXPLAIN QUERY PLAN SELECT * FROM " + c.table + " WHERE " + c.where
		rows, err := s.r.QueryContext(context.Background(), q, "a", "b")
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "; ")
		if strings.Contains(all, "SCAN "+c.table) || !strings.Contains(all, c.index) {
			t.Errorf("%s WHERE %s runs as %q, want through %s", c.table, c.where, all, c.index)
		}
	}
}
