package httphandler_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/kassapay/kassa/httphandler"
)

// readmeSign is README's Go snippet, character for character (the test below checks
// README still has it).
func readmeSign(secret, timestamp, method, path string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + method + path))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

const readmeSnippet = `func sign(secret, timestamp, method, path string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + method + path))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}`

func TestReadmeSigningSnippet(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), readmeSnippet) {
		t.Fatal("README's Go signing snippet changed: update readmeSign and this test with it")
	}
	body := []byte(`{"amount":"100.50","currency":"USD"}`)
	got := readmeSign("sk_test_abc", "1700000000000", "POST", "/pay/v1/invoices", body)
	if got != httphandler.Sign("sk_test_abc", "1700000000000", "POST", "/pay/v1/invoices", body) || len(got) != 64 || strings.ToLower(got) != got {
		t.Fatalf("README snippet gives %s", got)
	}
	// And a server accepts a request signed with it (the flow tests sign with the same code).
	a := newAPI(t, httphandler.Options{})
	want(t, a.do("POST", "/v1/invoices", body, nil), 201, "")
}
