package webhook

import (
	"context"
	"encoding/json"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/internal/ids"
)

// EndpointPing is the type of the test event Ping sends.
const EndpointPing event.Type = "webhook_endpoint.ping"

// PingData is the data of a ping.
type PingData struct {
	EndpointID string `json:"endpoint_id"`
	Message    string `json:"message"`
}

// PingResult is what a ping's POST got.
type PingResult struct {
	EventID string `json:"event_id"`
	// OK: the endpoint answered 2xx.
	OK         bool          `json:"ok"`
	StatusCode int           `json:"status_code"`
	Latency    time.Duration `json:"latency_ns"`
	Error      string        `json:"error,omitempty"`
	Response   string        `json:"response,omitempty"` // the answer's first bytes
}

// Ping sends a test event (webhook_endpoint.ping) to endpoint id of mode at once,
// signed with its current secret (during a rotation window deliveries carry the
// previous secret's signature too; a ping does not, so it proves the receiver has
// the new one), and returns what it got. It is not
// stored and not retried, and no subscriber or other endpoint hears of it. A disabled
// endpoint is pinged too, so it can be checked before it is enabled again.
func (s *Service) Ping(ctx context.Context, m asset.Mode, id string) (PingResult, error) {
	var ep EndpointRecord
	var secrets []string
	err := s.cfg.View(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		if ep, err = tx.GetEndpoint(ctx, m, id); err != nil {
			return err
		}
		plain, err := s.box.Open(ep.Secret, []byte(ep.ID))
		secrets = append(secrets, string(plain))
		return err
	})
	if err != nil {
		return PingResult{}, err
	}
	now := s.cfg.Now().UTC()
	data, err := json.Marshal(PingData{EndpointID: ep.ID, Message: "A test event from Kassa: this endpoint receives and verifies webhooks."})
	if err != nil {
		return PingResult{}, err
	}
	e := event.Event{ID: ids.New("evt"), Type: EndpointPing, CreatedAt: now, Mode: m, Livemode: m == asset.Live, Data: data}
	a := Attempt{N: 1, At: now}
	s.post(ctx, Delivery{URL: ep.URL, EventID: e.ID, Target: ep.ID, Mode: m}, e, secrets, &a)
	return PingResult{EventID: e.ID, OK: a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300, StatusCode: a.StatusCode,
		Latency: a.Latency, Error: a.Error, Response: a.Response}, nil
}
