package sunshinetest

import (
	"net/http"
	"strings"
	"time"
)

// AdminPrefix is the path prefix of the admin routes. It cannot collide with
// the vendor's routes, which all start with /v2.
const AdminPrefix = "/_sim/"

// AdminHandler returns an http.Handler for scripts and demos, serving
// (without authentication, JSON in and out):
//
//	GET  /_sim/conversations/{appId}/{conversationId}  -> {"active":"bot","pending":""}
//	PUT  /_sim/conversations/{appId}/{conversationId}  <- {"active":"agent-workspace","pending":""}
//	     moves (or creates) a conversation as an agent or bot would; answers the new state
//	GET  /_sim/counts                                  -> {"passControl":1,...}
//	POST /_sim/reset                                   back to the seed state
//
// Errors answer the vendor's error body. These requests are logged like API
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
	case len(seg) == 3 && seg[0] == "conversations" && seg[1] != "" && seg[2] != "":
		s.adminConversation(sw, r, seg[1], seg[2])
	default:
		writeError(sw, http.StatusNotFound, "not_found", "Not found")
	}
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
			if err := s.SetConversation(appID, convID, st); err != nil {
				f = badRequest("%s", err.Error())
			}
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
