package apikey_test

import (
	"context"
	"errors"
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
