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

package controllers

import (
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// planInput is everything decide looks at: the object's spec, generation and status, what
// the phases before it found, the conversation as observed, and the time.
type planInput struct {
	Generation int64
	Spec       sbv1.ConversationControlSpec
	Status     sbv1.ConversationControlStatus
	// RequestedAt is the value of the requestedAt annotation ("" when absent).
	RequestedAt string
	Now         time.Time

	// Blocked, when set, ends the pass before the conversation is read: the Switchboard
	// is not usable, an older object claims the conversation, or the client could not be
	// built.
	Blocked *failure
	// Switchboard is the object's Switchboard; its integrations resolve `next`.
	Switchboard *sbv1.Switchboard
	// Explicit is spec.integration resolved against the Switchboard's listing, when it names
	// an integration (not `next`, not Released).
	Explicit *sbv1.IntegrationReference
	// Live is the conversation as just read; nil when it could not be read (ReadErr).
	Live    *sbv1.LiveState
	ReadErr *failure
	// Sent is the action this reconcile sent, when decide runs again after it.
	Sent *sentAction

	// PollPhase in [0, 1) places the object's polls within the poll interval, so that the
	// polls of many objects are spread over it (derived from the object's UID).
	PollPhase float64
	// DefaultTTL applies when spec.ttlSecondsAfterFinished is unset; nil keeps the object.
	DefaultTTL *time.Duration
}

// sentAction is an action sent in this reconcile, and how the vendor answered it.
type sentAction struct {
	Action sbv1.Action
	// Before is the live state the action was decided on.
	Before sbv1.LiveState
	// Err is the classified failure; nil when the vendor answered 2xx.
	Err *failure
	// Unknown tells that no answer came (a timeout, a dropped connection): the vendor may
	// or may not have applied the action.
	Unknown bool
}

// plan is what one pass does: the status to write, at most one action, the Events, and
// how the reconcile ends.
type plan struct {
	Status sbv1.ConversationControlStatus
	// Action to send; empty for none. Target is the integration it names (pass, offer).
	Action sbv1.Action
	Target *sbv1.IntegrationReference
	// PersistFirst asks for the status (with the action in flight and a resolved `next`)
	// to be written, with an optimistic lock, before the action is sent.
	PersistFirst bool
	Events       []planEvent
	Outcome      outcome
}

// planEvent is a Kubernetes Event the plan asks for.
type planEvent struct {
	Type, Reason, Action, Note string
}

// settlement is how an action in flight was settled from the live state.
type settlement int

const (
	settledNone     settlement = iota // nothing was in flight
	settledLanded                     // the live state shows the action's effect
	settledNotTaken                   // the live state is as it was before the action
	settledMoved                      // the conversation moved elsewhere since: counted as applied
	settledRefused                    // the vendor answered with an error status: it did not land
)

// errActionNotApplied is the error a pass ends with when the vendor accepted an action that
// did not take, so that the controller retries it with backoff.
var errActionNotApplied = errors.New("the vendor accepted the action, but the conversation did not change")

// decide computes the whole plan of one pass. It is a pure function of its input; no status
// field of a ConversationControl is decided anywhere else. The rules, in order:
//
//   - a blocker (Switchboard, claim, connection) or spec.suspend ends the pass;
//   - an answer with an error status means the action did not land; no answer leaves it in
//     flight, to be settled from the next read;
//   - an action in flight is settled from the live state, whatever the generation;
//   - the target is resolved: an explicit integration from the Switchboard's listing, or
//     for `next` the id fixed when the declaration was first acted on;
//   - in sync: Ready (a declaration found in effect without an action is adopted);
//   - applied and drifted: reported, re-applied only under Enforce (once per poll interval)
//     or for a new requestedAt;
//   - after an action in this pass: never a second action; a refusal is Stalled unless the
//     conversation changed meanwhile;
//   - otherwise: one action, recorded in flight.
func decide(in planInput) plan {
	p := &planner{in: in, p: plan{Status: *in.Status.DeepCopy()}}
	p.st = &p.p.Status
	p.conds = conditions{list: &p.st.Conditions, generation: in.Generation, now: in.Now}
	p.decide()
	p.expiry()
	return p.p
}

// planner holds one run of decide.
type planner struct {
	in    planInput
	p     plan
	st    *sbv1.ConversationControlStatus
	conds conditions
	decl  *sbv1.Declaration
}

func (p *planner) decide() {
	// Every generation's declaration is tracked, blocked or not, so that a later generation
	// that declares something else is told from it.
	p.decl = trackDeclaration(p.st, p.in.Spec, p.in.Generation)
	if p.in.Spec.Suspend {
		p.conds.notReady(sbv1.ReasonSuspended, "spec.suspend is true: no switchboard calls are made")
		p.p.Outcome = outcome{Finished: true}
		return
	}
	p.conds.initial(sbv1.ConditionReady, metav1.ConditionUnknown, sbv1.ReasonProgressing, "the operator is reading the conversation")
	p.conds.initial(sbv1.ConditionInSync, metav1.ConditionUnknown, sbv1.ReasonNotObserved, "the live state has not been read yet")
	if p.in.Blocked != nil {
		p.fail(*p.in.Blocked)
		return
	}

	if sent := p.in.Sent; sent != nil && sent.Err != nil {
		if !sent.Unknown {
			p.st.InFlightAction = nil // answered with an error status: it did not land
		}
		if !sent.Err.Terminal {
			p.fail(*sent.Err)
			return
		}
	}
	if p.in.Live == nil {
		p.fail(*p.in.ReadErr)
		return
	}
	live := *p.in.Live
	settled := p.observeAndSettle(live)
	if settled == settledNotTaken && p.in.Sent != nil {
		p.conds.reconciling(sbv1.ReasonActionNotApplied, fmt.Sprintf(
			"the vendor accepted %s, but the conversation still has %s; retrying", p.in.Sent.Action, describeLive(live)))
		p.p.Outcome = outcome{Err: errActionNotApplied}
		return
	}

	target, f := p.target(live)
	if f != nil {
		p.fail(*f)
		return
	}
	applied := declarationApplied(p.st, p.decl)
	if inSync(p.decl.State, target, live) {
		if !applied {
			p.adopt(target)
		}
		p.ready(target, live, true)
		return
	}
	settledNow := settled == settledLanded || settled == settledMoved
	if applied && (settledNow || !p.reapplyDue()) {
		p.ready(target, live, false)
		return
	}
	if sent := p.in.Sent; sent != nil {
		p.afterAction(sent, live, target)
		return
	}
	p.act(target, live)
}

// trackDeclaration keeps status.declaration on the object's current declaration, and
// returns it. A declaration that differs from the one before starts at this generation.
func trackDeclaration(st *sbv1.ConversationControlStatus, spec sbv1.ConversationControlSpec, generation int64) *sbv1.Declaration {
	cur := st.Declaration
	if cur != nil && cur.State == spec.State && cur.Integration == spec.Integration {
		return cur
	}
	since := generation
	if cur == nil {
		// Status written before status.declaration existed: an applied or in-flight action of
		// the same declaration started it.
		for _, a := range []*sbv1.AppliedAction{st.LastAppliedAction, st.InFlightAction} {
			if a != nil && a.State == spec.State && a.Integration == spec.Integration && a.Generation < since {
				since = a.Generation
			}
		}
	}
	st.Declaration = &sbv1.Declaration{State: spec.State, Integration: spec.Integration, Since: since}
	return st.Declaration
}

// declarationApplied tells whether the last applied action applied the current declaration:
// the same state and integration, in one of the generations since it was declared. Metadata
// and the other fields are not part of it, so changing only them never causes a new handoff.
func declarationApplied(st *sbv1.ConversationControlStatus, d *sbv1.Declaration) bool {
	last := st.LastAppliedAction
	return last != nil && last.State == d.State && last.Integration == d.Integration && last.Generation >= d.Since
}

// observe records the live state in status; a read that finds nothing new is not
// written, so polls cause no status churn. It returns the state observed before and
// whether the conversation changed since (false for the first observation, whose
// before is unknown).
func (p *planner) observe(live sbv1.LiveState) (sbv1.LiveState, bool) {
	was := sbv1.LiveState{Active: p.st.ActiveIntegration, Pending: p.st.PendingIntegration}
	first := p.st.LastObservedTime == nil
	if !first && equality.Semantic.DeepEqual(live, was) {
		return was, false
	}
	p.st.ActiveIntegration, p.st.PendingIntegration = live.Active.DeepCopy(), live.Pending.DeepCopy()
	observed := metav1.NewTime(p.in.Now)
	p.st.LastObservedTime = &observed
	return was, !first
}

// observeAndSettle records the live state, settles the action in flight from it, and adds
// what changed to the history.
func (p *planner) observeAndSettle(live sbv1.LiveState) settlement {
	was, changed := p.observe(live)
	settled := p.settle(live)
	if changed {
		p.recordTransition(was, live, settled)
	}
	return settled
}

// maxHistory is the number of transitions status.history keeps.
const maxHistory = 10

// recordTransition appends a change of the conversation to status.history: this object's
// own action when the action in flight landed, else a change by others. It is only called
// when the observed state changed, so it adds no status write of its own.
func (p *planner) recordTransition(was, live sbv1.LiveState, settled settlement) {
	t := sbv1.Transition{Time: metav1.NewTime(p.in.Now), From: was.Active.DeepCopy(), To: live.Active.DeepCopy(),
		Source: sbv1.TransitionObserved}
	if live.Pending != nil && !sameIntegration(live.Pending, was.Pending) {
		t.To = live.Pending.DeepCopy() // an offer: the integration now pending
	}
	if settled == settledLanded {
		t.Source, t.Action = sbv1.TransitionByOperator, p.st.LastAppliedAction.Action
		if before := p.st.LastAppliedAction.Before; before != nil {
			t.From = before.Active.DeepCopy()
		}
	}
	p.st.History = append(p.st.History, t)
	if n := len(p.st.History); n > maxHistory {
		p.st.History = append([]sbv1.Transition(nil), p.st.History[n-maxHistory:]...)
	}
}

// settle decides, from the live state, whether the action in flight took effect. One that
// did becomes the last applied action (with the integration it reached); one that left the
// conversation as it was did not land; when the conversation is somewhere else again, it is
// counted as applied, but it reached nothing this object can claim.
func (p *planner) settle(live sbv1.LiveState) settlement {
	inFlight := p.st.InFlightAction
	if inFlight == nil {
		return settledNone
	}
	p.st.InFlightAction = nil
	var before sbv1.LiveState
	if inFlight.Before != nil {
		before = *inFlight.Before
	}
	switch {
	case actionLanded(inFlight, live):
		p.st.LastAppliedAction = inFlight
		p.event(corev1.EventTypeNormal, sbv1.EventReasonHandoffApplied, string(inFlight.Action),
			fmt.Sprintf("%s to %s applied (was %s)", inFlight.Action, describeIntegration(inFlight.Reached), describeLive(before)))
		return settledLanded
	case equality.Semantic.DeepEqual(live, before):
		return settledNotTaken
	default:
		inFlight.Reached = nil
		p.st.LastAppliedAction = inFlight
		return settledMoved
	}
}

// actionLanded tells whether the live state shows the effect of an action.
func actionLanded(a *sbv1.AppliedAction, live sbv1.LiveState) bool {
	switch a.Action {
	case sbv1.ActionReleaseControl:
		return live.Active == nil && live.Pending == nil
	case sbv1.ActionOfferControl:
		return a.Reached != nil && (sameIntegration(live.Pending, a.Reached) || sameIntegration(live.Active, a.Reached))
	default:
		return a.Reached != nil && sameIntegration(live.Active, a.Reached)
	}
}

// target is the integration the declaration asks for: nil for Released, the explicit
// integration the phases resolved, or for `next` the integration it
// was resolved to when the operator first acted on it (else the `next` link of the
// integration active now).
func (p *planner) target(live sbv1.LiveState) (*sbv1.IntegrationReference, *failure) {
	switch {
	case p.decl.State == sbv1.StateReleased:
		return nil, nil
	case p.decl.Integration != sbv1.IntegrationNext:
		return p.in.Explicit, nil
	case p.decl.Target != nil:
		return p.decl.Target, nil
	}
	if last := p.st.LastAppliedAction; declarationApplied(p.st, p.decl) && last.Reached != nil {
		return last.Reached, nil
	}
	next, reason, err := resolveNext(p.in.Switchboard, live, p.in.Spec.ConversationID)
	if err != nil {
		return nil, &failure{Reason: reason, Terminal: true, Message: err.Error()}
	}
	return next, nil
}

// reapplyDue tells whether an applied declaration that drifted is applied again: for a new
// requestedAt, or under Enforce once the poll interval since the last apply has passed.
func (p *planner) reapplyDue() bool {
	if p.requestPending() {
		return true
	}
	last := p.st.LastAppliedAction
	return p.in.Spec.DriftPolicy == sbv1.DriftPolicyEnforce && last != nil &&
		p.in.Now.Sub(last.Time.Time) >= pollIntervalOf(p.in.Spec)
}

// requestPending tells whether the requestedAt annotation has a value not yet handled.
func (p *planner) requestPending() bool {
	return p.in.RequestedAt != "" && p.in.RequestedAt != p.st.LastHandledReconcileAt
}

// adopt records a declaration found in effect without an action of this object, so that
// later drift is judged by the drift policy. It reached nothing: deletion with Release
// releases only what this object's own action moved.
func (p *planner) adopt(target *sbv1.IntegrationReference) {
	if p.decl.Integration == sbv1.IntegrationNext && p.decl.State != sbv1.StateReleased {
		p.decl.Target = target.DeepCopy() // found in effect: `next` is fixed here, as if acted on
	}
	p.st.LastAppliedAction = &sbv1.AppliedAction{
		Action: actionFor(p.decl.State, target, sbv1.LiveState{}), State: p.decl.State, Integration: p.decl.Integration,
		Generation: p.in.Generation, Time: metav1.NewTime(p.in.Now), Adopted: true,
	}
}

// ready finishes the generation with Ready=True: in sync, or applied and then moved by
// others (InSync=False, a DriftDetected Event when it was in sync before). It sets Ready
// and InSync and clears Reconciling and Stalled.
func (p *planner) ready(target *sbv1.IntegrationReference, live sbv1.LiveState, inSync bool) {
	if inSync {
		p.conds.set(sbv1.ConditionInSync, metav1.ConditionTrue, sbv1.ReasonInSync,
			fmt.Sprintf("the conversation is as declared (%s)", describeLive(live)))
	} else {
		message := fmt.Sprintf("declared %s %s, but the conversation has %s; driftPolicy %s",
			p.decl.State, describeDeclared(p.decl, target), describeLive(live), p.in.Spec.DriftPolicy)
		if meta.IsStatusConditionTrue(p.st.Conditions, sbv1.ConditionInSync) {
			p.event(corev1.EventTypeWarning, sbv1.EventReasonDriftDetected, "Observe", message)
		}
		p.conds.set(sbv1.ConditionInSync, metav1.ConditionFalse, sbv1.ReasonDrifted, message)
	}
	reason := sbv1.ReasonSucceeded
	if p.decl.State == sbv1.StateOffered && sameIntegration(live.Active, target) {
		reason = sbv1.ReasonAlreadyActive
	}
	p.conds.ready(reason, readyMessage(p.decl, target, reason))
	p.st.LastHandledReconcileAt = p.in.RequestedAt

	o := outcome{Finished: true}
	if poll := pollIntervalOf(p.in.Spec); poll > 0 {
		// The next poll slot at least half an interval away: in steady state the polls fall
		// on the object's slots, one interval apart, whenever the process started.
		o.RequeueAfter, o.Exact = nextPollSlot(p.in.Now.Add(poll/2), poll, p.in.PollPhase).Sub(p.in.Now), true
		if last := p.st.LastAppliedAction; !inSync && p.in.Spec.DriftPolicy == sbv1.DriftPolicyEnforce && last != nil {
			// Come back when the drift may be enforced again.
			if due := last.Time.Add(poll).Sub(p.in.Now); due > 0 && due < o.RequeueAfter {
				o.RequeueAfter, o.Exact = due, false
			}
		}
	}
	p.p.Outcome = o
}

// expiry keeps status.finishedTime and status.expiresAt, and wakes the object when its TTL
// runs out (the reconciler then deletes it). An object is finished when its generation is
// finished and one of these holds: a Released declaration was applied and is in effect;
// under driftPolicy Report, the conversation was released by others after the declaration
// was applied; the conversation does not exist (Stalled ConversationNotFound). A pass that
// could not read the conversation keeps what the last read decided.
func (p *planner) expiry() {
	if p.in.Live == nil && !p.in.Spec.Suspend && !p.conds.stalledWith(sbv1.ReasonConversationNotFound) {
		p.wakeAtExpiry()
		return
	}
	if !p.p.Outcome.Finished || !p.finished() {
		p.st.FinishedTime, p.st.ExpiresAt = nil, nil
		return
	}
	if p.st.FinishedTime == nil {
		t := metav1.NewTime(p.in.Now)
		p.st.FinishedTime = &t
	}
	ttl, ok := p.ttl()
	if !ok {
		p.st.ExpiresAt = nil
		return
	}
	expires := metav1.NewTime(p.st.FinishedTime.Add(ttl))
	p.st.ExpiresAt = &expires
	p.wakeAtExpiry()
}

// wakeAtExpiry brings the next pass forward to status.expiresAt.
func (p *planner) wakeAtExpiry() {
	if p.st.ExpiresAt == nil {
		return
	}
	if p.p.Outcome.Err == nil {
		p.p.Outcome.wakeBy(p.st.ExpiresAt.Time, p.in.Now)
	}
}

// finished tells whether the object's work is over (see expiry).
func (p *planner) finished() bool {
	if p.conds.stalledWith(sbv1.ReasonConversationNotFound) {
		return true
	}
	if !meta.IsStatusConditionTrue(p.st.Conditions, sbv1.ConditionReady) || p.decl == nil || !declarationApplied(p.st, p.decl) {
		return false
	}
	if p.decl.State == sbv1.StateReleased {
		return meta.IsStatusConditionTrue(p.st.Conditions, sbv1.ConditionInSync)
	}
	live := p.in.Live
	return p.in.Spec.DriftPolicy == sbv1.DriftPolicyReport && live != nil && live.Active == nil && live.Pending == nil
}

// ttl is how long a finished object is kept: spec.ttlSecondsAfterFinished, else the
// manager's default; false when neither is set.
func (p *planner) ttl() (time.Duration, bool) {
	switch {
	case p.in.Spec.TTLSecondsAfterFinished != nil:
		return time.Duration(*p.in.Spec.TTLSecondsAfterFinished) * time.Second, true
	case p.in.DefaultTTL != nil:
		return *p.in.DefaultTTL, true
	}
	return 0, false
}

// afterAction ends a pass whose action did not bring the declaration about. A refusal is
// Stalled with its reason, unless the conversation changed since the action was decided:
// then the next pass decides again from what it reads. Sets Ready, and Stalled or
// Reconciling.
func (p *planner) afterAction(sent *sentAction, live sbv1.LiveState, target *sbv1.IntegrationReference) {
	if !equality.Semantic.DeepEqual(live, sent.Before) || sent.Err == nil {
		p.conds.reconciling(sbv1.ReasonConversationChanged, fmt.Sprintf(
			"the conversation changed while %s was sent (now %s); deciding again", sent.Action, describeLive(live)))
		p.p.Outcome = outcome{RequeueAfter: conversationChangedDelay}
		return
	}
	f := *sent.Err
	p.event(corev1.EventTypeWarning, sbv1.EventReasonHandoffRefused, string(sent.Action),
		fmt.Sprintf("%s to %s refused: %s", sent.Action, describeDeclared(p.decl, target), f.Message))
	p.fail(f)
}

// act plans one action and records it in flight. A `next` declaration fixes its target
// here, and the record is written before the action is sent, so that a crash, a lost
// answer or a stale read never resolves it a second time. Sets Reconciling.
func (p *planner) act(target *sbv1.IntegrationReference, live sbv1.LiveState) {
	action := actionFor(p.decl.State, target, live)
	record := &sbv1.AppliedAction{
		Action: action, State: p.decl.State, Integration: p.decl.Integration, Generation: p.in.Generation,
		Time: metav1.NewTime(p.in.Now), Reached: target.DeepCopy(), Before: live.DeepCopy(),
	}
	if action == sbv1.ActionReleaseControl {
		record.Reached = nil
	}
	p.st.InFlightAction = record
	if p.decl.Integration == sbv1.IntegrationNext && p.decl.State != sbv1.StateReleased {
		p.decl.Target = target.DeepCopy()
		p.p.PersistFirst = true
	}
	p.p.Action, p.p.Target = action, target
	p.conds.reconciling(sbv1.ReasonProgressing, fmt.Sprintf("sending %s to %s", action, describeDeclared(p.decl, target)))
}

// fail records a classified failure. Terminal failures finish the generation (Stalled)
// and wait for a change; transient ones are retried, after Retry-After where there is one,
// else with the controller's backoff. Sets Ready, and Stalled or Reconciling.
func (p *planner) fail(f failure) {
	p.conds.fail(f)
	switch {
	case f.Terminal:
		p.st.LastHandledReconcileAt = p.in.RequestedAt
		p.p.Outcome = outcome{Finished: true}
	case f.RetryAfter > 0:
		p.p.Outcome = outcome{RequeueAfter: f.RetryAfter}
	default:
		p.p.Outcome = outcome{Err: failureError(f)}
	}
}

func (p *planner) event(eventType, reason, action, note string) {
	p.p.Events = append(p.p.Events, planEvent{Type: eventType, Reason: reason, Action: action, Note: note})
}

// failureError is the error a transient failure is retried with.
func failureError(f failure) error {
	if f.Err != nil {
		return f.Err
	}
	return errors.New(f.Message)
}

// conversationChangedDelay is how soon a pass that found the conversation changing looks again.
const conversationChangedDelay = time.Second

// actionFor is the action that moves live to the declared state, when they differ.
func actionFor(state sbv1.ControlState, target *sbv1.IntegrationReference, live sbv1.LiveState) sbv1.Action {
	switch state {
	case sbv1.StateOffered:
		return sbv1.ActionOfferControl
	case sbv1.StateReleased:
		return sbv1.ActionReleaseControl
	default:
		if target != nil && sameIntegration(live.Pending, target) {
			return sbv1.ActionAcceptControl
		}
		return sbv1.ActionPassControl
	}
}

// inSync tells whether the live state satisfies the declared state. An offer is satisfied
// once the integration is pending, and also once it is active.
func inSync(state sbv1.ControlState, target *sbv1.IntegrationReference, live sbv1.LiveState) bool {
	switch state {
	case sbv1.StateReleased:
		return live.Active == nil && live.Pending == nil
	case sbv1.StateOffered:
		return sameIntegration(live.Pending, target) || sameIntegration(live.Active, target)
	default:
		return sameIntegration(live.Active, target)
	}
}

// sameIntegration compares two integrations by id, falling back to the name when an id
// is missing.
func sameIntegration(a, b *sbv1.IntegrationReference) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if a.ID != "" && b.ID != "" {
		return a.ID == b.ID
	}
	return a.Name != "" && a.Name == b.Name
}

// readyMessage says what Ready=True means for this object.
func readyMessage(d *sbv1.Declaration, target *sbv1.IntegrationReference, reason string) string {
	switch {
	case reason == sbv1.ReasonAlreadyActive:
		return fmt.Sprintf("%s is already active; an offer to the active integration is not needed", describeDeclared(d, target))
	case d.State == sbv1.StateReleased:
		return "the conversation is released"
	case d.State == sbv1.StateOffered:
		return fmt.Sprintf("control is offered to %s", describeDeclared(d, target))
	default:
		return fmt.Sprintf("%s controls the conversation", describeDeclared(d, target))
	}
}

// describeDeclared names the declared integration for a person, for example "bot" or
// "next (agent-workspace)".
func describeDeclared(d *sbv1.Declaration, target *sbv1.IntegrationReference) string {
	switch {
	case d.State == sbv1.StateReleased:
		return "nobody"
	case d.Integration == sbv1.IntegrationNext:
		return fmt.Sprintf("next (%s)", describeIntegration(target))
	default:
		return describeIntegration(target)
	}
}

// describeIntegration names an integration for a person.
func describeIntegration(r *sbv1.IntegrationReference) string {
	switch {
	case r == nil:
		return "none"
	case r.Name != "":
		return r.Name
	default:
		return r.ID
	}
}

// describeLive names the live state for a person, for example "active bot, pending none".
func describeLive(live sbv1.LiveState) string {
	return fmt.Sprintf("active %s, pending %s", describeIntegration(live.Active), describeIntegration(live.Pending))
}

// pollIntervalOf is spec.pollInterval, 0 when unset.
func pollIntervalOf(spec sbv1.ConversationControlSpec) time.Duration {
	if spec.PollInterval == nil {
		return 0
	}
	return spec.PollInterval.Duration
}
