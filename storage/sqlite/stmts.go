package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// conn runs the statements of one transaction. It reuses statements the store has
// prepared before (SQLite spends as long parsing and planning a short INSERT as it
// does running it), and inside a batch it runs each statement to its end even when the
// caller's context ends (see group.go).
type conn struct {
	tx     *sql.Tx
	stmts  *stmtCache
	detach bool // statements ignore the caller's cancellation
}

func (c conn) ctx(ctx context.Context) context.Context {
	if c.detach {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// ExecContext is sql.Tx.ExecContext.
func (c conn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = c.ctx(ctx)
	if st := c.stmts.get(q); st != nil {
		return c.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return c.tx.ExecContext(ctx, q, args...)
}

// QueryUncached is sql.Tx.QueryContext on a statement of its own.
func (c conn) QueryUncached(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return c.tx.QueryContext(c.ctx(ctx), q, args...)
}

// QueryContext is sql.Tx.QueryContext.
func (c conn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = c.ctx(ctx)
	if st := c.stmts.get(q); st != nil {
		return c.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return c.tx.QueryContext(ctx, q, args...)
}

// QueryRowContext is sql.Tx.QueryRowContext.
func (c conn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = c.ctx(ctx)
	if st := c.stmts.get(q); st != nil {
		return c.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return c.tx.QueryRowContext(ctx, q, args...)
}

// A cached statement is one compiled statement per connection: the same SQL must not
// run again on a transaction while a Rows of it is still open there (every reader here
// reads its rows to the end and closes them before the next statement; ForEachPosting,
// which calls back while its rows are open, runs its query uncached).

// maxStmts bounds the cache; the store's statements are a fixed set well under it.
const maxStmts = 512

// stmtCache keeps statements prepared on a pool (database/sql prepares a pool-level
// statement on each connection the first time a transaction there uses it, and keeps
// it). A statement is not prepared when first asked for, because the pool's
// connections may all be inside transactions (the writer has one): it runs unprepared,
// and fill prepares it once the asking transaction is over.
type stmtCache struct {
	db   *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	want map[string]bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, want: map[string]bool{}}
}

// get returns q's prepared statement, or nil and remembers to prepare it.
func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st
	}
	if c.m != nil && len(c.m)+len(c.want) < maxStmts {
		c.want[q] = true
	}
	return nil
}

// fill prepares the statements asked for since the last fill. It must be called with
// no transaction of the caller's open on the pool, or preparing could wait for itself.
func (c *stmtCache) fill(ctx context.Context) {
	c.mu.Lock()
	if len(c.want) == 0 {
		c.mu.Unlock()
		return
	}
	want := c.want
	c.want = map[string]bool{}
	c.mu.Unlock()
	for q := range want {
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue // it runs unprepared; an error in q shows where it runs
		}
		c.mu.Lock()
		if _, ok := c.m[q]; ok || c.m == nil {
			_ = st.Close() // prepared meanwhile, or the store closed
		} else {
			c.m[q] = st
		}
		c.mu.Unlock()
	}
}

// close releases the prepared statements.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		_ = st.Close()
	}
	c.m = nil
}
