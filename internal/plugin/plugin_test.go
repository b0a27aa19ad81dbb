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

package plugin

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

func TestPassCreatesTheControlAndWaitsUntilTheOperatorMadeItTrue(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	w.cleanUpControls(t, ns)
	w.conversation(t, "conv-pass")

	pass := w.mustRun(t, "pass", "conv-pass", "--to", "agent-workspace", "-n", ns, "--wait")
	if got := w.live(t, "conv-pass"); got.Active != "agent-workspace" || got.Pending != "" {
		t.Errorf("live state after pass --wait = %+v, want agent-workspace active", got)
	}
	again := w.mustRun(t, "pass", "conv-pass", "--to", "agent-workspace", "-n", ns)
	name := w.mustRun(t, "pass", "conv-pass", "--to", "agent-workspace", "-n", ns, "-o", "name")
	list := w.mustRun(t, "status", "-n", ns)
	detail := w.mustRun(t, "status", "conv-pass", "-n", ns)
	golden(t, "pass", ns, pass, again, name, list, detail)

	var cc sbv1.ConversationControl
	if err := w.k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "conv-pass"}, &cc); err != nil {
		t.Fatal(err)
	}
	if cc.Spec.SwitchboardRef.Name != switchboard {
		t.Errorf("switchboardRef = %q, want the namespace's only Switchboard %q", cc.Spec.SwitchboardRef.Name, switchboard)
	}
	applied := false
	for _, mf := range cc.ManagedFields {
		if mf.Manager == FieldManager && mf.Operation == metav1.ManagedFieldsOperationApply {
			applied = true
		}
	}
	if !applied {
		t.Errorf("no server-side apply by %s in managedFields: %+v", FieldManager, cc.ManagedFields)
	}
}

func TestOfferThenAcceptMakesThePendingIntegrationActive(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	w.cleanUpControls(t, ns)
	w.conversation(t, "conv-offer")

	offer := w.mustRun(t, "offer", "conv-offer", "--to", "agent-workspace", "--switchboard", switchboard, "--name", "vip", "-n", ns, "--wait")
	if got := w.live(t, "conv-offer"); got.Active != "bot" || got.Pending != "agent-workspace" {
		t.Errorf("live state after offer = %+v, want bot active and agent-workspace pending", got)
	}
	offered := w.mustRun(t, "status", "-n", ns)
	accept := w.mustRun(t, "accept", "conv-offer", "-n", ns, "--wait")
	if got := w.live(t, "conv-offer"); got.Active != "agent-workspace" || got.Pending != "" {
		t.Errorf("live state after accept = %+v, want agent-workspace active", got)
	}
	if n := w.sim.Count("acceptControl"); n == 0 {
		t.Error("the operator made no acceptControl call for the accept")
	}
	golden(t, "offer-accept", ns, offer, offered, accept)
}

func TestReleaseRemovesAnIntegrationThatOthersWrote(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	w.cleanUpControls(t, ns)
	w.conversation(t, "conv-gitops")
	w.conversation(t, "conv-own")

	// Written by someone else (a GitOps tool, kubectl create): spec.integration is theirs.
	cc := &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: "gitops", Namespace: ns},
		Spec: sbv1.ConversationControlSpec{SwitchboardRef: sbv1.LocalObjectReference{Name: switchboard},
			ConversationID: "conv-gitops", State: sbv1.StateActive, Integration: "agent-workspace"},
	}
	if err := w.k8s.Create(context.Background(), cc, client.FieldOwner("gitops-tool")); err != nil {
		t.Fatal(err)
	}
	w.mustRun(t, "status", "gitops", "-n", ns) // it exists
	NewWithT(t).Eventually(func() string { return w.live(t, "conv-gitops").Active }).WithTimeout(30 * time.Second).Should(Equal("agent-workspace"))
	released := w.mustRun(t, "release", "conv-gitops", "-n", ns, "--wait")
	if got := w.live(t, "conv-gitops"); got.Active != "" || got.Pending != "" {
		t.Errorf("live state after release = %+v, want nobody", got)
	}

	// The plugin's own apply owns the integration; a release applies without it.
	w.mustRun(t, "pass", "conv-own", "--to", "partner", "-n", ns, "--wait")
	own := w.mustRun(t, "release", "conv-own", "-n", ns, "--wait")
	if got := w.live(t, "conv-own"); got.Active != "" {
		t.Errorf("live state after release = %+v, want nobody", got)
	}
	golden(t, "release", ns, released, own)
}

func TestWaitReportsAStalledHandoffAsAnError(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	w.cleanUpControls(t, ns)
	w.conversation(t, "conv-stall")

	r := w.run(t, "pass", "conv-stall", "--to", "nobody", "-n", ns, "--wait")
	if !IsStalled(r.err) {
		t.Fatalf("pass --wait to an unknown integration: error %v, want a Stalled error", r.err)
	}
	status := w.mustRun(t, "status", "-n", ns)
	golden(t, "stalled", ns, r, status)
}

func TestReconcileWaitsUntilTheOperatorHandledTheRequest(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	w.cleanUpControls(t, ns)
	w.conversation(t, "conv-drift")
	w.mustRun(t, "pass", "conv-drift", "--to", "agent-workspace", "-n", ns, "--wait")

	w.conversation(t, "conv-drift") // an agent handed it back to the bot
	r := w.mustRun(t, "reconcile", "conv-drift", "-n", ns)
	var cc sbv1.ConversationControl
	if err := w.k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "conv-drift"}, &cc); err != nil {
		t.Fatal(err)
	}
	if v := cc.Annotations[sbv1.AnnotationRequestedAt]; v == "" || cc.Status.LastHandledReconcileAt != v {
		t.Errorf("requestedAt %q, lastHandledReconcileAt %q: want them equal after reconcile", v, cc.Status.LastHandledReconcileAt)
	}
	if got := w.live(t, "conv-drift"); got.Active != "agent-workspace" {
		t.Errorf("live state after reconcile = %+v, want the declaration re-applied", got)
	}
	golden(t, "reconcile", ns, r)
}

func TestSuspendAndResume(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	w.cleanUpControls(t, ns)
	w.conversation(t, "conv-suspend")
	w.mustRun(t, "pass", "conv-suspend", "--to", "agent-workspace", "-n", ns, "--wait")

	suspend := w.mustRun(t, "suspend", "conv-suspend", "-n", ns, "--wait")
	suspendAgain := w.mustRun(t, "suspend", "conv-suspend", "-n", ns)
	waitSuspended := w.run(t, "pass", "conv-suspend", "--to", "bot", "-n", ns, "--wait")
	if waitSuspended.err == nil {
		t.Error("pass --wait on a suspended object succeeded; want an error that says it is suspended")
	}
	reconcileSuspended := w.run(t, "reconcile", "conv-suspend", "-n", ns)
	if got := w.live(t, "conv-suspend"); got.Active != "agent-workspace" {
		t.Errorf("live state while suspended = %+v, want it untouched", got)
	}
	resume := w.mustRun(t, "resume", "conv-suspend", "-n", ns, "--wait")
	if got := w.live(t, "conv-suspend"); got.Active != "bot" {
		t.Errorf("live state after resume = %+v, want the new declaration (bot) applied", got)
	}
	golden(t, "suspend-resume", ns, suspend, suspendAgain, waitSuspended, reconcileSuspended, resume)
}

func TestIntegrationsListsTheSwitchboardsIntegrations(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	table := w.mustRun(t, "integrations", switchboard, "-n", ns)
	jsonpath := w.mustRun(t, "integrations", switchboard, "-n", ns, "-o", "jsonpath={.status.defaultIntegration}")
	yaml := w.mustRun(t, "integrations", switchboard, "-n", ns, "-o", "yaml")
	golden(t, "integrations", ns, table, jsonpath, yaml)
}

// static creates a ConversationControl the test operator does not watch and writes its
// status.
func (w *world) static(t *testing.T, ns, name, conv string, spec func(*sbv1.ConversationControlSpec), status sbv1.ConversationControlStatus) {
	t.Helper()
	cc := &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{staticLabel: "true"}},
		Spec: sbv1.ConversationControlSpec{SwitchboardRef: sbv1.LocalObjectReference{Name: switchboard},
			ConversationID: conv, State: sbv1.StateActive, Integration: "agent-workspace"},
	}
	if spec != nil {
		spec(&cc.Spec)
	}
	w.create(t, cc)
	status.ObservedGeneration = cc.Generation
	for i := range status.Conditions {
		status.Conditions[i].ObservedGeneration = cc.Generation
		status.Conditions[i].LastTransitionTime = fixedTime
	}
	cc.Status = status
	if err := w.k8s.Status().Update(context.Background(), cc); err != nil {
		t.Fatalf("writing the status of %s: %v", name, err)
	}
}

var fixedTime = metav1.NewTime(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))

func ref(name string) *sbv1.IntegrationReference {
	return &sbv1.IntegrationReference{ID: "si-" + name, Name: name}
}

func cond(t string, s metav1.ConditionStatus, reason, message string) metav1.Condition {
	return metav1.Condition{Type: t, Status: s, Reason: reason, Message: message}
}

func TestStatusShowsDeclaredLiveDriftAndWhyNotReady(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	w.static(t, ns, "drifted", "c-drifted", nil, sbv1.ConversationControlStatus{
		Conditions: []metav1.Condition{
			cond(sbv1.ConditionReady, metav1.ConditionTrue, sbv1.ReasonSucceeded, "agent-workspace controls the conversation"),
			cond(sbv1.ConditionInSync, metav1.ConditionFalse, sbv1.ReasonDrifted, "bot controls the conversation, not agent-workspace"),
		},
		LastAppliedAction: &sbv1.AppliedAction{Action: sbv1.ActionPassControl, State: sbv1.StateActive, Integration: "agent-workspace",
			Generation: 1, Time: fixedTime, Reached: ref("agent-workspace")},
		ActiveIntegration: ref("bot"), LastObservedTime: &fixedTime,
	})
	w.static(t, ns, "stalled", "c-stalled", func(s *sbv1.ConversationControlSpec) { s.Integration = "nobody" }, sbv1.ConversationControlStatus{
		Conditions: []metav1.Condition{
			cond(sbv1.ConditionReady, metav1.ConditionFalse, sbv1.ReasonIntegrationNotFound, "no integration nobody"),
			cond(sbv1.ConditionStalled, metav1.ConditionTrue, sbv1.ReasonIntegrationNotFound, "no integration nobody in Switchboard acme (bot, agent-workspace, partner)"),
			cond(sbv1.ConditionInSync, metav1.ConditionUnknown, sbv1.ReasonNotObserved, "not observed"),
		},
		ActiveIntegration: ref("bot"),
	})
	w.static(t, ns, "offered", "c-offered", func(s *sbv1.ConversationControlSpec) { s.State = sbv1.StateOffered }, sbv1.ConversationControlStatus{
		Conditions: []metav1.Condition{
			cond(sbv1.ConditionReady, metav1.ConditionUnknown, sbv1.ReasonProgressing, "offering control"),
			cond(sbv1.ConditionReconciling, metav1.ConditionTrue, sbv1.ReasonRateLimited, "the API answered 429; retrying in 2s"),
		},
		ActiveIntegration: ref("bot"), PendingIntegration: ref("agent-workspace"),
		InFlightAction: &sbv1.AppliedAction{Action: sbv1.ActionOfferControl, State: sbv1.StateOffered, Integration: "agent-workspace",
			Generation: 1, Time: fixedTime},
	})
	w.static(t, ns, "new", "c-new", func(s *sbv1.ConversationControlSpec) { s.State, s.Integration = sbv1.StateReleased, "" },
		sbv1.ConversationControlStatus{})

	list := w.mustRun(t, "status", "-n", ns)
	all := w.mustRun(t, "status", "-A")
	drifted := w.mustRun(t, "status", "drifted", "-n", ns)
	stalled := w.mustRun(t, "status", "stalled", "-n", ns)
	offered := w.mustRun(t, "status", "offered", "-n", ns)
	fresh := w.mustRun(t, "status", "new", "-n", ns)
	golden(t, "status", ns, list, all, drifted, stalled, offered, fresh)

	// -o json prints the objects as kubectl get does.
	js := w.mustRun(t, "status", "-n", ns, "-o", "json")
	var got sbv1.ConversationControlList
	if err := json.Unmarshal([]byte(js.stdout), &got); err != nil {
		t.Fatalf("status -o json is not a ConversationControlList: %v\n%s", err, js.stdout)
	}
	if len(got.Items) != 4 || got.Items[0].Kind != "ConversationControl" || got.Items[0].Name != "drifted" {
		t.Errorf("status -o json: %d items, first %s %s; want 4 ConversationControls, drifted first", len(got.Items), got.Items[0].Kind, got.Items[0].Name)
	}
	if strings.Contains(js.stdout, "managedFields") {
		t.Error("status -o json shows managedFields; kubectl leaves them out unless --show-managed-fields")
	}
}

func TestHistoryShowsTheTransitionsWrittenInStatus(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	w.static(t, ns, "vip", "c-history", nil, sbv1.ConversationControlStatus{
		Conditions: []metav1.Condition{cond(sbv1.ConditionReady, metav1.ConditionTrue, sbv1.ReasonSucceeded, "applied")},
		History: []sbv1.Transition{
			{Time: fixedTime, From: nil, To: ref("bot"), Source: sbv1.TransitionObserved},
			{Time: fixedTime, From: ref("bot"), To: ref("agent-workspace"), Action: sbv1.ActionPassControl, Source: sbv1.TransitionByOperator},
			{Time: fixedTime, From: ref("agent-workspace"), To: nil, Action: sbv1.ActionReleaseControl, Source: sbv1.TransitionObserved, Reason: "ticketClosed"},
		},
	})
	w.static(t, ns, "quiet", "c-quiet", nil, sbv1.ConversationControlStatus{})
	table := w.mustRun(t, "history", "vip", "-n", ns)
	jsonpath := w.mustRun(t, "history", "vip", "-n", ns, "-o", "jsonpath={.status.history[*].source}")
	empty := w.mustRun(t, "history", "quiet", "-n", ns)
	golden(t, "history", ns, table, jsonpath, empty)
}

func TestHistoryShowsWhatTheOperatorRecorded(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	w.cleanUpControls(t, ns)
	w.conversation(t, "conv-hist")
	w.mustRun(t, "pass", "conv-hist", "--to", "agent-workspace", "-n", ns, "--wait")
	w.mustRun(t, "pass", "conv-hist", "--to", "partner", "-n", ns, "--wait")
	var cc sbv1.ConversationControl
	if err := w.k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "conv-hist"}, &cc); err != nil {
		t.Fatal(err)
	}
	if len(cc.Status.History) == 0 {
		t.Skip("the operator does not write status.history yet; this test checks the plugin against it once it does")
	}
	r := w.mustRun(t, "history", "conv-hist", "-n", ns)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != len(cc.Status.History)+1 {
		t.Fatalf("history printed %d lines for %d transitions:\n%s", len(lines), len(cc.Status.History), r.stdout)
	}
	for i, tr := range cc.Status.History {
		fields := strings.Fields(lines[i+1])
		if len(fields) < 5 || fields[1] != string(tr.Source) || fields[2] != orNone(string(tr.Action)) ||
			fields[3] != refName(tr.From) || fields[4] != refName(tr.To) {
			t.Errorf("history line %d = %q, want source %s, action %s, from %s, to %s", i+1, lines[i+1], tr.Source, tr.Action, refName(tr.From), refName(tr.To))
		}
	}
	if !strings.Contains(r.stdout, string(sbv1.TransitionByOperator)) {
		t.Errorf("history shows no transition made by the operator:\n%s", r.stdout)
	}
}

func TestContextFlagPicksTheKubeconfigContextAndItsNamespace(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	w.static(t, ns, "ctx", "c-ctx", nil, sbv1.ConversationControlStatus{})
	kc, err := writeKubeconfig(w.cfg, ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(filepath.Dir(kc)) })
	r := w.mustRun(t, "--kubeconfig", kc, "--context", "work", "status")
	def := w.mustRun(t, "status") // the current context has no namespace: default
	golden(t, "context", ns, r, def)
}

func TestErrorsNameWhatIsWrongAndWhatIsAllowed(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	w.cleanUpControls(t, ns)
	w.static(t, ns, "taken", "c-taken", nil, sbv1.ConversationControlStatus{})
	w.static(t, ns, "offer-none", "c-active", nil, sbv1.ConversationControlStatus{})
	two := w.newNamespace(t)
	w.newSwitchboard(t, two, "second")
	cases := [][]string{
		{"pass", "-n", ns},
		{"pass", "a", "b", "--to", "bot", "-n", ns},
		{"pass", "c-1", "-n", ns},
		{"pass", "not/valid", "--to", "bot", "-n", ns},
		{"pass", "c-1", "--to", "bot", "--timeout", "0s", "-n", ns},
		{"release", "c-1", "--to", "bot", "-n", ns},
		{"accept", "c-1", "--to", "bot", "-n", ns},
		{"accept", "c-none", "-n", ns},
		{"accept", "c-active", "-n", ns},
		{"pass", "c-1", "--to", "bot", "--name", "taken", "-n", ns},
		{"pass", "c-taken", "--to", "bot", "--switchboard", "other", "-n", ns},
		{"pass", "c-1", "--to", "bot", "--switchboard", "missing", "-n", ns},
		{"pass", "c-1", "--to", "bot", "-n", two},
		{"pass", "__", "--to", "bot", "-n", "plugin-empty-namespace"},
		{"pass", "-bad-", "--to", "bot", "--switchboard", switchboard, "-n", ns},
		{"status", "missing", "-n", ns},
		{"status", "taken", "-A", "-n", ns},
		{"status", "-n", ns, "-o", "xml"},
		{"history", "missing", "-n", ns},
		{"integrations", "missing", "-n", ns},
		{"reconcile", "missing", "-n", ns},
		{"suspend", "-n", ns},
		{"frobnicate"},
	}
	runs := make([]result, 0, len(cases))
	for _, args := range cases {
		r := w.run(t, args...)
		if r.err == nil {
			t.Errorf("kubectl switchboard %s succeeded; want an error", strings.Join(args, " "))
		}
		runs = append(runs, r)
	}
	golden(t, "errors", ns+"|"+two, runs...)
}

func TestCompletionOffersNamesFromTheCluster(t *testing.T) {
	w := cluster(t)
	ns := w.newNamespace(t)
	w.newSwitchboard(t, ns, "beta")
	w.static(t, ns, "vip-1", "c-vip-1", nil, sbv1.ConversationControlStatus{})
	w.static(t, ns, "vip-2", "c-vip-2", func(s *sbv1.ConversationControlSpec) { s.SwitchboardRef.Name = "beta" }, sbv1.ConversationControlStatus{})
	w.static(t, ns, "other", "c-other", nil, sbv1.ConversationControlStatus{})
	runs := []result{
		w.mustRun(t, "__complete", "status", "-n", ns, "vip"),
		w.mustRun(t, "__complete", "history", "-n", ns, ""),
		w.mustRun(t, "__complete", "pass", "-n", ns, "c-"),
		w.mustRun(t, "__complete", "pass", "c-vip-1", "-n", ns, "--to", ""),
		w.mustRun(t, "__complete", "pass", "c-new", "-n", ns, "--switchboard", "beta", "--to", "a"),
		w.mustRun(t, "__complete", "integrations", "-n", ns, ""),
		w.mustRun(t, "__complete", "pass", "c-1", "-n", ns, "--switchboard", ""),
		w.mustRun(t, "__complete", "status", "-n", ns, "-o", ""),
		w.mustRun(t, "__complete", "status", "-n", ns),
		w.mustRun(t, "__complete", "status", "--context", ""),
	}
	golden(t, "completion", ns, runs...)

	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := w.mustRun(t, "completion", shell)
		if !strings.Contains(r.stdout, "__complete") {
			t.Errorf("completion %s prints no script that calls __complete:\n%.200s", shell, r.stdout)
		}
	}
}
