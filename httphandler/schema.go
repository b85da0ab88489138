package httphandler

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/kassapay/kassa/billing"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/conversion"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/treasury"
	"github.com/kassapay/kassa/webhook"
	"github.com/shopspring/decimal"
)

// routeDoc describes a route for the OpenAPI document: the Go types of its request
// body and of its answer's data, from which the document's schemas are made.
type routeDoc struct {
	body   any     // the request body (a zero value of its type); nil: none
	data   any     // the success answer's "data" (a zero value of its type)
	list   bool    // the answer is a page of a list: data is an array of data, with pagination
	status int     // the success status; default 200
	also   []int   // other success statuses with the same answer (200 for a repeated create)
	query  []param // query parameters
	// bare: the answer is data itself, not in the envelope (health probes)
	bare bool
	// content is the media type of a success answer that is not the JSON envelope
	// (the hosted page, its static files, this document); data is then ignored.
	content string
}

// param is a query parameter.
type param struct {
	name, desc string
	schema     map[string]any
}

func str(desc string) param { return param{desc: desc, schema: map[string]any{"type": "string"}} }

func named(name string, p param) param { p.name = name; return p }

func enumParam(name, desc string, values ...string) param {
	return param{name: name, desc: desc, schema: map[string]any{"type": "string", "enum": values}}
}

// paging are the parameters of every list.
var paging = []param{
	{name: "page", desc: "Page number, from 1.", schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}},
	{name: "limit", desc: "Items per page.", schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
}

// decimalPattern is a decimal amount as the API writes and reads it.
const decimalPattern = `^-?[0-9]+(\.[0-9]+)?$`

// enums are the values of the API's named string types.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[invoice.Status](): {string(invoice.StatusPending), string(invoice.StatusPartiallyPaid), string(invoice.StatusConfirming),
		string(invoice.StatusPaid), string(invoice.StatusExpired), string(invoice.StatusCancelled)},
	reflect.TypeFor[invoice.Kind](): {string(invoice.KindInvoice), string(invoice.KindCheckoutSession), string(invoice.KindPayment)},
	reflect.TypeFor[payout.Status](): {string(payout.StatusPendingVerification), string(payout.StatusProcessing),
		string(payout.StatusAwaitingSignature), string(payout.StatusBroadcast), string(payout.StatusCompleted),
		string(payout.StatusFailed), string(payout.StatusCancelled)},
	reflect.TypeFor[chains.Status]():          stringsOf(transferStatuses),
	reflect.TypeFor[webhook.DeliveryStatus](): webhookDeliveryStatuses,
	reflect.TypeFor[invoice.ClaimStatus]():    {string(invoice.ClaimOpen), string(invoice.ClaimFound), string(invoice.ClaimFailed)},
	reflect.TypeFor[refund.Status]():          stringsOf(refundStatuses),
	reflect.TypeFor[billing.Status](): {string(billing.StatusPending), string(billing.StatusActive), string(billing.StatusPastDue),
		string(billing.StatusCancelled), string(billing.StatusExpired)},
	reflect.TypeFor[billing.Interval]():     {string(billing.Day), string(billing.Week), string(billing.Month), string(billing.Year)},
	reflect.TypeFor[billing.Collection]():   {string(billing.CollectInvoice), string(billing.CollectWallet)},
	reflect.TypeFor[billing.PeriodStatus](): {string(billing.PeriodOpen), string(billing.PeriodPaid), string(billing.PeriodUnpaid), string(billing.PeriodVoid)},
	reflect.TypeFor[refund.Rate]():          {string(refund.RateInvoice), string(refund.RateCurrent)},
	reflect.TypeFor[refund.FeePayer]():      {string(refund.FeeCustomer), string(refund.FeeMerchant)},
	reflect.TypeFor[treasury.SweepStatus](): {string(treasury.SweepToppingUp), string(treasury.SweepSweeping), string(treasury.SweepCompleted), string(treasury.SweepFailed)},
	reflect.TypeFor[conversion.Status]():    {string(conversion.StatusPending), string(conversion.StatusCompleted), string(conversion.StatusFailed)},
}

var webhookDeliveryStatuses = []string{string(webhook.DeliveryPending), string(webhook.DeliverySucceeded), string(webhook.DeliveryFailed)}

// schemaNames name the components of the types whose Go name is not the API's.
var schemaNames = map[reflect.Type]string{
	reflect.TypeFor[methodJSON]():          "PaymentMethod",
	reflect.TypeFor[sessionJSON]():         "CheckoutSession",
	reflect.TypeFor[sessionMethodJSON]():   "CheckoutSessionMethod",
	reflect.TypeFor[transferJSON]():        "Transfer",
	reflect.TypeFor[webhook.Endpoint]():    "WebhookEndpoint",
	reflect.TypeFor[webhook.EventDetail](): "EventDetail",
	reflect.TypeFor[webhook.Attempt]():     "DeliveryAttempt",
	reflect.TypeFor[event.Event]():         "Event",
	reflect.TypeFor[payout.Estimate]():     "FeeEstimate",
	reflect.TypeFor[createRequest]():       "CreateInvoiceRequest",
	reflect.TypeFor[verifyRequest]():       "VerifySessionRequest",
	reflect.TypeFor[verifyJSON]():          "VerifySessionResult",
	reflect.TypeFor[walletJSON]():          "VerifySessionWallet",
	reflect.TypeFor[massJSON]():            "MassPayout",
	reflect.TypeFor[massRequest]():         "MassPayoutRequest",
	reflect.TypeFor[payoutRequest]():       "PayoutRequest",
	reflect.TypeFor[refundJSON]():          "Refund",
	reflect.TypeFor[refundRequest]():       "RefundRequest",
	reflect.TypeFor[reboundJSON]():         "Rebound",
	reflect.TypeFor[treasuryJSON]():        "Treasury",
	reflect.TypeFor[endpointRequest]():     "CreateWebhookEndpointRequest",
	reflect.TypeFor[endpointUpdate]():      "UpdateWebhookEndpointRequest",
	reflect.TypeFor[deletedJSON]():         "Deleted",
	reflect.TypeFor[redeliveredJSON]():     "Redelivered",
	reflect.TypeFor[testPayRequest]():      "TestPayRequest",
	reflect.TypeFor[checkoutStatusJSON]():  "CheckoutStatus",
	reflect.TypeFor[pagination]():          "Pagination",
	reflect.TypeFor[healthzJSON]():         "Liveness",
	reflect.TypeFor[webhook.PingResult]():  "WebhookPing",
	reflect.TypeFor[invoice.Claim]():       "PaymentClaim",
}

var (
	decimalType   = reflect.TypeFor[decimal.Decimal]()
	amountType    = reflect.TypeFor[Amount]()
	timeType      = reflect.TypeFor[time.Time]()
	durationType  = reflect.TypeFor[time.Duration]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// schemas builds the document's component schemas from Go types, as encoding/json
// writes and reads them.
type schemas struct {
	defs map[string]any
	// of remembers the component of each type, and whether it was made for a
	// request (where required fields are tagged) or an answer (where every field
	// without omitempty is always there).
	of map[reflect.Type]string
	as map[string]bool
}

func newSchemas() *schemas {
	return &schemas{defs: map[string]any{}, of: map[reflect.Type]string{}, as: map[string]bool{}}
}

// ref returns the schema of v's type (a $ref for a struct), made for a request body
// (request) or for an answer.
func (s *schemas) ref(v any, request bool) map[string]any {
	return s.schema(reflect.TypeOf(v), request)
}

func (s *schemas) name(t reflect.Type) string {
	if n, ok := schemaNames[t]; ok {
		return n
	}
	n := strings.TrimSuffix(t.Name(), "JSON")
	return strings.ToUpper(n[:1]) + n[1:]
}

func (s *schemas) schema(t reflect.Type, request bool) map[string]any {
	switch t {
	case decimalType, amountType:
		return map[string]any{"type": "string", "pattern": decimalPattern,
			"description": "A decimal number, written as a string to keep it exact."}
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case durationType:
		return map[string]any{"type": "integer", "description": "Nanoseconds."}
	case rawType:
		return map[string]any{"description": "Any JSON value."}
	}
	if vals, ok := enums[t]; ok {
		return map[string]any{"type": "string", "enum": vals}
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := s.schema(t.Elem(), request)
		return nullable(inner)
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": s.schema(t.Elem(), request)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": s.schema(t.Elem(), request)}
	case reflect.Struct:
		if t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
			return map[string]any{"type": "string"}
		}
		name := s.name(t)
		if prev, ok := s.of[t]; ok {
			if s.as[prev] != request {
				panic(fmt.Sprintf("httphandler: %s is both a request body and an answer", t))
			}
			return map[string]any{"$ref": "#/components/schemas/" + prev}
		}
		if _, taken := s.defs[name]; taken {
			panic(fmt.Sprintf("httphandler: two types are named %s in the OpenAPI document", name))
		}
		s.of[t], s.as[name] = name, request
		s.defs[name] = nil // reserved: a recursive type refers to itself
		s.defs[name] = s.object(t, request)
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// nullable allows null beside a schema: a "null" type beside a plain type, or
// anyOf beside a $ref.
func nullable(inner map[string]any) map[string]any {
	if typ, ok := inner["type"].(string); ok {
		out := map[string]any{}
		for k, v := range inner {
			out[k] = v
		}
		out["type"] = []any{typ, "null"}
		if e, ok := out["enum"].([]string); ok {
			out["enum"] = append(append([]any{}, toAny(e)...), nil)
		}
		return out
	}
	return map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// object is a struct's schema: its JSON fields, embedded structs flattened.
func (s *schemas) object(t reflect.Type, request bool) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			tag := f.Tag.Get("json")
			if tag == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if name == "" {
				name = f.Name
			}
			omit := strings.Contains(opts, "omitempty")
			ft := f.Type
			if omit && ft.Kind() == reflect.Pointer {
				ft = ft.Elem() // absent rather than null
			}
			p := s.schema(ft, request)
			if vals := f.Tag.Get("enum"); vals != "" {
				p = withEnum(p, strings.Split(vals, ","))
			}
			if ex := f.Tag.Get("example"); ex != "" {
				p = with(p, "examples", []any{example(ft, ex)})
			}
			props[name] = p
			if (request && f.Tag.Get("required") == "true") || (!request && !omit) {
				required = append(required, name)
			}
		}
	}
	walk(t)
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	if request {
		out["additionalProperties"] = false // the API refuses unknown fields
	}
	return out
}

// with returns a copy of p with key set; a $ref keeps its siblings (3.1 allows them).
func with(p map[string]any, key string, v any) map[string]any {
	out := map[string]any{}
	for k, x := range p {
		out[k] = x
	}
	out[key] = v
	return out
}

func withEnum(p map[string]any, vals []string) map[string]any {
	if t, ok := p["type"].([]any); ok && len(t) == 2 && t[1] == "null" {
		return with(p, "enum", append(toAny(vals), nil))
	}
	return with(p, "enum", vals)
}

// example is an example tag's value as JSON: a number for integer fields.
func example(t reflect.Type, s string) any {
	switch t.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		var n int64
		fmt.Sscan(s, &n)
		return n
	case reflect.Slice:
		return []any{s}
	}
	return s
}

// stringsOf returns the values of a named string type as strings.
func stringsOf[S ~string](vs []S) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
