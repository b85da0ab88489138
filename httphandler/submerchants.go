package httphandler

import (
	"encoding/json"
	"net/http"

	"github.com/kassapay/kassa/submerchant"
	"github.com/kassapay/kassa/validation"
)

// subMerchantRequest creates a sub-merchant.
type subMerchantRequest struct {
	// ExternalID is the platform's own id for it, unique in the mode.
	ExternalID       string          `json:"external_id" required:"true" example:"seller-42"`
	Name             string          `json:"name" required:"true" example:"Ada's Teas"`
	SupportEmail     string          `json:"support_email" example:"help@adas-teas.example"`
	LogoURL          string          `json:"logo_url" example:"https://cdn.example.com/adas-teas.png"`
	BusinessSettings json.RawMessage `json:"business_settings"`
}

// subMerchantUpdate changes a sub-merchant; what is absent stays, a null
// business_settings clears it, and active false stops new objects for it.
type subMerchantUpdate struct {
	ExternalID       *string         `json:"external_id"`
	Name             *string         `json:"name"`
	SupportEmail     *string         `json:"support_email"`
	LogoURL          *string         `json:"logo_url"`
	BusinessSettings json.RawMessage `json:"business_settings"`
	Active           *bool           `json:"active"`
}

func (h *Handler) createSubMerchant(w http.ResponseWriter, r *http.Request) error {
	var req subMerchantRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	sm, err := h.gw.SubMerchants().Create(r.Context(), mode(r), submerchant.CreateParams{ExternalID: req.ExternalID, Name: req.Name,
		SupportEmail: req.SupportEmail, LogoURL: req.LogoURL, BusinessSettings: req.BusinessSettings})
	if err != nil {
		return err
	}
	ok(w, http.StatusCreated, sm)
	return nil
}

func (h *Handler) listSubMerchants(w http.ResponseWriter, r *http.Request) error {
	var v validation.Error
	page, limit := queryInt(r, "page", 1, 1, 1_000_000, &v), queryInt(r, "limit", 20, 1, 100, &v)
	p := submerchant.ListParams{Mode: mode(r), ExternalID: r.URL.Query().Get("external_id"), Page: page, Limit: limit,
		Active: queryBool(r, "active", &v)}
	if err := v.Err(); err != nil {
		return err
	}
	sms, total, err := h.gw.SubMerchants().List(r.Context(), p)
	if err != nil {
		return err
	}
	okList(w, sms, pagination{Page: page, Limit: limit, Total: total, HasMore: page*limit < total})
	return nil
}

func (h *Handler) getSubMerchant(w http.ResponseWriter, r *http.Request) error {
	sm, err := h.gw.SubMerchants().Get(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if boundSub(r) != "" {
		sm.BusinessSettings = nil // the platform's own notes about it
	}
	ok(w, http.StatusOK, sm)
	return nil
}

func (h *Handler) updateSubMerchant(w http.ResponseWriter, r *http.Request) error {
	var req subMerchantUpdate
	if err := decode(r, &req); err != nil {
		return err
	}
	p := submerchant.UpdateParams{ExternalID: req.ExternalID, Name: req.Name, SupportEmail: req.SupportEmail, LogoURL: req.LogoURL,
		Active: req.Active}
	if len(req.BusinessSettings) > 0 {
		p.BusinessSettings = &req.BusinessSettings
	}
	sm, err := h.gw.SubMerchants().Update(r.Context(), mode(r), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, sm)
	return nil
}
