package apiclient_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/kassapay/kassa/httphandler"
	"github.com/kassapay/kassa/kassatest"
)

// TestDocumentIsCurrent: openapi.json, from which the client is generated, is the
// document the handler serves (with no PublicURL, so servers is "/"). With
// KASSA_UPDATE_OPENAPI=1 it rewrites the file instead.
func TestDocumentIsCurrent(t *testing.T) {
	env := kassatest.New(t)
	h, err := httphandler.New(env.Gateway, httphandler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	var v any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	served, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	served = append(served, '\n')
	if os.Getenv("KASSA_UPDATE_OPENAPI") == "1" {
		if err := os.WriteFile("openapi.json", served, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	file, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, served) {
		t.Fatal("openapi.json is not the document the handler serves: run KASSA_UPDATE_OPENAPI=1 go test -run TestDocumentIsCurrent ./internal/apiclient/ and go generate ./internal/apiclient/")
	}
}
