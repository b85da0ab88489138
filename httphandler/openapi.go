package httphandler

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kassapay/kassa/webhook"
)

type webhookService = webhook.Service

// errorCodes are the error answers every authenticated route may give, by status.
var errorCodes = []struct {
	status int
	desc   string
}{
	{400, "bad_request: malformed JSON, a key twice, a body over 1 MiB; broadcast_failure for a payout the node refused"},
	{401, "unauthorized, invalid_signature, stale_timestamp or replayed_request"},
	{403, "ip_not_allowed: the client's address is not on the key's allowlist; forbidden: a test-mode route with a live key"},
	{404, "not_found: no such object in the key's mode"},
	{409, "conflict, invalid_state or idempotency_in_progress"},
	{415, "unsupported_media_type: the body is not JSON"},
	{422, "validation_error (each wrong field in details), amount_too_small, amount_too_large, unsupported_asset, insufficient_funds, invalid_address, idempotency_key_reused, refund_exceeds_payment"},
	{429, "rate_limited: retry after Retry-After seconds"},
	{500, "internal_error"},
}

// document is the OpenAPI 3.1 document of the handler's routes: every path with its
// parameters, request body and answers, their schemas made from the Go types the
// handlers decode and encode.
func (h *Handler) document() map[string]any {
	sc := newSchemas()
	paths := map[string]map[string]any{}
	errs := map[string]any{}
	for _, e := range errorCodes {
		errs[strconv.Itoa(e.status)] = map[string]any{"$ref": "#/components/responses/Error" + strconv.Itoa(e.status)}
	}
	for _, rt := range h.routes() {
		d := rt.doc
		op := map[string]any{
			"summary":     rt.summary,
			"operationId": operationID(rt.method, rt.path),
			"tags":        []string{tag(rt.path)},
		}
		if rt.public {
			op["security"] = []any{}
		}
		var params []any
		for _, seg := range strings.Split(rt.path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true,
					"schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range d.query {
			p := map[string]any{"name": q.name, "in": "query", "schema": q.schema}
			if q.desc != "" {
				p["description"] = q.desc
			}
			params = append(params, p)
		}
		if !rt.public && rt.method != "GET" {
			// A write is signed: the signature and its timestamp are credentials beside
			// the key, computed per request (a client adds them as it sends).
			op["security"] = []any{
				map[string]any{"bearer": []any{}, "timestamp": []any{}, "signature": []any{}},
				map[string]any{"basic": []any{}, "timestamp": []any{}, "signature": []any{}},
			}
			if rt.method == "POST" {
				params = append(params, map[string]any{"$ref": "#/components/parameters/IdempotencyKey"})
			}
		}
		if params != nil {
			op["parameters"] = params
		}
		if d.body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": sc.ref(d.body, true)}}}
		}
		responses := map[string]any{}
		status := d.status
		if status == 0 {
			status = http.StatusOK
		}
		var ok map[string]any
		switch {
		case d.content != "":
			ok = map[string]any{"description": rt.summary, "content": map[string]any{d.content: map[string]any{}}}
		case d.bare:
			ok = map[string]any{"description": rt.summary, "content": map[string]any{"application/json": map[string]any{"schema": sc.ref(d.data, false)}}}
		case d.list:
			ok = envelope(rt.summary, map[string]any{"type": "array", "items": sc.ref(d.data, false)}, sc.ref(pagination{}, false))
		default:
			ok = envelope(rt.summary, sc.ref(d.data, false), nil)
		}
		for _, s := range append([]int{status}, d.also...) {
			responses[strconv.Itoa(s)] = ok
		}
		for code, ref := range errs {
			if errorApplies(rt, code) {
				responses[code] = ref
			}
		}
		op["responses"] = responses
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	errorResponses := map[string]any{}
	for _, e := range errorCodes {
		errorResponses["Error"+strconv.Itoa(e.status)] = map[string]any{"description": e.desc,
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	}
	sc.defs["Error"] = map[string]any{
		"type":     "object",
		"required": []string{"status", "error"},
		"properties": map[string]any{
			"status": map[string]any{"const": "error"},
			"error": map[string]any{
				"type":     "object",
				"required": []string{"code", "message"},
				"properties": map[string]any{
					"code":    map[string]any{"type": "string", "examples": []any{"validation_error"}},
					"message": map[string]any{"type": "string"},
					"details": map[string]any{"type": "object", "description": "The wrong fields, each with its messages.",
						"additionalProperties": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}},
					"rollback_confirmed": map[string]any{"type": "boolean", "description": "broadcast_failure: nothing is held any more."},
					"payout_id":          map[string]any{"type": "string", "description": "broadcast_failure: the refused payout."},
				},
			},
		},
	}
	var servers []any
	if h.opts.PublicURL != "" {
		servers = []any{map[string]any{"url": h.opts.PublicURL}}
	} else {
		servers = []any{map[string]any{"url": "/"}}
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Kassa API", "version": "v1",
			"description": "Crypto payments: invoices, checkout sessions, payments, payouts, webhooks. " +
				"Every request carries a secret API key (its mode, test or live, is the mode of everything it sees). " +
				"POST, PUT, PATCH and DELETE are signed: X-Kassa-Signature is the lower-case hex HMAC-SHA256, keyed with " +
				"the secret key, of X-Kassa-Timestamp + METHOD + path (as sent, with any prefix and query) + body. " +
				"Amounts are decimal strings."},
		"servers": servers,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "sk_live_... or sk_test_..."},
				"basic":  map[string]any{"type": "http", "scheme": "basic", "description": "the key as user name, empty password"},
				"timestamp": map[string]any{"type": "apiKey", "in": "header", "name": "X-Kassa-Timestamp",
					"description": "Unix milliseconds; at most 5 minutes from the server's clock."},
				"signature": map[string]any{"type": "apiKey", "in": "header", "name": "X-Kassa-Signature",
					"description": "Lower-case hex HMAC-SHA256, keyed with the secret key, of X-Kassa-Timestamp + METHOD + path (as sent, with any prefix and the query) + body; each is accepted once."},
			},
			"parameters": map[string]any{
				"IdempotencyKey": map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
					"description": "Makes a retry return the first answer (kept 24 hours per API key).",
					"schema":      map[string]any{"type": "string", "maxLength": 255}},
			},
			"responses": errorResponses,
			"schemas":   sc.defs,
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"basic": []any{}}},
		"paths":    paths,
	}
}

// errorApplies says whether a route may answer with an error status: a public page
// never asks for a key.
func errorApplies(rt route, code string) bool {
	switch {
	case rt.public && rt.method == "GET":
		return code == "404" || code == "429" || code == "500"
	case rt.public:
		return code != "401"
	}
	return true
}

// envelope is a success answer: {"status":"success","data":...}, with pagination for
// a list.
func envelope(desc string, data, page map[string]any) map[string]any {
	props := map[string]any{"status": map[string]any{"const": "success"}, "data": data}
	required := []string{"status", "data"}
	if page != nil {
		props["pagination"] = page
		required = append(required, "pagination")
	}
	return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{
		"schema": map[string]any{"type": "object", "required": required, "properties": props}}}}
}

// operationIDs name the operations, as generated clients call them.
var operationIDs = map[string]string{
	"GET /v1/currencies":                            "listCurrencies",
	"GET /v1/currencies/pairs":                      "listCurrencyPairs",
	"GET /v1/wallets/supported":                     "listSupportedNetworks",
	"POST /v1/invoices":                             "createInvoice",
	"GET /v1/invoices":                              "listInvoices",
	"GET /v1/invoices/{id}":                         "getInvoice",
	"POST /v1/invoices/{id}/refresh":                "refreshInvoice",
	"POST /v1/payments/{id}/cancel":                 "cancelPayment",
	"POST /v1/invoices/{id}/verify":                 "verifyInvoice",
	"POST /v1/payments/{id}/verify":                 "verifyPayment",
	"POST /v1/invoices/{id}/cancel":                 "cancelInvoice",
	"GET /v1/invoices/{id}/transactions":            "listInvoiceTransactions",
	"POST /v1/checkout/sessions":                    "createCheckoutSession",
	"GET /v1/checkout/sessions":                     "listCheckoutSessions",
	"GET /v1/checkout/sessions/{id}":                "getCheckoutSession",
	"POST /v1/checkout/sessions/{id}/verify":        "verifyCheckoutSession",
	"POST /v1/payments":                             "createPayment",
	"GET /v1/payments":                              "listPayments",
	"GET /v1/payments/{id}":                         "getPayment",
	"GET /v1/balance":                               "getBalance",
	"GET /v1/transactions":                          "listTransactions",
	"GET /v1/transactions/{txid}":                   "getTransaction",
	"POST /v1/transactions/{txid}/hurry":            "hurryTransaction",
	"POST /v1/payouts":                              "createPayout",
	"POST /v1/payouts/mass":                         "createMassPayout",
	"GET /v1/payouts":                               "listPayouts",
	"GET /v1/payouts/{id}":                          "getPayout",
	"POST /v1/payouts/{id}/verify":                  "verifyPayout",
	"POST /v1/payouts/{id}/bump":                    "bumpPayout",
	"POST /v1/payouts/{id}/signature":               "submitPayoutSignature",
	"POST /v1/payouts/{id}/cancel":                  "cancelPayout",
	"POST /v1/refunds":                              "createRefund",
	"GET /v1/refunds":                               "listRefunds",
	"GET /v1/refunds/{id}":                          "getRefund",
	"POST /v1/refunds/{id}/cancel":                  "cancelRefund",
	"GET /v1/invoices/{id}/refunds":                 "listInvoiceRefunds",
	"GET /v1/invoices/{id}/rebounds":                "listInvoiceRebounds",
	"GET /refunds/{token}":                          "refundClaimPage",
	"GET /subscriptions/{id}":                       "subscriptionPage",
	"POST /refunds/{token}":                         "claimRefund",
	"GET /v1/treasury":                              "getTreasury",
	"GET /v1/withdrawals/min-amount":                "getMinPayout",
	"GET /v1/withdrawals/fee-estimate":              "estimatePayoutFee",
	"GET /v1/prices/estimate":                       "estimatePrice",
	"POST /v1/conversions":                          "createConversion",
	"GET /v1/conversions":                           "listConversions",
	"GET /v1/conversions/{id}":                      "getConversion",
	"POST /v1/customers":                            "createCustomer",
	"GET /v1/customers":                             "listCustomers",
	"GET /v1/customers/{id}":                        "getCustomer",
	"PUT /v1/customers/{id}":                        "updateCustomer",
	"DELETE /v1/customers/{id}":                     "deleteCustomer",
	"POST /v1/sub-merchants":                        "createSubMerchant",
	"GET /v1/sub-merchants":                         "listSubMerchants",
	"GET /v1/sub-merchants/{id}":                    "getSubMerchant",
	"PUT /v1/sub-merchants/{id}":                    "updateSubMerchant",
	"POST /v1/wallets":                              "createWallet",
	"GET /v1/wallets":                               "listWallets",
	"GET /v1/wallets/lookup":                        "lookupWallet",
	"GET /v1/wallets/balance/aggregated":            "aggregatedWallets",
	"GET /v1/wallets/{id}":                          "getWallet",
	"GET /v1/wallets/{id}/transactions":             "listWalletTransactions",
	"POST /v1/wallets/{id}/deposit":                 "checkWalletDeposit",
	"POST /v1/wallets/{id}/withdraw":                "withdrawFromWallet",
	"POST /v1/products":                             "createProduct",
	"GET /v1/products":                              "listProducts",
	"GET /v1/products/{id}":                         "getProduct",
	"PUT /v1/products/{id}":                         "updateProduct",
	"POST /v1/subscriptions":                        "createSubscription",
	"GET /v1/subscriptions":                         "listSubscriptions",
	"GET /v1/subscriptions/{id}":                    "getSubscription",
	"GET /v1/subscriptions/{id}/periods":            "listSubscriptionPeriods",
	"POST /v1/subscriptions/{id}/cancel":            "cancelSubscription",
	"POST /v1/webhook-endpoints":                    "createWebhookEndpoint",
	"GET /v1/webhook-endpoints":                     "listWebhookEndpoints",
	"GET /v1/webhook-endpoints/{id}":                "getWebhookEndpoint",
	"PUT /v1/webhook-endpoints/{id}":                "updateWebhookEndpoint",
	"DELETE /v1/webhook-endpoints/{id}":             "deleteWebhookEndpoint",
	"POST /v1/webhook-endpoints/{id}/ping":          "pingWebhookEndpoint",
	"POST /v1/webhook-endpoints/{id}/rotate-secret": "rotateWebhookEndpointSecret",
	"GET /v1/events":                                "listEvents",
	"GET /v1/events/{id}":                           "getEvent",
	"POST /v1/events/{id}/redeliver":                "redeliverEvent",
	"POST /v1/test/invoices/{id}/pay":               "testPayInvoice",
	"GET /checkout/{id}":                            "checkoutPage",
	"GET /checkout/{id}/status":                     "getCheckoutStatus",
	"POST /checkout/{id}/test-pay":                  "checkoutTestPay",
	"GET /static/{file}":                            "getStaticFile",
	"GET /openapi.json":                             "getOpenAPI",
	"GET /healthz":                                  "liveness",
	"GET /readyz":                                   "readiness",
}

// operationID names an operation; a route without a name is a programming error,
// caught by every test that reads the document.
func operationID(method, path string) string {
	id, ok := operationIDs[method+" "+path]
	if !ok {
		panic("httphandler: no operationId for " + method + " " + path)
	}
	return id
}

// tag groups operations by their first path segment after /v1.
func tag(path string) string {
	segs := strings.Split(strings.TrimPrefix(path, "/v1"), "/")
	if len(segs) > 1 && slices.Contains([]string{"checkout", "static", "openapi.json"}, segs[1]) && !strings.HasPrefix(path, "/v1") {
		return "hosted"
	}
	if len(segs) > 1 {
		return segs[1]
	}
	return "other"
}

// openAPI serves the document.
func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, h.document())
	return nil
}
