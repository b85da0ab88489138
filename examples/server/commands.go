package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
)

const usage = `usage:
  server                                    serve until SIGINT/SIGTERM
  server keys create [--mode test|live] [--label L]`

// command is a subcommand, to run on the Gateway.
type command func(ctx context.Context, g *kassa.Gateway) error

// parseCommand reads a keys subcommand's arguments, before anything starts.
func parseCommand(args []string, stdout io.Writer) (command, error) {
	usageErr := fmt.Errorf("%s\n%s", strings.Join(args, " "), usage)
	if len(args) < 2 || args[0] != "keys" {
		return nil, usageErr
	}
	fs := flag.NewFlagSet("keys "+args[1], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	switch args[1] {
	case "create":
		mode := fs.String("mode", "test", "test or live")
		label := fs.String("label", "", "a label to recognise the key")
		if err := fs.Parse(args[2:]); err != nil || fs.NArg() != 0 {
			return nil, usageErr
		}
		m, err := asset.ParseMode(*mode)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, g *kassa.Gateway) error {
			k, err := g.Keys().Create(ctx, apikey.CreateParams{Mode: m, Label: *label})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "created %s key %s (%s); the secret is shown once:\n%s\n", m, k.ID, k.Prefix, k.Secret)
			return nil
		}, nil
	}
	return nil, usageErr
}
