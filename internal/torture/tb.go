package torture

import (
	"fmt"
	"os"
	"sync"
)

// harnessTB is what the node helpers (btcdtest, evmtest) need of their caller outside
// a test: Fatal ends the campaign (by panic, recovered by the campaign runner or by
// the goroutine that called it), cleanups run when the campaign ends.
type harnessTB struct {
	dir      string
	mu       sync.Mutex
	cleanups []func()
}

// fatal is the panic value of harnessTB.Fatal.
type fatal struct{ msg string }

func (f fatal) Error() string { return f.msg }

func newTB(dir string) *harnessTB { return &harnessTB{dir: dir} }

func (t *harnessTB) Helper()                      {}
func (t *harnessTB) Fatal(args ...any)            { panic(fatal{fmt.Sprint(args...)}) }
func (t *harnessTB) Fatalf(f string, args ...any) { panic(fatal{fmt.Sprintf(f, args...)}) }

func (t *harnessTB) Cleanup(f func()) {
	t.mu.Lock()
	t.cleanups = append(t.cleanups, f)
	t.mu.Unlock()
}

func (t *harnessTB) TempDir() string {
	d, err := os.MkdirTemp(t.dir, "tmp")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// close runs the cleanups, last first.
func (t *harnessTB) close() {
	t.mu.Lock()
	cs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

// catch turns a harnessTB.Fatal panic in fn into an error (other panics go on).
func catch(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(fatal)
			if !ok {
				panic(r)
			}
			err = f
		}
	}()
	fn()
	return nil
}
