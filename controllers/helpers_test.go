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
	"fmt"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

const (
	testAppID     = "app-test"
	testKeyID     = "app_test_key"
	testSecret    = "s3cr3t-VALUE-never-printed" // recognisable: it must appear in no log, event or status
	testPartner   = "partner-oauth-client"
	secretName    = "sunshine-key"
	switchboardNm = "acme"
)

// testSeed is the simulator's world: one app with a bot, the Agent Workspace and a
// partner, linked bot -> agent-workspace -> bot.
func testSeed() sunshinetest.Seed {
	return sunshinetest.Seed{Apps: []sunshinetest.AppSeed{{
		ID:   testAppID,
		Keys: []sunshinetest.KeySeed{{ID: testKeyID, Secret: testSecret, Scope: sunshinetest.ScopeApp}},
		Switchboard: &sunshinetest.SwitchboardSeed{
			Enabled: true,
			Default: "bot",
			Integrations: []sunshinetest.IntegrationSeed{
				{Name: "bot", IntegrationType: "custom", IntegrationID: "5e1f0c0ffee0000000000001", Next: "agent-workspace"},
				{Name: "agent-workspace", IntegrationType: "zd:agentWorkspace", Next: "bot"},
				{Name: "partner", IntegrationType: testPartner},
			},
		},
	}}}
}

var conversationCounter atomic.Int64

// newConversation creates a conversation in the simulator with the given active and
// pending integrations (names, "" for none) and returns its id.
func newConversation(active, pending string) string {
	id := fmt.Sprintf("conv-%d-%d", GinkgoParallelProcess(), conversationCounter.Add(1))
	Expect(sim.SetConversation(testAppID, id, sunshinetest.ConversationState{Active: active, Pending: pending})).To(Succeed())
	return id
}

// liveState is the simulator's state of a conversation.
func liveState(conv string) sunshinetest.ConversationState {
	st, ok := sim.Conversation(testAppID, conv)
	Expect(ok).To(BeTrue(), "conversation %s exists in the simulator", conv)
	return st
}

// integrationID is the simulator's id of an integration.
func integrationID(name string) string {
	for _, i := range sim.Integrations(testAppID) {
		if i.Name == name {
			return i.ID
		}
	}
	Fail("no integration " + name)
	return ""
}

// env is one spec's world: a namespace with the Secret and a Ready Switchboard.
type env struct {
	ns string
	// partition is the value of testManagerLabel on the spec's objects ("" for the
	// suite's main manager).
	partition string
}

// newEnv resets the simulator and creates a namespace with a Secret and a Switchboard
// pointing at the simulator, and waits for the Switchboard to be Ready.
func newEnv() env { return newEnvFor("") }

// newEnvFor is newEnv for the objects of a manager started with startManager(partition).
func newEnvFor(partition string) env {
	sim.Reset()
	e := env{ns: newNamespace(), partition: partition}
	createReadySwitchboard(e.ns, sim.URL, e.labels(), sbv1.RateLimit{RequestsPerSecond: 100, Burst: 100})
	return e
}

// createSecret creates the Switchboards' Secret in ns with the suite's key id and secret.
func createSecret(ns, secret string) {
	Expect(createAndCleanUp(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: ns},
		StringData: map[string]string{SecretKeyID: testKeyID, SecretKeySecret: secret},
	})).To(Succeed())
}

// createReadySwitchboard creates the Secret and a Basic-auth Switchboard for the
// simulator at endpoint in ns, and waits until the Switchboard is Ready.
func createReadySwitchboard(ns, endpoint string, labels map[string]string, limit sbv1.RateLimit) {
	createSecret(ns, testSecret)
	sb := &sbv1.Switchboard{
		ObjectMeta: metav1.ObjectMeta{Name: switchboardNm, Namespace: ns, Labels: labels},
		Spec: sbv1.SwitchboardSpec{
			Endpoint:  endpoint,
			AppID:     testAppID,
			Auth:      sbv1.SwitchboardAuth{Type: sbv1.AuthTypeBasic, SecretRef: sbv1.SecretReference{Name: secretName}},
			RateLimit: limit,
		},
	}
	Expect(createAndCleanUp(sb)).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(sb), sb)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(sb.Status.Conditions, sbv1.ConditionReady)).To(BeTrue(), "Switchboard Ready: %v", sb.Status.Conditions)
	}).Should(Succeed())
}

// labels are the labels of the spec's objects.
func (e env) labels() map[string]string {
	if e.partition == "" {
		return nil
	}
	return map[string]string{testManagerLabel: e.partition}
}

// control builds a ConversationControl in the spec's namespace.
func (e env) control(name, conv string, state sbv1.ControlState, integration string) *sbv1.ConversationControl {
	return &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns, Labels: e.labels()},
		Spec: sbv1.ConversationControlSpec{
			SwitchboardRef: sbv1.LocalObjectReference{Name: switchboardNm},
			ConversationID: conv,
			State:          state,
			Integration:    integration,
			PollInterval:   &metav1.Duration{Duration: time.Hour},
		},
	}
}

// create creates obj and deletes it (and waits for it to go) when the spec ends.
func create(obj client.Object) {
	Expect(k8sClient.Create(suiteCtx, obj)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) {
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, obj))).To(Succeed())
		Eventually(func() error {
			return k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)
		}).WithTimeout(20 * time.Second).Should(Satisfy(isNotFound))
	})
}

// get reads the current object.
func get(cc *sbv1.ConversationControl) *sbv1.ConversationControl {
	out := &sbv1.ConversationControl{}
	Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(cc), out)).To(Succeed())
	return out
}

// update changes the object's spec or metadata with retries on conflicts.
func update(cc *sbv1.ConversationControl, change func(*sbv1.ConversationControl)) {
	Eventually(func() error {
		current := get(cc)
		change(current)
		return k8sClient.Update(suiteCtx, current)
	}).Should(Succeed())
}

// condition returns a condition of the object, or nil.
func condition(cc *sbv1.ConversationControl, condType string) *metav1.Condition {
	return meta.FindStatusCondition(cc.Status.Conditions, condType)
}

// waitReady waits until the current generation is finished and Ready=True.
func waitReady(cc *sbv1.ConversationControl) *sbv1.ConversationControl {
	var out *sbv1.ConversationControl
	Eventually(func(g Gomega) {
		out = &sbv1.ConversationControl{}
		g.Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(cc), out)).To(Succeed())
		g.Expect(out.Status.ObservedGeneration).To(Equal(out.Generation))
		ready := condition(out, sbv1.ConditionReady)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), "Ready: %s %s", ready.Reason, ready.Message)
		g.Expect(ready.ObservedGeneration).To(Equal(out.Generation))
	}).Should(Succeed())
	Expect(kstatusOf(out)).To(Equal(status.CurrentStatus), "kstatus (Flux) sees a Ready object as Current")
	return out
}

// waitStalled waits until the object is Stalled with the reason.
func waitStalled(cc *sbv1.ConversationControl, reason string) *sbv1.ConversationControl {
	var out *sbv1.ConversationControl
	Eventually(func(g Gomega) {
		out = &sbv1.ConversationControl{}
		g.Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(cc), out)).To(Succeed())
		stalled := condition(out, sbv1.ConditionStalled)
		g.Expect(stalled).NotTo(BeNil(), "conditions: %v", out.Status.Conditions)
		g.Expect(stalled.Reason).To(Equal(reason), "Stalled: %s", stalled.Message)
		g.Expect(out.Status.ObservedGeneration).To(Equal(out.Generation))
	}).Should(Succeed())
	Expect(kstatusOf(out)).To(Equal(status.FailedStatus), "kstatus (Flux) sees a Stalled object as Failed")
	return out
}

// kstatusOf computes what kstatus (Flux's health checks) reports for obj.
func kstatusOf(obj runtime.Object) status.Status {
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	Expect(err).NotTo(HaveOccurred())
	res, err := status.Compute(&unstructured.Unstructured{Object: raw})
	Expect(err).NotTo(HaveOccurred())
	return res.Status
}

// calls is the simulator's count of one operation.
func calls(op sunshinetest.Operation) int { return sim.Count(op) }

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }

// rotateSecret changes the secret value of the spec's Secret.
func rotateSecret(ns, secret string) {
	s := &corev1.Secret{}
	Expect(k8sClient.Get(suiteCtx, client.ObjectKey{Namespace: ns, Name: secretName}, s)).To(Succeed())
	s.Data[SecretKeySecret] = []byte(secret)
	Expect(k8sClient.Update(suiteCtx, s)).To(Succeed())
}

// conversationCalls is the number of calls on conversations (reads and actions).
func conversationCalls() int {
	n := 0
	for _, op := range []sunshinetest.Operation{sunshinetest.OpGetConversation, sunshinetest.OpPassControl,
		sunshinetest.OpOfferControl, sunshinetest.OpAcceptControl, sunshinetest.OpReleaseControl} {
		n += sim.Count(op)
	}
	return n
}
