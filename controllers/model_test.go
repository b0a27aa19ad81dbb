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
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"pgregory.net/rapid"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// The model-based test drives the real ConversationControl reconciler, with the real client
// against the simulator and the controller-runtime fake API server, through random
// sequences of spec edits, moves by others, faults on any call, restarts, stale reads,
// deletions and a second object on the same conversation. After every step it checks the
// invariants I1-I5 of the README's Guarantees section. `make test` runs a few hundred
// sequences; `make test-model` many thousands (MODEL_CHECKS). A failure prints the seed and
// the shrunk sequence: rerun with `go test ./controllers -run TestModel -rapid.seed=<seed>`.

// modelChecksDefault is how many sequences `make test` runs; MODEL_CHECKS (make test-model)
// or -rapid.checks asks for another number.
const modelChecksDefault = 200

const (
	modelNS   = "support"
	modelApp  = "app-model"
	modelConv = "conv-model"
	modelPoll = 5 * time.Minute
)

// modelSeed is the simulator's world: one app, two keys (one per Switchboard, so every
// call is attributed to its object), bot -> agent-workspace -> bot and a partner.
func modelSeed() sunshinetest.Seed {
	return sunshinetest.Seed{Apps: []sunshinetest.AppSeed{{
		ID: modelApp,
		Keys: []sunshinetest.KeySeed{
			{ID: "app_key_a", Secret: "secret-a", Scope: sunshinetest.ScopeApp},
			{ID: "app_key_b", Secret: "secret-b", Scope: sunshinetest.ScopeApp},
		},
		Switchboard: &sunshinetest.SwitchboardSeed{Enabled: true, Default: "bot", Integrations: []sunshinetest.IntegrationSeed{
			{Name: "bot", IntegrationType: "custom", Next: "agent-workspace"},
			{Name: "agent-workspace", IntegrationType: "zd:agentWorkspace", Next: "bot"},
			{Name: "partner", IntegrationType: "partner-oauth-client"},
		}},
		Conversations: []sunshinetest.ConversationSeed{{ID: modelConv, Active: "bot"}},
	}}}
}

// call is one request an object's client sent, with the conversation before and after it.
type call struct {
	owner         string // the object whose Switchboard's client sent it
	op            sunshinetest.Operation
	target        string // switchboardIntegration of a pass or offer
	status        int    // 0: no answer
	before, after sunshinetest.ConversationState
}

func (c call) changed() bool { return c.before != c.after }

// recorder is the transport of one object's client: it records every call with the
// simulator's state around it, once the simulator has finished handling it (a request the
// client gave up on may still be applied).
type recorder struct {
	owner string
	w     *modelWorld
}

func (rt recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	w := rt.w
	c := call{owner: rt.owner, op: opOfPath(req.URL.Path), before: w.live()}
	if req.Body != nil {
		data, _ := io.ReadAll(req.Body)
		_ = req.Body.Close()
		var body struct {
			SwitchboardIntegration string `json:"switchboardIntegration"`
		}
		_ = json.Unmarshal(data, &body)
		c.target = body.SwitchboardIntegration
		req.Body = io.NopCloser(bytes.NewReader(data))
	}
	started := w.started.Add(1)
	resp, err := http.DefaultTransport.RoundTrip(req)
	for deadline := time.Now().Add(30 * time.Second); w.finished.Load() < started && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if err == nil {
		c.status = resp.StatusCode
	}
	c.after = w.live()
	w.mu.Lock()
	w.calls = append(w.calls, c)
	w.mu.Unlock()
	return resp, err
}

func opOfPath(path string) sunshinetest.Operation {
	for _, op := range []sunshinetest.Operation{sunshinetest.OpPassControl, sunshinetest.OpOfferControl,
		sunshinetest.OpAcceptControl, sunshinetest.OpReleaseControl} {
		if strings.HasSuffix(path, "/"+string(op)) {
			return op
		}
	}
	if strings.Contains(path, "/switchboardIntegrations") {
		return sunshinetest.OpListSwitchboardIntegrations
	}
	if strings.HasSuffix(path, "/switchboards") {
		return sunshinetest.OpListSwitchboards
	}
	return sunshinetest.OpGetConversation
}

// modelConnector hands out one real client per Switchboard, with its recorder.
type modelConnector struct {
	w       *modelWorld
	mu      sync.Mutex
	clients map[string]SunshineAPI
}

func (c *modelConnector) Connect(_ context.Context, sb *sbv1.Switchboard, _ bool) (SunshineAPI, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if api, ok := c.clients[sb.Name]; ok {
		return api, "model", nil
	}
	owner := map[string]string{"sb-a": "cc-a", "sb-b": "cc-b"}[sb.Name]
	key := map[string]string{"sb-a": "a", "sb-b": "b"}[sb.Name]
	api, err := sunshine.New(sunshine.Config{
		Endpoint: sb.Spec.Endpoint, AppID: sb.Spec.AppID,
		Credentials: sunshine.Credentials{Type: sunshine.AuthBasic, KeyID: "app_key_" + key, Secret: sunshine.NewSecret("secret-" + key)},
		Timeout:     modelClientTimeout, RequestsPerSecond: 10000, Burst: 10000,
		HTTPClient: &http.Client{Transport: recorder{owner: owner, w: c.w}},
	})
	if err != nil {
		return nil, "", err
	}
	c.clients[sb.Name] = api
	return api, "model", nil
}

func (c *modelConnector) Forget(types.NamespacedName) {}

// modelClientTimeout bounds every call; the timeout fault waits longer.
const modelClientTimeout = 600 * time.Millisecond

// staleReader serves, once, an older copy of an object from Get: a cache behind.
type staleReader struct {
	client.Client
	mu    sync.Mutex
	stale map[types.NamespacedName]*sbv1.ConversationControl
}

func (s *staleReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if cc, ok := obj.(*sbv1.ConversationControl); ok {
		s.mu.Lock()
		old := s.stale[key]
		delete(s.stale, key)
		s.mu.Unlock()
		if old != nil {
			old.DeepCopyInto(cc)
			return nil
		}
	}
	return s.Client.Get(ctx, key, obj, opts...)
}

// epoch is what the model knows of one declaration of one object: from the generation that
// declared it to the next that declares something else.
type epoch struct {
	state       sbv1.ControlState
	integration string
	// nextTarget is the integration (name) the first pass, offer or accept this object sent
	// for a `next` declaration named.
	nextTarget string
	// acted: an action of this object changed the conversation in this epoch; sent: it sent
	// one, whatever came of it.
	acted, sent bool
	// confirmed: one of this object's reads showed the declaration in effect.
	confirmed bool
	// movedByOthers: others moved the conversation after this object sent an action or saw
	// its declaration in effect.
	movedByOthers bool
	// seen: a reconcile read the object while it declared this epoch.
	seen bool
}

// modelObject is the model's view of one ConversationControl.
type modelObject struct {
	name     string
	sb       string
	epoch    *epoch
	prev     *epoch // the epoch before, while no reconcile saw the current one
	deleting bool
	created  time.Time
	// putState is where this object's last state-changing action put the conversation.
	putState *sunshinetest.ConversationState
	// snapshot is the object as it was before the reconciler's last pass (for stale reads).
	snapshot *sbv1.ConversationControl
}

type modelWorld struct {
	t       *rapid.T
	sim     *sunshinetest.Server
	k8s     client.Client
	stale   *staleReader
	rec     *ConversationControlReconciler
	now     time.Time
	objects map[string]*modelObject
	names   map[string]string // integration id -> name

	started, finished *atomic.Int64
	mu                sync.Mutex
	calls             []call
	checked           int // calls already checked
	creations         int
	// staleView is the copy the next reconcile reads, when a stale read serves one;
	// viewDeleting and viewEnforcing tell whether the object the running reconcile reads is
	// being deleted, and enforces drift.
	staleView                   *sbv1.ConversationControl
	viewDeleting, viewEnforcing bool
	// viewDeclaresEpoch tells whether that object declares the model's current epoch.
	viewDeclaresEpoch bool
}

func (w *modelWorld) live() sunshinetest.ConversationState {
	st, _ := w.sim.Conversation(modelApp, modelConv)
	return st
}

func TestModel(t *testing.T) {
	if f := flag.Lookup("rapid.seed"); f != nil && f.Value.String() == "0" {
		seed := uint64(time.Now().UnixNano())
		_ = f.Value.Set(strconv.FormatUint(seed, 10))
		t.Logf("model-based test seed: %d (rerun with -rapid.seed=%d)", seed, seed)
	} else if f != nil {
		t.Logf("model-based test seed: %s", f.Value.String())
	}
	checks := modelChecksDefault
	if n, err := strconv.Atoi(os.Getenv("MODEL_CHECKS")); err == nil && n > 0 {
		checks = n
	}
	if f := flag.Lookup("rapid.checks"); f != nil && f.Value.String() == "100" { // rapid's default: not set on the command line
		_ = f.Value.Set(strconv.Itoa(checks))
	}
	t.Logf("model-based test: %s sequences", flag.Lookup("rapid.checks").Value.String())

	var started, finished atomic.Int64
	sim, err := sunshinetest.NewServer(modelSeed(), sunshinetest.WithRequestHook(func(sunshinetest.RequestInfo) { finished.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()

	rapid.Check(t, func(rt *rapid.T) {
		sim.Reset()
		w := &modelWorld{t: rt, sim: sim, now: time.Now().Truncate(time.Second), objects: map[string]*modelObject{}, names: map[string]string{}, started: &started, finished: &finished}
		w.setUp()
		rt.Repeat(map[string]func(*rapid.T){
			"":        func(*rapid.T) { w.checkInvariants() },
			"create":  w.stepCreate,
			"edit":    w.stepEdit,
			"move":    w.stepMove,
			"fault":   w.stepFault,
			"recon":   w.stepReconcile,
			"restart": w.stepRestart,
			"stale":   w.stepStale,
			"delete":  w.stepDelete,
			"time": func(t *rapid.T) {
				w.now = w.now.Add(time.Duration(rapid.IntRange(1, 12).Draw(t, "minutes")) * time.Minute)
			},
		})
		w.settle()
	})
}

func (w *modelWorld) setUp() {
	for _, i := range w.sim.Integrations(modelApp) {
		w.names[i.ID] = i.Name
	}
	base := fake.NewClientBuilder().WithScheme(modelScheme()).
		WithStatusSubresource(&sbv1.ConversationControl{}, &sbv1.Switchboard{}).
		WithIndex(&sbv1.ConversationControl{}, conversationIDIndex, func(o client.Object) []string {
			return []string{o.(*sbv1.ConversationControl).Spec.ConversationID}
		}).Build()
	w.stale = &staleReader{Client: base, stale: map[types.NamespacedName]*sbv1.ConversationControl{}}
	w.k8s = base
	listed := w.sim.Integrations(modelApp)
	integrations := make([]sbv1.SwitchboardIntegrationStatus, 0, len(listed))
	for _, i := range listed {
		integrations = append(integrations, sbv1.SwitchboardIntegrationStatus{ID: i.ID, Name: i.Name, IntegrationType: i.IntegrationType, Next: i.Next})
	}
	for _, name := range []string{"sb-a", "sb-b"} {
		sb := &sbv1.Switchboard{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: modelNS},
			Spec:       sbv1.SwitchboardSpec{Endpoint: w.sim.URL, AppID: modelApp},
		}
		w.must(base.Create(context.Background(), sb))
		sb.Status = sbv1.SwitchboardStatus{SwitchboardID: "sw", Integrations: integrations,
			Conditions: []metav1.Condition{{Type: sbv1.ConditionReady, Status: metav1.ConditionTrue, Reason: sbv1.ReasonSwitchboardReady,
				LastTransitionTime: metav1.NewTime(now), ObservedGeneration: 1}}}
		w.must(base.Status().Update(context.Background(), sb))
	}
	w.rec = w.newReconciler()
}

func (w *modelWorld) newReconciler() *ConversationControlReconciler {
	return &ConversationControlReconciler{
		Client: w.stale, Connector: &modelConnector{w: w, clients: map[string]SunshineAPI{}},
		Now: func() time.Time { return w.now }, DeletionTimeout: time.Minute, SwitchboardRetryInterval: time.Second,
	}
}

func (w *modelWorld) must(err error) {
	if err != nil {
		w.t.Fatalf("model set-up: %v", err)
	}
}

// drawDeclaration draws a state and an integration.
func drawDeclaration(t *rapid.T) (sbv1.ControlState, string) {
	state := rapid.SampledFrom([]sbv1.ControlState{sbv1.StateActive, sbv1.StateActive, sbv1.StateOffered, sbv1.StateReleased}).Draw(t, "state")
	if state == sbv1.StateReleased {
		return state, ""
	}
	return state, rapid.SampledFrom([]string{"bot", "agent-workspace", "partner", "next"}).Draw(t, "integration")
}

func (w *modelWorld) stepCreate(t *rapid.T) {
	name := "cc-a"
	if _, ok := w.objects[name]; ok {
		name = "cc-b"
	}
	if _, ok := w.objects[name]; ok {
		t.Skip("both objects exist")
	}
	state, integration := drawDeclaration(t)
	w.creations++
	created := w.now.Add(time.Duration(w.creations) * time.Hour)
	cc := &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: modelNS, Generation: 1, CreationTimestamp: metav1.NewTime(created),
			UID: types.UID(fmt.Sprintf("uid-%s-%d", name, w.creations))},
		Spec: sbv1.ConversationControlSpec{
			SwitchboardRef: sbv1.LocalObjectReference{Name: map[string]string{"cc-a": "sb-a", "cc-b": "sb-b"}[name]},
			ConversationID: modelConv, State: state, Integration: integration,
			DriftPolicy:    rapid.SampledFrom([]sbv1.DriftPolicy{sbv1.DriftPolicyReport, sbv1.DriftPolicyEnforce}).Draw(t, "drift"),
			DeletionPolicy: rapid.SampledFrom([]sbv1.DeletionPolicy{sbv1.DeletionPolicyOrphan, sbv1.DeletionPolicyRelease}).Draw(t, "deletion"),
			PollInterval:   &metav1.Duration{Duration: modelPoll},
		},
	}
	cc.Status.ObservedGeneration = -1
	w.must(w.k8s.Create(context.Background(), cc))
	w.objects[name] = &modelObject{name: name, sb: cc.Spec.SwitchboardRef.Name, created: created, epoch: &epoch{state: state, integration: integration}}
}

// pick draws one of the objects that exist.
func (w *modelWorld) pick(t *rapid.T) *modelObject {
	var names []string
	for _, n := range []string{"cc-a", "cc-b"} {
		if _, ok := w.objects[n]; ok {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		t.Skip("no object")
	}
	return w.objects[rapid.SampledFrom(names).Draw(t, "object")]
}

func (w *modelWorld) get(name string) (*sbv1.ConversationControl, bool) {
	cc := &sbv1.ConversationControl{}
	err := w.k8s.Get(context.Background(), types.NamespacedName{Namespace: modelNS, Name: name}, cc)
	if apierrors.IsNotFound(err) {
		return nil, false
	}
	if err != nil {
		w.t.Fatalf("reading %s: %v", name, err)
	}
	return cc, true
}

func (w *modelWorld) stepEdit(t *rapid.T) {
	o := w.pick(t)
	cc, ok := w.get(o.name)
	if !ok || o.deleting {
		t.Skip("gone or deleting")
	}
	switch rapid.IntRange(0, 4).Draw(t, "field") {
	case 0:
		cc.Spec.State, cc.Spec.Integration = drawDeclaration(t)
	case 1:
		cc.Spec.Metadata = map[string]string{"edit": strconv.Itoa(rapid.IntRange(0, 99).Draw(t, "metadata"))}
	case 2:
		cc.Spec.Suspend = !cc.Spec.Suspend
	case 3:
		cc.Spec.DriftPolicy = map[sbv1.DriftPolicy]sbv1.DriftPolicy{sbv1.DriftPolicyReport: sbv1.DriftPolicyEnforce, sbv1.DriftPolicyEnforce: sbv1.DriftPolicyReport}[cc.Spec.DriftPolicy]
	default:
		cc.Spec.DeletionPolicy = map[sbv1.DeletionPolicy]sbv1.DeletionPolicy{sbv1.DeletionPolicyOrphan: sbv1.DeletionPolicyRelease, sbv1.DeletionPolicyRelease: sbv1.DeletionPolicyOrphan, "": sbv1.DeletionPolicyRelease}[cc.Spec.DeletionPolicy]
	}
	cc.Generation++ // the fake API server does not count generations
	w.must(w.k8s.Update(context.Background(), cc))
	if cc.Spec.State != o.epoch.state || cc.Spec.Integration != o.epoch.integration {
		if prev := o.prev; !o.epoch.seen && prev != nil && prev.state == cc.Spec.State && prev.integration == cc.Spec.Integration {
			// No reconcile saw the declaration being left: nobody can tell that it existed,
			// so the earlier declaration goes on.
			o.epoch, o.prev = prev, nil
			return
		}
		o.prev, o.epoch = o.epoch, &epoch{state: cc.Spec.State, integration: cc.Spec.Integration}
	}
}

func (w *modelWorld) stepMove(t *rapid.T) {
	names := []string{"", "bot", "agent-workspace", "partner"}
	st := sunshinetest.ConversationState{Active: rapid.SampledFrom(names).Draw(t, "active"), Pending: rapid.SampledFrom(names).Draw(t, "pending")}
	if st.Pending == st.Active {
		st.Pending = ""
	}
	before := w.live()
	w.must(w.sim.SetConversation(modelApp, modelConv, st))
	if before != w.live() {
		for _, o := range w.objects {
			if o.epoch.sent || o.epoch.confirmed {
				o.epoch.movedByOthers = true
			}
		}
	}
}

func (w *modelWorld) stepFault(t *rapid.T) {
	op := rapid.SampledFrom([]sunshinetest.Operation{sunshinetest.OpPassControl, sunshinetest.OpOfferControl,
		sunshinetest.OpAcceptControl, sunshinetest.OpReleaseControl, sunshinetest.OpGetConversation}).Draw(t, "op")
	var f sunshinetest.Fault
	// A timeout costs real time (the client's timeout): it is drawn less often.
	kinds := []string{"lost", "lost", "drop", "drop", "503", "503", "429", "429", "429-retry-after", "429-retry-after", "500", "500",
		"timeout", "no-effect", "no-effect", "no-effect"}
	switch rapid.SampledFrom(kinds).Draw(t, "fault") {
	case "lost":
		f.LostAnswer = true
	case "drop":
		f.Drop = true
	case "503":
		f.Status = http.StatusServiceUnavailable
	case "429":
		f.Status = http.StatusTooManyRequests
	case "429-retry-after":
		f.Status, f.RetryAfter = http.StatusTooManyRequests, 2*time.Second
	case "500":
		f.Status = http.StatusInternalServerError
	case "timeout":
		f.Latency, f.Times = modelClientTimeout+100*time.Millisecond, 1
		f.Status = 0
	default:
		f.NoEffect = true
	}
	f.After = rapid.IntRange(0, 2).Draw(t, "after")
	if f.Latency > 0 {
		// A latency-only fault lasts until cleared: let it hit one request, then clear it.
		w.sim.InjectFault(op, f)
		defer func() {
			w.sim.ClearFaults()
			// A request the client gave up on is applied once its latency ends: let it land
			// within this step.
			time.Sleep(f.Latency)
		}()
		w.stepReconcile(t)
		return
	}
	w.sim.InjectFault(op, f)
}

func (w *modelWorld) stepStale(t *rapid.T) {
	o := w.pick(t)
	if o.snapshot == nil {
		t.Skip("no snapshot")
	}
	w.stale.mu.Lock()
	w.stale.stale[types.NamespacedName{Namespace: modelNS, Name: o.name}] = o.snapshot.DeepCopy()
	w.stale.mu.Unlock()
	w.staleView = o.snapshot
	_, _ = w.reconcile(o) // under faults a pass may end in a retryable error; the invariants judge what it did
}

func (w *modelWorld) stepDelete(t *rapid.T) {
	o := w.pick(t)
	cc, ok := w.get(o.name)
	if !ok || o.deleting {
		t.Skip("gone or deleting")
	}
	w.must(client.IgnoreNotFound(w.k8s.Delete(context.Background(), cc)))
	o.deleting = true
	if _, ok := w.get(o.name); !ok {
		delete(w.objects, o.name)
	}
}

func (w *modelWorld) stepReconcile(t *rapid.T) {
	_, _ = w.reconcile(w.pick(t)) // under faults a pass may end in a retryable error; the invariants judge what it did
}

// reconcile runs one pass for an object and checks the calls it made.
func (w *modelWorld) reconcile(o *modelObject) (ctrl.Result, error) {
	// The reconciler judges the object as it reads it: the current object, or the stale
	// copy a stale read serves.
	current, ok := w.get(o.name)
	view := current
	if w.staleView != nil {
		view, w.staleView = w.staleView, nil
	}
	w.viewDeleting = ok && !view.DeletionTimestamp.IsZero()
	w.viewEnforcing = ok && view.Spec.DriftPolicy == sbv1.DriftPolicyEnforce
	if ok {
		o.snapshot = current
	}
	w.viewDeclaresEpoch = ok && view.Spec.State == o.epoch.state && view.Spec.Integration == o.epoch.integration
	if w.viewDeclaresEpoch {
		o.epoch.seen = true
	}
	res, err := w.rec.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: modelNS, Name: o.name}})
	w.checkCalls()
	if _, ok := w.get(o.name); !ok && o.deleting {
		delete(w.objects, o.name)
	}
	return res, err
}

// loser tells whether an object is a Conflict loser: an older object on the conversation exists.
func (w *modelWorld) loser(name string) bool {
	me := w.objects[name]
	for _, o := range w.objects {
		if o != me && o.created.Before(me.created) {
			return true
		}
	}
	return false
}

// checkCalls checks I1 and I2 on the calls made since the last check.
func (w *modelWorld) checkCalls() {
	w.mu.Lock()
	calls := w.calls[w.checked:]
	w.checked = len(w.calls)
	w.mu.Unlock()
	for _, c := range calls {
		w.checkCall(c)
	}
}

// checkCall checks I1 and I2 on one call, and records in the model what it did.
func (w *modelWorld) checkCall(c call) {
	o := w.objects[c.owner]
	if o == nil {
		w.t.Fatalf("a call by %s, which does not exist: %+v", c.owner, c)
	}
	if w.loser(c.owner) {
		w.t.Fatalf("I2: %s is a Conflict loser but called %s", c.owner, c.op)
	}
	e := o.epoch
	switch {
	case c.op == sunshinetest.OpGetConversation:
		// A read counts for the declaration only when the reconciler's view declared it (a
		// stale view pursues an older one).
		if c.status == http.StatusOK && w.viewDeclaresEpoch && w.inEffect(e, c.after) {
			e.confirmed = true
		}
		return
	case w.viewDeleting && c.op == sunshinetest.OpReleaseControl:
		if c.changed() && (o.putState == nil || *o.putState != c.before) {
			w.t.Fatalf("I2: %s released on delete a conversation that is not where it put it (%+v, it put it at %+v)", c.owner, c.before, o.putState)
		}
	case e.integration == sbv1.IntegrationNext && e.state != sbv1.StateReleased && c.op != sunshinetest.OpReleaseControl:
		w.checkNextTarget(e, c)
	}
	e.sent = true
	if c.changed() {
		w.recordMove(o, c)
	}
}

// checkNextTarget checks I1 on an action of a `next` declaration: every action of the
// declaration goes to the same integration.
func (w *modelWorld) checkNextTarget(e *epoch, c call) {
	target := w.names[c.target]
	if c.op == sunshinetest.OpAcceptControl {
		target = c.before.Pending
	}
	if e.nextTarget == "" {
		e.nextTarget = target
	} else if e.nextTarget != target {
		w.t.Fatalf("I1: a next declaration sent %s and then %s", e.nextTarget, c.target)
	}
}

// recordMove checks I2 on an action of o that moved the conversation, and records where o
// put it and that the other objects saw it moved by somebody else.
func (w *modelWorld) recordMove(o *modelObject, c call) {
	e := o.epoch
	if e.confirmed && e.movedByOthers && !w.viewEnforcing && !w.viewDeleting {
		w.t.Fatalf("I2: %s moved the conversation (%s: %+v -> %+v) after its declaration was seen in effect and others moved it, under Report",
			c.owner, c.op, c.before, c.after)
	}
	e.acted = true
	o.putState = nil
	switch {
	case c.after.Active != "" && (c.op == sunshinetest.OpPassControl || c.op == sunshinetest.OpAcceptControl),
		c.after.Active == "" && c.after.Pending != "" && c.op == sunshinetest.OpOfferControl:
		after := c.after
		o.putState = &after
	}
	for _, other := range w.objects {
		if other != o && (other.epoch.sent || other.epoch.confirmed) {
			other.epoch.movedByOthers = true
		}
	}
}

// inEffect tells whether the live state satisfies an epoch's declaration.
func (w *modelWorld) inEffect(e *epoch, live sunshinetest.ConversationState) bool {
	target := e.integration
	if target == sbv1.IntegrationNext {
		if target = e.nextTarget; target == "" {
			return false
		}
	}
	switch e.state {
	case sbv1.StateReleased:
		return live.Active == "" && live.Pending == ""
	case sbv1.StateOffered:
		return live.Pending == target || live.Active == target
	default:
		return live.Active == target
	}
}

// checkInvariants checks I3 and I5 on every object.
func (w *modelWorld) checkInvariants() {
	for _, o := range w.objects {
		cc, ok := w.get(o.name)
		if !ok {
			continue
		}
		w.checkConditionsCarryGeneration(o, cc)
		w.checkReady(o, cc)
	}
}

// checkConditionsCarryGeneration checks I5 on one object: every condition carries an
// observedGeneration no newer than the object, and Reconciling and Stalled exist only while
// True.
func (w *modelWorld) checkConditionsCarryGeneration(o *modelObject, cc *sbv1.ConversationControl) {
	for _, c := range cc.Status.Conditions {
		if c.ObservedGeneration <= 0 || c.ObservedGeneration > cc.Generation {
			w.t.Fatalf("I5: %s condition %s has observedGeneration %d (generation %d)", o.name, c.Type, c.ObservedGeneration, cc.Generation)
		}
		if (c.Type == sbv1.ConditionReconciling || c.Type == sbv1.ConditionStalled) && c.Status != metav1.ConditionTrue {
			w.t.Fatalf("I5: %s has %s=%s", o.name, c.Type, c.Status)
		}
	}
}

// checkReady checks I3 on one object: Ready=True only when its last observation matched the
// declaration, or after it acted others moved the conversation (drift under Report).
func (w *modelWorld) checkReady(o *modelObject, cc *sbv1.ConversationControl) {
	ready := meta.FindStatusCondition(cc.Status.Conditions, sbv1.ConditionReady)
	if ready == nil || ready.Status != metav1.ConditionTrue || !cc.DeletionTimestamp.IsZero() || ready.ObservedGeneration != cc.Generation {
		return // not Ready, or this generation has not been reconciled yet
	}
	if cc.Spec.Suspend {
		w.t.Fatalf("I3: %s is Ready while suspended", o.name)
	}
	if e := o.epoch; e.integration == sbv1.IntegrationNext && e.nextTarget == "" && cc.Status.Declaration != nil {
		// Found in effect without an action: the operator fixed `next` where it found it.
		e.nextTarget = nameOf(cc.Status.Declaration.Target)
	}
	observed := sunshinetest.ConversationState{Active: nameOf(cc.Status.ActiveIntegration), Pending: nameOf(cc.Status.PendingIntegration)}
	if meta.IsStatusConditionTrue(cc.Status.Conditions, sbv1.ConditionInSync) {
		// Its last read (a GET this object made, checked by checkCalls against the
		// simulator) showed the declaration in effect; for a `next` found in effect the model
		// learns the target only here.
		o.epoch.confirmed = o.epoch.confirmed || w.inEffect(o.epoch, observed)
		if !w.inEffect(o.epoch, observed) {
			w.t.Fatalf("I3: %s is Ready and InSync, but its last observation %+v does not satisfy %s %s (status %+v)", o.name, observed, o.epoch.state, o.epoch.integration, cc.Status)
		}
		return
	}
	if !o.epoch.movedByOthers {
		w.t.Fatalf("I3: %s is Ready, not InSync, but nobody else moved the conversation since it acted (%+v)", o.name, observed)
	}
}

func nameOf(r *sbv1.IntegrationReference) string {
	if r == nil {
		return ""
	}
	return r.Name
}

// settle stops the faults and reconciles every object until it settles (I4), then checks
// that one more pass writes nothing and sends no action.
func (w *modelWorld) settle() {
	w.sim.ClearFaults()
	for _, name := range []string{"cc-a", "cc-b"} {
		o := w.objects[name]
		if o == nil {
			continue
		}
		w.reconcileUntilSettled(name, o)
		if w.objects[name] == nil {
			continue
		}
		w.checkQuietAfterSettling(name, o)
	}
}

// reconcileUntilSettled reconciles an object until it settles or is deleted, checking the
// invariants after every pass; it fails I4 after 12 passes.
func (w *modelWorld) reconcileUntilSettled(name string, o *modelObject) {
	for i := 0; ; i++ {
		if i == 12 {
			cc, _ := w.get(name)
			w.t.Fatalf("I4: %s did not settle in 12 passes: %+v", name, cc.Status.Conditions)
		}
		res, err := w.reconcile(o)
		w.checkInvariants()
		if w.objects[name] == nil {
			return // deleted
		}
		cc, _ := w.get(name)
		if err == nil && settledObject(cc) {
			return
		}
		w.now = w.now.Add(max(res.RequeueAfter, 5*time.Second))
	}
}

// checkQuietAfterSettling checks I4 on a settled object: one more pass writes no status and
// sends no action.
func (w *modelWorld) checkQuietAfterSettling(name string, o *modelObject) {
	before, _ := w.get(name)
	calls := len(w.calls)
	settledLive := w.live()
	if n := len(w.calls); n > 0 {
		settledLive = w.calls[n-1].after // what the last pass left, not what a late request made of it
	}
	if _, err := w.reconcile(o); err != nil {
		w.t.Fatalf("I4: %s: a pass after settling failed: %v", name, err)
	}
	after, _ := w.get(name)
	if len(w.calls) > calls && w.calls[calls].before != settledLive {
		// The simulator's state changed with no step in between: a request sent earlier
		// (one the client gave up on) was applied late. Not this pass's doing.
		w.t.Logf("I4: %s: skipped, the conversation changed from %+v to %+v by a late request", name, settledLive, w.calls[calls].before)
		return
	}
	if !equality.Semantic.DeepEqual(before.Status, after.Status) {
		w.t.Fatalf("I4: %s: a pass after settling wrote status:\n%+v\n%+v", name, before.Status, after.Status)
	}
	for _, c := range w.calls[calls:] {
		if c.op != sunshinetest.OpGetConversation {
			w.t.Fatalf("I4: %s: a pass after settling sent %s", name, c.op)
		}
	}
}

// settledObject tells whether an object has settled: finished and Ready (in sync, or drifted
// under Report), Stalled or Suspended.
func settledObject(cc *sbv1.ConversationControl) bool {
	if cc.Status.ObservedGeneration != cc.Generation {
		return false
	}
	ready := meta.FindStatusCondition(cc.Status.Conditions, sbv1.ConditionReady)
	switch {
	case ready == nil:
		return false
	case ready.Reason == sbv1.ReasonSuspended:
		return true
	case ready.Status == metav1.ConditionTrue:
		// Drift under Enforce is re-applied: not settled until in sync.
		return cc.Spec.DriftPolicy != sbv1.DriftPolicyEnforce || meta.IsStatusConditionTrue(cc.Status.Conditions, sbv1.ConditionInSync)
	}
	return meta.IsStatusConditionTrue(cc.Status.Conditions, sbv1.ConditionStalled)
}

func modelScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(sbv1.AddToScheme(s))
	return s
}

// stepRestart starts a fresh reconciler over the same objects: a new process, whose cache
// is listed anew (no stale reads of what the old one wrote).
func (w *modelWorld) stepRestart(*rapid.T) {
	w.rec = w.newReconciler()
	for _, o := range w.objects {
		o.snapshot = nil
	}
}
