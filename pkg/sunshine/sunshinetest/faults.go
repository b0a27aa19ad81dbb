package sunshinetest

import (
	"net/http"
	"strconv"
	"time"
)

// Fault is a failure injected into the requests of an operation.
type Fault struct {
	// Latency is added before answering (also before a failure below).
	Latency time.Duration
	// Status, when set, answers with this status and the vendor's error
	// body instead of handling the request ...
	Status int
	// ... for the next Times calls (0 with Status or Drop set means 1).
	// A fault with only Latency applies until ClearFaults or Reset.
	Times int
	// RetryAfter, with Status 429, sets the Retry-After header (whole
	// seconds, rounded up). Without it a 429 carries no Retry-After.
	RetryAfter time.Duration
	// Drop hijacks the connection and closes it without answering.
	Drop bool
}

type activeFault struct {
	op   Operation
	f    Fault
	left int // remaining failures; unused for latency-only faults
}

func (a *activeFault) fails() bool { return a.f.Status != 0 || a.f.Drop }

func (a *activeFault) matches(op Operation) bool { return a.op == "" || a.op == op }

// InjectFault adds a fault to the requests of op ("" = every operation).
// Faults apply before authentication, in the order injected: the latencies
// of all matching faults add up, and the first matching fault with failures
// left decides the answer. Faulted requests are counted.
func (s *Simulator) InjectFault(op Operation, f Fault) {
	af := &activeFault{op: op, f: f, left: f.Times}
	if af.fails() && af.left <= 0 {
		af.left = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, af)
}

// ClearFaults removes every injected fault.
func (s *Simulator) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault counts a request of op and consumes the faults for it: it
// returns the latency to add and the failing fault, if any.
func (s *Simulator) takeFault(op Operation) (time.Duration, *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[op]++
	var latency time.Duration
	var failing *Fault
	kept := s.faults[:0]
	for _, af := range s.faults {
		if !af.matches(op) {
			kept = append(kept, af)
			continue
		}
		if !af.fails() {
			latency += af.f.Latency
			kept = append(kept, af)
			continue
		}
		if failing == nil {
			latency += af.f.Latency
			f := af.f
			failing = &f
			af.left--
		}
		if af.left > 0 {
			kept = append(kept, af)
		}
	}
	clear(s.faults[len(kept):])
	s.faults = kept
	return latency, failing
}

// applyFault answers the request as the fault says. It reports whether the
// request was answered (or dropped), and the status (0 when dropped).
func applyFault(w http.ResponseWriter, r *http.Request, op Operation, latency time.Duration, f *Fault) (bool, int) {
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	switch {
	case f == nil:
		return false, 0
	case f.Drop:
		dropConnection(w)
		return true, 0
	}
	if f.Status == http.StatusTooManyRequests && f.RetryAfter > 0 {
		secs := (f.RetryAfter + time.Second - 1) / time.Second
		w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
	code, title := faultError(op, f.Status)
	writeError(w, f.Status, code, title)
	return true, f.Status
}

// dropConnection closes the client connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// Not hijackable (HTTP/2, a recorder): abort the handler, which makes
	// the server reset the stream or close the connection.
	panic(http.ErrAbortHandler)
}

// faultError is the vendor's error code and title for an injected status.
func faultError(op Operation, status int) (string, string) {
	if status == http.StatusNotFound {
		switch op {
		case OpListSwitchboards:
			return codeAppNotFound, "App not found"
		case OpListSwitchboardIntegrations:
			return codeSwitchboardNotFound, "Switchboard not found"
		case "":
		default:
			return codeConversationNotFound, "Conversation not found"
		}
	}
	return statusCode(status), statusTitle(status)
}
