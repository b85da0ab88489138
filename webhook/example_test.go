package webhook_test

import (
	"fmt"
	"time"

	"github.com/kassapay/kassa/webhook"
)

// A Go receiver checks and decodes a delivery in one call. Here the delivery is signed
// with Headers, as a shop's test of its receiver would do; ParseAt checks it against
// the time it was signed at (Parse uses the real clock).
func ExampleParse() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"evt_1","type":"invoice.paid","created_at":"2026-03-01T12:00:00Z","livemode":false,"data":{"id":"inv_1"}}`)
	header, err := webhook.Headers("evt_1", at, body, secret)
	if err != nil {
		panic(err)
	}
	ev, err := webhook.ParseAt(secret, header, body, 5*time.Minute, at.Add(2*time.Second))
	fmt.Println(ev.Type, string(ev.Data), err)

	tampered := []byte(`{"id":"evt_1","type":"invoice.paid","created_at":"2026-03-01T12:00:00Z","livemode":false,"data":{"id":"inv_2"}}`)
	_, err = webhook.ParseAt(secret, header, tampered, 5*time.Minute, at)
	fmt.Println(err)
	// Output:
	// invoice.paid {"id":"inv_1"} <nil>
	// no webhook signature matches
}
