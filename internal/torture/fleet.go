package torture

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/kassapay/kassa/storage"
	"github.com/kassapay/kassa/storage/sqlite"
)

// target is the database a campaign's servers run on: a SQLite file, or a fresh
// database on a PostgreSQL server shared by several instances.
type target interface {
	name() string
	// env adds the database's settings to a server's environment.
	env(vars map[string]string) map[string]string
	// open opens it for a check.
	open(ctx context.Context) (storage.Store, error)
	drop()
}

// newTarget is the SQLite file in dir, or, with url, a new database on that
// PostgreSQL server.
func newTarget(ctx context.Context, dir, url string) (target, error) {
	if url == "" {
		return sqliteTarget{path: filepath.Join(dir, "kassa.db")}, nil
	}
	return newPostgresTarget(ctx, url)
}

type sqliteTarget struct{ path string }

func (t sqliteTarget) name() string { return "sqlite:" + t.path }

func (t sqliteTarget) env(vars map[string]string) map[string]string {
	vars["KASSA_DB"] = t.path
	return vars
}

func (t sqliteTarget) open(ctx context.Context) (storage.Store, error) {
	return sqlite.Open(ctx, t.path, sqlite.Options{})
}

func (sqliteTarget) drop() {}

// fleet is the servers of a campaign, all on one database.
type fleet struct{ servers []*server }

// launchFleet builds the server, creates a test-mode API key on the database and
// starts n instances on their own addresses.
func launchFleet(ctx context.Context, dir string, vars map[string]string, race bool, n int) (*fleet, string, error) {
	bin, err := buildServer(ctx, dir, race)
	if err != nil {
		return nil, "", err
	}
	fl := &fleet{}
	for i := range n {
		v := make(map[string]string, len(vars)+1)
		for k, val := range vars {
			v[k] = val
		}
		v["KASSA_INSTANCE"] = "instance-" + strconv.Itoa(i)
		srv, err := newServer(bin, dir, v)
		if err != nil {
			return nil, "", err
		}
		srv.logName = "server-" + strconv.Itoa(i)
		fl.servers = append(fl.servers, srv)
	}
	key, err := fl.servers[0].createKey(ctx)
	if err != nil {
		return nil, "", err
	}
	for _, s := range fl.servers {
		if err := s.start(ctx); err != nil {
			fl.kill()
			return nil, "", err
		}
	}
	return fl, key, nil
}

// kill SIGKILLs every instance still running.
func (fl *fleet) kill() {
	for _, s := range fl.servers {
		if s.cmd != nil {
			s.kill()
		}
	}
}

// stop stops every instance gracefully.
func (fl *fleet) stop() error {
	var errs []error
	for i, s := range fl.servers {
		if err := s.stop(); err != nil {
			errs = append(errs, fmt.Errorf("instance %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// client is an API client over every instance (see multiClient).
func (fl *fleet) client(key string) *multiClient {
	m := &multiClient{}
	for _, s := range fl.servers {
		m.clients = append(m.clients, newClient(s.base(), key))
	}
	return m
}

// caller sends one API request.
type caller interface {
	do(ctx context.Context, method, path string, body any, idem string, out any) error
}

// multiClient sends each request to a random instance, and to the next ones when it
// gets no answer (that instance is down): behind a load balancer, a client sees one
// service while instances die and come back.
type multiClient struct {
	mu      sync.Mutex
	rng     *rand.Rand
	clients []*client
}

func (m *multiClient) first() *client { return m.clients[0] }

func (m *multiClient) do(ctx context.Context, method, path string, body any, idem string, out any) error {
	m.mu.Lock()
	if m.rng == nil {
		m.rng = rand.New(rand.NewPCG(uint64(os.Getpid()), 7))
	}
	start := m.rng.IntN(len(m.clients))
	m.mu.Unlock()
	var err error
	for i := range m.clients {
		err = m.clients[(start+i)%len(m.clients)].do(ctx, method, path, body, idem, out)
		if !errors.Is(err, errTransport) {
			return err
		}
	}
	return err
}
