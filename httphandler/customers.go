package httphandler

import (
	"encoding/json"
	"net/http"

	"github.com/kassapay/kassa/customer"
	"github.com/kassapay/kassa/validation"
)

// customerRequest creates a customer; every field is optional.
type customerRequest struct {
	// ExternalID is the merchant's own id for the customer, unique in the mode.
	ExternalID  string          `json:"external_id" example:"crm-4711"`
	Name        string          `json:"name" example:"Ada Lovelace"`
	Email       string          `json:"email" example:"ada@example.com"`
	Phone       string          `json:"phone" example:"+44 20 7946 0958"`
	Description string          `json:"description"`
	Metadata    json.RawMessage `json:"metadata"`
}

// customerUpdate changes a customer; what is absent stays, "" clears a field, and a
// null metadata clears it.
type customerUpdate struct {
	ExternalID  *string         `json:"external_id"`
	Name        *string         `json:"name"`
	Email       *string         `json:"email"`
	Phone       *string         `json:"phone"`
	Description *string         `json:"description"`
	Metadata    json.RawMessage `json:"metadata"` // absent: empty; null: "null"
}

func (h *Handler) createCustomer(w http.ResponseWriter, r *http.Request) error {
	var req customerRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := h.gw.Customers().Create(r.Context(), mode(r), customer.CreateParams{ExternalID: req.ExternalID, Name: req.Name,
		Email: req.Email, Phone: req.Phone, Description: req.Description, Metadata: req.Metadata})
	if err != nil {
		return err
	}
	ok(w, http.StatusCreated, c)
	return nil
}

func (h *Handler) listCustomers(w http.ResponseWriter, r *http.Request) error {
	var v validation.Error
	page, limit := queryInt(r, "page", 1, 1, 1_000_000, &v), queryInt(r, "limit", 20, 1, 100, &v)
	if err := v.Err(); err != nil {
		return err
	}
	q := r.URL.Query()
	cs, total, err := h.gw.Customers().List(r.Context(), customer.ListParams{Mode: mode(r), Email: q.Get("email"),
		ExternalID: q.Get("external_id"), Page: page, Limit: limit})
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []customer.Customer{}
	}
	okList(w, cs, pagination{Page: page, Limit: limit, Total: total, HasMore: page*limit < total})
	return nil
}

func (h *Handler) getCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := h.gw.Customers().Get(r.Context(), mode(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, c)
	return nil
}

func (h *Handler) updateCustomer(w http.ResponseWriter, r *http.Request) error {
	var req customerUpdate
	if err := decode(r, &req); err != nil {
		return err
	}
	p := customer.UpdateParams{ExternalID: req.ExternalID, Name: req.Name, Email: req.Email, Phone: req.Phone, Description: req.Description}
	if len(req.Metadata) > 0 {
		p.Metadata = &req.Metadata
	}
	c, err := h.gw.Customers().Update(r.Context(), mode(r), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, c)
	return nil
}

func (h *Handler) deleteCustomer(w http.ResponseWriter, r *http.Request) error {
	if err := h.gw.Customers().Delete(r.Context(), mode(r), r.PathValue("id")); err != nil {
		return err
	}
	ok(w, http.StatusOK, deletedJSON{ID: r.PathValue("id"), Deleted: true})
	return nil
}
