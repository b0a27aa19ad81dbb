/*
Copyright 2026 The switchboard-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package soak

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// The soak's API: a simulator of a spec's own whose faults are injected
// through the simulator's fault API, and counted from what the simulator reports: its
// request hook (every answer by operation and status) and the faults it still lists.

// faultKind is what an injected fault does to the request that takes it, as the client
// sees it.
type faultKind string

const (
	faultServerError faultKind = "5xx"     // answered 500, 502, 503 or 504
	faultRateLimited faultKind = "429"     // answered 429 with Retry-After
	faultDropped     faultKind = "dropped" // connection closed, the request not handled
	faultLostAnswer  faultKind = "lost"    // handled and applied at once, then the connection closed
	faultLateAnswer  faultKind = "late"    // as faultLostAnswer, but handled as the client gives up
)

// failing are the kinds of fault that the client sees as an error.
var failing = []faultKind{faultServerError, faultRateLimited, faultDropped, faultLostAnswer, faultLateAnswer}

// lostAnswers are the kinds of fault whose request the simulator handled and applied.
var lostAnswers = []faultKind{faultLostAnswer, faultLateAnswer}

// serverErrors are the 5xx statuses injected, in turn.
var serverErrors = []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}

// conversationOps are the operations on conversations, where the faults go.
var conversationOps = []sunshinetest.Operation{sunshinetest.OpGetConversation, sunshinetest.OpPassControl,
	sunshinetest.OpOfferControl, sunshinetest.OpAcceptControl, sunshinetest.OpReleaseControl}

// actionOps are the four switchboard actions.
var actionOps = conversationOps[1:]

// faultAPI is a simulator of a spec's own on a listening server. Its request hook counts
// every answer by operation and status; the faults injected through it are counted by
// kind, so that the faults requests took are the injected ones less those the simulator
// still lists.
type faultAPI struct {
	sim *sunshinetest.Server
	// clientTimeout is the operator's API timeout; a late lost answer waits past it.
	clientTimeout time.Duration

	mu       sync.Mutex
	injected map[sunshinetest.Operation]map[faultKind]int // failures injected, by kind
	answers  map[sunshinetest.Operation]map[int]int       // answers by status (0: connection closed)
	late     int                                          // requests handled for longer than clientTimeout
	traces   map[string][]traced                          // the requests on each conversation, in the order handled
}

// traced is one request on a conversation as the simulator handled it.
type traced struct {
	op     sunshinetest.Operation
	status int
	at     time.Time
	took   time.Duration
	after  sunshinetest.ConversationState // the conversation once handled
}

func (t traced) String() string {
	status := strconv.Itoa(t.status)
	if t.status == 0 {
		status = "closed"
	}
	return fmt.Sprintf("%s %s %s (%s) -> %+v", t.at.Format("15:04:05.000"), t.op, status, t.took.Round(time.Millisecond), t.after)
}

// newFaultAPI starts a simulator of the suite's world for one spec.
func newFaultAPI(clientTimeout time.Duration) *faultAPI {
	a := &faultAPI{
		clientTimeout: clientTimeout,
		injected:      map[sunshinetest.Operation]map[faultKind]int{},
		answers:       map[sunshinetest.Operation]map[int]int{},
		traces:        map[string][]traced{},
	}
	var err error
	a.sim, err = sunshinetest.NewServer(testSeed(), sunshinetest.WithRequestHook(a.answered))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(a.sim.Close)
	return a
}

// answered is the simulator's request hook.
func (a *faultAPI) answered(info sunshinetest.RequestInfo) {
	var after sunshinetest.ConversationState
	if info.ConversationID != "" {
		after, _ = a.sim.Conversation(info.AppID, info.ConversationID)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.answers[info.Operation] == nil {
		a.answers[info.Operation] = map[int]int{}
	}
	a.answers[info.Operation][info.Status]++
	if info.Duration >= a.clientTimeout {
		a.late++
	}
	if info.ConversationID != "" {
		a.traces[info.ConversationID] = append(a.traces[info.ConversationID],
			traced{op: info.Operation, status: info.Status, at: info.Time, took: info.Duration, after: after})
	}
}

// repeated lists, for the conversations on which more than one request of op was
// answered with success or not answered, every request on the conversation: the evidence
// when an action seems applied twice.
func (a *faultAPI) repeated(op sunshinetest.Operation) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	convs := make([]string, 0, len(a.traces))
	for conv := range a.traces {
		convs = append(convs, conv)
	}
	sort.Strings(convs)
	var b strings.Builder
	for _, conv := range convs {
		n := 0
		for _, t := range a.traces[conv] {
			if t.op == op && (t.status == 0 || succeeded(t.status)) {
				n++
			}
		}
		if n < 2 {
			continue
		}
		fmt.Fprintf(&b, "\n%s:", conv)
		for _, t := range a.traces[conv] {
			fmt.Fprintf(&b, "\n  %s", t)
		}
	}
	return b.String()
}

// kindOf is the kind of a fault; "" for one that only adds latency.
func (a *faultAPI) kindOf(f sunshinetest.Fault) faultKind {
	switch {
	case f.Drop:
		return faultDropped
	case f.LostAnswer && f.Latency > 0:
		return faultLateAnswer
	case f.LostAnswer:
		return faultLostAnswer
	case f.Status == http.StatusTooManyRequests:
		return faultRateLimited
	case f.Status >= 500:
		return faultServerError
	}
	return ""
}

// inject injects a fault into the requests of op and counts it by kind.
func (a *faultAPI) inject(op sunshinetest.Operation, f sunshinetest.Fault) {
	if k := a.kindOf(f); k != "" {
		a.mu.Lock()
		if a.injected[op] == nil {
			a.injected[op] = map[faultKind]int{}
		}
		a.injected[op][k] += max(f.Times, 1)
		a.mu.Unlock()
	}
	a.sim.InjectFault(op, f)
}

// faultCounts are numbers of faults by operation and kind.
type faultCounts map[sunshinetest.Operation]map[faultKind]int

// of is the number of faults of the kinds on op.
func (c faultCounts) of(op sunshinetest.Operation, kinds ...faultKind) int {
	n := 0
	for _, k := range kinds {
		n += c[op][k]
	}
	return n
}

// faultsTaken is how many of the injected failures requests took, by operation and kind:
// those injected less those the simulator still lists. A fault is taken when its request
// arrives, before its latency and its answer.
func (a *faultAPI) faultsTaken() faultCounts {
	a.mu.Lock()
	out := make(faultCounts, len(a.injected))
	for op, byKind := range a.injected {
		out[op] = map[faultKind]int{}
		for k, v := range byKind {
			out[op][k] = v
		}
	}
	a.mu.Unlock()
	for _, fs := range a.sim.Faults() {
		if k := a.kindOf(fs.Fault); k != "" && out[fs.Operation] != nil {
			out[fs.Operation][k] -= fs.Times
		}
	}
	return out
}

// answeredBy is how many requests of op the simulator answered with a status for which
// match is true.
func (a *faultAPI) answeredBy(op sunshinetest.Operation, match func(status int) bool) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for status, count := range a.answers[op] {
		if match(status) {
			n += count
		}
	}
	return n
}

// statuses are the answers to requests of op by status.
func (a *faultAPI) statuses(op sunshinetest.Operation) map[int]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[int]int, len(a.answers[op]))
	for s, n := range a.answers[op] {
		out[s] = n
	}
	return out
}

// unanswered is how many requests the simulator has taken and not yet handled: those it
// counted less those its request hook reported.
func (a *faultAPI) unanswered() int {
	n := 0
	for _, c := range a.sim.Counts() {
		n += c
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for op, byStatus := range a.answers {
		if op == "" {
			continue
		}
		for _, c := range byStatus {
			n -= c
		}
	}
	return n
}

// lateRequests is how many requests the simulator took longer than the client's timeout
// to handle.
func (a *faultAPI) lateRequests() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.late
}

func anyStatus(int) bool { return true }

// succeeded tells whether a status is a success. An action answered with success was
// applied (a repeated action to the integration already active answers 200 too).
func succeeded(status int) bool { return status >= 200 && status < 300 }

// refused tells whether a status is a 4xx other than 429: an action the simulator's state
// machine refused (an offer to the active integration, an accept with nothing pending).
func refused(status int) bool {
	return status >= 400 && status < 500 && status != http.StatusTooManyRequests
}

// failedAnswer tells whether a status is one of the injected failures: a closed
// connection (0: dropped, or a lost answer), 429 or 5xx. The simulator answers none of
// them by itself.
func failedAnswer(status int) bool {
	return status == 0 || status == http.StatusTooManyRequests || status >= 500
}

// requests is how many requests of op the simulator handled.
func (a *faultAPI) requests(op sunshinetest.Operation) int { return a.answeredBy(op, anyStatus) }

// failuresOn is how many requests of op failed as the client saw it: every request the
// simulator answered with an injected failure or did not answer.
func (a *faultAPI) failuresOn(op sunshinetest.Operation) int { return a.answeredBy(op, failedAnswer) }

// conversationRequests is the number of requests on conversations so far.
func (a *faultAPI) conversationRequests() int {
	n := 0
	for _, op := range conversationOps {
		n += a.requests(op)
	}
	return n
}

// live is the simulator's state of a conversation.
func (a *faultAPI) live(conv string) sunshinetest.ConversationState {
	st, ok := a.sim.Conversation(testAppID, conv)
	Expect(ok).To(BeTrue(), "conversation %s exists", conv)
	return st
}

// newSwitchboard creates a namespace with the Secret and a Switchboard on the API,
// labelled for the manager of partition, and waits until the Switchboard is Ready. It
// returns the namespace.
func (a *faultAPI) newSwitchboard(partition string) string {
	ns := newNamespace()
	createReadySwitchboard(ns, a.sim.URL, partition, sbv1.RateLimit{RequestsPerSecond: 500, Burst: 100})
	return ns
}

const (
	// soakLatency is the delay of every request on a conversation in the soak.
	soakLatency = 40 * time.Millisecond
	// soakServerErrorLatency is the extra delay of a 5xx.
	soakServerErrorLatency = 50 * time.Millisecond
	// soakRetryAfter is the Retry-After of a 429.
	soakRetryAfter = time.Second
)

// soakFault is the soak's schedule: the failure of the n-th request (from 1) of an
// operation on conversations. Of every 12 requests, 1 answers 5xx, 1 answers 429 and 1 is
// dropped; of every 40 action requests, 1 loses its answer at once after the vendor
// applied it, and 1 as the client gives up. A request takes at most one failure.
func soakFault(op sunshinetest.Operation, n int) faultKind {
	switch {
	case n%12 == 3:
		return faultServerError
	case n%12 == 7:
		return faultRateLimited
	case n%12 == 11:
		return faultDropped
	case op != sunshinetest.OpGetConversation && n%40 == 20:
		return faultLateAnswer
	case op != sunshinetest.OpGetConversation && n%40 == 30:
		return faultLostAnswer
	}
	return ""
}

// injectSchedule injects the soak's faults into the requests on conversations, the first
// horizon(op) requests of each operation as soakFault says, each as a fault of its own
// whose After is the number of requests before it; and soakLatency into every request on
// a conversation. Requests past the horizon only have the latency. A late lost answer is
// handled when the client's timeout has passed since it arrived (its latency and
// soakLatency add up), so the client has given up, as with an answer slower than the
// timeout, and the action applies before the operator reads the conversation again.
func (a *faultAPI) injectSchedule(horizon func(sunshinetest.Operation) int) {
	for _, op := range conversationOps {
		a.inject(op, sunshinetest.Fault{Latency: soakLatency})
		serverErrorsSoFar := 0
		for n := 1; n <= horizon(op); n++ {
			f := sunshinetest.Fault{After: n - 1}
			switch soakFault(op, n) {
			case "":
				continue
			case faultServerError:
				f.Status, f.Latency = serverErrors[serverErrorsSoFar%len(serverErrors)], soakServerErrorLatency
				serverErrorsSoFar++
			case faultRateLimited:
				f.Status, f.RetryAfter = http.StatusTooManyRequests, soakRetryAfter
			case faultDropped:
				f.Drop = true
			case faultLostAnswer:
				f.LostAnswer = true
			case faultLateAnswer:
				f.LostAnswer, f.Latency = true, a.clientTimeout-soakLatency
			}
			a.inject(op, f)
		}
	}
}
