package httphandler_test

import (
	"strings"
	"testing"

	"github.com/kassapay/kassa/httphandler"
)

// TestDocsSigningSnippet: the Go signing function that docs/http-api.md shows (sign in
// example_test.go; the root package's TestDocs_GoSnippetsCompile checks the page
// quotes it verbatim) computes the server's signature, and a server accepts a request
// signed with it.
func TestDocsSigningSnippet(t *testing.T) {
	body := []byte(`{"amount":"100.50","currency":"USD"}`)
	got := sign("sk_test_abc", "1700000000000", "POST", "/pay/v1/invoices", body)
	if got != httphandler.Sign("sk_test_abc", "1700000000000", "POST", "/pay/v1/invoices", body) || len(got) != 64 || strings.ToLower(got) != got {
		t.Fatalf("the documented signing gives %s", got)
	}
	a := newAPI(t, httphandler.Options{})
	want(t, a.do("POST", "/v1/invoices", body, nil), 201, "")
}
