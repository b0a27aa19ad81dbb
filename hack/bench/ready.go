package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// readyTracker records when each ConversationControl of a namespace was first written
// Ready. It reads the answers to the manager's own writes (see requestCounter), so the
// bench needs no watch of its own: a watch would add work to the API server that the
// baseline does not have. Every Ready is written by the manager, and the answer to the
// write is the object as stored.
type readyTracker struct {
	ns   string
	want int
	// only, when set, is the one object's name that counts.
	only string

	mu      sync.Mutex
	readyAt map[string]time.Time
	last    time.Time
	done    chan struct{}
}

func newReadyTracker(namespace string, want int) *readyTracker {
	return &readyTracker{ns: namespace, want: want, readyAt: map[string]time.Time{}, done: make(chan struct{})}
}

// isReady tells whether the operator finished the object's generation with Ready=True.
func isReady(cc *sbv1.ConversationControl) bool {
	ready := meta.FindStatusCondition(cc.Status.Conditions, sbv1.ConditionReady)
	return cc.Generation > 0 && cc.Status.ObservedGeneration == cc.Generation &&
		ready != nil && ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == cc.Generation
}

// observeAnswer looks at the answer to a successful write of a ConversationControl.
func (t *readyTracker) observeAnswer(body []byte) {
	// Only the metadata and status: the answer's spec is not needed.
	var cc struct {
		metav1.ObjectMeta `json:"metadata"`
		Status            sbv1.ConversationControlStatus `json:"status"`
	}
	if err := json.Unmarshal(body, &cc); err != nil || cc.Namespace != t.ns || (t.only != "" && cc.Name != t.only) ||
		!isReady(&sbv1.ConversationControl{ObjectMeta: cc.ObjectMeta, Status: cc.Status}) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, seen := t.readyAt[cc.Name]; seen {
		return
	}
	now := time.Now()
	t.readyAt[cc.Name], t.last = now, now
	if len(t.readyAt) == t.want {
		close(t.done)
	}
}

// wait returns when every object was written Ready (the time the last one was), or an
// error after timeout.
func (t *readyTracker) wait(ctx context.Context, timeout time.Duration) (time.Time, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-t.done:
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.last, nil
	case <-timer.C:
		return time.Time{}, fmt.Errorf("only %d of %d objects were Ready after %s", t.count(), t.want, timeout)
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
}

// count is the number of objects written Ready.
func (t *readyTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.readyAt)
}
