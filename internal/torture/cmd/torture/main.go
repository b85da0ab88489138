// Command torture runs Kassa's reliability harness (package internal/torture): the
// crash, reorg, load and bad-input campaigns, one summary line each, exit status 1 if
// any invariant broke.
//
//	go run ./internal/torture/cmd/torture              the full run (about 10 minutes)
//	go run ./internal/torture/cmd/torture -short       CI's short form (about 2 minutes)
//	go run ./internal/torture/cmd/torture -campaigns crash,load -kills 50
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kassapay/kassa/internal/torture"
)

func main() {
	cfg := torture.Full()
	short := flag.Bool("short", false, "CI's short form: fewer kills, reorgs and seconds")
	campaigns := flag.String("campaigns", "crash,crash-pg,reorg,load,badinput", "campaigns to run, comma-separated (crash-pg: three instances on the PostgreSQL server of KASSA_TEST_DATABASE_URL)")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed (printed; pass it again to repeat a run's choices)")
	kills := flag.Int("kills", 0, "crash: SIGKILLs (default 25, short 4)")
	clients := flag.Int("clients", 0, "crash: concurrent clients (default 8, short 4)")
	race := flag.Bool("race", false, "crash: build the server with the race detector")
	uptime := flag.Duration("uptime", 0, "crash: the server is killed after a random uptime up to this (default 4s, short 3s)")
	reorgs := flag.Int("reorgs", 0, "reorg: reorgs of depth 1..6 (default 60, short 12)")
	loadFor := flag.Duration("load", 0, "load: how long to send traffic (default 60s, short 10s)")
	loadClients := flag.Int("load-clients", 0, "load: concurrent clients (default 32)")
	fuzzExecs := flag.Int("fuzz-execs", 0, "badinput: executions per fuzz target (default 1,000,000, short 100,000; each target gets its share)")
	dir := flag.String("dir", "", "working directory (default a new temporary one, removed after a green run)")
	verbose := flag.Bool("v", false, "log progress at debug level")
	flag.Parse()
	if *short {
		cfg = torture.Short()
	}
	cfg.Seed = *seed
	set := func(dst *int, v int) {
		if v > 0 {
			*dst = v
		}
	}
	set(&cfg.Crash.Kills, *kills)
	set(&cfg.Crash.Clients, *clients)
	set(&cfg.CrashPG.Kills, *kills)
	set(&cfg.CrashPG.Clients, *clients)
	set(&cfg.Reorgs, *reorgs)
	set(&cfg.Load.Clients, *loadClients)
	set(&cfg.FuzzExecs, *fuzzExecs)
	if *loadFor > 0 {
		cfg.Load.Duration = *loadFor
	}
	cfg.Crash.Race, cfg.CrashPG.Race = *race, *race
	if *uptime > 0 {
		cfg.Crash.MaxUptime, cfg.CrashPG.MaxUptime = *uptime, *uptime
	}
	cfg.Campaigns = strings.Split(*campaigns, ",")
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	work := *dir
	keep := work != ""
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "kassa-torture-"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Printf("torture: seed %d, work dir %s\n", cfg.Seed, work)
	ok := torture.Run(ctx, work, cfg, os.Stdout, log)
	if !ok {
		fmt.Printf("torture: FAILED (logs and databases kept in %s)\n", work)
		os.Exit(1)
	}
	if !keep {
		os.RemoveAll(work)
	}
	fmt.Println("torture: every invariant held")
}
