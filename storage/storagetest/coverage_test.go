package storagetest

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"testing"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/ledger"
	"github.com/kassapay/kassa/storage"
)

// TestRecordingTxForwardsEveryMethod calls every method of storage.Tx on a
// recordingTx over another recordingTx over nothing: each must report its own name
// and forward to the same method of the Tx it wraps, or the suite's coverage check
// would count the wrong methods.
func TestRecordingTxForwardsEveryMethod(t *testing.T) {
	txType := reflect.TypeFor[storage.Tx]()
	for i := range txType.NumMethod() {
		name := txType.Method(i).Name
		outer, inner := newCoverage(), newCoverage()
		rt := &recordingTx{tx: &recordingTx{tx: struct{ storage.Tx }{}, cov: inner}, cov: outer}
		m := reflect.ValueOf(rt).MethodByName(name)
		args := make([]reflect.Value, m.Type().NumIn())
		for j := range args {
			args[j] = reflect.Zero(m.Type().In(j))
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not reach the wrapped Tx (it should have panicked on the nil one)", name)
				}
			}()
			m.Call(args)
		}()
		for which, cov := range map[string]*coverage{"itself": outer, "the Tx it wraps": inner} {
			var called []string
			for k := range cov.called {
				called = append(called, k)
			}
			if !slices.Equal(called, []string{name}) {
				t.Errorf("calling %s recorded %v for %s", name, called, which)
			}
		}
	}
}

// fakeTx answers a few methods; the others are never called.
type fakeTx struct{ storage.Tx }

func (fakeTx) Setting(context.Context, string) ([]byte, bool, error) { return []byte("v"), true, nil }
func (fakeTx) SetSettingOnce(context.Context, string, []byte) (bool, error) {
	return false, errors.New("disk full")
}
func (fakeTx) LockAccount(context.Context, string) (ledger.Account, error) {
	return ledger.Account{}, ledger.ErrAccountNotFound
}
func (fakeTx) CreateAccount(context.Context, ledger.Account) error { return nil }

// TestCoverageCountsDirectSuccessfulCalls checks what the suite's coverage check
// counts: a method this package called directly and that succeeded; not one that
// failed, nor one called only by a domain function given the Tx.
func TestCoverageCountsDirectSuccessfulCalls(t *testing.T) {
	cov := newCoverage()
	tx := &recordingTx{tx: fakeTx{}, cov: cov}
	ctx := t.Context()
	all := reflect.TypeFor[storage.Tx]().NumMethod()
	if got := len(cov.missing()); got != all {
		t.Fatalf("%d methods missing before any call, want all %d", got, all)
	}
	if _, _, err := tx.Setting(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.SetSettingOnce(ctx, "x", nil); err == nil {
		t.Fatal("the fake's SetSettingOnce succeeded")
	}
	// EnsureAccount calls LockAccount (which fails) and CreateAccount (which succeeds).
	if err := ledger.EnsureAccount(ctx, tx, ledger.Account{Name: "a", Asset: "BTC", Mode: asset.Test}); err != nil {
		t.Fatal(err)
	}
	missing := cov.missing()
	if len(missing) != all-1 || slices.Contains(missing, "Setting") {
		t.Errorf("after one direct successful call of Setting, missing %d: %v", len(missing), missing)
	}
	for _, m := range []string{"SetSettingOnce", "LockAccount", "CreateAccount"} {
		if !slices.Contains(missing, m) {
			t.Errorf("%s counts as exercised; it failed or was called only through ledger.EnsureAccount", m)
		}
		if !cov.called[m] {
			t.Errorf("%s was called but not recorded", m)
		}
	}
	if err := tx.CreateAccount(ctx, ledger.Account{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(cov.missing(), "CreateAccount") {
		t.Error("a direct successful CreateAccount does not count")
	}
}

// TestSuiteNames checks the subtests' names: unique, Interface_Behaviour.
func TestSuiteNames(t *testing.T) {
	seen := map[string]bool{}
	valid := regexp.MustCompile(`^[A-Z][A-Za-z]*_[A-Z][A-Za-z0-9]*$`)
	for _, tc := range tests() {
		if seen[tc.name] {
			t.Errorf("two tests named %s", tc.name)
		}
		seen[tc.name] = true
		if !valid.MatchString(tc.name) {
			t.Errorf("test name %q is not Interface_Behaviour", tc.name)
		}
		if tc.fn == nil {
			t.Errorf("test %s has no function", tc.name)
		}
	}
}
