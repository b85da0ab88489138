package torture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// buildServer builds examples/server (the standalone server) into dir.
func buildServer(ctx context.Context, dir string, race bool) (string, error) {
	bin := filepath.Join(dir, "kassa-server")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "github.com/kassapay/kassa/examples/server")
	cmd := exec.CommandContext(ctx, "go", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build examples/server: %v\n%s", err, out)
	}
	return bin, nil
}

// freeAddr returns a loopback address with a port free at the time of the call.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// server is one standalone server process, started, killed and restarted on the same
// address and database.
type server struct {
	bin  string
	dir  string
	addr string
	env  []string
	cmd  *exec.Cmd
	done chan error
	runs int
	// logName prefixes its logs (default "server"): <logName>-<run>.log.
	logName string
}

func newServer(bin, dir string, vars map[string]string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	vars["KASSA_ADDR"] = addr
	if vars["KASSA_DATABASE_URL"] == "" && vars["KASSA_DB"] == "" {
		vars["KASSA_DB"] = filepath.Join(dir, "kassa.db")
	}
	env := os.Environ()
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return &server{bin: bin, dir: dir, addr: addr, env: env}, nil
}

func (s *server) db() string   { return filepath.Join(s.dir, "kassa.db") }
func (s *server) base() string { return "http://" + s.addr }

// createKey runs "server keys create --mode test" and returns the secret.
func (s *server) createKey(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, s.bin, "keys", "create", "--mode", "test")
	cmd.Env = s.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("keys create: %v\n%s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	key := lines[len(lines)-1]
	if !strings.HasPrefix(key, "sk_test_") {
		return "", fmt.Errorf("keys create printed %q", key)
	}
	return key, nil
}

// start starts the process (its log goes to server-<n>.log) and waits until it
// answers HTTP.
func (s *server) start(ctx context.Context) error {
	s.runs++
	name := s.logName
	if name == "" {
		name = "server"
	}
	logf, err := os.Create(filepath.Join(s.dir, name+"-"+strconv.Itoa(s.runs)+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin)
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	s.cmd, s.done = cmd, make(chan error, 1)
	go func() { s.done <- cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	c := &http.Client{Timeout: time.Second}
	for wait := 5 * time.Millisecond; ; wait = min(wait*2, 200*time.Millisecond) {
		res, err := c.Get(s.base() + "/openapi.json")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("server exited while starting: %v (log %s)", err, logf.Name())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait): // polling a process we cannot be told about
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server did not answer within 60 s (log %s)", logf.Name())
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill() error {
	if s.cmd == nil {
		return errors.New("server not running")
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.cmd = nil
	return nil
}

// stop asks for a graceful shutdown (SIGTERM) and waits.
func (s *server) stop() error {
	if s.cmd == nil {
		return nil
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	err := <-s.done
	s.cmd = nil
	return err
}

// launch builds the server, creates a test-mode API key on its database and starts
// it; the caller kills or stops it.
func launch(ctx context.Context, dir string, vars map[string]string, race bool) (*server, string, error) {
	bin, err := buildServer(ctx, dir, race)
	if err != nil {
		return nil, "", err
	}
	srv, err := newServer(bin, dir, vars)
	if err != nil {
		return nil, "", err
	}
	key, err := srv.createKey(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := srv.start(ctx); err != nil {
		return nil, "", err
	}
	return srv, key, nil
}

// simEnv is the server's configuration on sim chains (no nodes), plus extra.
func simEnv(extra map[string]string) map[string]string {
	vars := map[string]string{"KASSA_MASTER_KEY": masterKey(), "KASSA_TEST_CHAINS": "sim",
		"KASSA_FIXED_RATES": "BTC:USD=65000,ETH:USD=3000,TRX:USD=0.125"}
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}
