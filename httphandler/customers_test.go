package httphandler_test

import (
	"strings"
	"testing"

	"github.com/kassapay/kassa/apikey"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/httphandler"
)

// TestAPI_Customers: a customer is created with every field, read back, found by
// email and by external_id, changed (a field cleared, metadata cleared by null) and
// deleted; a second customer with its external_id is 409 conflict naming it; bad
// fields are 422 naming each, with nothing stored; another mode's key and an unknown
// id are 404, and so is a deleted customer.
func TestAPI_Customers(t *testing.T) {
	a := newAPI(t, httphandler.Options{})
	c := a.do("POST", "/v1/customers", map[string]any{"external_id": "crm-4711", "name": "Ada Lovelace", "email": "ada@example.com",
		"phone": "+44 20 7946 0958", "description": "first customer", "metadata": map[string]any{"tier": "gold"}}, nil)
	want(t, c, 201, "")
	d := c.data()
	id := d["id"].(string)
	if !strings.HasPrefix(id, "cus_") || d["external_id"] != "crm-4711" || d["email"] != "ada@example.com" || d["mode"] != "test" ||
		d["metadata"].(map[string]any)["tier"] != "gold" {
		t.Fatalf("created %s", c.raw)
	}
	if g := a.do("GET", "/v1/customers/"+id, nil, nil); g.code != 200 || g.data()["name"] != "Ada Lovelace" {
		t.Fatalf("get: %s", g.raw)
	}
	for _, q := range []string{"email=ada@example.com", "external_id=crm-4711"} {
		l := a.do("GET", "/v1/customers?"+q, nil, nil)
		if items := l.body["data"].([]any); l.code != 200 || len(items) != 1 || items[0].(map[string]any)["id"] != id {
			t.Fatalf("list ?%s: %s", q, l.raw)
		}
	}
	want(t, a.do("POST", "/v1/customers", map[string]any{"external_id": "crm-4711"}, nil), 409, "conflict")
	bad := a.do("POST", "/v1/customers", map[string]any{"email": "not an address", "phone": "call me", "external_id": "cus_aaaaaaaaaaaaaaaaaaaa",
		"metadata": []int{1}, "name": strings.Repeat("x", 300)}, nil)
	want(t, bad, 422, "validation_error")
	details, _ := bad.body["error"].(map[string]any)["details"].(map[string]any)
	for _, f := range []string{"email", "phone", "external_id", "metadata", "name"} {
		if details[f] == nil {
			t.Errorf("422 does not name %s: %s", f, bad.raw)
		}
	}
	want(t, a.do("POST", "/v1/customers", map[string]any{"nickname": "x"}, nil), 422, "validation_error")
	if l := a.do("GET", "/v1/customers", nil, nil); l.body["pagination"].(map[string]any)["total"] != float64(1) {
		t.Fatalf("a refused create stored something: %s", l.raw)
	}
	want(t, a.do("GET", "/v1/customers?limit=500", nil, nil), 422, "validation_error")

	if k := a.do("PUT", "/v1/customers/"+id, map[string]any{"description": "changed"}, nil); k.code != 200 ||
		k.data()["metadata"].(map[string]any)["tier"] != "gold" || k.data()["phone"] != "+44 20 7946 0958" {
		t.Fatalf("a PUT without metadata or phone: %s; want both kept", k.raw)
	}
	u := a.do("PUT", "/v1/customers/"+id, map[string]any{"phone": "", "metadata": nil, "name": "Ada King"}, nil)
	want(t, u, 200, "")
	if u.data()["phone"] != "" || u.data()["metadata"] != nil || u.data()["name"] != "Ada King" || u.data()["email"] != "ada@example.com" {
		t.Fatalf("updated %s", u.raw)
	}

	live := a.newKey(apikey.CreateParams{Mode: asset.Live})
	a.key, live = live, a.key
	want(t, a.do("GET", "/v1/customers/"+id, nil, nil), 404, "not_found")
	want(t, a.do("PUT", "/v1/customers/"+id, map[string]any{"name": "x"}, nil), 404, "not_found")
	want(t, a.do("DELETE", "/v1/customers/"+id, nil, nil), 404, "not_found")
	a.key = live
	want(t, a.do("GET", "/v1/customers/cus_unknown", nil, nil), 404, "not_found")
	want(t, a.do("DELETE", "/v1/customers/"+id, nil, nil), 200, "")
	want(t, a.do("GET", "/v1/customers/"+id, nil, nil), 404, "not_found")
	want(t, a.do("DELETE", "/v1/customers/"+id, nil, nil), 404, "not_found")
}
