package main

import (
	"bytes"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// requestCounter counts the requests that go through a rest.Config's transport, by
// verb and resource ("patch conversationcontrols/status", "create events").
type requestCounter struct {
	// dropEvents, an experiment, answers Event creates in place of the API server (with
	// the Event as sent, 201 Created) and counts them as "dropped events".
	dropEvents bool
	// onWritten, when set, gets the answer to every successful write of a
	// ConversationControl (the object as stored).
	onWritten func(body []byte)

	mu     sync.Mutex
	counts map[string]int
}

func newRequestCounter() *requestCounter {
	return &requestCounter{counts: map[string]int{}}
}

// wrap is a rest.Config.WrapTransport: it counts every request before sending it.
func (c *requestCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		verb, resource := classifyRequest(req.Method, req.URL.Path, req.URL.Query().Get("watch"))
		drop := c.dropEvents && verb == "create" && resource == "events" && req.Body != nil
		if drop {
			verb = "dropped"
		}
		c.mu.Lock()
		c.counts[verb+" "+resource]++
		c.mu.Unlock()
		if drop {
			return answerCreated(req)
		}
		resp, err := rt.RoundTrip(req)
		if failure := failureOf(resp, err); failure != "" {
			c.mu.Lock()
			c.counts["failed "+failure+" "+verb+" "+resource]++
			c.mu.Unlock()
		}
		if err != nil || c.onWritten == nil || !isWrite(verb) || !strings.HasPrefix(resource, "conversationcontrols") ||
			resp.StatusCode/100 != 2 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			return resp, err
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		c.onWritten(body)
		return resp, nil
	})
}

// snapshot returns a copy of the counts so far.
func (c *requestCounter) snapshot() requestCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(requestCounts, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

// failureOf names how a request failed: its HTTP status when that is not a success,
// "error" when no answer came; "" for a success.
func failureOf(resp *http.Response, err error) string {
	switch {
	case err != nil:
		return "error"
	case resp.StatusCode >= 300:
		return strconv.Itoa(resp.StatusCode)
	}
	return ""
}

// answerCreated answers a create with the object as sent, in the encoding it was sent
// in (client-go sends built-in kinds such as Events as protobuf).
func answerCreated(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status: "201 Created", StatusCode: http.StatusCreated, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": []string{req.Header.Get("Content-Type")}}, Body: io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}, nil
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// requestCounts are request counts keyed by "verb resource"; requests that failed
// are also counted under "failed STATUS verb resource" (STATUS is the HTTP status, or
// "error" when no answer came).
type requestCounts map[string]int

// since returns the counts added after earlier, without zeros.
func (c requestCounts) since(earlier requestCounts) requestCounts {
	out := requestCounts{}
	for k, v := range c {
		if d := v - earlier[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// writes returns the counts of the writing verbs only.
func (c requestCounts) writes() requestCounts {
	out := requestCounts{}
	for k, v := range c {
		if isWrite(strings.SplitN(k, " ", 2)[0]) {
			out[k] = v
		}
	}
	return out
}

// failed returns the counts of the failed requests.
func (c requestCounts) failed() requestCounts {
	out := requestCounts{}
	for k, v := range c {
		if strings.HasPrefix(k, "failed ") {
			out[k] = v
		}
	}
	return out
}

// total is the sum of the counts.
func (c requestCounts) total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// count returns the count of one verb and resource.
func (c requestCounts) count(verb, resource string) int { return c[verb+" "+resource] }

// keys returns the keys, sorted.
func (c requestCounts) keys() []string {
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// isWrite tells whether a verb changes something on the API server.
func isWrite(verb string) bool {
	switch verb {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}

// classifyRequest names the Kubernetes verb and the resource (with its subresource,
// "conversationcontrols/status") of an API request, from its method and path:
// /api/v1/[namespaces/NS/]RESOURCE[/NAME[/SUBRESOURCE]] or
// /apis/GROUP/VERSION/[namespaces/NS/]RESOURCE[/NAME[/SUBRESOURCE]]. Other paths
// (discovery, /version, /openapi) are "nonresource".
func classifyRequest(method, path, watch string) (verb, resource string) {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	var rest []string
	switch {
	case len(seg) >= 3 && seg[0] == "api":
		rest = seg[2:]
	case len(seg) >= 4 && seg[0] == "apis":
		rest = seg[3:]
	}
	name, sub := "", ""
	switch {
	case len(rest) == 0:
		resource = "nonresource"
	case rest[0] == "namespaces" && len(rest) == 3 && (rest[2] == "status" || rest[2] == "finalize"):
		resource, name, sub = "namespaces", rest[1], rest[2]
	case rest[0] == "namespaces" && len(rest) >= 3:
		resource = rest[2]
		if len(rest) >= 4 {
			name = rest[3]
		}
		if len(rest) >= 5 {
			sub = rest[4]
		}
	default:
		resource = rest[0]
		if len(rest) >= 2 {
			name = rest[1]
		}
		if len(rest) >= 3 {
			sub = rest[2]
		}
	}
	if sub != "" {
		resource += "/" + sub
	}
	switch method {
	case http.MethodGet:
		switch {
		case watch == "true" || watch == "1":
			verb = "watch"
		case name == "" && resource != "nonresource":
			verb = "list"
		default:
			verb = "get"
		}
	case http.MethodPost:
		verb = "create"
	case http.MethodPut:
		verb = "update"
	case http.MethodPatch:
		verb = "patch"
	case http.MethodDelete:
		verb = "delete"
		if name == "" {
			verb = "deletecollection"
		}
	default:
		verb = strings.ToLower(method)
	}
	return verb, resource
}
