package payout

import (
	"context"
	"errors"
	"fmt"
	"net/smtp"
	"strings"
	"time"
)

// SMTPNotifier mails one-time codes to the owner with net/smtp. The mail names the
// payout, its amount and destination, so the owner approves what they read.
type SMTPNotifier struct {
	Addr string    // host:port of the SMTP server
	From string    // envelope and header sender
	To   string    // the owner's address
	Auth smtp.Auth // nil for an unauthenticated relay (smtp.PlainAuth needs TLS or localhost)
}

// Notify implements Notifier.
func (n SMTPNotifier) Notify(ctx context.Context, p *Payout, code string) error {
	if n.Addr == "" || n.From == "" || n.To == "" {
		return errors.New("payout: SMTPNotifier needs Addr, From and To")
	}
	for _, s := range []string{n.From, n.To} {
		if strings.ContainsAny(s, "\r\n") {
			return errors.New("payout: SMTPNotifier addresses must be one line")
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: Kassa payout code %s\r\nDate: %s\r\n", n.From, n.To, code, time.Now().UTC().Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	fmt.Fprintf(&b, "Payout %s waits for your approval:\r\n\r\n  %s %s on %s to %s\r\n\r\n", p.ID, p.Amount, p.Currency, p.Network, p.Destination)
	fmt.Fprintf(&b, "Code: %s\r\n\r\nIt is valid for 10 minutes. If you did not ask for this payout, do not use the code:\r\nafter five wrong codes, or ten minutes, the payout is cancelled and the money released.\r\n", code)
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(n.Addr, n.Auth, n.From, []string{n.To}, []byte(b.String())) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
