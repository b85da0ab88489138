package httphandler

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"

	"github.com/kassapay/kassa/asset"
)

// maxLogo is the largest Options.Logo accepted.
const maxLogo = 256 << 10

// logoContentType checks Options.Logo and returns the type it is served with.
func logoContentType(logo []byte) (string, error) {
	if len(logo) == 0 {
		return "", nil
	}
	if len(logo) > maxLogo {
		return "", fmt.Errorf("httphandler: Options.Logo is %d bytes; at most %d", len(logo), maxLogo)
	}
	switch ct := http.DetectContentType(logo); ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return ct, nil
	}
	head := bytes.TrimSpace(logo[:min(len(logo), 1024)])
	if (bytes.HasPrefix(head, []byte("<svg")) || bytes.HasPrefix(head, []byte("<?xml"))) && bytes.Contains(logo, []byte("<svg")) {
		return "image/svg+xml", nil
	}
	return "", fmt.Errorf("httphandler: Options.Logo is not a PNG, JPEG, GIF, WebP or SVG image")
}

// explorers are the public block explorers DefaultTxURL links to, by network: the
// transaction's page is the prefix followed by its id.
var explorers = map[asset.NetworkID]string{
	asset.Bitcoin:  "https://mempool.space/tx/",
	asset.Litecoin: "https://litecoinspace.org/tx/",
	asset.Ethereum: "https://etherscan.io/tx/",
	asset.BSC:      "https://bscscan.com/tx/",
	asset.Polygon:  "https://polygonscan.com/tx/",
	asset.Base:     "https://basescan.org/tx/",
	asset.Tron:     "https://tronscan.org/#/transaction/",
}

// DefaultTxURL links live-mode transactions to a public explorer of their network
// (mempool.space, litecoinspace.org, etherscan.io, bscscan.com, polygonscan.com,
// basescan.org, tronscan.org) and test-mode ones to nothing: a test chain is
// often a local node or a simulation that no public explorer knows.
func DefaultTxURL(network asset.NetworkID, mode asset.Mode, txid string) string {
	prefix, ok := explorers[network]
	if !ok || mode != asset.Live || txid == "" {
		return ""
	}
	return prefix + url.PathEscape(txid)
}

// txLink returns Options.TxURL's link for a transaction if it is an http(s) URL.
func (h *Handler) txLink(network asset.NetworkID, mode asset.Mode, txid string) string {
	raw := h.opts.TxURL(network, mode, txid)
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return raw
}
