package httphandler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/billing"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/conversion"
	"github.com/kassapay/kassa/customer"
	"github.com/kassapay/kassa/event"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/submerchant"
	"github.com/kassapay/kassa/validation"
	"github.com/kassapay/kassa/wallet"
	"github.com/kassapay/kassa/webhook"
	"github.com/shopspring/decimal"
)

// route is one endpoint: the router and the OpenAPI document are made from these.
type route struct {
	method, path string
	public       bool // no API key (hosted pages, the OpenAPI document)
	summary      string
	h            func(w http.ResponseWriter, r *http.Request) error
	doc          routeDoc
}

// invoiceFilters are the query parameters of the invoice and payment lists.
var invoiceFilters = append([]param{
	enumParam("status", "Only invoices in this state.", enums[reflect.TypeFor[invoice.Status]()]...),
	named("customer_id", str("Only this customer's.")),
	named("order_id", str("Only the invoice of this order id.")),
	{name: "created_from", desc: "Created at or after (RFC 3339).", schema: map[string]any{"type": "string", "format": "date-time"}},
	{name: "created_to", desc: "Created before (RFC 3339).", schema: map[string]any{"type": "string", "format": "date-time"}},
}, paging...)

// assetParams name an asset: a currency and, when it is on several networks, a network.
var assetParams = []param{
	named("currency", str("Currency (\"USDT\") or asset code (\"USDT_TRON\").")),
	named("network", str("Network of the currency (\"tron\"), when the currency is on several.")),
}

func (h *Handler) routes() []route {
	created := routeDoc{status: http.StatusCreated, also: []int{http.StatusOK}} // 200: the same order id again
	return []route{
		{"GET", "/v1/currencies", false, "Every enabled asset", h.currencies, routeDoc{data: []currencyJSON{}}},
		{"GET", "/v1/currencies/pairs", false, "Currency and network pairs for invoices and payouts", h.pairs, routeDoc{data: []pairJSON{}}},
		{"GET", "/v1/wallets/supported", false, "Networks per currency", h.supported, routeDoc{data: []supportedJSON{}}},
		{"POST", "/v1/invoices", false, "Create an invoice", h.createInvoice(invoice.KindInvoice), created.with(createRequest{}, invoiceJSON{})},
		{"GET", "/v1/invoices", false, "List invoices", h.listInvoices, routeDoc{data: invoiceJSON{}, list: true, query: invoiceFilters}},
		{"GET", "/v1/invoices/{id}", false, "Get an invoice", h.getInvoice, routeDoc{data: invoiceJSON{}}},
		{"POST", "/v1/invoices/{id}/verify", false, "The payer says they paid: rescan now, watch for a day", h.verify(invoice.KindInvoice), routeDoc{body: verifyRequest{}, data: verifyJSON{}}},
		{"POST", "/v1/invoices/{id}/cancel", false, "Cancel a pending invoice", h.cancelInvoice, routeDoc{data: invoiceJSON{}}},
		{"POST", "/v1/invoices/{id}/refresh", false, "Make an invoice that expired unpaid pending again, with new quotes", h.refreshInvoice, routeDoc{data: invoiceJSON{}}},
		{"GET", "/v1/invoices/{id}/transactions", false, "On-chain transfers matched to an invoice", h.invoiceTransactions, routeDoc{data: []transferJSON{}}},
		{"POST", "/v1/checkout/sessions", false, "Create a checkout session", h.createSession, created.with(createRequest{}, sessionJSON{})},
		{"GET", "/v1/checkout/sessions", false, "List checkout sessions", h.listSessions, routeDoc{data: sessionJSON{}, list: true, query: invoiceFilters}},
		{"GET", "/v1/checkout/sessions/{id}", false, "Get a checkout session", h.getSession, routeDoc{data: sessionJSON{}}},
		{"POST", "/v1/checkout/sessions/{id}/verify", false, "The payer says they paid: rescan now, watch for a day", h.verify(invoice.KindCheckoutSession), routeDoc{body: verifyRequest{}, data: verifyJSON{}}},
		{"POST", "/v1/payments", false, "Create a payment", h.createPayment, created.with(createRequest{}, paymentJSON{})},
		{"GET", "/v1/payments", false, "List payments", h.listPayments, routeDoc{data: paymentJSON{}, list: true, query: invoiceFilters}},
		{"GET", "/v1/payments/{id}", false, "Get a payment", h.getPayment, routeDoc{data: paymentJSON{}}},
		{"POST", "/v1/payments/{id}/verify", false, "The payer says they paid: rescan now, watch for a day", h.verify(invoice.KindPayment), routeDoc{body: verifyRequest{}, data: verifyJSON{}}},
		{"POST", "/v1/payments/{id}/cancel", false, "Cancel a pending payment", h.cancelPayment, routeDoc{data: paymentJSON{}}},
		{"GET", "/v1/balance", false, "Balances of the key's mode", h.balance, routeDoc{data: balanceJSON{}}},
		{"GET", "/v1/transactions", false, "On-chain transfers to our addresses", h.listTransactions, routeDoc{data: transferJSON{}, list: true,
			query: append(append([]param{enumParam("status", "Only transfers in this state.", enums[reflect.TypeFor[chains.Status]()]...)}, assetParams...), paging...)}},
		{"GET", "/v1/transactions/{txid}", false, "The transfers of one transaction", h.getTransaction, routeDoc{data: []transferJSON{}}},
		{"POST", "/v1/transactions/{txid}/hurry", false, "Pay for a stuck incoming payment with a child transaction (CPFP)", h.hurryTransaction, routeDoc{data: kassa.Hurried{}}},
		{"POST", "/v1/payouts", false, "Create a payout", h.createPayout, routeDoc{status: http.StatusCreated, body: payoutRequest{}, data: payout.Payout{}}},
		{"POST", "/v1/payouts/mass", false, "Create 1 to 50 payouts at once", h.createMassPayout, routeDoc{status: http.StatusCreated, body: massRequest{}, data: massJSON{}}},
		{"GET", "/v1/payouts", false, "List payouts", h.listPayouts, routeDoc{data: payout.Payout{}, list: true,
			query: append([]param{enumParam("status", "Only payouts in this state.", enums[reflect.TypeFor[payout.Status]()]...)}, paging...)}},
		{"GET", "/v1/payouts/{id}", false, "Get a payout", h.getPayout, routeDoc{data: payout.Payout{}}},
		{"POST", "/v1/payouts/{id}/verify", false, "Confirm a payout with its one-time code", h.verifyPayout, routeDoc{body: verifyPayoutRequest{}, data: payout.Payout{}}},
		{"POST", "/v1/payouts/{id}/signature", false, "Submit the signed PSBT of a payout awaiting its signature (a watch-only keyring)", h.signPayout, routeDoc{body: signPayoutRequest{}, data: payout.Payout{}}},
		{"POST", "/v1/payouts/{id}/cancel", false, "Cancel a payout awaiting its signature", h.cancelPayout, routeDoc{data: payout.Payout{}}},
		{"POST", "/v1/payouts/{id}/bump", false, "Replace a broadcast payout's unmined transaction by one paying a higher fee", h.bumpPayout, routeDoc{data: payout.Payout{}}},
		{"POST", "/v1/refunds", false, "Refund an invoice, payment or checkout session, in part or in full", h.createRefund,
			routeDoc{status: http.StatusCreated, body: refundRequest{}, data: refundJSON{}}},
		{"GET", "/v1/refunds", false, "List refunds", h.listRefunds, routeDoc{data: refundJSON{}, list: true,
			query: append([]param{named("invoice_id", str("Only the refunds of this invoice.")),
				enumParam("status", "Only refunds in this state.", enums[reflect.TypeFor[refund.Status]()]...)}, paging...)}},
		{"GET", "/v1/refunds/{id}", false, "Get a refund", h.getRefund, routeDoc{data: refundJSON{}}},
		{"POST", "/v1/refunds/{id}/cancel", false, "Cancel a refund still waiting for the payer's address", h.cancelRefund, routeDoc{data: refundJSON{}}},
		{"GET", "/v1/invoices/{id}/rebounds", false, "What Kassa gives back of an invoice on its own (rebounds)", h.invoiceRebounds, routeDoc{data: []reboundJSON{}}},
		{"GET", "/v1/invoices/{id}/refunds", false, "The refunds of an invoice, payment or checkout session", h.invoiceRefunds, routeDoc{data: []refundJSON{}}},
		{"GET", "/v1/treasury", false, "Hot wallets, sweeps under way and the latest sweeps", h.treasury, routeDoc{data: treasuryJSON{}}},
		{"GET", "/v1/withdrawals/min-amount", false, "Minimum payout of an asset", h.minAmount, routeDoc{data: minAmountJSON{}, query: assetParams}},
		{"GET", "/v1/withdrawals/fee-estimate", false, "Fees of a payout", h.feeEstimate, routeDoc{data: payout.Estimate{},
			query: append(append([]param{}, assetParams...), param{name: "amount", desc: "The payout's amount (for the service fee).",
				schema: map[string]any{"type": "string", "pattern": decimalPattern}})}},
		{"GET", "/v1/prices/estimate", false, "What an amount of one currency is worth in another at the current rate", h.estimatePrice,
			routeDoc{data: kassa.PriceEstimate{}, query: []param{
				named("base_currency", str("The currency priced: a fiat code (\"EUR\"), a crypto currency (\"BTC\", \"USDT\") or an asset code (\"USDT_TRON\").")),
				named("quote_currency", str("The currency it is priced in, written the same way.")),
				{name: "amount", desc: "The amount of base_currency.", schema: map[string]any{"type": "string", "pattern": decimalPattern}}}}},
		{"POST", "/v1/conversions", false, "Convert between the merchant's balances through the operator's exchange", h.createConversion,
			routeDoc{status: http.StatusCreated, body: conversionRequest{}, data: conversion.Conversion{}}},
		{"GET", "/v1/conversions", false, "List conversions", h.listConversions, routeDoc{data: conversion.Conversion{}, list: true,
			query: append([]param{enumParam("status", "Only conversions in this state.", enums[reflect.TypeFor[conversion.Status]()]...)}, paging...)}},
		{"GET", "/v1/conversions/{id}", false, "Get a conversion", h.getConversion, routeDoc{data: conversion.Conversion{}}},
		{"POST", "/v1/customers", false, "Create a customer", h.createCustomer, routeDoc{status: http.StatusCreated, body: customerRequest{}, data: customer.Customer{}}},
		{"GET", "/v1/customers", false, "List customers (filters email, external_id)", h.listCustomers, routeDoc{data: customer.Customer{}, list: true}},
		{"GET", "/v1/customers/{id}", false, "Get a customer", h.getCustomer, routeDoc{data: customer.Customer{}}},
		{"PUT", "/v1/customers/{id}", false, "Change a customer", h.updateCustomer, routeDoc{body: customerUpdate{}, data: customer.Customer{}}},
		{"DELETE", "/v1/customers/{id}", false, "Delete a customer", h.deleteCustomer, routeDoc{data: deletedJSON{}}},
		{"POST", "/v1/sub-merchants", false, "Create a sub-merchant", h.createSubMerchant,
			routeDoc{status: http.StatusCreated, body: subMerchantRequest{}, data: submerchant.SubMerchant{}}},
		{"GET", "/v1/sub-merchants", false, "List sub-merchants (filters external_id, active)", h.listSubMerchants,
			routeDoc{data: submerchant.SubMerchant{}, list: true, query: append([]param{named("external_id", str("Only the sub-merchant of this external id.")),
				{name: "active", desc: "Only active (true) or inactive (false) ones.", schema: map[string]any{"type": "boolean"}}}, paging...)}},
		{"GET", "/v1/sub-merchants/{id}", false, "Get a sub-merchant", h.getSubMerchant, routeDoc{data: submerchant.SubMerchant{}}},
		{"PUT", "/v1/sub-merchants/{id}", false, "Change a sub-merchant (active false stops new objects for it)", h.updateSubMerchant,
			routeDoc{body: subMerchantUpdate{}, data: submerchant.SubMerchant{}}},
		{"POST", "/v1/wallets", false, "Create a customer's wallet of an asset (200 with the existing one)", h.createWallet,
			routeDoc{status: http.StatusCreated, also: []int{http.StatusOK}, body: walletRequest{}, data: wallet.Wallet{}}},
		{"GET", "/v1/wallets", false, "List customer wallets", h.listWallets, routeDoc{data: wallet.Wallet{}, list: true,
			query: append([]param{named("customer_id", str("Only this customer's wallets.")), named("currency", str("Only wallets of this currency (\"USDT\": every network)."))}, paging...)}},
		{"GET", "/v1/wallets/lookup", false, "The wallet of a customer and asset", h.lookupWallet, routeDoc{data: wallet.Wallet{},
			query: append([]param{named("customer_id", str("The customer: a cus_ id or the merchant's own id."))}, assetParams...)}},
		{"GET", "/v1/wallets/balance/aggregated", false, "A customer's wallets and their total in USD", h.aggregatedWallets,
			routeDoc{data: wallet.Aggregate{}, query: []param{named("customer_id", str("The customer: a cus_ id or the merchant's own id."))}}},
		{"GET", "/v1/wallets/{id}", false, "Get a wallet with its balances", h.getWallet, routeDoc{data: wallet.Wallet{}}},
		{"GET", "/v1/wallets/{id}/transactions", false, "A wallet's deposits and withdrawals, newest first", h.walletTransactions,
			routeDoc{data: []wallet.Transaction{}}},
		{"POST", "/v1/wallets/{id}/deposit", false, "Look for a deposit transaction now (a targeted rescan)", h.checkDeposit,
			routeDoc{body: depositCheckRequest{}, data: wallet.CheckResult{}}},
		{"POST", "/v1/wallets/{id}/withdraw", false, "Withdraw from a wallet: a payout, the fee from the wallet on top", h.withdraw,
			routeDoc{status: http.StatusCreated, body: withdrawRequest{}, data: payout.Payout{}}},
		{"POST", "/v1/products", false, "Create a product with its pricing plans", h.createProduct,
			routeDoc{status: http.StatusCreated, body: productRequest{}, data: billing.Product{}}},
		{"GET", "/v1/products", false, "List products (filter active)", h.listProducts, routeDoc{data: billing.Product{}, list: true,
			query: append([]param{{name: "active", desc: "Only active (true) or archived (false) ones.", schema: map[string]any{"type": "boolean"}}}, paging...)}},
		{"GET", "/v1/products/{id}", false, "Get a product", h.getProduct, routeDoc{data: billing.Product{}}},
		{"PUT", "/v1/products/{id}", false, "Change a product: add plans, archive (a used plan's price never changes)", h.updateProduct,
			routeDoc{body: productUpdate{}, data: billing.Product{}}},
		{"POST", "/v1/subscriptions", false, "Start a subscription: one invoice per period, or from the customer's wallet", h.createSubscription,
			routeDoc{status: http.StatusCreated, body: subscriptionRequest{}, data: subscriptionJSON{}}},
		{"GET", "/v1/subscriptions", false, "List subscriptions (filters customer_id, status)", h.listSubscriptions, routeDoc{data: subscriptionJSON{}, list: true,
			query: append([]param{named("customer_id", str("Only this customer's subscriptions.")),
				enumParam("status", "Only subscriptions in this state.", enums[reflect.TypeFor[billing.Status]()]...)}, paging...)}},
		{"GET", "/v1/subscriptions/{id}", false, "Get a subscription", h.getSubscription, routeDoc{data: subscriptionJSON{}}},
		{"GET", "/v1/subscriptions/{id}/periods", false, "A subscription's billed periods, oldest first", h.subscriptionPeriods,
			routeDoc{data: []billing.Period{}}},
		{"POST", "/v1/subscriptions/{id}/cancel", false, "Cancel a subscription now, or at the end of its period", h.cancelSubscription,
			routeDoc{body: cancelSubscriptionRequest{}, data: subscriptionJSON{}}},
		{"POST", "/v1/webhook-endpoints", false, "Create a webhook endpoint", h.createEndpoint, routeDoc{status: http.StatusCreated, body: endpointRequest{}, data: webhook.Endpoint{}}},
		{"GET", "/v1/webhook-endpoints", false, "List webhook endpoints", h.listEndpoints, routeDoc{data: webhook.Endpoint{}, list: true}},
		{"GET", "/v1/webhook-endpoints/{id}", false, "Get a webhook endpoint", h.getEndpoint, routeDoc{data: webhook.Endpoint{}}},
		{"PUT", "/v1/webhook-endpoints/{id}", false, "Change a webhook endpoint", h.updateEndpoint, routeDoc{body: endpointUpdate{}, data: webhook.Endpoint{}}},
		{"DELETE", "/v1/webhook-endpoints/{id}", false, "Delete a webhook endpoint", h.deleteEndpoint, routeDoc{data: deletedJSON{}}},
		{"POST", "/v1/webhook-endpoints/{id}/ping", false, "Send a test event to a webhook endpoint now", h.pingEndpoint, routeDoc{data: webhook.PingResult{}}},
		{"POST", "/v1/webhook-endpoints/{id}/rotate-secret", false, "Rotate a webhook endpoint's secret", h.rotateEndpoint, routeDoc{data: webhook.Endpoint{}}},
		{"GET", "/v1/events", false, "List events", h.listEvents, routeDoc{data: event.Event{}, list: true,
			query: append([]param{named("type", str("Only events of this type (\"invoice.paid\")."))}, paging...)}},
		{"GET", "/v1/events/{id}", false, "Get an event with its delivery attempts", h.getEvent, routeDoc{data: webhook.EventDetail{}}},
		{"POST", "/v1/events/{id}/redeliver", false, "Deliver an event again", h.redeliver, routeDoc{data: redeliveredJSON{}}},
		{"POST", "/v1/test/invoices/{id}/pay", false, "Test mode: make the test chain pay an invoice", h.testPay, routeDoc{body: testPayRequest{}, data: invoiceJSON{}}},
		{"GET", "/checkout/{id}", true, "The hosted checkout page (HTML)", h.checkoutPage, routeDoc{content: "text/html",
			query: []param{named("method", str("The payment method shown first (\"USDT_TRON\")."))}}},
		{"GET", "/checkout/{id}/status", true, "Public status of a checkout page", h.checkoutStatus, routeDoc{data: checkoutStatusJSON{}}},
		{"POST", "/checkout/{id}/test-pay", true, "Test mode: the page's \"Pay with test funds\" button", h.checkoutTestPay, routeDoc{status: http.StatusSeeOther, content: "text/html"}},
		{"GET", "/subscriptions/{id}", true, "The hosted subscription page (HTML): the plan, the period, the invoice to pay", h.subscriptionPage,
			routeDoc{content: "text/html"}},
		{"GET", "/refunds/{token}", true, "The hosted refund claim page (HTML): the payer gives an address", h.refundPage, routeDoc{content: "text/html"}},
		{"POST", "/refunds/{token}", true, "The claim page's form (address, email): the refund goes out", h.claimRefund,
			routeDoc{status: http.StatusSeeOther, content: "text/html", also: []int{http.StatusUnprocessableEntity}}},
		{"GET", "/static/{file}", true, "The checkout page's CSS, JS and logo", h.static, routeDoc{content: "*/*"}},
		{"GET", "/openapi.json", true, "This document", h.openAPI, routeDoc{content: "application/json"}},
		{"GET", "/healthz", true, "Liveness: the process answers", h.healthz, routeDoc{data: healthzJSON{}, bare: true}},
		{"GET", "/readyz", true, "Readiness: the database answers and every chain watcher this instance runs is current (503 when not)",
			h.readyz, routeDoc{data: readyJSON{}, bare: true, also: []int{http.StatusServiceUnavailable}}},
	}
}

// healthzJSON answers a liveness probe.
type healthzJSON struct {
	Status string `json:"status" enum:"ok"`
}

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, healthzJSON{Status: "ok"})
	return nil
}

// readyJSON is the public answer of a readiness probe: states only. The errors
// behind them (a node's URL, which may carry a provider's key; the database's host)
// go to the logs and to Gateway.Ready, never to an unauthenticated client.
type readyJSON struct {
	Ready bool `json:"ready"`
	// Database is "ok" or "unavailable".
	Database string             `json:"database" enum:"ok,unavailable"`
	Networks []readyNetworkJSON `json:"networks"`
}

// readyNetworkJSON is one chain watcher's state (kassa.NetworkHealth without its error).
type readyNetworkJSON struct {
	Network string `json:"network"`
	Mode    string `json:"mode"`
	State   string `json:"state" enum:"ok,behind,failing,stale,starting,elsewhere,idle"`
	Height  uint64 `json:"height"`
	Tip     uint64 `json:"tip"`
	Lag     uint64 `json:"lag"`
}

// readyz answers a readiness probe: 200 when the Gateway is ready, 503 when not,
// with each network's state either way.
func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	health := h.gw.Ready(ctx)
	out := readyJSON{Ready: health.Ready, Database: "ok", Networks: []readyNetworkJSON{}}
	if health.Database != "ok" {
		out.Database = "unavailable"
		h.log.WarnContext(ctx, "httphandler: not ready: the database does not answer", "err", health.Database)
	}
	for _, n := range health.Networks {
		out.Networks = append(out.Networks, readyNetworkJSON{Network: n.Network, Mode: n.Mode, State: n.State,
			Height: n.Height, Tip: n.Tip, Lag: n.Lag})
		if n.State != "ok" && n.State != "elsewhere" && n.State != "idle" {
			h.log.WarnContext(ctx, "httphandler: not ready", "network", n.Network, "mode", n.Mode, "state", n.State, "err", n.Error)
		}
	}
	status := http.StatusOK
	if !health.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, out)
	return nil
}

// with returns d for a request body of type body answered with data.
func (d routeDoc) with(body, data any) routeDoc {
	d.body, d.data = body, data
	return d
}

func mode(r *http.Request) asset.Mode { return callOf(r).key.Mode }

// ---- registry

type currencyJSON struct {
	Currency      string `json:"currency"`
	Network       string `json:"network"`
	Code          string `json:"code"`
	Precision     int32  `json:"precision"`
	MinAmount     string `json:"min_amount"`
	Confirmations int    `json:"confirmations"`
	TokenContract string `json:"token_contract,omitempty"`
}

// pairJSON is a currency on a network.
type pairJSON struct {
	Currency  string `json:"currency"`
	Network   string `json:"network"`
	Precision int32  `json:"precision"`
}

// supportedJSON is a currency with its networks.
type supportedJSON struct {
	Currency string   `json:"currency"`
	Networks []string `json:"networks"`
}

func (h *Handler) enabled(m asset.Mode) []asset.Asset {
	var out []asset.Asset
	for _, a := range h.gw.Assets().Assets() {
		if h.gw.Enabled(m, a.Code) {
			out = append(out, a)
		}
	}
	return out
}

func (h *Handler) currencies(w http.ResponseWriter, r *http.Request) error {
	out := []currencyJSON{}
	for _, a := range h.enabled(mode(r)) {
		out = append(out, currencyJSON{Currency: a.Currency, Network: string(a.Network), Code: a.Code, Precision: a.Decimals,
			MinAmount: a.MinInvoice.String(), Confirmations: a.Confirmations, TokenContract: a.ContractFor(mode(r))})
	}
	ok(w, http.StatusOK, out)
	return nil
}

func (h *Handler) pairs(w http.ResponseWriter, r *http.Request) error {
	out := []pairJSON{}
	for _, a := range h.enabled(mode(r)) {
		out = append(out, pairJSON{a.Currency, string(a.Network), a.Decimals})
	}
	ok(w, http.StatusOK, out)
	return nil
}

func (h *Handler) supported(w http.ResponseWriter, r *http.Request) error {
	var out []supportedJSON
	for _, a := range h.enabled(mode(r)) {
		i := slices.IndexFunc(out, func(e supportedJSON) bool { return e.Currency == a.Currency })
		if i < 0 {
			out = append(out, supportedJSON{Currency: a.Currency})
			i = len(out) - 1
		}
		out[i].Networks = append(out[i].Networks, string(a.Network))
	}
	if out == nil {
		out = []supportedJSON{}
	}
	ok(w, http.StatusOK, out)
	return nil
}

// ---- invoices

// createRequest is the union of the create parameters (invoices, checkout sessions and payments).
type createRequest struct {
	Amount                Amount   `json:"amount" required:"true" example:"100.50"`
	Currency              string   `json:"currency" example:"USD"`
	FiatCurrency          string   `json:"fiat_currency"`
	OrderID               string   `json:"order_id"`
	ToCurrency            string   `json:"to_currency"`
	Network               string   `json:"network"`
	AcceptedAssets        []string `json:"accepted_assets"`
	Currencies            []string `json:"currencies"`
	ExceptCurrencies      []string `json:"except_currencies"`
	Lifetime              *int     `json:"lifetime"`
	AccuracyPaymentPct    Amount   `json:"accuracy_payment_percent"`
	UnderpaymentThreshold Amount   `json:"underpayment_threshold"`
	IsPaymentMultiple     *bool    `json:"is_payment_multiple"`
	Subtract              Amount   `json:"subtract"`
	DiscountPercent       Amount   `json:"discount_percent"`
	CustomerID            string   `json:"customer_id"`
	// SubMerchantID makes it a sub-merchant's (a key bound to one makes its own).
	SubMerchantID string          `json:"sub_merchant_id"`
	CustomerEmail string          `json:"customer_email"`
	Description   string          `json:"description"`
	ProductName   string          `json:"product_name"`
	SuccessURL    string          `json:"success_url"`
	CancelURL     string          `json:"cancel_url"`
	URLReturn     string          `json:"url_return"`
	URLCallback   string          `json:"url_callback"`
	Metadata      json.RawMessage `json:"metadata"`
}

func (c createRequest) params(kind invoice.Kind, v *validation.Error) invoice.CreateParams {
	p := invoice.CreateParams{Kind: kind, Amount: c.Amount.Value, Currency: c.Currency, OrderID: c.OrderID,
		ToCurrency: c.ToCurrency, Network: c.Network, AcceptedAssets: append(c.AcceptedAssets, c.Currencies...),
		ExceptCurrencies: c.ExceptCurrencies, AccuracyPercent: c.AccuracyPaymentPct.Value,
		UnderpaymentThreshold: c.UnderpaymentThreshold.Value, PaymentMultiple: c.IsPaymentMultiple,
		SubtractPercent: c.Subtract.Value, DiscountPercent: c.DiscountPercent.Value, CustomerID: c.CustomerID,
		CustomerEmail: c.CustomerEmail, Description: c.Description, SuccessURL: c.SuccessURL, CancelURL: c.CancelURL,
		CallbackURL: c.URLCallback}
	if p.Currency == "" {
		p.Currency = c.FiatCurrency
	}
	if p.Description == "" {
		p.Description = c.ProductName
	}
	if p.CancelURL == "" {
		p.CancelURL = c.URLReturn
	}
	if c.Lifetime != nil {
		// Range-checked as seconds: the product in nanoseconds overflows for huge values.
		if n := *c.Lifetime; n < int(invoice.MinLifetime/time.Second) || n > int(invoice.MaxLifetime/time.Second) {
			v.Add("lifetime", fmt.Errorf("%w: 300..43200 seconds", invoice.ErrOutOfRange))
		} else {
			p.Lifetime = time.Duration(n) * time.Second
		}
	}
	if len(c.Metadata) > 0 && string(c.Metadata) != "null" {
		p.Metadata = c.Metadata
	}
	if !c.Amount.Set {
		v.Add("amount", errors.New("is required"))
	}
	return p
}

type methodJSON struct {
	Currency        string          `json:"currency"`
	Network         string          `json:"network"`
	Code            string          `json:"code"`
	Address         string          `json:"address"`
	AmountDue       decimal.Decimal `json:"amount_due"`
	AmountPaid      decimal.Decimal `json:"amount_paid"`
	AmountConfirmed decimal.Decimal `json:"amount_confirmed"`
	Rate            decimal.Decimal `json:"rate"`
	RateSource      string          `json:"rate_source,omitempty" example:"coingecko"`
	RatedAt         *time.Time      `json:"rated_at,omitempty"`
	PaymentURI      string          `json:"payment_uri"`
	Confirmations   int             `json:"confirmations_required"`
}

type invoiceJSON struct {
	ID            string          `json:"id"`
	Kind          invoice.Kind    `json:"kind"`
	Status        invoice.Status  `json:"status"`
	Exception     *string         `json:"exception"`
	Amount        decimal.Decimal `json:"amount"`
	Currency      string          `json:"currency"`
	AmountDue     decimal.Decimal `json:"amount_due"`
	OrderID       string          `json:"order_id,omitempty"`
	CustomerID    string          `json:"customer_id"`
	SubMerchantID string          `json:"sub_merchant_id"`
	// SubscriptionID and SubscriptionPeriod: the subscription period the invoice bills.
	SubscriptionID     string          `json:"subscription_id,omitempty"`
	SubscriptionPeriod *int            `json:"subscription_period,omitempty"`
	CustomerEmail      string          `json:"customer_email,omitempty"`
	Metadata           json.RawMessage `json:"metadata"`
	Description        string          `json:"description,omitempty"`
	PaymentMethods     []methodJSON    `json:"payment_methods"`
	AmountPaid         decimal.Decimal `json:"amount_paid"`
	AmountConfirmed    decimal.Decimal `json:"amount_confirmed"`
	AmountRefunded     decimal.Decimal `json:"amount_refunded"`
	HostedURL          string          `json:"hosted_url"`
	SuccessURL         string          `json:"success_url,omitempty"`
	CancelURL          string          `json:"cancel_url,omitempty"`
	URLCallback        string          `json:"url_callback,omitempty"`
	ExpiresAt          time.Time       `json:"expires_at"`
	CreatedAt          time.Time       `json:"created_at"`
	PaidAt             *time.Time      `json:"paid_at,omitempty"`
	Livemode           bool            `json:"livemode"`
	// Claims are the payer's "I have paid" (POST .../verify), oldest first.
	Claims []invoice.Claim `json:"claims,omitempty"`
}

func (h *Handler) hostedURL(id string) string { return h.opts.PublicURL + "/checkout/" + id }

// CheckoutURL returns the hosted checkout page of invoice id (its API hosted_url):
// where a shop sends its customer after creating an invoice through the Go API.
// Options.PublicURL is its base.
func (h *Handler) CheckoutURL(id string) string { return h.hostedURL(id) }

func (h *Handler) methodsJSON(inv *invoice.Invoice) []methodJSON {
	out := []methodJSON{}
	for _, m := range inv.Methods {
		out = append(out, methodJSON{Currency: m.Currency, Network: string(m.Network), Code: m.Asset, Address: m.Address,
			AmountDue: m.AmountDue, AmountPaid: m.AmountPaid, AmountConfirmed: m.AmountConfirmed, Rate: m.Rate,
			RateSource: m.RateSource, RatedAt: m.RatedAt,
			PaymentURI: h.gw.PaymentURI(inv, m), Confirmations: m.Confirmations})
	}
	return out
}

// exception is an invoice's exception for JSON: null when there is none.
func exception(inv *invoice.Invoice) *string {
	if inv.Exception == "" {
		return nil
	}
	s := string(inv.Exception)
	return &s
}

func (h *Handler) invoiceJSON(inv *invoice.Invoice) invoiceJSON {
	ex := exception(inv)
	meta := inv.Metadata
	if len(meta) == 0 {
		meta = json.RawMessage("null")
	}
	return invoiceJSON{ID: inv.ID, Kind: inv.Kind, Status: inv.Status, Exception: ex, Amount: inv.Amount, Currency: inv.Currency,
		AmountDue: inv.AmountDue, OrderID: inv.OrderID, CustomerID: inv.CustomerID, SubMerchantID: inv.SubMerchantID, CustomerEmail: inv.CustomerEmail,
		SubscriptionID: inv.SubscriptionID, SubscriptionPeriod: inv.SubscriptionPeriod, Metadata: meta, Description: inv.Description, PaymentMethods: h.methodsJSON(inv), AmountPaid: inv.AmountPaid,
		AmountConfirmed: inv.AmountConfirmed, AmountRefunded: inv.AmountRefunded, HostedURL: h.hostedURL(inv.ID),
		SuccessURL: inv.SuccessURL, CancelURL: inv.CancelURL, URLCallback: inv.CallbackURL, ExpiresAt: inv.ExpiresAt,
		CreatedAt: inv.CreatedAt, PaidAt: inv.PaidAt, Livemode: inv.Livemode(), Claims: inv.Claims}
}

func (h *Handler) create(r *http.Request, kind invoice.Kind) (*invoice.Invoice, error) {
	var req createRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	sub, err := subFor(r, req.SubMerchantID) // another scope's: not found, before anything else
	if err != nil {
		return nil, err
	}
	var v validation.Error
	p := req.params(kind, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	p.SubMerchantID = sub
	// The service stores the request's key with the invoice: a retry that runs again
	// (its first attempt died holding the Idempotency-Key) finds the invoice.
	p.RequestKey = requestKey(r)
	return h.gw.Invoices().Create(r.Context(), mode(r), p)
}

// created is the status of a create's answer: 201, or 200 when its order_id named an
// invoice made before with the same parameters.
func created(inv *invoice.Invoice) int {
	if inv.Existing {
		return http.StatusOK
	}
	return http.StatusCreated
}

func (h *Handler) createInvoice(kind invoice.Kind) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		inv, err := h.create(r, kind)
		if err != nil {
			return err
		}
		ok(w, created(inv), h.invoiceJSON(inv))
		return nil
	}
}

// own returns the invoice of the key's mode with id and kind; another mode's or kind's
// id is not found (never forbidden: that would say it exists).
func (h *Handler) own(r *http.Request, kind invoice.Kind) (*invoice.Invoice, error) {
	inv, err := h.gw.Invoices().Get(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if kind != "" && inv.Kind != kind {
		return nil, errNotFound
	}
	return inv, nil
}

func (h *Handler) list(r *http.Request, kind invoice.Kind) ([]*invoice.Invoice, pagination, error) {
	var v validation.Error
	q := r.URL.Query()
	status := queryEnum(r, "status", &v, invoice.StatusPending, invoice.StatusPartiallyPaid, invoice.StatusConfirming,
		invoice.StatusPaid, invoice.StatusExpired, invoice.StatusCancelled)
	p := invoice.ListParams{Mode: mode(r), Kind: kind, Status: status, CustomerID: q.Get("customer_id"), SubMerchantID: listSub(r),
		OrderID: q.Get("order_id"), Page: queryInt(r, "page", 1, 1, 1_000_000, &v), Limit: queryInt(r, "limit", 20, 1, 100, &v)}
	for name, dst := range map[string]*time.Time{"created_from": &p.CreatedFrom, "created_to": &p.CreatedTo} {
		if s := q.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				v.Add(name, errors.New("must be an RFC 3339 time"))
			}
			*dst = t
		}
	}
	if err := v.Err(); err != nil {
		return nil, pagination{}, err
	}
	invs, total, err := h.gw.Invoices().List(r.Context(), p)
	if err != nil {
		return nil, pagination{}, err
	}
	return invs, pagination{Page: p.Page, Limit: p.Limit, Total: total, HasMore: p.Page*p.Limit < total}, nil
}

func (h *Handler) listInvoices(w http.ResponseWriter, r *http.Request) error {
	invs, p, err := h.list(r, "")
	if err != nil {
		return err
	}
	out := []invoiceJSON{}
	for _, inv := range invs {
		out = append(out, h.invoiceJSON(inv))
	}
	okList(w, out, p)
	return nil
}

func (h *Handler) getInvoice(w http.ResponseWriter, r *http.Request) error {
	inv, err := h.own(r, "")
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, h.invoiceJSON(inv))
	return nil
}

func (h *Handler) refreshInvoice(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.own(r, ""); err != nil {
		return err
	}
	inv, err := h.gw.Invoices().Refresh(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, h.invoiceJSON(inv))
	return nil
}

func (h *Handler) cancelPayment(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.own(r, invoice.KindPayment); err != nil {
		return err
	}
	inv, err := h.gw.Invoices().Cancel(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, h.paymentJSON(inv))
	return nil
}

func (h *Handler) cancelInvoice(w http.ResponseWriter, r *http.Request) error {
	inv, err := h.gw.Invoices().Cancel(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, h.invoiceJSON(inv))
	return nil
}

// transferStatuses are the states of a transfer, as the list filter takes them.
var transferStatuses = []chains.Status{chains.StatusMempool, chains.StatusConfirming, chains.StatusConfirmed,
	chains.StatusOrphaned, chains.StatusDropped}

type transferJSON struct {
	ID            string          `json:"id"`
	TxID          string          `json:"txid"`
	Index         uint32          `json:"index"`
	Currency      string          `json:"currency"`
	Network       string          `json:"network"`
	Code          string          `json:"code"`
	Amount        decimal.Decimal `json:"amount"`
	Confirmations int             `json:"confirmations"`
	Status        string          `json:"status"`
	BlockHeight   *uint64         `json:"block_height"`
	// From is the payer's address when the chain tells it (see chains.Transfer.From):
	// often an exchange's or a custodian's hot wallet, so never send a refund there
	// without asking the payer.
	From string `json:"from,omitempty"`
}

func (h *Handler) transferJSON(p chains.Record) transferJSON {
	a, _ := h.gw.Assets().Get(p.Asset)
	t := transferJSON{ID: "tx_" + shortHash(string(p.Network.ID)+p.Key()), TxID: p.TxID, Index: p.Index, Currency: a.Currency,
		Network: string(p.Network.ID), Code: p.Asset, Amount: a.FromBaseUnits(p.Amount), Confirmations: p.Confirmations, Status: string(p.Status),
		From: p.From}
	if p.Block.Hash != "" {
		hgt := p.Block.Height
		t.BlockHeight = &hgt
	}
	return t
}

func (h *Handler) invoiceTransactions(w http.ResponseWriter, r *http.Request) error {
	inv, err := h.own(r, "")
	if err != nil {
		return err
	}
	pays, err := h.gw.Invoices().Payments(r.Context(), mode(r), inv.ID)
	if err != nil {
		return err
	}
	out := []transferJSON{}
	for _, p := range pays {
		out = append(out, h.transferJSON(p.Record))
	}
	ok(w, http.StatusOK, out)
	return nil
}

func (h *Handler) listTransactions(w http.ResponseWriter, r *http.Request) error {
	var v validation.Error
	q := r.URL.Query()
	page, limit := queryInt(r, "page", 1, 1, 1_000_000, &v), queryInt(r, "limit", 20, 1, 100, &v)
	f := invoice.TransferFilter{Status: queryEnum(r, "status", &v, transferStatuses...)}
	if c := q.Get("currency"); c != "" {
		a, err := h.gw.Assets().Parse(c, q.Get("network"))
		if err != nil {
			v.Add("currency", err)
		}
		f.Asset = a.Code
	} else if n := q.Get("network"); n != "" {
		id, err := h.gw.Assets().ParseNetwork(n)
		if err != nil {
			v.Add("network", err)
		}
		f.Network = id
	}
	if err := v.Err(); err != nil {
		return err
	}
	recs, total, err := h.gw.Invoices().Transfers(r.Context(), mode(r), f, page, limit)
	if err != nil {
		return err
	}
	out := []transferJSON{}
	for _, rec := range recs {
		out = append(out, h.transferJSON(rec))
	}
	okList(w, out, pagination{Page: page, Limit: limit, Total: total, HasMore: page*limit < total})
	return nil
}

func (h *Handler) getTransaction(w http.ResponseWriter, r *http.Request) error {
	recs, _, err := h.gw.Invoices().Transfers(r.Context(), mode(r), invoice.TransferFilter{TxID: r.PathValue("txid")}, 1, 100)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return errNotFound
	}
	out := []transferJSON{}
	for _, rec := range recs {
		out = append(out, h.transferJSON(rec))
	}
	ok(w, http.StatusOK, out)
	return nil
}

// hurryTransaction pays for a payment to our addresses stuck in the mempool with a
// child transaction (CPFP, kassa.Gateway.HurryPayment), on the network its transfers
// were recorded on.
func (h *Handler) hurryTransaction(w http.ResponseWriter, r *http.Request) error {
	txid := r.PathValue("txid")
	recs, _, err := h.gw.Invoices().Transfers(r.Context(), mode(r), invoice.TransferFilter{TxID: txid}, 1, 1)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return errNotFound
	}
	hu, err := h.gw.HurryPayment(r.Context(), mode(r), recs[0].Network.ID, txid)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, hu)
	return nil
}

// ---- checkout sessions and payments

func (h *Handler) createSession(w http.ResponseWriter, r *http.Request) error {
	inv, err := h.create(r, invoice.KindCheckoutSession)
	if err != nil {
		return err
	}
	ok(w, created(inv), h.sessionJSON(inv, false))
	return nil
}

// sessionJSON is a checkout session.
type sessionJSON struct {
	ID          string          `json:"id"`
	CheckoutURL string          `json:"checkout_url"`
	Status      invoice.Status  `json:"status"`
	Amount      decimal.Decimal `json:"amount"`
	Currency    string          `json:"currency"`
	ProductName string          `json:"product_name"`
	SuccessURL  string          `json:"success_url"`
	CancelURL   string          `json:"cancel_url"`
	CustomerID  string          `json:"customer_id"`
	OrderID     string          `json:"order_id"`
	// SubMerchantID is the sub-merchant it is for ("" the operator's own).
	SubMerchantID string          `json:"sub_merchant_id"`
	Metadata      json.RawMessage `json:"metadata"`
	ExpiresAt     time.Time       `json:"expires_at"`
	CreatedAt     time.Time       `json:"created_at"`
	Livemode      bool            `json:"livemode"`
	// PaymentDetails are given when a session is read (not at creation).
	PaymentDetails []sessionMethodJSON `json:"payment_details,omitempty"`
}

// sessionMethodJSON is one payment method of a checkout session.
type sessionMethodJSON struct {
	Currency string          `json:"currency"`
	Network  string          `json:"network"`
	Code     string          `json:"code"`
	Address  string          `json:"address"`
	Amount   decimal.Decimal `json:"amount"`
	Status   string          `json:"status" enum:"pending,confirming,paid"`
}

func (h *Handler) sessionJSON(inv *invoice.Invoice, details bool) sessionJSON {
	out := sessionJSON{ID: inv.ID, CheckoutURL: h.hostedURL(inv.ID), Status: inv.Status, Amount: inv.Amount,
		Currency: inv.Currency, ProductName: inv.Description, SuccessURL: inv.SuccessURL, CancelURL: inv.CancelURL,
		CustomerID: inv.CustomerID, OrderID: inv.OrderID, SubMerchantID: inv.SubMerchantID, Metadata: nonNull(inv.Metadata),
		ExpiresAt: inv.ExpiresAt, CreatedAt: inv.CreatedAt, Livemode: inv.Livemode()}
	if details {
		for _, m := range inv.Methods {
			st := "pending"
			switch {
			case m.AmountConfirmed.GreaterThanOrEqual(m.AmountDue):
				st = "paid"
			case m.AmountPaid.IsPositive():
				st = "confirming"
			}
			out.PaymentDetails = append(out.PaymentDetails, sessionMethodJSON{Currency: m.Currency, Network: string(m.Network),
				Code: m.Asset, Address: m.Address, Amount: m.AmountDue, Status: st})
		}
	}
	return out
}

func nonNull(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}

func (h *Handler) listSessions(w http.ResponseWriter, r *http.Request) error {
	invs, p, err := h.list(r, invoice.KindCheckoutSession)
	if err != nil {
		return err
	}
	out := []sessionJSON{}
	for _, inv := range invs {
		out = append(out, h.sessionJSON(inv, true))
	}
	okList(w, out, p)
	return nil
}

func (h *Handler) getSession(w http.ResponseWriter, r *http.Request) error {
	inv, err := h.own(r, invoice.KindCheckoutSession)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, h.sessionJSON(inv, true))
	return nil
}

// verifyRequest asks to rescan a checkout session's addresses now.
type verifyRequest struct {
	// Currency limits the answer to one method ("USDT_TRON"); empty: every method.
	Currency string `json:"currency" example:"USDT_TRON"`
}

// verifyJSON is what a rescan found.
type verifyJSON struct {
	Status  string       `json:"status" enum:"pending,confirming,paid"`
	Message string       `json:"message"`
	Wallets []walletJSON `json:"wallets"`
}

// walletJSON is one method's state after a rescan.
type walletJSON struct {
	Currency string `json:"currency"`
	Status   string `json:"status" enum:"pending,confirming,paid"`
	TxHash   string `json:"tx_hash"`
}

// verify is the payer's "I have paid" on an invoice of kind: the claim is recorded
// (the invoice stays watched for a day at least; invoice.claim_failed if nothing
// comes), the invoice's networks are rescanned once, and the answer says what is
// there now.
func (h *Handler) verify(kind invoice.Kind) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error { return h.verifyKind(w, r, kind) }
}

func (h *Handler) verifyKind(w http.ResponseWriter, r *http.Request, kind invoice.Kind) error {
	var req verifyRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	inv, err := h.own(r, kind)
	if err != nil {
		return err
	}
	if inv.Status != invoice.StatusPaid { // a paid one needs no claim: its answer says paid
		code := ""
		if req.Currency != "" {
			a, err := h.gw.Assets().Parse(req.Currency, "")
			if err != nil {
				var v validation.Error
				v.Add("currency", err)
				return v.Err()
			}
			code = a.Code
		}
		if _, err := h.gw.Invoices().Claim(r.Context(), mode(r), inv.ID, code); err != nil {
			return err
		}
	}
	if inv, err = h.gw.Invoices().Rescan(r.Context(), mode(r), inv.ID, 200); err != nil {
		return err
	}
	status := "pending"
	msg := "No payment found yet; the session stays watched for 24 hours."
	switch inv.Status {
	case invoice.StatusConfirming, invoice.StatusPartiallyPaid:
		status, msg = "confirming", "Payment seen; waiting for confirmations."
	case invoice.StatusPaid:
		status, msg = "paid", "Payment confirmed."
	}
	pays, _ := h.gw.Invoices().Payments(r.Context(), mode(r), inv.ID)
	wallets := []walletJSON{}
	for _, m := range inv.Methods {
		if req.Currency != "" && !strings.EqualFold(req.Currency, m.Asset) {
			continue
		}
		tx := ""
		for _, p := range pays {
			if p.Asset == m.Asset {
				tx = p.TxID
			}
		}
		st := "pending"
		if m.AmountPaid.IsPositive() {
			st = "confirming"
		}
		if m.AmountConfirmed.GreaterThanOrEqual(m.AmountDue) {
			st = "paid"
		}
		wallets = append(wallets, walletJSON{Currency: m.Asset, Status: st, TxHash: tx})
	}
	ok(w, http.StatusOK, verifyJSON{Status: status, Message: msg, Wallets: wallets})
	return nil
}

// paymentJSON is a payment (a white-label invoice: addresses without a hosted page).
type paymentJSON struct {
	PaymentID    string            `json:"payment_id"`
	Status       string            `json:"status" enum:"awaiting_payment,confirming,paid,expired,cancelled"`
	Amount       decimal.Decimal   `json:"amount"`
	FiatCurrency string            `json:"fiat_currency"`
	Addresses    map[string]string `json:"addresses"`
	CustomerID   string            `json:"customer_id"`
	OrderID      string            `json:"order_id"`
	// SubMerchantID is the sub-merchant it is for ("" the operator's own).
	SubMerchantID string          `json:"sub_merchant_id"`
	Metadata      json.RawMessage `json:"metadata"`
	ExpiresAt     time.Time       `json:"expires_at"`
	CreatedAt     time.Time       `json:"created_at"`
	Livemode      bool            `json:"livemode"`
}

func (h *Handler) paymentJSON(inv *invoice.Invoice) paymentJSON {
	addrs := map[string]string{}
	for _, m := range inv.Methods {
		addrs[m.Asset] = m.Address
	}
	status := "awaiting_payment"
	switch inv.Status {
	case invoice.StatusConfirming, invoice.StatusPartiallyPaid:
		status = "confirming"
	case invoice.StatusPaid:
		status = "paid"
	case invoice.StatusExpired, invoice.StatusCancelled:
		status = string(inv.Status)
	}
	return paymentJSON{PaymentID: inv.ID, Status: status, Amount: inv.Amount, FiatCurrency: inv.Currency,
		Addresses: addrs, CustomerID: inv.CustomerID, OrderID: inv.OrderID, SubMerchantID: inv.SubMerchantID, Metadata: nonNull(inv.Metadata),
		ExpiresAt: inv.ExpiresAt, CreatedAt: inv.CreatedAt, Livemode: inv.Livemode()}
}

func (h *Handler) createPayment(w http.ResponseWriter, r *http.Request) error {
	inv, err := h.create(r, invoice.KindPayment)
	if err != nil {
		return err
	}
	ok(w, created(inv), h.paymentJSON(inv))
	return nil
}

func (h *Handler) listPayments(w http.ResponseWriter, r *http.Request) error {
	invs, p, err := h.list(r, invoice.KindPayment)
	if err != nil {
		return err
	}
	out := []paymentJSON{}
	for _, inv := range invs {
		out = append(out, h.paymentJSON(inv))
	}
	okList(w, out, p)
	return nil
}

func (h *Handler) getPayment(w http.ResponseWriter, r *http.Request) error {
	inv, err := h.own(r, invoice.KindPayment)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, h.paymentJSON(inv))
	return nil
}

// ---- balance

// balanceJSON is the balance of every asset of a mode.
type balanceJSON struct {
	// Balances are by asset code ("BTC", "USDT_TRON").
	Balances map[string]assetBalanceJSON `json:"balances"`
	// TotalUSD is the sum of the stablecoins' available balances, two decimals.
	TotalUSD      string `json:"total_usd" example:"125.50"`
	TotalUSDBasis string `json:"total_usd_basis" enum:"stablecoins"`
}

// assetBalanceJSON is one asset's balance.
type assetBalanceJSON struct {
	Available decimal.Decimal  `json:"available"` // negative in a deficit
	Pending   decimal.Decimal  `json:"pending"`
	Deficit   *decimal.Decimal `json:"deficit,omitempty"` // what a reorg took back after it was paid out
}

func (h *Handler) balance(w http.ResponseWriter, r *http.Request) error {
	sub, err := subFor(r, r.URL.Query().Get("sub_merchant_id"))
	if err != nil {
		return err
	}
	if sub != "" && boundSub(r) == "" {
		if _, err := h.gw.SubMerchants().Get(r.Context(), mode(r), sub); err != nil {
			return err
		}
	}
	bs, err := h.gw.SubBalances(r.Context(), mode(r), sub)
	if err != nil {
		return err
	}
	out := map[string]assetBalanceJSON{}
	usd := decimal.Zero
	for _, b := range bs {
		out[b.Asset] = assetBalanceJSON{Available: b.Available, Pending: b.Pending}
		if b.Deficit.IsPositive() {
			d := b.Deficit
			out[b.Asset] = assetBalanceJSON{Available: b.Available, Pending: b.Pending, Deficit: &d}
		}
		if a, _ := h.gw.Assets().Get(b.Asset); a.Stable {
			usd = usd.Add(b.Available)
		}
	}
	ok(w, http.StatusOK, balanceJSON{Balances: out, TotalUSD: usd.StringFixed(2), TotalUSDBasis: "stablecoins"})
	return nil
}

// ---- webhooks and events

func (h *Handler) webhooks() (*webhookService, error) {
	if s := h.gw.Webhooks(); s != nil {
		return s, nil
	}
	return nil, errNoWebhooks
}

// endpointRequest creates a webhook endpoint.
type endpointRequest struct {
	URL string `json:"url" required:"true" example:"https://shop.example/hooks"`
	// Events are the event types to deliver, or ["*"] for every type.
	Events      []string `json:"events" required:"true" example:"invoice.paid"`
	Description string   `json:"description"`
	// SubMerchantID is the scope whose events it hears: without it the operator's own,
	// a sub-merchant's id that sub-merchant's (a key bound to one makes its own), "*"
	// every scope's.
	SubMerchantID string `json:"sub_merchant_id"`
}

// endpointUpdate changes a webhook endpoint; what is absent stays.
type endpointUpdate struct {
	URL         *string  `json:"url"`
	Events      []string `json:"events"`
	Description *string  `json:"description"`
	Enabled     *bool    `json:"enabled"`
}

// deletedJSON answers a delete.
type deletedJSON struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

// redeliveredJSON answers a redelivery: how many deliveries were queued again.
type redeliveredJSON struct {
	ID         string `json:"id"`
	Deliveries int    `json:"deliveries"`
}

func (h *Handler) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	var req endpointRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	s, err := h.webhooks()
	if err != nil {
		return err
	}
	sub, err := subFor(r, req.SubMerchantID)
	if err != nil {
		return err
	}
	ep, err := s.Create(r.Context(), mode(r), webhook.CreateParams{URL: req.URL, Events: req.Events, Description: req.Description,
		SubMerchantID: sub})
	if err != nil {
		return err
	}
	ok(w, http.StatusCreated, ep)
	return nil
}

func (h *Handler) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	s, err := h.webhooks()
	if err != nil {
		return err
	}
	eps, err := s.List(r.Context(), mode(r))
	if err != nil {
		return err
	}
	if sub := listSub(r); sub != nil {
		eps = slices.DeleteFunc(eps, func(e webhook.Endpoint) bool { return e.SubMerchantID != *sub })
	}
	if eps == nil {
		eps = []webhook.Endpoint{}
	}
	okList(w, eps, pagination{Page: 1, Limit: len(eps), Total: len(eps)})
	return nil
}

func (h *Handler) getEndpoint(w http.ResponseWriter, r *http.Request) error {
	s, err := h.webhooks()
	if err != nil {
		return err
	}
	ep, err := s.Get(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, ep)
	return nil
}

func (h *Handler) updateEndpoint(w http.ResponseWriter, r *http.Request) error {
	var req endpointUpdate
	if err := decode(r, &req); err != nil {
		return err
	}
	s, err := h.webhooks()
	if err != nil {
		return err
	}
	ep, err := s.Update(r.Context(), mode(r), r.PathValue("id"), webhook.UpdateParams{URL: req.URL, Description: req.Description,
		Events: req.Events, Enabled: req.Enabled})
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, ep)
	return nil
}

func (h *Handler) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	s, err := h.webhooks()
	if err != nil {
		return err
	}
	if err := s.Delete(r.Context(), mode(r), r.PathValue("id")); err != nil {
		return err
	}
	ok(w, http.StatusOK, deletedJSON{ID: r.PathValue("id"), Deleted: true})
	return nil
}

func (h *Handler) pingEndpoint(w http.ResponseWriter, r *http.Request) error {
	s, err := h.webhooks()
	if err != nil {
		return err
	}
	res, err := s.Ping(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, res)
	return nil
}

func (h *Handler) rotateEndpoint(w http.ResponseWriter, r *http.Request) error {
	s, err := h.webhooks()
	if err != nil {
		return err
	}
	ep, err := s.RotateSecret(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, ep)
	return nil
}

func (h *Handler) listEvents(w http.ResponseWriter, r *http.Request) error {
	var v validation.Error
	page, limit := queryInt(r, "page", 1, 1, 1_000_000, &v), queryInt(r, "limit", 20, 1, 100, &v)
	if err := v.Err(); err != nil {
		return err
	}
	evs, total, err := h.gw.Events(r.Context(), mode(r), r.URL.Query().Get("type"), listSub(r), page, limit)
	if err != nil {
		return err
	}
	okList(w, evs, pagination{Page: page, Limit: limit, Total: total, HasMore: page*limit < total})
	return nil
}

func (h *Handler) getEvent(w http.ResponseWriter, r *http.Request) error {
	s, err := h.webhooks()
	if err != nil {
		return err
	}
	e, err := s.Event(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if sub := boundSub(r); sub != "" {
		// Only its own endpoints' deliveries: the others are other scopes' receivers.
		eps, err := s.List(r.Context(), mode(r))
		if err != nil {
			return err
		}
		mine := map[string]bool{}
		for _, ep := range eps {
			mine[ep.ID] = ep.SubMerchantID == sub
		}
		e.Deliveries = slices.DeleteFunc(e.Deliveries, func(d webhook.DeliveryDetail) bool { return !mine[d.Target] })
	}
	ok(w, http.StatusOK, e)
	return nil
}

func (h *Handler) redeliver(w http.ResponseWriter, r *http.Request) error {
	s, err := h.webhooks()
	if err != nil {
		return err
	}
	n, err := s.Redeliver(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, redeliveredJSON{ID: r.PathValue("id"), Deliveries: n})
	return nil
}

// ---- test mode

// testPayRequest makes the test chain pay an invoice.
type testPayRequest struct {
	// Currency is the method's asset code ("USDT_TRON").
	Currency string `json:"currency" required:"true" example:"USDT_TRON"`
	Amount   Amount `json:"amount" required:"true" example:"10"`
	// Confirmations are the blocks mined on top (default 1).
	Confirmations *int `json:"confirmations" example:"19"`
}

func (h *Handler) testPay(w http.ResponseWriter, r *http.Request) error {
	if mode(r) != asset.Test {
		return errForbiddenLive
	}
	var req testPayRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	blocks := 1
	if req.Confirmations != nil {
		blocks = *req.Confirmations
	}
	if _, err := h.own(r, ""); err != nil {
		return err
	}
	inv, err := h.gw.TestPay(r.Context(), r.PathValue("id"), req.Currency, req.Amount.Value, blocks)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, h.invoiceJSON(inv))
	return nil
}

// ---- public

// checkoutStatusJSON is the public status of a checkout page.
type checkoutStatusJSON struct {
	ID              string          `json:"id"`
	Status          invoice.Status  `json:"status"`
	Exception       *string         `json:"exception" enum:"overpaid,underpaid,paid_late"`
	Amount          decimal.Decimal `json:"amount"`
	Currency        string          `json:"currency"`
	AmountPaid      decimal.Decimal `json:"amount_paid"`
	AmountConfirmed decimal.Decimal `json:"amount_confirmed"`
	PaymentMethods  []methodJSON    `json:"payment_methods"`
	ExpiresAt       time.Time       `json:"expires_at"`
	SuccessURL      string          `json:"success_url"`
	CancelURL       string          `json:"cancel_url"`
	Livemode        bool            `json:"livemode"`
	// Confirmations of the least-confirmed payment still waiting; -1 when none waits.
	Confirmations         int `json:"confirmations"`
	ConfirmationsRequired int `json:"confirmations_required"`
}

// checkoutStatus is the public view of an invoice for its hosted page: never metadata,
// customer data or other invoices.
func (h *Handler) checkoutStatus(w http.ResponseWriter, r *http.Request) error {
	inv, err := h.findInvoice(r)
	if err != nil {
		return err
	}
	ex := exception(inv)
	// The least-confirmed payment still waiting (-1 when none waits), as on the page.
	conf, req, waiting := h.progress(r, inv)
	if !waiting || inv.Status == invoice.StatusPaid {
		conf, req = -1, 0
	}
	ok(w, http.StatusOK, checkoutStatusJSON{ID: inv.ID, Status: inv.Status, Exception: ex, Amount: inv.Amount,
		Currency: inv.Currency, AmountPaid: inv.AmountPaid, AmountConfirmed: inv.AmountConfirmed,
		PaymentMethods: h.methodsJSON(inv), ExpiresAt: inv.ExpiresAt, SuccessURL: inv.SuccessURL,
		CancelURL: inv.CancelURL, Livemode: inv.Livemode(), Confirmations: conf, ConfirmationsRequired: req})
	return nil
}

func shortHash(s string) string {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return fmt.Sprintf("%016x", h)
}
