package torture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Config is a whole harness run.
type Config struct {
	Campaigns []string // "crash", "crash-pg", "reorg", "load", "badinput"
	Seed      uint64
	Crash     CrashConfig
	// CrashPG is the crash campaign on several instances sharing one PostgreSQL
	// (its DatabaseURL; without one the campaign is skipped, or fails when
	// KASSA_POSTGRES=required).
	CrashPG   CrashConfig
	Reorgs    int
	Load      LoadConfig
	FuzzExecs int
}

// Full is the maintainers' run.
func Full() Config {
	return Config{
		Crash:     CrashConfig{Kills: 25, Clients: 8, MaxUptime: 4 * time.Second},
		CrashPG:   CrashConfig{Kills: 25, Clients: 8, MaxUptime: 4 * time.Second, Instances: 3, DatabaseURL: os.Getenv("KASSA_TEST_DATABASE_URL")},
		Reorgs:    60,
		Load:      LoadConfig{Duration: 60 * time.Second, Clients: 32},
		FuzzExecs: 1_000_000,
	}
}

// Short is CI's run: about two minutes in all.
func Short() Config {
	return Config{
		Crash:     CrashConfig{Kills: 4, Clients: 4, MaxUptime: 3 * time.Second},
		CrashPG:   CrashConfig{Kills: 4, Clients: 4, MaxUptime: 3 * time.Second, Instances: 3, DatabaseURL: os.Getenv("KASSA_TEST_DATABASE_URL")},
		Reorgs:    12,
		Load:      LoadConfig{Duration: 10 * time.Second, Clients: 32},
		FuzzExecs: 100_000,
	}
}

// Run runs the campaigns in order, writes one summary line per campaign to out and
// reports whether all held. Each campaign works in its own directory under dir.
func Run(ctx context.Context, dir string, cfg Config, out io.Writer, log *slog.Logger) bool {
	ok := true
	cfg.Crash.Seed, cfg.CrashPG.Seed = cfg.Seed, cfg.Seed
	type campaign struct {
		name string
		run  func(ctx context.Context, dir string) (string, error)
	}
	all := []campaign{
		{"crash", func(ctx context.Context, dir string) (string, error) { return Crash(ctx, dir, cfg.Crash, log) }},
		{"crash-pg", func(ctx context.Context, dir string) (string, error) {
			if cfg.CrashPG.DatabaseURL == "" {
				if os.Getenv("KASSA_POSTGRES") == "required" {
					return "", errors.New("KASSA_TEST_DATABASE_URL is not set and KASSA_POSTGRES=required")
				}
				return "crash-pg: skipped (no KASSA_TEST_DATABASE_URL: see README, Developing Kassa)", nil
			}
			return Crash(ctx, dir, cfg.CrashPG, log)
		}},
		{"reorg", func(ctx context.Context, dir string) (string, error) {
			return Reorg(ctx, dir, cfg.Reorgs, cfg.Seed, log)
		}},
		{"load", func(ctx context.Context, dir string) (string, error) { return Load(ctx, dir, cfg.Load, log) }},
		{"badinput", func(ctx context.Context, dir string) (string, error) { return BadInput(ctx, dir, cfg.FuzzExecs, log) }},
	}
	for _, c := range all {
		if !slices.Contains(cfg.Campaigns, c.name) {
			continue
		}
		d := filepath.Join(dir, c.name)
		os.RemoveAll(d) // the harness's own directory from an earlier run
		if err := os.MkdirAll(d, 0o755); err != nil {
			fmt.Fprintf(out, "%s: FAILED: %v\n", c.name, err)
			ok = false
			continue
		}
		began := time.Now()
		line, err := c.run(ctx, d)
		if err != nil {
			fmt.Fprintf(out, "%s: FAILED after %s: %v\n", c.name, time.Since(began).Round(time.Second), err)
			ok = false
			continue
		}
		fmt.Fprintln(out, line)
	}
	return ok
}
