package postgres_test

import (
	"testing"

	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/storagetest"
)

// BenchmarkDueInvoices: an expiry tick's read with 1,000 to 100,000 pending invoices
// (see storagetest.BenchDueInvoices).
func BenchmarkDueInvoices(b *testing.B) {
	storagetest.BenchDueInvoices(b, func(b *testing.B) storage.Store { return open(b) })
}

// BenchmarkPassReads: what the payout and webhook passes read per tick beside 1,000 to
// 100,000 rows that are not due (see storagetest.BenchPassReads).
func BenchmarkPassReads(b *testing.B) {
	storagetest.BenchPassReads(b, func(b *testing.B) storage.Store { return open(b) })
}
