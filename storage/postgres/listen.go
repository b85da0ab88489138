package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/storage"
)

// channelPrefix names the NOTIFY channel of a schema (with the schema's name, as the
// triggers of migrations/0001 send it); maxIdentifier is PostgreSQL's longest
// identifier, a channel name included.
const (
	channelPrefix = "kassa_changes:"
	maxIdentifier = 63
)

// listenerName is the application_name of Listen's connections, which tells them
// apart from the pool's in pg_stat_activity.
const listenerName = "kassa-listener"

// notification is the payload the schema's triggers send (kassa_notify).
type notification struct {
	Kind    string `json:"k"`
	Network string `json:"n"`
	Mode    string `json:"m"`
	Value   string `json:"v"`
}

// Listen implements storage.Listener on a connection of its own (not the pool's),
// which LISTENs on the schema's channel before Listen returns: every change committed
// after that is delivered. When the connection is lost, it reconnects with backoff
// (100 ms doubling up to 30 s, jittered) and delivers storage.ChangeReset once it
// listens again. The channel is closed when ctx ends or the store is closed.
//
// NOTE: changes are delivered as fast as the caller reads them; while it does not,
// the server queues them (up to its notification queue's size, 8 GB by default).
func (s *Store) Listen(ctx context.Context) (<-chan storage.Change, error) {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return nil, storage.ErrClosed
	}
	s.listeners.Add(1)
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.done, cancel)
	conn, channel, err := s.listenConn(ctx)
	if err != nil {
		stop()
		cancel()
		s.listeners.Done()
		return nil, err
	}
	ch := make(chan storage.Change, 16)
	go func() {
		defer s.listeners.Done()
		defer close(ch)
		defer cancel()
		defer stop()
		s.listen(ctx, conn, channel, ch)
	}()
	return ch, nil
}

// listenConn opens a connection outside the pool and LISTENs on the channel of its
// current schema.
func (s *Store) listenConn(ctx context.Context) (*pgx.Conn, string, error) {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenerName
	delete(cfg.RuntimeParams, "statement_timeout") // WaitForNotification waits, as long as it must
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: listen: %w", err)
	}
	var schema *string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil || schema == nil {
		conn.Close(context.WithoutCancel(ctx))
		if err == nil {
			err = errors.New("no current schema")
		}
		return nil, "", fmt.Errorf("postgres: listen: %w", err)
	}
	channel := channelPrefix + *schema
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, "", fmt.Errorf("postgres: listen: %w", err)
	}
	return conn, channel, nil
}

// listen delivers the notifications of conn to ch until ctx ends, reconnecting when
// the connection is lost.
func (s *Store) listen(ctx context.Context, conn *pgx.Conn, channel string, ch chan<- storage.Change) {
	send := func(c storage.Change) bool {
		select {
		case ch <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	defer func() {
		if conn != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			conn.Close(cctx)
			cancel()
		}
	}()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.WarnContext(ctx, "kassa: the connection listening for changes was lost; reconnecting", "err", err)
			conn.Close(context.WithoutCancel(ctx))
			conn = s.relisten(ctx)
			if conn == nil || !send(storage.Change{Kind: storage.ChangeReset}) {
				return
			}
			continue
		}
		if n.Channel != channel {
			continue
		}
		c, err := parseChange(n.Payload)
		if err != nil {
			s.log.WarnContext(ctx, "kassa: a change notification not understood; reloading", "payload", n.Payload, "err", err)
			c = storage.Change{Kind: storage.ChangeReset}
		}
		if !send(c) {
			return
		}
	}
}

// relisten reconnects with backoff until it listens again (nil when ctx ended).
func (s *Store) relisten(ctx context.Context) *pgx.Conn {
	wait := 100 * time.Millisecond
	for {
		conn, _, err := s.listenConn(ctx)
		if err == nil {
			s.log.InfoContext(ctx, "kassa: listening for changes again")
			return conn
		}
		if ctx.Err() != nil {
			return nil
		}
		s.log.WarnContext(ctx, "kassa: reconnecting to listen for changes", "err", err, "retry_in", wait)
		timer := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// parseChange reads a trigger's payload.
func parseChange(payload string) (storage.Change, error) {
	var n notification
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return storage.Change{}, err
	}
	network := chains.NetworkRef{ID: asset.NetworkID(n.Network), Mode: asset.Mode(n.Mode)}
	switch storage.ChangeKind(n.Kind) {
	case storage.ChangeWatch:
		return storage.Change{Kind: storage.ChangeWatch, Network: network, Value: n.Value}, nil
	case storage.ChangeFollow:
		return storage.Change{Kind: storage.ChangeFollow, Network: network, Value: n.Value}, nil
	case storage.ChangeEvent:
		return storage.Change{Kind: storage.ChangeEvent}, nil
	case storage.ChangeReset:
		return storage.Change{Kind: storage.ChangeReset}, nil
	case storage.ChangeMark:
		return storage.Change{Kind: storage.ChangeMark, Value: n.Value}, nil
	}
	return storage.Change{}, fmt.Errorf("unknown kind %q", n.Kind)
}

// Mark implements storage.Listener: one NOTIFY on the schema's channel, outside any
// transaction, so it is delivered after the notifications of every transaction that
// committed before it (PostgreSQL delivers them in commit order).
func (s *Store) Mark(ctx context.Context, token string) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	payload, err := json.Marshal(notification{Kind: string(storage.ChangeMark), Value: token})
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1 || current_schema(), $2)`, channelPrefix, string(payload)); err != nil {
		return fmt.Errorf("postgres: mark: %w", err)
	}
	return nil
}
