package torture

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"time"

	"github.com/kassapay/kassa/storage/sqlite"
	"github.com/kassapay/kassa/storage/storagetest"
)

// fuzzTargets are the fuzz targets of every decoder that takes outside input, with the
// share of the execution budget each gets (the whole-API target is ~100× slower per
// execution than a parser).
var fuzzTargets = []struct {
	pkg, name, what string
	share           float64
}{
	{"github.com/kassapay/kassa/asset", "FuzzParseAmount", "amounts", 1},
	{"github.com/kassapay/kassa/chains/bitcoin", "FuzzAddressScript", "bitcoin/litecoin addresses", 0.5},
	{"github.com/kassapay/kassa/chains/evm", "FuzzValidateAddress", "EVM addresses", 0.25},
	{"github.com/kassapay/kassa/chains/bitcoin", "FuzzDecodePSBT", "PSBTs submitted back by a signer", 0.25},
	{"github.com/kassapay/kassa/chains/tron", "FuzzUnmarshalRaw", "Tron raw_data built by a node", 0.25},
	{"github.com/kassapay/kassa/chains/tron", "FuzzScanAnswers", "a Tron node's blocks and transaction infos", 0.25},
	{"github.com/kassapay/kassa/webhook", "FuzzVerify", "webhook signature verification", 0.5},
	{"github.com/kassapay/kassa/httphandler", "FuzzDecode", "JSON request bodies", 0.5},
	{"github.com/kassapay/kassa/httphandler", "FuzzAPI", "whole API: bodies, queries, content types, signature headers", 0.05},
}

// BadInput runs the bad-input campaign: every fuzz target for its share of execs
// executions (seed corpora in the targets and testdata/fuzz), then the table of
// hostile requests against the standalone server, which must refuse each with a 4xx
// and store nothing.
func BadInput(ctx context.Context, dir string, execs int, log *slog.Logger) (string, error) {
	began := time.Now()
	var ran []string
	for _, t := range fuzzTargets {
		n := max(1000, int(float64(execs)*t.share))
		log.Info("badinput: fuzzing", "target", t.name, "execs", n)
		cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-fuzz", "^"+t.name+"$", "-fuzztime", fmt.Sprintf("%dx", n), t.pkg)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("%s (%s): %v\n%s", t.name, t.what, err, tail(out.String(), 40))
		}
		ran = append(ran, fmt.Sprintf("%s %d", t.name, n))
	}
	fuzzTime := time.Since(began)

	srv, key, err := launch(ctx, dir, simEnv(nil), false)
	if err != nil {
		return "", err
	}
	defer srv.kill()
	n, err := hostile(ctx, srv.base(), key, true, func() (string, error) { return fileDigest(ctx, srv.db()) })
	if err != nil {
		return "", err
	}
	if err := srv.stop(); err != nil {
		return "", err
	}
	if err := scanLogs(dir); err != nil {
		return "", err
	}
	return fmt.Sprintf("badinput: %d fuzz targets (%s executions) clean in %s; %d hostile requests to the server: every one a 4xx, no 5xx, nothing stored; %s",
		len(fuzzTargets), strings.Join(ran, ", "), fuzzTime.Round(time.Second), n, time.Since(began).Round(time.Second)), nil
}

func tail(s string, lines int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[max(0, len(l)-lines):], "\n")
}

// fileDigest is storagetest.Digest of the database at path (opened read-side while the
// server runs: SQLite in WAL mode lets a reader see the last commit).
func fileDigest(ctx context.Context, path string) (string, error) {
	st, err := sqlite.Open(ctx, path, sqlite.Options{SkipIntegrityCheck: true})
	if err != nil {
		return "", err
	}
	defer st.Close()
	return storagetest.Digest(ctx, st)
}
