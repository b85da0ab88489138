package apikey_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/kassatest"
)

func TestAPIKeys_CreateAuthenticateRevoke(t *testing.T) {
	env := kassatest.New(t)
	ctx := context.Background()
	keys := env.Gateway.Keys()
	test, err := keys.Create(ctx, apikey.CreateParams{Mode: asset.Test, Label: "ci", AllowedIPs: []string{"10.0.0.0/8", "192.0.2.7"}})
	if err != nil {
		t.Fatal(err)
	}
	live, _ := keys.Create(ctx, apikey.CreateParams{Mode: asset.Live})
	if !strings.HasPrefix(test.Secret, "sk_test_") || !strings.HasPrefix(live.Secret, "sk_live_") || !strings.HasPrefix(test.Secret, test.Prefix) {
		t.Fatalf("secrets %q %q", test.Secret, live.Secret)
	}
	if len(test.AllowedIPs) != 2 || test.AllowedIPs[1].String() != "192.0.2.7/32" {
		t.Fatalf("allowed %v", test.AllowedIPs)
	}
	got, err := keys.Authenticate(ctx, test.Secret)
	if err != nil || got.ID != test.ID || got.Mode != asset.Test || got.Secret != "" {
		t.Fatalf("authenticate: %+v, %v", got, err)
	}
	// A live prefix on a test secret, a changed character, garbage: all refused.
	forged := "sk_live_" + strings.TrimPrefix(test.Secret, "sk_test_")
	last := byte('a')
	if test.Secret[len(test.Secret)-1] == 'a' {
		last = 'b'
	}
	flipped := test.Secret[:len(test.Secret)-1] + string(last)
	for _, s := range []string{forged, flipped, "", "Bearer x", strings.Repeat("sk_test_", 20)} {
		if _, err := keys.Authenticate(ctx, s); err == nil {
			t.Errorf("%q authenticated", s)
		}
	}
	list, _ := keys.List(ctx)
	if len(list) != 2 || list[0].Secret != "" {
		t.Fatalf("list %+v", list)
	}
	if err := keys.Revoke(ctx, test.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Authenticate(ctx, test.Secret); !errors.Is(err, apikey.ErrRevoked) {
		t.Fatalf("revoked key: %v", err)
	}
	if err := keys.Revoke(ctx, test.ID); !errors.Is(err, apikey.ErrNotFound) {
		t.Fatalf("revoke twice: %v", err)
	}
	var ve *kassa.ValidationError
	if _, err := keys.Create(ctx, apikey.CreateParams{Mode: "prod", AllowedIPs: []string{"nope"}}); !errors.As(err, &ve) || len(ve.Fields) != 2 {
		t.Fatalf("bad params: %v", err)
	}
}

// TestAPIKeys_SetAllowedIPs: the list is replaced (single addresses become /32 or
// /128), applies to the next lookup, and clears with an empty list; a bad entry is a
// field error and changes nothing; a revoked or unknown key is ErrNotFound.
func TestAPIKeys_SetAllowedIPs(t *testing.T) {
	env := kassatest.New(t)
	ctx := context.Background()
	keys := env.Gateway.Keys()
	k, err := keys.Create(ctx, apikey.CreateParams{Mode: asset.Test, AllowedIPs: []string{"10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := keys.SetAllowedIPs(ctx, k.ID, []string{"192.0.2.7", "2001:db8::/32"})
	if err != nil || got.ID != k.ID || fmt.Sprint(got.AllowedIPs) != "[192.0.2.7/32 2001:db8::/32]" || got.Secret != "" {
		t.Fatalf("set: %+v, %v", got, err)
	}
	if auth, err := keys.Authenticate(ctx, k.Secret); err != nil || fmt.Sprint(auth.AllowedIPs) != "[192.0.2.7/32 2001:db8::/32]" {
		t.Fatalf("authenticated after the change: %+v, %v", auth, err)
	}
	var ve *kassa.ValidationError
	if _, err := keys.SetAllowedIPs(ctx, k.ID, []string{"192.0.2.8", "office"}); !errors.As(err, &ve) || len(ve.Fields) != 1 {
		t.Fatalf("a bad entry: %v", err)
	}
	if auth, _ := keys.Authenticate(ctx, k.Secret); len(auth.AllowedIPs) != 2 {
		t.Fatalf("a refused change applied: %v", auth.AllowedIPs)
	}
	if got, err := keys.SetAllowedIPs(ctx, k.ID, nil); err != nil || len(got.AllowedIPs) != 0 {
		t.Fatalf("clear: %+v, %v", got, err)
	}
	if auth, _ := keys.Authenticate(ctx, k.Secret); len(auth.AllowedIPs) != 0 {
		t.Fatalf("cleared list still %v", auth.AllowedIPs)
	}
	if _, err := keys.SetAllowedIPs(ctx, "key_nope", nil); !errors.Is(err, apikey.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
	if err := keys.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.SetAllowedIPs(ctx, k.ID, []string{"192.0.2.9"}); !errors.Is(err, apikey.ErrNotFound) {
		t.Fatalf("revoked key: %v", err)
	}
}
