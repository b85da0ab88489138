package httphandler

import (
	"net/http"
	"strings"

	"github.com/kassapay/kassa/webhook"
)

type webhookService = webhook.Service

// openAPI serves an OpenAPI 3.1 document made from the route table.
func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request) error {
	paths := map[string]map[string]any{}
	for _, rt := range h.routes() {
		op := map[string]any{
			"summary":     rt.summary,
			"operationId": strings.ToLower(rt.method) + strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(rt.path),
			"responses": map[string]any{
				"default": map[string]any{"description": "The envelope of every answer: {status, data} or {status, error}."},
			},
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
		if params != nil {
			op["parameters"] = params
		}
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "Kassa API", "version": "v1"},
		"servers": []any{map[string]any{"url": h.opts.PublicURL + "/"}},
		"components": map[string]any{"securitySchemes": map[string]any{
			"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "sk_live_... or sk_test_..."},
			"basic":  map[string]any{"type": "http", "scheme": "basic", "description": "the key as user name, empty password"},
		}},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"basic": []any{}}},
		"paths":    paths,
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}
