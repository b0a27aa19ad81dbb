package main

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// vendorTracker follows the simulator's requests conversation by conversation (it is
// the simulator's request hook): when each conversation got its first action, how many
// actions it got, and which reads were polls.
type vendorTracker struct {
	// pollGap is the least time between two reads of a conversation for the second to
	// count as a poll.
	pollGap time.Duration

	mu    sync.Mutex
	convs map[string]*conversationTrace
	total vendorTotals
}

// conversationTrace is what happened to one conversation.
type conversationTrace struct {
	created     time.Time // the create call of its ConversationControl returned
	firstAction time.Time
	actions     int
	reads       int // reads of the conversation outside polls
	lastRead    time.Time
}

// vendorTotals are running totals of the tracked requests.
type vendorTotals struct {
	Actions, Reads, Polls int
}

// newVendorTracker tracks the requests of objects polled every pollInterval. The operator
// polls an object on fixed slots one interval apart, the first at least half an interval
// after the read that ended its handoff: a read 45% of the interval or more after the
// previous read of the conversation is a poll.
func newVendorTracker(pollInterval time.Duration) *vendorTracker {
	return &vendorTracker{pollGap: pollInterval * 45 / 100, convs: map[string]*conversationTrace{}}
}

// isAction tells whether op is one of the four switchboard actions.
func isAction(op sunshinetest.Operation) bool {
	switch op {
	case sunshinetest.OpPassControl, sunshinetest.OpOfferControl, sunshinetest.OpAcceptControl, sunshinetest.OpReleaseControl:
		return true
	}
	return false
}

// observe is the simulator's request hook.
func (t *vendorTracker) observe(info sunshinetest.RequestInfo) {
	if info.ConversationID == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.convs[info.ConversationID]
	if c == nil {
		c = &conversationTrace{}
		t.convs[info.ConversationID] = c
	}
	switch {
	case isAction(info.Operation):
		t.total.Actions++
		c.actions++
		if c.firstAction.IsZero() {
			c.firstAction = info.Time
		}
	case info.Operation == sunshinetest.OpGetConversation:
		if t.pollGap > 0 && !c.lastRead.IsZero() && info.Time.Sub(c.lastRead) >= t.pollGap {
			t.total.Polls++
		} else {
			t.total.Reads++
			c.reads++
		}
		c.lastRead = info.Time
	}
}

// created records when the create call of a conversation's object returned.
func (t *vendorTracker) created(conversationID string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.convs[conversationID]
	if c == nil {
		c = &conversationTrace{}
		t.convs[conversationID] = c
	}
	c.created = at
}

// conversation returns what happened to one conversation so far.
func (t *vendorTracker) conversation(id string) conversationTrace {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.convs[id]; c != nil {
		return *c
	}
	return conversationTrace{}
}

// totals returns the running totals.
func (t *vendorTracker) totals() vendorTotals {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

// handoffs summarises the conversations whose objects were created: the latencies
// from create to first action, sorted, and how many conversations got no action or
// more than one.
func (t *vendorTracker) handoffs() (latencies []time.Duration, withoutAction, moreThanOne, actionBeforeCreateReturned int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.convs {
		if c.created.IsZero() {
			continue
		}
		switch {
		case c.actions == 0:
			withoutAction++
			continue
		case c.actions > 1:
			moreThanOne++
		}
		d := c.firstAction.Sub(c.created)
		if d < 0 {
			actionBeforeCreateReturned++
		}
		latencies = append(latencies, d)
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	return latencies, withoutAction, moreThanOne, actionBeforeCreateReturned
}

// percentile returns the nearest-rank percentile p (0 < p <= 100) of sorted values;
// zero for none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
