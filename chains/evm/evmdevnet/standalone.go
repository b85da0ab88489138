package evmdevnet

import (
	"fmt"
	"sync"
)

// Standalone is the TB for a program (a demo, a script) rather than a test: Fatal
// panics with a *Failure, which Catch turns back into an error, and Close runs the
// cleanups, last first (stopping the node). Use it as:
//
//	tb := &evmdevnet.Standalone{}
//	defer tb.Close()
//	err := evmdevnet.Catch(func() {
//		node := evmdevnet.Start(tb, nil)
//		// ... node.URL is the JSON-RPC endpoint for evm.Config.URL
//	})
type Standalone struct {
	mu       sync.Mutex
	cleanups []func()
}

// Failure is the panic value of Standalone.Fatal.
type Failure struct{ Msg string }

func (f *Failure) Error() string { return "evmdevnet: " + f.Msg }

// Helper does nothing; it is there to satisfy TB.
func (s *Standalone) Helper() {}

// Fatal panics with a *Failure carrying args.
func (s *Standalone) Fatal(args ...any) { panic(&Failure{Msg: fmt.Sprint(args...)}) }

// Cleanup registers f to run at Close.
func (s *Standalone) Cleanup(f func()) {
	s.mu.Lock()
	s.cleanups = append(s.cleanups, f)
	s.mu.Unlock()
}

// Close runs the registered cleanups, last first, once.
func (s *Standalone) Close() {
	s.mu.Lock()
	cs := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

// Catch runs fn and returns the *Failure of a Standalone.Fatal inside it as an error;
// other panics go on.
func Catch(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(*Failure)
			if !ok {
				panic(r)
			}
			err = f
		}
	}()
	fn()
	return nil
}
