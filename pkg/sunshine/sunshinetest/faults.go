package sunshinetest

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is a failure injected into the requests of an operation. Set at
// most one of Status, Drop, LostAnswer and NoEffect (FaultSpec.Validate
// says so); when several are set, the first of Drop, LostAnswer, NoEffect,
// Status applies.
type Fault struct {
	// Latency is added before answering (also before a failure below, and
	// before a LostAnswer request is handled).
	Latency time.Duration
	// Status, when set, answers with this status and the vendor's error
	// body instead of handling the request ...
	Status int
	// ... for the next Times calls (0 with Status, Drop, LostAnswer or
	// NoEffect set means 1). A fault with only Latency applies until
	// ClearFaults or Reset, whatever Times says.
	Times int
	// After is a schedule: the first After requests matching the fault's
	// operation, counted from when it was injected, pass untouched (no
	// latency, no failure, whether or not another fault answers them); the
	// fault applies from the next one on.
	After int
	// RetryAfter, with Status 429, sets the Retry-After header (whole
	// seconds, rounded up). Without it a 429 carries no Retry-After.
	RetryAfter time.Duration
	// Drop hijacks the connection and closes it without answering; the
	// request is not handled.
	Drop bool
	// LostAnswer handles the request normally (authentication, state
	// change, count), then closes the connection without writing the
	// answer, as Drop does: the client sees a connection error although the
	// action was applied.
	LostAnswer bool
	// NoEffect answers the four actions (passControl, offerControl,
	// acceptControl, releaseControl) with `200 {}` without authenticating or
	// changing anything: the vendor's "200 and no change" reading of a
	// failed action (SWITCHBOARD.md 7#1). On other operations it is no
	// fault: it neither matches nor counts their requests.
	NoEffect bool
}

// FaultSpec is an injected fault and the operation it applies to, as
// Faults lists it and the admin route POST /_sim/faults takes it.
type FaultSpec struct {
	// Operation is the operation the fault applies to; "" for every one.
	Operation Operation
	Fault
}

// faultKind is what a fault does to a request it applies to.
type faultKind int

const (
	kindLatency faultKind = iota // only latency
	kindDrop
	kindLostAnswer
	kindNoEffect
	kindStatus
)

func (f *Fault) kind() faultKind {
	switch {
	case f.Drop:
		return kindDrop
	case f.LostAnswer:
		return kindLostAnswer
	case f.NoEffect:
		return kindNoEffect
	case f.Status != 0:
		return kindStatus
	}
	return kindLatency
}

// isAction tells whether op is one of the four switchboard actions.
func isAction(op Operation) bool {
	return op == OpPassControl || op == OpOfferControl || op == OpAcceptControl || op == OpReleaseControl
}

// Validate reports the first problem of a fault spec, naming its field
// (spelt as in the admin route's JSON): an unknown operation, a negative
// duration or count, a status outside 400-599, more than one of status,
// drop, lostAnswer and noEffect, retryAfter without status 429, times on a
// latency-only fault, noEffect on an operation that is not an action, or a
// fault that does nothing.
func (fs FaultSpec) Validate() error {
	f := fs.Fault
	if fs.Operation != "" && !knownOperation(fs.Operation) {
		names := make([]string, len(Operations))
		for i, op := range Operations {
			names[i] = string(op)
		}
		return fmt.Errorf("operation: unknown operation %q; allowed: %s, or empty for every operation",
			fs.Operation, strings.Join(names, ", "))
	}
	var set []string
	for _, c := range []struct {
		name string
		on   bool
	}{{"status", f.Status != 0}, {"drop", f.Drop}, {"lostAnswer", f.LostAnswer}, {"noEffect", f.NoEffect}} {
		if c.on {
			set = append(set, c.name)
		}
	}
	switch {
	case f.Latency < 0:
		return errors.New("latency: must not be negative")
	case f.RetryAfter < 0:
		return errors.New("retryAfter: must not be negative")
	case f.Times < 0:
		return errors.New("times: must not be negative")
	case f.After < 0:
		return errors.New("after: must not be negative")
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("status: must be an error status between 400 and 599, got %d", f.Status)
	case len(set) > 1:
		return fmt.Errorf("%s: set only one of status, drop, lostAnswer and noEffect", strings.Join(set, ", "))
	case f.RetryAfter != 0 && f.Status != http.StatusTooManyRequests:
		return errors.New("retryAfter: applies only with status 429")
	case f.NoEffect && fs.Operation != "" && !isAction(fs.Operation):
		return fmt.Errorf("noEffect: applies only to the actions passControl, offerControl, acceptControl and releaseControl, not %s", fs.Operation)
	case len(set) == 0 && f.Latency == 0:
		return errors.New("a fault needs latency, status, drop, lostAnswer or noEffect")
	case len(set) == 0 && f.Times != 0:
		return errors.New("times: applies only with status, drop, lostAnswer or noEffect (a latency-only fault lasts until cleared)")
	}
	return nil
}

func knownOperation(op Operation) bool {
	for _, o := range Operations {
		if o == op {
			return true
		}
	}
	return false
}

type activeFault struct {
	op   Operation
	f    Fault
	skip int // matching requests still to pass untouched (After)
	left int // remaining failures; unused for latency-only faults
}

func (a *activeFault) fails() bool { return a.f.kind() != kindLatency }

func (a *activeFault) matches(op Operation) bool {
	if a.f.kind() == kindNoEffect && !isAction(op) {
		return false
	}
	return a.op == "" || a.op == op
}

// InjectFault adds a fault to the requests of op ("" = every operation).
// Faults apply before authentication (a LostAnswer request is then
// handled as usual, authentication included), in the order injected: the latencies
// of all matching faults add up, and the first matching fault with failures
// left decides the answer. Faulted requests are counted.
func (s *Simulator) InjectFault(op Operation, f Fault) {
	af := &activeFault{op: op, f: f, skip: max(f.After, 0), left: f.Times}
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

// Faults lists the active faults in the order injected, with what is left
// of them: Times is the failures still to come (as injected for a
// latency-only fault) and After the matching requests still to pass
// untouched. A fault whose failures are used up is no longer listed.
func (s *Simulator) Faults() []FaultSpec {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]FaultSpec, 0, len(s.faults))
	for _, af := range s.faults {
		f := af.f
		f.After = af.skip
		if af.fails() {
			f.Times = af.left
		}
		out = append(out, FaultSpec{Operation: af.op, Fault: f})
	}
	return out
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
		if af.skip > 0 {
			af.skip--
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

// applyFault waits for the latency and answers the request as the fault
// says. It reports whether the request was answered (or dropped), and the
// status (0 when dropped). A LostAnswer fault is not answered here: the
// caller handles the request and drops the answer.
func applyFault(w http.ResponseWriter, r *http.Request, op Operation, latency time.Duration, f *Fault) (bool, int) {
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	if f == nil {
		return false, 0
	}
	switch f.kind() {
	case kindLatency, kindLostAnswer:
		return false, 0
	case kindDrop:
		dropConnection(w)
		return true, 0
	case kindNoEffect:
		writeJSON(w, http.StatusOK, struct{}{})
		return true, http.StatusOK
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
		case OpGetWebhook, OpUpdateWebhook, OpDeleteWebhook:
			return codeNotFound, "Resource not found"
		case OpListIntegrations, OpCreateIntegration, OpGetIntegration, OpDeleteIntegration, OpListWebhooks, OpCreateWebhook:
			return codeIntegrationNotFound, "Integration not found"
		case "":
		default:
			return codeConversationNotFound, "Conversation not found"
		}
	}
	return statusCode(status), statusTitle(status)
}
