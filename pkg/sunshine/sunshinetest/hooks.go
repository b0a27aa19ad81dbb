package sunshinetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// The integration and webhook operations (OpenAPI tags Integrations and Webhooks).
const (
	OpListIntegrations  Operation = "listIntegrations"
	OpCreateIntegration Operation = "createIntegration"
	OpGetIntegration    Operation = "getIntegration"
	OpDeleteIntegration Operation = "deleteIntegration"
	OpListWebhooks      Operation = "listWebhooks"
	OpCreateWebhook     Operation = "createWebhook"
	OpGetWebhook        Operation = "getWebhook"
	OpUpdateWebhook     Operation = "updateWebhook"
	OpDeleteWebhook     Operation = "deleteWebhook"
)

// hookOperations are the operations of this file, in the order Operations lists them.
var hookOperations = []Operation{
	OpListIntegrations, OpCreateIntegration, OpGetIntegration, OpDeleteIntegration,
	OpListWebhooks, OpCreateWebhook, OpGetWebhook, OpUpdateWebhook, OpDeleteWebhook,
}

// MaxWebhooksPerApp is how many webhooks an app may have over all its
// integrations (OpenAPI tag Webhooks); creating one more answers 400.
const MaxWebhooksPerApp = 10

// maxDisplayName bounds an integration's displayName (schema integration).
const maxDisplayName = 100

// codeIntegrationNotFound and codeNotFound are the 404 codes of the
// integration and webhook routes.
const (
	codeIntegrationNotFound = "integration_not_found"
	codeNotFound            = "not_found"
)

// webhookTriggers are the triggers of the OpenAPI document's table "Webhook Triggers".
var webhookTriggers = []string{
	"client:add", "client:remove", "client:update",
	"conversation:create", "conversation:join", "conversation:leave", "conversation:remove",
	"conversation:message", "conversation:message:delivery:channel", "conversation:message:delivery:failure",
	"conversation:message:delivery:user", "conversation:postback", "conversation:read", "conversation:referral",
	"passthrough:messaging", "conversation:typing",
	"switchboard:acceptControl", "switchboard:acceptControl:failure",
	"switchboard:offerControl", "switchboard:offerControl:failure",
	"switchboard:passControl", "switchboard:passControl:failure",
	"switchboard:releaseControl",
	"user:merge", "user:update", "user:remove",
}

// customIntegration is an integration of type custom with its webhooks.
type customIntegration struct {
	id, displayName string
	webhooks        []*webhook
}

// webhook is a webhook of a custom integration.
type webhook struct {
	id, target, secret                 string
	triggers                           []string
	includeFullUser, includeFullSource bool
}

// subscribes reports whether the webhook receives events of trigger.
func (w *webhook) subscribes(trigger string) bool { return slices.Contains(w.triggers, trigger) }

// appHooks are the custom integrations of one app, in creation order.
type appHooks struct {
	integrations []*customIntegration
}

func (h *appHooks) integration(id string) *customIntegration {
	for _, in := range h.integrations {
		if in.id == id {
			return in
		}
	}
	return nil
}

func (h *appHooks) webhookCount() int {
	n := 0
	for _, in := range h.integrations {
		n += len(in.webhooks)
	}
	return n
}

// hooksOf returns the custom integrations of an app, creating the record;
// s.mu must be held.
func (s *Simulator) hooksOf(appID string) *appHooks {
	h := s.hooks[appID]
	if h == nil {
		h = &appHooks{}
		s.hooks[appID] = h
	}
	return h
}

// newID returns a random id of 24 hex digits, the form of the vendor's ids.
func newID() string { return randomHex(12) }

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// isHookOperation reports whether op is served by serveHooks.
func isHookOperation(op Operation) bool { return slices.Contains(hookOperations, op) }

// matchHooksRoute maps the integration and webhook routes:
//
//	GET, POST          /v2/apps/{appId}/integrations
//	GET, DELETE        /v2/apps/{appId}/integrations/{integrationId}
//	GET, POST          /v2/apps/{appId}/integrations/{integrationId}/webhooks
//	GET, PATCH, DELETE /v2/apps/{appId}/integrations/{integrationId}/webhooks/{webhookId}
//
// A path of these with another method gets a route whose method lists the
// allowed ones, which ServeHTTP answers with 405.
func matchHooksRoute(method, escapedPath string) route {
	raw := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	seg := make([]string, len(raw))
	for i, p := range raw {
		u, err := url.PathUnescape(p)
		if err != nil || u == "" {
			return route{}
		}
		seg[i] = u
	}
	if len(seg) < 4 || len(seg) > 7 || seg[0] != "v2" || seg[1] != "apps" || seg[3] != "integrations" ||
		(len(seg) >= 6 && seg[5] != "webhooks") {
		return route{}
	}
	byMethod := [][]struct {
		method string
		op     Operation
	}{
		4: {{http.MethodGet, OpListIntegrations}, {http.MethodPost, OpCreateIntegration}},
		5: {{http.MethodGet, OpGetIntegration}, {http.MethodDelete, OpDeleteIntegration}},
		6: {{http.MethodGet, OpListWebhooks}, {http.MethodPost, OpCreateWebhook}},
		7: {{http.MethodGet, OpGetWebhook}, {http.MethodPatch, OpUpdateWebhook}, {http.MethodDelete, OpDeleteWebhook}},
	}[len(seg)]
	rt := route{appID: seg[2], matched: true}
	if len(seg) >= 5 {
		rt.integrationID = seg[4]
	}
	if len(seg) == 7 {
		rt.webhookID = seg[6]
	}
	allowed := make([]string, 0, len(byMethod))
	for _, m := range byMethod {
		if m.method == method {
			rt.op, rt.method = m.op, m.method
			return rt
		}
		allowed = append(allowed, m.method)
	}
	rt.method = strings.Join(allowed, ", ")
	return rt
}

// serveHooks answers a request of an integration or webhook route. It takes
// s.mu itself: creating a webhook first sends a HEAD to its target, without
// the lock.
func (s *Simulator) serveHooks(r *http.Request, rt route, body []byte, bodyErr *failure) (int, any) {
	s.mu.Lock()
	k, a, status, resp := s.authorizeHooks(r, rt)
	if a == nil {
		s.mu.Unlock()
		return status, resp
	}
	if bodyErr == nil && (rt.method == http.MethodPost || rt.method == http.MethodPatch) {
		bodyErr = checkContentType(r, body)
	}
	if bodyErr != nil {
		s.mu.Unlock()
		return fail(bodyErr.status, bodyErr.code, bodyErr.title)
	}
	h := s.hooksOf(a.id)
	rt.integrationID = s.integrationIDOf(k, rt.integrationID)
	switch rt.op {
	case OpCreateIntegration, OpCreateWebhook:
		s.mu.Unlock()
		return s.createHook(r.Context(), a.id, rt, body)
	}
	defer s.mu.Unlock()
	if rt.op == OpListIntegrations {
		return listIntegrations(r, h)
	}
	in := h.integration(rt.integrationID)
	if in == nil {
		return fail(http.StatusNotFound, codeIntegrationNotFound, "Integration not found")
	}
	switch rt.op {
	case OpGetIntegration:
		return http.StatusOK, map[string]any{"integration": integrationJSON(in)}
	case OpDeleteIntegration:
		h.integrations = slices.DeleteFunc(h.integrations, func(x *customIntegration) bool { return x == in })
		return http.StatusOK, struct{}{}
	case OpListWebhooks:
		list := make([]hookJSON, 0, len(in.webhooks))
		for _, w := range in.webhooks {
			list = append(list, toHookJSON(w))
		}
		return http.StatusOK, map[string]any{"webhooks": list}
	}
	i := slices.IndexFunc(in.webhooks, func(w *webhook) bool { return w.id == rt.webhookID })
	if i < 0 {
		return fail(http.StatusNotFound, codeNotFound, "Resource not found")
	}
	switch rt.op {
	case OpUpdateWebhook:
		wb, f := parseWebhookBody(body, false)
		if f != nil {
			return fail(f.status, f.code, f.title)
		}
		wb.applyTo(in.webhooks[i])
	case OpDeleteWebhook:
		in.webhooks = slices.Delete(in.webhooks, i, i+1)
		return http.StatusOK, struct{}{}
	}
	return http.StatusOK, map[string]any{"webhook": toHookJSON(in.webhooks[i])}
}

// authorizeHooks authenticates the request and checks the app and the
// scope: the integration routes take app and account keys, the webhook
// routes also integration keys for their own integration (or "me"). It
// returns the key and app, or a nil app and the answer. s.mu must be held.
func (s *Simulator) authorizeHooks(r *http.Request, rt route) (*key, *app, int, any) {
	k, err := s.w.authenticate(r)
	if err != nil {
		status, resp := fail(http.StatusUnauthorized, codeUnauthorized, statusTitle(http.StatusUnauthorized))
		return nil, nil, status, resp
	}
	a := s.w.apps[rt.appID]
	switch {
	case a == nil:
		status, resp := fail(http.StatusNotFound, codeAppNotFound, "App not found")
		return nil, nil, status, resp
	case !k.mayCall(a.id):
		status, resp := fail(http.StatusUnauthorized, codeUnauthorized, statusTitle(http.StatusUnauthorized))
		return nil, nil, status, resp
	}
	if k.Scope == ScopeIntegration {
		webhookRoute := rt.webhookID != "" || rt.op == OpListWebhooks || rt.op == OpCreateWebhook
		if !webhookRoute || (rt.integrationID != "me" && rt.integrationID != k.IntegrationID) {
			status, resp := fail(http.StatusForbidden, codeForbidden, "Forbidden")
			return nil, nil, status, resp
		}
	}
	return k, a, 0, nil
}

// integrationIDOf resolves "me" to an integration-scoped key's integration.
func (s *Simulator) integrationIDOf(k *key, id string) string {
	if id == "me" && k.Scope == ScopeIntegration {
		return k.IntegrationID
	}
	return id
}

// createHook creates a custom integration with its webhook, or a webhook of
// an integration: it validates the body, sends the HEAD request to the
// target (without s.mu), then checks the limit again and creates.
func (s *Simulator) createHook(ctx context.Context, appID string, rt route, body []byte) (int, any) {
	var wb webhookBody
	var displayName string
	var f *failure
	if rt.op == OpCreateIntegration {
		displayName, wb, f = parseCustomIntegration(body)
	} else {
		wb, f = parseWebhookBody(body, true)
	}
	if f == nil {
		f = s.checkWebhookRoom(appID, rt)
	}
	if f == nil {
		f = s.d.checkTarget(ctx, wb.target)
	}
	if f != nil {
		return fail(f.status, f.code, f.title)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.checkWebhookRoomLocked(appID, rt); f != nil {
		return fail(f.status, f.code, f.title)
	}
	w := &webhook{id: newID(), secret: randomHex(16)}
	wb.applyTo(w)
	h := s.hooksOf(appID)
	if rt.op == OpCreateIntegration {
		in := &customIntegration{id: newID(), displayName: displayName, webhooks: []*webhook{w}}
		h.integrations = append(h.integrations, in)
		return http.StatusCreated, map[string]any{"integration": integrationJSON(in)}
	}
	in := h.integration(rt.integrationID)
	in.webhooks = append(in.webhooks, w)
	return http.StatusCreated, map[string]any{"webhook": toHookJSON(w)}
}

func (s *Simulator) checkWebhookRoom(appID string, rt route) *failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkWebhookRoomLocked(appID, rt)
}

// checkWebhookRoomLocked refuses a webhook beyond MaxWebhooksPerApp, and a
// webhook of an unknown integration. s.mu must be held; for an
// integration-scoped "me", rt.integrationID must already be resolved.
func (s *Simulator) checkWebhookRoomLocked(appID string, rt route) *failure {
	h := s.hooksOf(appID)
	if rt.op == OpCreateWebhook && h.integration(rt.integrationID) == nil {
		return &failure{status: http.StatusNotFound, code: codeIntegrationNotFound, title: "Integration not found"}
	}
	if h.webhookCount() >= MaxWebhooksPerApp {
		return badRequest("An app is limited to %d webhooks; delete one first", MaxWebhooksPerApp)
	}
	return nil
}

// webhookBody is a parsed webhook body; the has flags tell which fields were sent.
type webhookBody struct {
	targetSet, triggersSet, fullUserSet, fullSourceSet bool
	target                                             string
	triggers                                           []string
	includeFullUser, includeFullSource                 bool
}

func (wb webhookBody) applyTo(w *webhook) {
	if wb.targetSet {
		w.target = wb.target
	}
	if wb.triggersSet {
		w.triggers = slices.Clone(wb.triggers)
	}
	if wb.fullUserSet {
		w.includeFullUser = wb.includeFullUser
	}
	if wb.fullSourceSet {
		w.includeFullSource = wb.includeFullSource
	}
}

// parseCustomIntegration parses the body of CreateIntegration: type custom
// (the only type the simulator creates), an optional displayName and
// exactly one webhook.
func parseCustomIntegration(body []byte) (string, webhookBody, *failure) {
	var fields map[string]json.RawMessage
	if err := decodeJSON(body, &fields); err != nil || fields == nil {
		return "", webhookBody{}, badRequest("Request body must be a JSON object")
	}
	var typ string
	if json.Unmarshal(fields["type"], &typ) != nil || typ != "custom" {
		return "", webhookBody{}, badRequest("Invalid integration type")
	}
	var name *string
	if raw, ok := fields["displayName"]; ok {
		if json.Unmarshal(raw, &name) != nil || (name != nil && utf8.RuneCountInString(*name) > maxDisplayName) {
			return "", webhookBody{}, badRequest("displayName must be a string of at most %d characters", maxDisplayName)
		}
	}
	var hooks []json.RawMessage
	if json.Unmarshal(fields["webhooks"], &hooks) != nil || len(hooks) != 1 {
		return "", webhookBody{}, badRequest("A custom integration needs exactly one webhook in webhooks")
	}
	wb, f := parseWebhookBody(hooks[0], true)
	if name == nil {
		return "", wb, f
	}
	return *name, wb, f
}

// parseWebhookBody parses a webhook create (target and triggers required)
// or update body.
func parseWebhookBody(body []byte, create bool) (webhookBody, *failure) {
	var fields map[string]json.RawMessage
	var wb webhookBody
	if err := decodeJSON(body, &fields); err != nil || fields == nil {
		return wb, badRequest("Request body must be a JSON object")
	}
	if raw, ok := fields["target"]; ok || create {
		wb.targetSet = true
		if json.Unmarshal(raw, &wb.target) != nil || !validTarget(wb.target) {
			return wb, badRequest("target must be an absolute http or https URL")
		}
	}
	if raw, ok := fields["triggers"]; ok || create {
		wb.triggersSet = true
		if json.Unmarshal(raw, &wb.triggers) != nil || len(wb.triggers) == 0 {
			return wb, badRequest("triggers must be a non-empty array of webhook triggers")
		}
		for _, t := range wb.triggers {
			if !slices.Contains(webhookTriggers, t) {
				return wb, badRequest("Invalid trigger %q", t)
			}
		}
	}
	for name, dst := range map[string]*bool{"includeFullUser": &wb.includeFullUser, "includeFullSource": &wb.includeFullSource} {
		if raw, ok := fields[name]; ok {
			if json.Unmarshal(raw, dst) != nil {
				return wb, badRequest("%s must be a boolean", name)
			}
			if name == "includeFullUser" {
				wb.fullUserSet = true
			} else {
				wb.fullSourceSet = true
			}
		}
	}
	return wb, nil
}

// validTarget reports whether target is an absolute http(s) URL with a host.
func validTarget(target string) bool {
	u, err := url.Parse(target)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// listIntegrations answers ListIntegrations: the custom integrations, when
// filter[types] is absent or names custom, paged by page[after] and page[size].
func listIntegrations(r *http.Request, h *appHooks) (int, any) {
	q := r.URL.Query()
	list := []integrationResponseJSON{}
	if types := q.Get("filter[types]"); types == "" || slices.Contains(strings.Split(types, ","), "custom") {
		for _, in := range h.integrations {
			list = append(list, integrationJSON(in))
		}
	}
	size := 25
	if v := q.Get("page[size]"); v != "" {
		if _, err := fmt.Sscan(v, &size); err != nil || size < 1 || size > 100 {
			return fail(http.StatusBadRequest, codeBadRequest, "Invalid query parameters")
		}
	}
	if after := q.Get("page[after]"); after != "" {
		i := slices.IndexFunc(list, func(in integrationResponseJSON) bool { return in.ID == after })
		list = list[i+1:] // an unknown cursor (-1) starts at the beginning
	}
	meta := map[string]any{"hasMore": len(list) > size}
	if len(list) > size {
		list = list[:size]
		meta["afterCursor"] = list[size-1].ID
	}
	return http.StatusOK, map[string]any{"integrations": list, "meta": meta}
}

// Response shapes of the schemas custom and webhook.
type (
	integrationResponseJSON struct {
		ID          string     `json:"id"`
		Type        string     `json:"type"`
		Status      string     `json:"status"`
		DisplayName string     `json:"displayName,omitempty"`
		Webhooks    []hookJSON `json:"webhooks"`
	}
	hookJSON struct {
		ID                string   `json:"id"`
		Version           string   `json:"version"`
		Target            string   `json:"target"`
		Triggers          []string `json:"triggers"`
		Secret            string   `json:"secret"`
		IncludeFullUser   bool     `json:"includeFullUser"`
		IncludeFullSource bool     `json:"includeFullSource"`
	}
)

func integrationJSON(in *customIntegration) integrationResponseJSON {
	out := integrationResponseJSON{ID: in.id, Type: "custom", Status: "active", DisplayName: in.displayName, Webhooks: []hookJSON{}}
	for _, w := range in.webhooks {
		out.Webhooks = append(out.Webhooks, toHookJSON(w))
	}
	return out
}

func toHookJSON(w *webhook) hookJSON {
	return hookJSON{
		ID: w.id, Version: "v2", Target: w.target, Triggers: slices.Clone(w.triggers), Secret: w.secret,
		IncludeFullUser: w.includeFullUser, IncludeFullSource: w.includeFullSource,
	}
}
