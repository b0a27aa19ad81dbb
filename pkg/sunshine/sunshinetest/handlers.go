package sunshinetest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Limits the simulator enforces (SWITCHBOARD.md 1.5, 7#17, 7#18).
const (
	// MaxBodyBytes is the largest JSON request body accepted (100 kb);
	// larger bodies answer 413.
	MaxBodyBytes = 100 * 1024
	// MaxMetadataBytes is the largest metadata object, measured as compact
	// serialized JSON; larger answers 400 bad_request.
	MaxMetadataBytes = 4096
)

// Error codes of the vendor's error bodies.
const (
	codeBadRequest           = "bad_request"
	codeUnauthorized         = "unauthorized"
	codeForbidden            = "forbidden"
	codeAppNotFound          = "app_not_found"
	codeConversationNotFound = "conversation_not_found"
	codeSwitchboardNotFound  = "switchboard_not_found"
)

// route is a matched API route.
type route struct {
	op                  Operation
	method              string
	appID, convID, sbID string
	siID                string
	matched             bool
	// integrationID and webhookID are set on the routes of hooks.go.
	integrationID, webhookID string
}

var actions = map[string]Operation{
	string(OpPassControl): OpPassControl, string(OpOfferControl): OpOfferControl,
	string(OpAcceptControl): OpAcceptControl, string(OpReleaseControl): OpReleaseControl,
}

// matchRoute maps an escaped URL path to a route:
//
//	GET  /v2/apps/{appId}/conversations/{conversationId}
//	POST /v2/apps/{appId}/conversations/{conversationId}/{passControl|offerControl|acceptControl|releaseControl}
//	GET  /v2/apps/{appId}/switchboards
//	GET  /v2/apps/{appId}/switchboards/{switchboardId}/switchboardIntegrations
func matchRoute(escapedPath string) route {
	raw := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	seg := make([]string, len(raw))
	for i, p := range raw {
		u, err := url.PathUnescape(p)
		if err != nil || u == "" {
			return route{}
		}
		seg[i] = u
	}
	if len(seg) < 4 || seg[0] != "v2" || seg[1] != "apps" {
		return route{}
	}
	rt := route{appID: seg[2], matched: true}
	switch {
	case seg[3] == "conversations" && len(seg) == 5:
		rt.op, rt.method, rt.convID = OpGetConversation, http.MethodGet, seg[4]
	case seg[3] == "conversations" && len(seg) == 6 && actions[seg[5]] != "":
		rt.op, rt.method, rt.convID = actions[seg[5]], http.MethodPost, seg[4]
	case seg[3] == "switchboards" && len(seg) == 4:
		rt.op, rt.method = OpListSwitchboards, http.MethodGet
	case seg[3] == "switchboards" && len(seg) == 6 && seg[5] == "switchboardIntegrations":
		rt.op, rt.method, rt.sbID = OpListSwitchboardIntegrations, http.MethodGet, seg[4]
	default:
		return route{}
	}
	return rt
}

// ServeHTTP serves the vendor's API routes. Unknown routes answer 404
// not_found, a known route with another method 405 method_not_allowed.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	rt := matchRoute(r.URL.EscapedPath())
	if !rt.matched {
		rt = matchHooksRoute(r.Method, r.URL.EscapedPath())
	}
	rt = matchConfigRoute(rt, r.URL.EscapedPath(), r.Method)
	var fault *Fault
	defer func() { s.finish(r, rt, sw.status, start, fault) }()
	switch {
	case !rt.matched:
		writeError(sw, http.StatusNotFound, "not_found", "Not found")
	case r.Method != rt.method:
		sw.Header().Set("Allow", rt.method)
		writeError(sw, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed")
	default:
		fault = s.serveOperation(sw, r, rt)
	}
}

// finish logs the request and calls the request hook.
func (s *Simulator) finish(r *http.Request, rt route, status int, start time.Time, fault *Fault) {
	info := RequestInfo{
		Operation: rt.op, AppID: rt.appID, ConversationID: rt.convID, Status: status,
		Time: start, Method: r.Method, Path: r.URL.Path, Duration: time.Since(start), Fault: fault,
	}
	s.logRequest(info)
	if s.hook != nil {
		s.hook(info)
	}
}

func (s *Simulator) logRequest(info RequestInfo) {
	if s.log == nil {
		return
	}
	s.log.Info("request", "method", info.Method, "path", info.Path, "operation", string(info.Operation),
		"status", info.Status, "duration", info.Duration.Round(time.Microsecond).String())
}

// serveOperation answers a request of a known route and method; it returns
// the injected fault that decided the answer, if any.
func (s *Simulator) serveOperation(w http.ResponseWriter, r *http.Request, rt route) *Fault {
	latency, fault := s.takeFault(rt.op)
	if done, _ := applyFault(w, r, rt.op, latency, fault); done {
		if fault.kind() == kindNoEffect {
			s.emitNoEffect(r, rt)
		}
		return fault
	}
	var body []byte
	var bodyErr *failure
	if rt.method == http.MethodPost || rt.method == http.MethodPatch {
		body, bodyErr = readBody(r)
	}
	var status int
	var resp any
	if isHookOperation(rt.op) {
		status, resp = s.serveHooks(r, rt, body, bodyErr)
	} else {
		s.mu.Lock()
		status, resp = s.handle(r, rt, body, bodyErr)
		s.mu.Unlock()
	}
	if fault != nil && fault.kind() == kindLostAnswer {
		dropConnection(w) // handled and applied, but the answer is lost
		return fault
	}
	writeJSON(w, status, resp)
	return fault
}

// handle answers an authenticated API request; it runs with s.mu held.
func (s *Simulator) handle(r *http.Request, rt route, body []byte, bodyErr *failure) (int, any) {
	k, err := s.w.authenticate(r)
	if err != nil {
		return fail(http.StatusUnauthorized, codeUnauthorized, statusTitle(http.StatusUnauthorized))
	}
	a := s.w.apps[rt.appID]
	switch {
	case a == nil:
		return fail(http.StatusNotFound, codeAppNotFound, "App not found")
	case !k.mayCall(a.id):
		return fail(http.StatusUnauthorized, codeUnauthorized, statusTitle(http.StatusUnauthorized))
	}
	if isConfigWrite(rt.op) {
		return s.handleConfigWrite(r, a, k, rt, body, bodyErr)
	}
	switch rt.op {
	case OpListSwitchboards, OpListSwitchboardIntegrations:
		if k.Scope == ScopeIntegration {
			return fail(http.StatusForbidden, codeForbidden, "Forbidden")
		}
		return listSwitchboardConfig(a, rt)
	case OpGetConversation:
		c := a.convs[rt.convID]
		if c == nil {
			return fail(http.StatusNotFound, codeConversationNotFound, "Conversation not found")
		}
		return http.StatusOK, map[string]any{"conversation": conversationJSON(c)}
	}
	if bodyErr == nil {
		bodyErr = checkContentType(r, body)
	}
	ab, f := parseActionBody(rt.op, body)
	if bodyErr != nil {
		f = bodyErr
	}
	if f != nil {
		return fail(f.status, f.code, f.title)
	}
	c := a.convs[rt.convID]
	if c == nil {
		return fail(http.StatusNotFound, codeConversationNotFound, "Conversation not found")
	}
	who := k.caller()
	var changed bool
	switch rt.op {
	case OpPassControl:
		changed, f = a.pass(c, who, ab.target)
	case OpOfferControl:
		changed, f = a.offer(c, who, ab.target)
	case OpAcceptControl:
		changed, f = a.accept(c, who)
	case OpReleaseControl:
		changed, f = a.release(c, who)
	}
	s.emitAction(a.id, c, rt.op, ab, changed, f)
	switch {
	case f == nil, f.status == http.StatusBadRequest && s.async:
		return http.StatusOK, struct{}{}
	}
	return fail(f.status, f.code, f.title)
}

func listSwitchboardConfig(a *app, rt route) (int, any) {
	if rt.op == OpListSwitchboards {
		list := []switchboardJSON{}
		if a.sb != nil {
			list = append(list, switchboardJSON{ID: a.sb.id, Enabled: a.sb.enabled, DefaultSwitchboardIntegrationID: a.sb.defaultID})
		}
		return http.StatusOK, map[string]any{"switchboards": list}
	}
	if a.sb == nil || a.sb.id != rt.sbID {
		return fail(http.StatusNotFound, codeSwitchboardNotFound, "Switchboard not found")
	}
	list := make([]switchboardIntegrationJSON, 0, len(a.sb.sis))
	for _, si := range a.sb.sis {
		list = append(list, switchboardIntegrationJSON{
			ID: si.id, Name: si.name, IntegrationID: si.integrationID, IntegrationType: si.integrationType,
			DeliverStandbyEvents: si.deliverStandbyEvents, NextSwitchboardIntegrationID: si.nextID,
			MessageHistoryCount: si.messageHistoryCount,
		})
	}
	return http.StatusOK, map[string]any{"switchboardIntegrations": list}
}

// Response shapes of the vendor's schemas.
type (
	switchboardJSON struct {
		ID                              string `json:"id"`
		Enabled                         bool   `json:"enabled"`
		DefaultSwitchboardIntegrationID string `json:"defaultSwitchboardIntegrationId,omitempty"`
	}
	switchboardIntegrationJSON struct {
		ID                           string `json:"id"`
		Name                         string `json:"name"`
		IntegrationID                string `json:"integrationId"`
		IntegrationType              string `json:"integrationType"`
		DeliverStandbyEvents         bool   `json:"deliverStandbyEvents"`
		NextSwitchboardIntegrationID string `json:"nextSwitchboardIntegrationId,omitempty"`
		MessageHistoryCount          *int   `json:"messageHistoryCount,omitempty"`
	}
	switchboardIntegrationWebhookJSON struct {
		ID              string `json:"id"`
		Name            string `json:"name"`
		IntegrationID   string `json:"integrationId"`
		IntegrationType string `json:"integrationType"`
	}
	conversationResponseJSON struct {
		ID                            string                             `json:"id"`
		Type                          string                             `json:"type"`
		Metadata                      map[string]any                     `json:"metadata"`
		ActiveSwitchboardIntegration  *switchboardIntegrationWebhookJSON `json:"activeSwitchboardIntegration,omitempty"`
		PendingSwitchboardIntegration *switchboardIntegrationWebhookJSON `json:"pendingSwitchboardIntegration,omitempty"`
		IsDefault                     bool                               `json:"isDefault"`
		LastUpdatedAt                 string                             `json:"lastUpdatedAt"`
		CreatedAt                     string                             `json:"createdAt"`
	}
)

// timeFormat is the vendor's YYYY-MM-DDThh:mm:ss.SSSZ.
const timeFormat = "2006-01-02T15:04:05.000Z"

func conversationJSON(c *conversation) conversationResponseJSON {
	ts := c.createdAt.UTC().Format(timeFormat)
	return conversationResponseJSON{
		ID: c.id, Type: "personal", Metadata: map[string]any{},
		ActiveSwitchboardIntegration: webhookJSON(c.active), PendingSwitchboardIntegration: webhookJSON(c.pending),
		LastUpdatedAt: ts, CreatedAt: ts,
	}
}

func webhookJSON(si *integration) *switchboardIntegrationWebhookJSON {
	if si == nil {
		return nil
	}
	return &switchboardIntegrationWebhookJSON{ID: si.id, Name: si.name, IntegrationID: si.integrationID, IntegrationType: si.integrationType}
}

// readBody reads a request body of at most MaxBodyBytes.
func readBody(r *http.Request) ([]byte, *failure) {
	tooLarge := &failure{status: http.StatusRequestEntityTooLarge, code: statusCode(http.StatusRequestEntityTooLarge),
		title: fmt.Sprintf("Request body exceeds the limit of %d bytes (100kb)", MaxBodyBytes)}
	if r.ContentLength > MaxBodyBytes {
		return nil, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, badRequest("Could not read the request body")
	}
	if len(data) > MaxBodyBytes {
		return nil, tooLarge
	}
	return data, nil
}

func badRequest(format string, args ...any) *failure {
	return &failure{status: http.StatusBadRequest, code: codeBadRequest, title: fmt.Sprintf(format, args...)}
}

// checkContentType requires application/json on a non-empty body.
func checkContentType(r *http.Request, body []byte) *failure {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return badRequest("Content-Type must be application/json")
	}
	return nil
}

// actionBody is a parsed action request body.
type actionBody struct {
	target   string
	metadata map[string]any
	reason   string
}

var reasons = map[string]bool{"ticketClosed": true, "transferToEmail": true}

// parseActionBody validates the body of an action (SWITCHBOARD.md 2.2-2.5,
// 7#16, 7#17). Unknown fields are ignored, as the vendor does.
func parseActionBody(op Operation, data []byte) (actionBody, *failure) {
	var ab actionBody
	if len(bytes.TrimSpace(data)) == 0 {
		if op == OpReleaseControl {
			return ab, nil // the only action whose body is optional
		}
		return ab, badRequest("Request body is required")
	}
	var fields map[string]json.RawMessage
	if err := decodeJSON(data, &fields); err != nil || fields == nil {
		return ab, badRequest("Request body must be a JSON object")
	}
	if op == OpPassControl || op == OpOfferControl {
		raw, ok := fields["switchboardIntegration"]
		if !ok {
			return ab, badRequest("switchboardIntegration is required")
		}
		if err := json.Unmarshal(raw, &ab.target); err != nil || ab.target == "" {
			return ab, badRequest("switchboardIntegration must be a non-empty string")
		}
	}
	if raw, ok := fields["reason"]; ok && (op == OpPassControl || op == OpReleaseControl) && string(raw) != "null" {
		if err := json.Unmarshal(raw, &ab.reason); err != nil || !reasons[ab.reason] {
			return ab, badRequest("reason must be ticketClosed or transferToEmail")
		}
	}
	var f *failure
	ab.metadata, f = parseMetadata(fields["metadata"])
	return ab, f
}

// parseMetadata checks that metadata is absent, null or a flat object of
// strings, numbers, booleans (and nulls) of at most MaxMetadataBytes.
func parseMetadata(raw json.RawMessage) (map[string]any, *failure) {
	if raw == nil || string(raw) == "null" {
		return nil, nil
	}
	var md map[string]any
	if err := decodeJSON(raw, &md); err != nil {
		return nil, badRequest("metadata must be an object")
	}
	for k, v := range md {
		switch v.(type) {
		case string, json.Number, bool, nil:
		default:
			return nil, badRequest("metadata.%s: only strings, numbers and booleans are supported (metadata must be flat)", k)
		}
	}
	if b, _ := json.Marshal(md); len(b) > MaxMetadataBytes {
		return nil, badRequest("metadata is %d bytes, more than the limit of %d (4KB)", len(b), MaxMetadataBytes)
	}
	return md, nil
}

// decodeJSON decodes exactly one JSON value, keeping numbers as json.Number.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// errorBody is the vendor's error response.
type errorBody struct {
	Errors []errorJSON `json:"errors"`
}

type errorJSON struct {
	Code  string `json:"code"`
	Title string `json:"title"`
}

func fail(status int, code, title string) (int, any) {
	return status, errorBody{Errors: []errorJSON{{Code: code, Title: title}}}
}

func writeError(w http.ResponseWriter, status int, code, title string) {
	status, body := fail(status, code, title)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errors":[{"code":"internal_error","title":"Internal error"}]}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// statusCode is the vendor-style error code of an HTTP status, e.g.
// too_many_requests, service_unavailable.
func statusCode(status int) string {
	t := http.StatusText(status)
	if t == "" {
		return "error"
	}
	return strings.ReplaceAll(strings.ToLower(t), " ", "_")
}

func statusTitle(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "Authorization is required"
	case 0:
		return "Error"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return fmt.Sprintf("Error %d", status)
}

// statusWriter records the status written and passes Hijack through, so
// an injected fault can drop the connection.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("response writer cannot be hijacked")
	}
	return hj.Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
