package httphandler_test

import (
	"encoding/base64"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
)

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func listAll() invoice.ListParams { return invoice.ListParams{Mode: asset.Test, Limit: 100} }
