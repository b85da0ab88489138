package payout_test

import (
	"context"
	"net"
	"net/textproto"
	"strings"
	"testing"

	"github.com/kassapay/kassa/payout"
	"github.com/shopspring/decimal"
)

// smtpServer is a minimal SMTP server on 127.0.0.1 that records one message.
func smtpServer(t *testing.T) (addr string, msg <-chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	out := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		tp := textproto.NewConn(c)
		tp.PrintfLine("220 test ESMTP")
		var data strings.Builder
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.Fields(line + " x")[0]); cmd {
			case "EHLO", "HELO":
				tp.PrintfLine("250 test")
			case "MAIL", "RCPT", "RSET", "NOOP":
				if cmd == "RCPT" {
					data.WriteString(line + "\n")
				}
				tp.PrintfLine("250 ok")
			case "DATA":
				tp.PrintfLine("354 go")
				b, _ := tp.ReadDotBytes()
				data.Write(b)
				tp.PrintfLine("250 queued")
			case "QUIT":
				tp.PrintfLine("221 bye")
				out <- data.String()
				return
			default:
				tp.PrintfLine("502 no")
			}
		}
	}()
	return l.Addr().String(), out
}

func TestSMTPNotifier_SendsTheCodeWithThePayout(t *testing.T) {
	addr, msg := smtpServer(t)
	n := payout.SMTPNotifier{Addr: addr, From: "kassa@shop.example", To: "owner@shop.example"}
	p := &payout.Payout{ID: "po_123", Amount: decimal.RequireFromString("0.5"), Currency: "BTC", Network: "bitcoin", Destination: "bc1qdest"}
	if err := n.Notify(context.Background(), p, "482913"); err != nil {
		t.Fatal(err)
	}
	got := <-msg
	for _, want := range []string{"RCPT TO:<owner@shop.example>", "Subject: Kassa payout code 482913", "po_123", "0.5 BTC on bitcoin to bc1qdest"} {
		if !strings.Contains(got, want) {
			t.Fatalf("mail lacks %q:\n%s", want, got)
		}
	}
}

func TestSMTPNotifier_RefusesHeaderInjectionAndMissingConfig(t *testing.T) {
	p := &payout.Payout{ID: "po_1"}
	if err := (payout.SMTPNotifier{Addr: "127.0.0.1:1", From: "a@b", To: "c@d\r\nBcc: evil@x"}).Notify(context.Background(), p, "1"); err == nil {
		t.Fatal("a header in To was accepted")
	}
	if err := (payout.SMTPNotifier{}).Notify(context.Background(), p, "1"); err == nil {
		t.Fatal("an empty notifier sent")
	}
}
