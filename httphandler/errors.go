package httphandler

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/kassapay/kassa"
	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/billing"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/conversion"
	"github.com/kassapay/kassa/customer"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/payout"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/submerchant"
	"github.com/kassapay/kassa/validation"
	"github.com/kassapay/kassa/wallet"
	"github.com/kassapay/kassa/webhook"
)

// apiError is an error answer of the API.
type apiError struct {
	status  int
	code    string
	message string
	details map[string][]string
	extra   map[string]any // more members of the error object (rollback_confirmed)
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errf(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

// Error codes that middleware answers with.
var (
	errUnauthorized     = errf(http.StatusUnauthorized, "unauthorized", "Missing or invalid API key.")
	errBadSignature     = errf(http.StatusUnauthorized, "invalid_signature", "The request signature does not match.")
	errStale            = errf(http.StatusUnauthorized, "stale_timestamp", "X-Kassa-Timestamp is more than 5 minutes from server time.")
	errReplayed         = errf(http.StatusUnauthorized, "replayed_request", "This signature was already used.")
	errRateLimited      = errf(http.StatusTooManyRequests, "rate_limited", "Too many requests; retry after the time in Retry-After.")
	errTooLarge         = errf(http.StatusBadRequest, "bad_request", "The request body is larger than 1 MiB.")
	errNotFound         = errf(http.StatusNotFound, "not_found", "No such object.")
	errUnsupportedMedia = errf(http.StatusUnsupportedMediaType, "unsupported_media_type", "Request bodies are JSON: send Content-Type: application/json.")
	errInProgress       = errf(http.StatusConflict, "idempotency_in_progress", "A request with this Idempotency-Key is still running.")
	errKeyReused        = errf(http.StatusUnprocessableEntity, "idempotency_key_reused", "This Idempotency-Key was used with another request body.")
	errForbiddenLive    = errf(http.StatusForbidden, "forbidden", "This endpoint needs a test-mode key.")
	errNoWebhooks       = errf(http.StatusNotImplemented, "internal_error", "Webhooks need a Gateway master key.")
	errMethodNotFound   = errf(http.StatusNotFound, "not_found", "No such endpoint.")
)

// toAPIError maps any error to its API answer: one table, errors.Is only.
func toAPIError(ctx context.Context, err error, log *slog.Logger) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ve *validation.Error
	if errors.As(err, &ve) {
		if errors.Is(err, invoice.ErrOrderConflict) || errors.Is(err, customer.ErrExternalIDTaken) || errors.Is(err, submerchant.ErrExternalIDTaken) {
			return &apiError{status: http.StatusConflict, code: "conflict", message: ve.Error(), details: ve.Fields}
		}
		code := "validation_error"
		switch {
		case errors.Is(err, invoice.ErrAmountSmall):
			code = "amount_too_small"
		case errors.Is(err, asset.ErrAmountTooLarge), errors.Is(err, invoice.ErrTooLarge) && ve.Fields["amount"] != nil:
			code = "amount_too_large"
		case errors.Is(err, asset.ErrUnknownAsset), errors.Is(err, asset.ErrAmbiguousAsset), errors.Is(err, invoice.ErrNotEnabled),
			errors.Is(err, wallet.ErrNotEnabled):
			code = "unsupported_asset"
		case errors.Is(err, webhook.ErrTooManyEndpoints):
			code = "validation_error"
		case errors.Is(err, payout.ErrInsufficientFunds), errors.Is(err, payout.ErrDeficit), errors.Is(err, conversion.ErrInsufficientFunds):
			code = "insufficient_funds"
		case errors.Is(err, chains.ErrInvalidAddress), errors.Is(err, payout.ErrOwnAddress):
			code = "invalid_address"
		case errors.Is(err, payout.ErrBelowMinimum):
			code = "amount_too_small"
		case errors.Is(err, refund.ErrExceedsPayment):
			code = "refund_exceeds_payment"
		}
		return &apiError{status: http.StatusUnprocessableEntity, code: code, message: ve.Error(), details: ve.Fields}
	}
	var fe *validation.FieldError
	if errors.As(err, &fe) {
		var v validation.Error
		v.Add("", fe)
		return toAPIError(ctx, &v, log)
	}
	switch {
	case errors.Is(err, invoice.ErrNotFound), errors.Is(err, webhook.ErrNotFound), errors.Is(err, payout.ErrNotFound), errors.Is(err, refund.ErrNotFound),
		errors.Is(err, customer.ErrNotFound), errors.Is(err, wallet.ErrNotFound), errors.Is(err, submerchant.ErrNotFound),
		errors.Is(err, billing.ErrNotFound), errors.Is(err, conversion.ErrNotFound):
		return errNotFound
	case errors.Is(err, conversion.ErrUnavailable):
		return errConversionUnavailable
	case errors.Is(err, invoice.ErrInvalidState), errors.Is(err, payout.ErrInvalidState), errors.Is(err, refund.ErrInvalidState):
		return errf(http.StatusConflict, "invalid_state", err.Error())
	case errors.Is(err, billing.ErrEnded):
		return errf(http.StatusConflict, "invalid_state", err.Error())
	case errors.Is(err, payout.ErrCannotBump):
		return errf(http.StatusConflict, "cannot_bump", err.Error())
	case errors.Is(err, kassa.ErrCannotHurry):
		return errf(http.StatusConflict, "cannot_hurry", err.Error())
	case errors.Is(err, apikey.ErrNotFound), errors.Is(err, apikey.ErrRevoked), errors.Is(err, apikey.ErrMalformed):
		return errUnauthorized
	}
	log.ErrorContext(ctx, "httphandler: internal error", "err", err)
	return errf(http.StatusInternalServerError, "internal_error", "Something went wrong on our side.")
}

// writeError answers with the error envelope.
func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"code": e.code, "message": e.message}
	if len(e.details) > 0 {
		body["details"] = e.details
	}
	for k, v := range e.extra {
		body[k] = v
	}
	writeJSON(w, e.status, map[string]any{"status": "error", "error": body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// pagination is the list envelope's pagination object.
type pagination struct {
	Page    int  `json:"page"`
	Limit   int  `json:"limit"`
	Total   int  `json:"total"`
	HasMore bool `json:"has_more"`
}

func ok(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, map[string]any{"status": "success", "data": data})
}

func okList(w http.ResponseWriter, data any, p pagination) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "success", "data": data, "pagination": p})
}
