package sunshinetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// AdminPrefix is the path prefix of the admin routes. It cannot collide with
// the vendor's routes, which all start with /v2.
const AdminPrefix = "/_sim/"

// Bounds of what the admin routes may create.
const (
	// DefaultMaxConversations is the default bound on conversations (over
	// all apps, seeded ones included) beyond which the admin routes create
	// no new one; see WithMaxConversations.
	DefaultMaxConversations = 10000
	// MaxAdminFaults is the most faults that may be active at once for
	// POST /_sim/faults to add another.
	MaxAdminFaults = 1000
)

// WithMaxConversations bounds the conversations the admin routes create:
// a PUT /_sim/conversations/... that would create a conversation while the
// simulator holds n or more (over all apps, seeded ones included) answers
// 409 conflict. SetConversation is not bounded. The default is
// DefaultMaxConversations; n must be at least 1 (smaller values keep the
// default).
func WithMaxConversations(n int) Option {
	return func(s *Simulator) {
		if n >= 1 {
			s.maxConvs = n
		}
	}
}

// AdminHandler returns an http.Handler for scripts and demos, serving
// (without authentication, JSON in and out):
//
//	GET    /_sim/conversations/{appId}/{conversationId}  -> {"active":"bot","pending":""}
//	PUT    /_sim/conversations/{appId}/{conversationId}  <- {"active":"agent-workspace","pending":""}
//	       moves (or creates) a conversation as an agent or bot would; answers the new state;
//	       a move sends its switchboard events to the app's webhooks, unless ?events=false
//	GET    /_sim/faults                                  -> {"faults":[...]} the active faults
//	POST   /_sim/faults                                  <- one fault (below); answers {"faults":[...]}
//	DELETE /_sim/faults                                  clears every fault; answers {"faults":[]}
//	GET    /_sim/counts                                  -> {"passControl":1,...}
//	POST   /_sim/reset                                   back to the seed state (faults cleared)
//	GET    /_sim/deliveries                              -> {"deliveries":[...],"stats":{...}} webhook deliveries
//	GET    /_sim/delivery-faults                         -> {"faults":[...]} the active delivery faults
//	POST   /_sim/delivery-faults                         <- one delivery fault; answers {"faults":[...]}
//	DELETE /_sim/delivery-faults                         clears every delivery fault
//
// A fault is the JSON form of a FaultSpec, every field optional, durations
// in Go's syntax ("250ms", "2s"):
//
//	{"operation":"passControl","status":429,"times":2,"retryAfter":"2s",
//	 "latency":"1s","drop":false,"lostAnswer":false,"noEffect":false,"after":0}
//
// It is checked by FaultSpec.Validate, and unknown fields are refused; a
// bad fault answers 400 naming the field. GET lists what is left of each
// fault (times: failures to come, after: requests still to pass).
//
// The admin routes refuse requests that a web page could make: a Host
// header that is not the address the request came in on (its IP and port,
// or localhost and the port on a loopback address) answers 421
// misdirected_request, so DNS rebinding cannot reach them; an Origin
// header whose host is not that address answers 403 forbidden. Requests
// served without a listener (no http.LocalAddrContextKey) check the Origin
// against the Host header only.
//
// Creating conversations is bounded (WithMaxConversations), and so are the
// active faults (MaxAdminFaults): beyond either, 409 conflict. Errors
// answer the vendor's error body. These requests are logged like API
// requests (operation "admin") but are not counted and take no faults.
func (s *Simulator) AdminHandler() http.Handler {
	return http.HandlerFunc(s.serveAdmin)
}

// Handler returns an http.Handler that serves both the API and, under
// AdminPrefix, the admin routes of AdminHandler.
func (s *Simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(AdminPrefix, s.AdminHandler())
	mux.Handle("/", s)
	return mux
}

func (s *Simulator) serveAdmin(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		s.logRequest(RequestInfo{Operation: "admin", Method: r.Method, Path: r.URL.Path, Status: sw.status, Time: start,
			Duration: time.Since(start)})
	}()
	if f := checkAdminCaller(r); f != nil {
		writeError(sw, f.status, f.code, f.title)
		return
	}
	seg := strings.Split(strings.TrimPrefix(r.URL.Path, AdminPrefix), "/")
	switch {
	case len(seg) == 1 && seg[0] == "counts":
		if allowMethod(sw, r, http.MethodGet) {
			writeJSON(sw, http.StatusOK, s.Counts())
		}
	case len(seg) == 1 && seg[0] == "reset":
		if allowMethod(sw, r, http.MethodPost) {
			s.Reset()
			writeJSON(sw, http.StatusOK, struct{}{})
		}
	case len(seg) == 1 && seg[0] == "faults":
		s.adminFaults(sw, r)
	case len(seg) == 1 && (seg[0] == "deliveries" || seg[0] == "delivery-faults"):
		s.adminDeliveries(sw, r, seg[0]) // admin_deliveries.go
	case len(seg) == 3 && seg[0] == "conversations" && seg[1] != "" && seg[2] != "":
		s.adminConversation(sw, r, seg[1], seg[2])
	default:
		writeError(sw, http.StatusNotFound, "not_found", "Not found")
	}
}

// checkAdminCaller refuses a Host that is not the address the request came
// in on (421) and an Origin of another host (403).
func checkAdminCaller(r *http.Request) *failure {
	allowed := map[string]bool{}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ta, ok := la.(*net.TCPAddr); ok {
			port := fmt.Sprint(ta.Port)
			allowed[net.JoinHostPort(ta.IP.String(), port)] = true
			if ta.IP.IsLoopback() {
				allowed[net.JoinHostPort("localhost", port)] = true
			}
		}
	}
	host := normalizeHost(r.Host, "http")
	if len(allowed) > 0 && !allowed[host] {
		return &failure{status: http.StatusMisdirectedRequest, code: "misdirected_request",
			title: fmt.Sprintf("Host %q is not this simulator's address; admin routes answer only requests to %s",
				r.Host, strings.Join(slices.Sorted(maps.Keys(allowed)), " or "))}
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	if len(allowed) == 0 {
		allowed[host] = true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || !allowed[normalizeHost(u.Host, u.Scheme)] {
		return &failure{status: http.StatusForbidden, code: codeForbidden,
			title: fmt.Sprintf("Origin %q is not this simulator's address; admin routes refuse requests from web pages of other sites", origin)}
	}
	return nil
}

// normalizeHost lower-cases host:port and adds the scheme's default port.
func normalizeHost(hostport, scheme string) string {
	hostport = strings.ToLower(hostport)
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		return net.JoinHostPort(h, p)
	}
	port := "80"
	if strings.EqualFold(scheme, "https") {
		port = "443"
	}
	return net.JoinHostPort(strings.Trim(hostport, "[]"), port)
}

func (s *Simulator) adminConversation(w http.ResponseWriter, r *http.Request, appID, convID string) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPut:
		var st ConversationState
		body, f := readBody(r)
		if f == nil && decodeJSON(body, &st) != nil {
			f = badRequest(`Body must be {"active":"name","pending":"name"}`)
		}
		if f == nil {
			f = s.setConversationBounded(appID, convID, st, r.URL.Query().Get("events") != "false")
		}
		if f != nil {
			writeError(w, f.status, f.code, f.title)
			return
		}
	default:
		allowMethod(w, r, http.MethodGet+", "+http.MethodPut)
		return
	}
	st, ok := s.Conversation(appID, convID)
	if !ok {
		writeError(w, http.StatusNotFound, codeConversationNotFound, "Conversation not found")
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// setConversationBounded is SetConversation, refusing to create a
// conversation beyond the bound of WithMaxConversations.
func (s *Simulator) setConversationBounded(appID, convID string, st ConversationState, events bool) *failure {
	s.mu.Lock()
	full := false
	if a := s.w.apps[appID]; a != nil && a.convs[convID] == nil {
		n := 0
		for _, a := range s.w.apps {
			n += len(a.convs)
		}
		full = n >= s.maxConvs
	}
	s.mu.Unlock()
	if full {
		return &failure{status: http.StatusConflict, code: "conflict", title: fmt.Sprintf(
			"The simulator holds %d conversations, its limit (--max-conversations); move an existing one, or POST /_sim/reset to return to the seed",
			s.maxConvs)}
	}
	// A concurrent PUT may create one more between the check and the set;
	// the bound is one of memory, not of exact counts.
	if err := s.setConversation(appID, convID, st, events); err != nil {
		return badRequest("%s", err.Error())
	}
	return nil
}

// faultJSON is the JSON form of a FaultSpec on the admin routes.
type faultJSON struct {
	Operation  Operation `json:"operation"`
	Status     int       `json:"status"`
	Times      int       `json:"times"`
	After      int       `json:"after"`
	RetryAfter string    `json:"retryAfter"`
	Latency    string    `json:"latency"`
	Drop       bool      `json:"drop"`
	LostAnswer bool      `json:"lostAnswer"`
	NoEffect   bool      `json:"noEffect"`
}

func toFaultJSON(fs FaultSpec) faultJSON {
	return faultJSON{
		Operation: fs.Operation, Status: fs.Status, Times: fs.Times, After: fs.After,
		RetryAfter: fs.RetryAfter.String(), Latency: fs.Latency.String(),
		Drop: fs.Drop, LostAnswer: fs.LostAnswer, NoEffect: fs.NoEffect,
	}
}

// faultFields lists the fields of faultJSON for error messages.
const faultFields = "operation, status, times, after, retryAfter, latency, drop, lostAnswer, noEffect"

// parseFaultJSON decodes and validates a fault; errors name the field.
func parseFaultJSON(body []byte) (FaultSpec, error) {
	var fj faultJSON
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fj); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return FaultSpec{}, fmt.Errorf("%s: must be a JSON %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return FaultSpec{}, fmt.Errorf("%s; allowed: %s", strings.TrimPrefix(err.Error(), "json: "), faultFields)
		}
		return FaultSpec{}, fmt.Errorf("body must be one JSON object with the fields %s", faultFields)
	}
	if dec.More() {
		return FaultSpec{}, errors.New("body must be one JSON object, without trailing data")
	}
	fs := FaultSpec{Operation: fj.Operation, Fault: Fault{
		Status: fj.Status, Times: fj.Times, After: fj.After, Drop: fj.Drop, LostAnswer: fj.LostAnswer, NoEffect: fj.NoEffect,
	}}
	var err error
	if fs.RetryAfter, err = parseDuration("retryAfter", fj.RetryAfter); err != nil {
		return FaultSpec{}, err
	}
	if fs.Latency, err = parseDuration("latency", fj.Latency); err != nil {
		return FaultSpec{}, err
	}
	return fs, fs.Validate()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64":
		return "integer"
	case "bool":
		return "boolean"
	}
	return goKind
}

func parseDuration(field, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf(`%s: %q is not a duration; use Go's syntax, such as "250ms" or "2s"`, field, v)
	}
	return d, nil
}

func (s *Simulator) adminFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodDelete:
		s.ClearFaults()
	case http.MethodPost:
		body, f := readBody(r)
		if f == nil {
			fs, err := parseFaultJSON(body)
			switch {
			case err != nil:
				f = badRequest("%s", err.Error())
			case len(s.Faults()) >= MaxAdminFaults:
				f = &failure{status: http.StatusConflict, code: "conflict", title: fmt.Sprintf(
					"%d faults are active, the limit; DELETE /_sim/faults clears them", MaxAdminFaults)}
			default:
				s.InjectFault(fs.Operation, fs.Fault)
			}
		}
		if f != nil {
			writeError(w, f.status, f.code, f.title)
			return
		}
	default:
		allowMethod(w, r, http.MethodGet+", "+http.MethodPost+", "+http.MethodDelete)
		return
	}
	list := []faultJSON{}
	for _, fs := range s.Faults() {
		list = append(list, toFaultJSON(fs))
	}
	writeJSON(w, http.StatusOK, map[string]any{"faults": list})
}

// allowMethod answers 405 unless r uses method; it reports whether it did
// not.
func allowMethod(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed")
	return false
}
