package storagetest

import (
	"context"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/kassapay/kassa/storage"
)

//go:generate go run gen_recorder.go

// coverage records which methods of storage.Tx the suite exercised. A method counts
// only when code of this package called it directly (not through ledger.Post or
// another domain function that uses the Tx) and the call succeeded: a method the suite
// only ever sees fail (in a read-only View, with an unknown id) is not tested yet.
//
// NOTE: safe for concurrent use; the suite's concurrent tests share one coverage.
type coverage struct {
	mu        sync.Mutex
	called    map[string]bool     // by anyone, with any outcome
	exercised map[string]bool     // directly by the suite, successfully
	bySuite   map[[4]uintptr]bool // whether a call from this stack (its first frames) is the suite's
}

func newCoverage() *coverage {
	return &coverage{called: map[string]bool{}, exercised: map[string]bool{}, bySuite: map[[4]uintptr]bool{}}
}

// suitePrefix is how the runtime names this package's functions.
var suitePrefix = reflect.TypeFor[coverage]().PkgPath() + "."

// call is one call of a method of storage.Tx, from enter to exit.
type call struct {
	cov    *coverage
	method string
	direct bool // made directly by the suite, of a method not counted yet
}

// enter records a call of method and returns it, with whether it counts: whether it
// was made directly by the suite and the method is not counted yet (the stack is
// walked only until then).
func (c *coverage) enter(method string) call {
	c.mu.Lock()
	c.called[method] = true
	done := c.exercised[method]
	c.mu.Unlock()
	if done {
		return call{cov: c, method: method}
	}
	// The answer depends only on the call site: it is symbolised once per stack.
	var pcs [4]uintptr
	runtime.Callers(2, pcs[:]) // skip Callers and enter
	c.mu.Lock()
	direct, ok := c.bySuite[pcs]
	c.mu.Unlock()
	if !ok {
		direct = calledBySuite(pcs[:])
		c.mu.Lock()
		c.bySuite[pcs] = direct
		c.mu.Unlock()
	}
	return call{cov: c, method: method, direct: direct}
}

// exit counts the method as exercised when the call counts and it succeeded.
func (k call) exit(err error) {
	if !k.direct || err != nil {
		return
	}
	k.cov.mu.Lock()
	k.cov.exercised[k.method] = true
	k.cov.mu.Unlock()
}

// calledBySuite reports whether the function that called a recordingTx method is
// code of this package, given the stack from that method up.
func calledBySuite(pcs []uintptr) bool {
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if !strings.Contains(f.Function, ".(*recordingTx).") {
			return strings.HasPrefix(f.Function, suitePrefix)
		}
		if !more {
			return false
		}
	}
}

// missing returns the methods of storage.Tx not exercised, sorted.
func (c *coverage) missing() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	tx := reflect.TypeFor[storage.Tx]()
	for i := range tx.NumMethod() {
		if name := tx.Method(i).Name; !c.exercised[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// recordingStore hands the suite recordingTxs over the backend's transactions.
type recordingStore struct {
	storage.Store
	cov *coverage
}

func (s recordingStore) Update(ctx context.Context, fn func(context.Context, storage.Tx) error) error {
	return s.Store.Update(ctx, func(ctx context.Context, tx storage.Tx) error {
		return fn(ctx, &recordingTx{tx: tx, cov: s.cov})
	})
}

func (s recordingStore) View(ctx context.Context, fn func(context.Context, storage.Tx) error) error {
	return s.Store.View(ctx, func(ctx context.Context, tx storage.Tx) error {
		return fn(ctx, &recordingTx{tx: tx, cov: s.cov})
	})
}
