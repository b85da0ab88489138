package main

import (
	"context"
	"net"
	"strings"
	"testing"
)

// TestRun_ReachesTheNodes runs the README's example with a complete configuration and
// nodes that are not there: everything it builds is accepted, and it stops at the
// first node it dials (the Ethereum node, whose chain id New checks), saying so.
func TestRun_ReachesTheNodes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now
	env := map[string]string{
		"KASSA_MASTER_KEY": strings.Repeat("ab", 32),
		"KASSA_MNEMONIC":   "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
		"BITCOIN_RPC_URL":  "http://" + dead, "BITCOIN_RPC_USER": "u", "BITCOIN_RPC_PASS": "p",
		"ETH_RPC_URL": "http://" + dead,
	}
	err = run(context.Background(), func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("run stopped with %v, want the Ethereum node's connection refused", err)
	}
}
