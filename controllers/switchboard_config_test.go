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
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/validationcases"
)

// configEnv is one spec's world for the configuration: a simulator of its own that
// records every configuration write, and a namespace with the Secret.
type configEnv struct {
	ns  string
	srv *sunshinetest.Server

	mu     sync.Mutex
	writes []string // "operation status", in the order answered
}

// newConfigEnv starts a simulator whose app has the switchboard board (nil: none).
func newConfigEnv(board *sunshinetest.SwitchboardSeed) *configEnv {
	e := &configEnv{ns: newNamespace()}
	seed := sunshinetest.Seed{Apps: []sunshinetest.AppSeed{{ID: testAppID, Switchboard: board,
		Keys: []sunshinetest.KeySeed{{ID: testKeyID, Secret: testSecret, Scope: sunshinetest.ScopeApp}}}}}
	var err error
	e.srv, err = sunshinetest.NewServer(seed, sunshinetest.WithRequestHook(func(info sunshinetest.RequestInfo) {
		for _, op := range sunshinetest.ConfigOperations {
			if info.Operation == op {
				e.mu.Lock()
				e.writes = append(e.writes, fmt.Sprintf("%s %d", op, info.Status))
				e.mu.Unlock()
			}
		}
	}))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(e.srv.Close)
	createSecret(e.ns, testSecret)
	return e
}

// written returns the configuration writes so far.
func (e *configEnv) written() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.writes...)
}

// writesSince returns the writes after the first n.
func (e *configEnv) writesSince(n int) []string { return e.written()[n:] }

// client is a vendor client for the spec's app, acting as someone else would.
func (e *configEnv) client() *sunshine.Client {
	c, err := sunshine.New(sunshine.Config{Endpoint: e.srv.URL, AppID: testAppID,
		Credentials: sunshine.Credentials{Type: sunshine.AuthBasic, KeyID: testKeyID, Secret: sunshine.NewSecret(testSecret)}})
	Expect(err).NotTo(HaveOccurred())
	return c
}

// integration returns the simulator's integration called name.
func (e *configEnv) integration(name string) sunshinetest.IntegrationSeed {
	for _, in := range e.srv.Integrations(testAppID) {
		if in.Name == name {
			return in
		}
	}
	Fail("the simulator has no integration " + name)
	return sunshinetest.IntegrationSeed{}
}

// names are the simulator's integrations as name->next.
func (e *configEnv) links() map[string]string {
	out := map[string]string{}
	for _, in := range e.srv.Integrations(testAppID) {
		out[in.Name] = in.Next
	}
	return out
}

// The configuration metrics.
const (
	configChanges    = "switchboard_operator_config_changes_total"
	configDriftTotal = "switchboard_operator_config_drift_total"
)

// routingSeed is bot -> agent-workspace -> bot at the vendor, bot the default, enabled.
func routingSeed() *sunshinetest.SwitchboardSeed {
	return &sunshinetest.SwitchboardSeed{Enabled: true, Default: "bot", Integrations: []sunshinetest.IntegrationSeed{
		{Name: "bot", IntegrationType: "custom", IntegrationID: "5e1f0c0ffee0000000000001", Next: "agent-workspace"},
		{Name: "agent-workspace", IntegrationType: "zd:agentWorkspace", Next: "bot"},
	}}
}

// routingSpec declares routingSeed.
func routingSpec() []sbv1.SwitchboardIntegrationSpec {
	return []sbv1.SwitchboardIntegrationSpec{
		{Name: "bot", IntegrationID: "5e1f0c0ffee0000000000001", Next: "agent-workspace"},
		{Name: "agent-workspace", IntegrationType: "zd:agentWorkspace", Next: "bot"},
	}
}

// managedSwitchboard is a Switchboard managing the configuration of the spec's app.
func (e *configEnv) managedSwitchboard(integrations []sbv1.SwitchboardIntegrationSpec, def string, enabled bool) *sbv1.Switchboard {
	return &sbv1.Switchboard{
		ObjectMeta: metav1.ObjectMeta{Name: switchboardNm, Namespace: e.ns},
		Spec: sbv1.SwitchboardSpec{
			Endpoint: e.srv.URL, AppID: testAppID,
			Auth:             sbv1.SwitchboardAuth{Type: sbv1.AuthTypeBasic, SecretRef: sbv1.SecretReference{Name: secretName}},
			RateLimit:        sbv1.RateLimit{RequestsPerSecond: 100, Burst: 100},
			RefreshInterval:  &metav1.Duration{Duration: 10 * time.Second},
			ManagementPolicy: sbv1.ManagementPolicyManage,
			Enabled:          &enabled, DefaultIntegration: def, Integrations: integrations,
		},
	}
}

// waitConfig waits until the current generation is finished with ConfigInSync at
// status (and reason, when given) and returns the object.
func waitConfig(sb *sbv1.Switchboard, status metav1.ConditionStatus, reason string) *sbv1.Switchboard {
	out := &sbv1.Switchboard{}
	Eventually(func(g Gomega) {
		g.Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(sb), out)).To(Succeed())
		g.Expect(out.Status.ObservedGeneration).To(Equal(out.Generation))
		c := meta.FindStatusCondition(out.Status.Conditions, sbv1.ConditionConfigInSync)
		g.Expect(c).NotTo(BeNil(), "conditions: %v", out.Status.Conditions)
		g.Expect(c.Status).To(Equal(status), "ConfigInSync: %s %s", c.Reason, c.Message)
		g.Expect(c.ObservedGeneration).To(Equal(out.Generation))
		if reason != "" {
			g.Expect(c.Reason).To(Equal(reason), c.Message)
		}
	}).WithTimeout(30 * time.Second).Should(Succeed())
	return out
}

// updateSwitchboard changes the Switchboard's spec with retries on conflicts.
func updateSwitchboard(sb *sbv1.Switchboard, change func(*sbv1.Switchboard)) {
	Eventually(func() error {
		current := &sbv1.Switchboard{}
		if err := k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(sb), current); err != nil {
			return err
		}
		change(current)
		return k8sClient.Update(suiteCtx, current)
	}).Should(Succeed())
}

var _ = Describe("Switchboard configuration (managementPolicy Manage)", func() {
	It("creates the whole configuration for an app with no switchboard, usable by ConversationControls at once", func() {
		e := newConfigEnv(nil)
		created := counterValue(configChanges, map[string]string{"operation": "createSwitchboard", "result": "applied"})
		sb := e.managedSwitchboard(routingSpec(), "bot", true)
		create(sb)
		got := waitConfig(sb, metav1.ConditionTrue, sbv1.ReasonConfigApplied)
		Expect(counterValue(configChanges, map[string]string{"operation": "createSwitchboard", "result": "applied"})).To(Equal(created + 1))
		Expect(e.written()).To(Equal([]string{
			"createSwitchboard 201",
			"createSwitchboardIntegration 201", // bot, without next: agent-workspace does not exist yet
			"createSwitchboardIntegration 201", // agent-workspace, next bot
			"updateSwitchboardIntegration 200", // bot's next
			"updateSwitchboard 200",            // default and enabled together
		}))
		Expect(e.links()).To(Equal(map[string]string{"bot": "agent-workspace", "agent-workspace": "bot"}))
		Expect(got.Status.Enabled).To(BeTrue())
		Expect(got.Status.DefaultIntegration).To(Equal("bot"))
		Expect(got.Status.Config.CreatedSwitchboard).To(BeTrue())
		Expect(got.Status.Config.CreatedIntegrationIDs).To(HaveLen(2))
		Expect(meta.IsStatusConditionTrue(got.Status.Conditions, sbv1.ConditionReady)).To(BeTrue())
		Expect(eventReasons(e.ns, sb.Name)).To(ContainElement(sbv1.EventReasonConfigApplied))

		conv := "conv-config-1"
		Expect(e.srv.SetConversation(testAppID, conv, sunshinetest.ConversationState{Active: "bot"})).To(Succeed())
		cc := (env{ns: e.ns}).control("to-agents", conv, sbv1.StateActive, "agent-workspace")
		create(cc)
		waitReady(cc)
		st, _ := e.srv.Conversation(testAppID, conv)
		Expect(st.Active).To(Equal("agent-workspace"))
	})

	It("adopts a switchboard that already matches without a write call", func() {
		e := newConfigEnv(routingSeed())
		sb := e.managedSwitchboard(routingSpec(), "bot", true)
		create(sb)
		got := waitConfig(sb, metav1.ConditionTrue, sbv1.ReasonConfigApplied)
		Expect(got.Status.Config.CreatedSwitchboard).To(BeFalse())
		Expect(got.Status.Config.CreatedIntegrationIDs).To(BeEmpty())
		Consistently(e.written).WithTimeout(time.Second).Should(BeEmpty())
	})

	It("adds, changes and removes integrations, the default and a next target included, with the fewest calls in a safe order", func() {
		e := newConfigEnv(routingSeed())
		sb := e.managedSwitchboard(routingSpec(), "bot", true)
		create(sb)
		waitConfig(sb, metav1.ConditionTrue, "")
		Expect(e.written()).To(BeEmpty())

		By("adding an integration whose next exists: one create carries the link")
		updateSwitchboard(sb, func(s *sbv1.Switchboard) {
			s.Spec.Integrations = append(s.Spec.Integrations, sbv1.SwitchboardIntegrationSpec{Name: "partner", IntegrationType: testPartner, Next: "bot"})
		})
		waitConfig(sb, metav1.ConditionTrue, "")
		Expect(e.written()).To(Equal([]string{"createSwitchboardIntegration 201"}))
		Expect(e.links()).To(HaveKeyWithValue("partner", "bot"))

		By("changing two fields of one integration: one call")
		n := e.written()
		updateSwitchboard(sb, func(s *sbv1.Switchboard) {
			s.Spec.Integrations[1].DeliverStandbyEvents, s.Spec.Integrations[1].MessageHistoryCount = ptrTo(false), ptrTo(int32(5))
		})
		waitConfig(sb, metav1.ConditionTrue, "")
		Expect(e.writesSince(len(n))).To(Equal([]string{"updateSwitchboardIntegration 200"}))
		aw := e.integration("agent-workspace")
		Expect(*aw.DeliverStandbyEvents).To(BeFalse())
		Expect(*aw.MessageHistoryCount).To(Equal(5))

		By("removing the default (bot), which is also agent-workspace's and partner's next: repoint, move the default, then delete")
		n = e.written()
		updateSwitchboard(sb, func(s *sbv1.Switchboard) {
			s.Spec.DefaultIntegration = "agent-workspace"
			s.Spec.Integrations = []sbv1.SwitchboardIntegrationSpec{
				{Name: "agent-workspace", IntegrationType: "zd:agentWorkspace", Next: "partner", DeliverStandbyEvents: ptrTo(false), MessageHistoryCount: ptrTo(int32(5))},
				{Name: "partner", IntegrationType: testPartner},
			}
		})
		got := waitConfig(sb, metav1.ConditionTrue, "")
		Expect(e.writesSince(len(n))).To(Equal([]string{
			"updateSwitchboardIntegration 200", // agent-workspace next partner
			"updateSwitchboardIntegration 200", // partner next none
			"updateSwitchboard 200",            // default agent-workspace
			"deleteSwitchboardIntegration 200", // bot
		}))
		Expect(e.links()).To(Equal(map[string]string{"agent-workspace": "partner", "partner": ""}))
		Expect(got.Status.DefaultIntegration).To(Equal("agent-workspace"))
		Expect(got.Status.Enabled).To(BeTrue())
	})

	It("turns a ConversationControl naming a removed integration Stalled IntegrationNotFound", func() {
		e := newConfigEnv(routingSeed())
		sb := e.managedSwitchboard(append(routingSpec(), sbv1.SwitchboardIntegrationSpec{Name: "partner", IntegrationType: testPartner}), "bot", true)
		create(sb)
		waitConfig(sb, metav1.ConditionTrue, "")
		conv := "conv-config-2"
		Expect(e.srv.SetConversation(testAppID, conv, sunshinetest.ConversationState{Active: "bot"})).To(Succeed())
		cc := (env{ns: e.ns}).control("to-partner", conv, sbv1.StateActive, "partner")
		create(cc)
		waitReady(cc)

		updateSwitchboard(sb, func(s *sbv1.Switchboard) { s.Spec.Integrations = routingSpec() })
		waitConfig(sb, metav1.ConditionTrue, "")
		got := waitStalled(cc, sbv1.ReasonIntegrationNotFound)
		Expect(condition(got, sbv1.ConditionStalled).Message).To(And(ContainSubstring(`"partner"`), ContainSubstring("do not declare it (removed or renamed)")))
	})

	It("resumes after a call fails halfway, never enabling the switchboard without a default", func() {
		e := newConfigEnv(nil)
		failed := counterValue(configChanges, map[string]string{"operation": "createSwitchboardIntegration", "result": sbv1.ReasonAPIUnavailable})
		e.srv.InjectFault(sunshinetest.OpCreateSwitchboardIntegration, sunshinetest.Fault{Status: 503, After: 1})
		sb := e.managedSwitchboard(routingSpec(), "bot", true)
		create(sb)
		waitConfig(sb, metav1.ConditionTrue, sbv1.ReasonConfigApplied)
		Expect(e.written()).To(Equal([]string{
			"createSwitchboard 201",
			"createSwitchboardIntegration 201", // bot
			"createSwitchboardIntegration 503", // agent-workspace: the pass stops here
			"createSwitchboardIntegration 201", // the next pass plans from the live state: only agent-workspace is missing
			"updateSwitchboardIntegration 200",
			"updateSwitchboard 200",
		}))
		Expect(e.links()).To(Equal(map[string]string{"bot": "agent-workspace", "agent-workspace": "bot"}))
		got := &sbv1.Switchboard{}
		Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(sb), got)).To(Succeed())
		Expect(got.Status.Config.CreatedIntegrationIDs).To(HaveLen(2), "the integration created before the failure is recorded too")
		Expect(counterValue(configChanges, map[string]string{"operation": "createSwitchboardIntegration", "result": sbv1.ReasonAPIUnavailable})).To(Equal(failed + 1))
	})

	It("stops at a refused call with Stalled ConfigRefused naming it, and does not repeat it until the spec changes", func() {
		e := newConfigEnv(routingSeed())
		refused := counterValue(configChanges, map[string]string{"operation": "createSwitchboardIntegration", "result": sbv1.ReasonInvalidRequest})
		e.srv.InjectFault(sunshinetest.OpCreateSwitchboardIntegration, sunshinetest.Fault{Status: 400})
		sb := e.managedSwitchboard(append(routingSpec(), sbv1.SwitchboardIntegrationSpec{Name: "partner", IntegrationType: testPartner}), "bot", true)
		create(sb)
		got := waitConfig(sb, metav1.ConditionFalse, sbv1.ReasonConfigRefused)
		stalled := meta.FindStatusCondition(got.Status.Conditions, sbv1.ConditionStalled)
		Expect(stalled).NotTo(BeNil())
		Expect(stalled.Reason).To(Equal(sbv1.ReasonConfigRefused))
		Expect(stalled.Message).To(ContainSubstring("createSwitchboardIntegration partner"))
		Expect(eventReasons(e.ns, sb.Name)).To(ContainElement(sbv1.EventReasonConfigRefused))
		Expect(counterValue(configChanges, map[string]string{"operation": "createSwitchboardIntegration", "result": sbv1.ReasonInvalidRequest})).To(Equal(refused + 1))
		Consistently(e.written).WithTimeout(3 * time.Second).Should(Equal([]string{"createSwitchboardIntegration 400"}))

		updateSwitchboard(sb, func(s *sbv1.Switchboard) { s.Spec.Integrations[2].Next = "bot" })
		waitConfig(sb, metav1.ConditionTrue, sbv1.ReasonConfigApplied)
		Expect(e.written()).To(Equal([]string{"createSwitchboardIntegration 400", "createSwitchboardIntegration 201"}))
		Expect(e.links()).To(HaveKeyWithValue("partner", "bot"))
	})

	It("reports drift by others under driftPolicy Report without a call, and naming the field", func() {
		e := newConfigEnv(routingSeed())
		sb := e.managedSwitchboard(routingSpec(), "bot", true)
		create(sb)
		got := waitConfig(sb, metav1.ConditionTrue, "")
		reported := counterValue(configDriftTotal, map[string]string{"action": "reported"})
		aw := e.integration("agent-workspace")
		clear := ""
		_, err := e.client().UpdateSwitchboardIntegration(suiteCtx, got.Status.SwitchboardID, aw.ID, sunshine.SwitchboardIntegrationUpdate{NextSwitchboardIntegrationID: &clear})
		Expect(err).NotTo(HaveOccurred())
		n := len(e.written())
		got = waitConfig(sb, metav1.ConditionFalse, sbv1.ReasonDrifted)
		Expect(meta.FindStatusCondition(got.Status.Conditions, sbv1.ConditionConfigInSync).Message).To(ContainSubstring("integrations[agent-workspace].next"))
		Expect(got.Status.Config.Drift).To(Equal([]string{"integrations[agent-workspace].next"}))
		Expect(meta.IsStatusConditionTrue(got.Status.Conditions, sbv1.ConditionReady)).To(BeTrue())
		Expect(e.writesSince(n)).To(BeEmpty())
		Expect(e.links()).To(HaveKeyWithValue("agent-workspace", ""))
		Expect(eventReasons(e.ns, sb.Name)).To(ContainElement(sbv1.EventReasonDriftDetected))
		Expect(counterValue(configDriftTotal, map[string]string{"action": "reported"})).To(Equal(reported + 1))
	})

	It("repairs drift by others under driftPolicy Enforce", func() {
		e := newConfigEnv(routingSeed())
		sb := e.managedSwitchboard(routingSpec(), "bot", true)
		sb.Spec.DriftPolicy = sbv1.DriftPolicyEnforce
		create(sb)
		got := waitConfig(sb, metav1.ConditionTrue, "")
		repaired := counterValue(configDriftTotal, map[string]string{"action": "repaired"})
		enabled := false
		_, err := e.client().UpdateSwitchboard(suiteCtx, got.Status.SwitchboardID, sunshine.SwitchboardUpdate{Enabled: &enabled})
		Expect(err).NotTo(HaveOccurred())
		n := len(e.written())
		Eventually(func(g Gomega) {
			g.Expect(e.writesSince(n)).To(Equal([]string{"updateSwitchboard 200"}))
			g.Expect(eventReasons(e.ns, sb.Name)).To(ContainElement(sbv1.EventReasonConfigDriftRepaired))
		}).WithTimeout(30 * time.Second).Should(Succeed())
		got = waitConfig(sb, metav1.ConditionTrue, sbv1.ReasonConfigApplied)
		Expect(got.Status.Enabled).To(BeTrue())
		Expect(counterValue(configDriftTotal, map[string]string{"action": "repaired"})).To(Equal(repaired + 1))
	})

	It("makes no write call under managementPolicy Observe, whatever is declared", func() {
		e := newConfigEnv(routingSeed())
		sb := e.managedSwitchboard([]sbv1.SwitchboardIntegrationSpec{{Name: "other", IntegrationType: "x"}}, "other", false)
		sb.Spec.ManagementPolicy = sbv1.ManagementPolicyObserve
		create(sb)
		got := switchboardCondition(sb, sbv1.ConditionReady, sbv1.ReasonSwitchboardReady)
		Expect(meta.FindStatusCondition(got.Status.Conditions, sbv1.ConditionConfigInSync)).To(BeNil())
		Expect(got.Status.DefaultIntegration).To(Equal("bot"))
		Consistently(e.written).WithTimeout(2 * time.Second).Should(BeEmpty())
	})

	It("removes only what it created when deleted with deletionPolicy DeleteCreated", func() {
		e := newConfigEnv(routingSeed())
		sb := e.managedSwitchboard(append(routingSpec(), sbv1.SwitchboardIntegrationSpec{Name: "partner", IntegrationType: testPartner}), "partner", true)
		sb.Spec.DeletionPolicy = sbv1.ConfigDeletionPolicyDeleteCreated
		sb.Spec.Integrations[1].Next = "partner" // agent-workspace (adopted) now points at partner (created)
		Expect(k8sClient.Create(suiteCtx, sb)).To(Succeed())
		got := waitConfig(sb, metav1.ConditionTrue, "")
		Expect(got.Finalizers).To(ContainElement(sbv1.FinalizerConfig))
		Expect(got.Status.Config.CreatedIntegrationIDs).To(HaveLen(1))
		n := len(e.written())
		deleteAndWait(got, 20*time.Second)
		Expect(e.writesSince(n)).To(Equal([]string{
			"updateSwitchboardIntegration 200", // agent-workspace no longer points at partner
			"updateSwitchboard 200",            // the default moves to an adopted integration
			"deleteSwitchboardIntegration 200", // partner
		}))
		Expect(e.links()).To(Equal(map[string]string{"bot": "agent-workspace", "agent-workspace": ""}))
	})

	It("deletes the switchboard it created when nothing adopted is on it", func() {
		e := newConfigEnv(nil)
		sb := e.managedSwitchboard(routingSpec(), "bot", true)
		sb.Spec.DeletionPolicy = sbv1.ConfigDeletionPolicyDeleteCreated
		Expect(k8sClient.Create(suiteCtx, sb)).To(Succeed())
		got := waitConfig(sb, metav1.ConditionTrue, "")
		n := len(e.written())
		deleteAndWait(got, 20*time.Second)
		Expect(e.writesSince(n)).To(Equal([]string{"deleteSwitchboard 200"}))
		Expect(e.srv.Integrations(testAppID)).To(BeNil())
	})
})

// managedSpec is a valid Switchboard manifest under Manage for the CEL specs.
const managedSpec = `
apiVersion: switchboard.conversations.dev/v1alpha1
kind: Switchboard
metadata: {name: managed}
spec:
  endpoint: https://acme.zendesk.com/sc
  appId: app
  auth: {secretRef: {name: s}}
  managementPolicy: Manage
  enabled: true
  defaultIntegration: bot
  integrations:
  - {name: bot, integrationId: 5e1f0c0ffee0000000000001, next: agent-workspace}
  - {name: agent-workspace, integrationType: "zd:agentWorkspace", next: bot}
`

func integrationsOf(s map[string]any) []any { return s["integrations"].([]any) }

func entry(s map[string]any, i int) map[string]any { return integrationsOf(s)[i].(map[string]any) }

var _ = Describe("Switchboard configuration validation", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	It("accepts the declared routing", func() {
		Expect(createAndCleanUp(objectFromYAML(managedSpec, ns, nil))).To(Succeed())
	})

	DescribeTable("refuses what the vendor would, with a message naming the field",
		func(edit func(spec map[string]any), field, message string) {
			err := createAndCleanUp(objectFromYAML(managedSpec, ns, edit))
			Expect(err).To(HaveOccurred(), "the API server accepted an invalid configuration")
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
			Expect(err.Error()).To(ContainSubstring(field))
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("two integrations with one name", func(s map[string]any) { entry(s, 1)["name"] = "bot"; delete(entry(s, 1), "next") },
			"spec.integrations[1]", "Duplicate value"),
		Entry("a name with other characters", func(s map[string]any) { entry(s, 1)["name"] = "agent workspace" },
			"spec.integrations[1].name", "should match"),
		Entry("a name over 128 characters", func(s map[string]any) { entry(s, 1)["name"] = strings.Repeat("a", 129) },
			"spec.integrations[1].name", "may not be more than 128"),
		Entry("eleven integrations", func(s map[string]any) {
			for i := range 9 {
				s["integrations"] = append(integrationsOf(s), map[string]any{"name": fmt.Sprintf("p%d", i), "integrationType": "p"})
			}
		}, "spec.integrations", "must have at most 10 items"),
		Entry("a next that names no entry", func(s map[string]any) { entry(s, 0)["next"] = "agents" },
			"spec.integrations", "every integrations[].next must name an entry of integrations"),
		Entry("a next that names the integration itself", func(s map[string]any) { entry(s, 0)["next"] = "bot" },
			"spec.integrations[0]", "next must name another integration, not the integration itself"),
		Entry("a default that names no entry", func(s map[string]any) { s["defaultIntegration"] = "agents" },
			"spec.defaultIntegration", "defaultIntegration must name an entry of integrations"),
		Entry("both integrationId and integrationType", func(s map[string]any) { entry(s, 0)["integrationType"] = "custom" },
			"spec.integrations[0]", "exactly one of integrationId or integrationType must be set"),
		Entry("neither integrationId nor integrationType", func(s map[string]any) { delete(entry(s, 0), "integrationId") },
			"spec.integrations[0]", "exactly one of integrationId or integrationType must be set"),
		Entry("messageHistoryCount 0", func(s map[string]any) { entry(s, 0)["messageHistoryCount"] = int64(0) },
			"spec.integrations[0].messageHistoryCount", "greater than or equal to 1"),
		Entry("messageHistoryCount 11", func(s map[string]any) { entry(s, 0)["messageHistoryCount"] = int64(11) },
			"spec.integrations[0].messageHistoryCount", "less than or equal to 10"),
		Entry("enabled without a default", func(s map[string]any) { delete(s, "defaultIntegration"); s["managementPolicy"] = "Observe" },
			"spec.enabled", "enabled: true needs a defaultIntegration"),
		Entry("Manage without a default", func(s map[string]any) { delete(s, "defaultIntegration"); delete(s, "enabled") },
			"spec.defaultIntegration", "defaultIntegration is required when managementPolicy is Manage"),
		Entry("an unknown management policy", func(s map[string]any) { s["managementPolicy"] = "Own" },
			"spec.managementPolicy", `supported values: "Observe", "Manage"`),
		Entry("an unknown deletion policy", func(s map[string]any) { s["deletionPolicy"] = "Delete" },
			"spec.deletionPolicy", `supported values: "Orphan", "DeleteCreated"`),
	)

	// The same table runs against the client: what the API server accepts the client
	// sends, and what it refuses the client refuses, naming the same field.
	It("accepts and refuses configurations as the client does (the shared cases)", func() {
		for i, tc := range validationcases.Configs {
			obj := objectFromYAML(managedSpec, ns, func(s map[string]any) {
				delete(s, "enabled")
				delete(s, "defaultIntegration")
				if tc.Value.Enabled != nil {
					s["enabled"] = *tc.Value.Enabled
				}
				if tc.Value.Default != "" {
					s["defaultIntegration"] = tc.Value.Default
				}
				list := []any{}
				for _, in := range tc.Value.Integrations {
					m := map[string]any{"name": in.Name}
					for k, v := range map[string]string{"integrationId": in.IntegrationID, "integrationType": in.IntegrationType, "next": in.Next} {
						if v != "" {
							m[k] = v
						}
					}
					if in.MessageHistoryCount != nil {
						m["messageHistoryCount"] = int64(*in.MessageHistoryCount)
					}
					list = append(list, m)
				}
				s["integrations"] = list
			})
			obj.SetName(fmt.Sprintf("config-%d", i))
			err := createAndCleanUp(obj)
			if tc.Accept {
				Expect(err).NotTo(HaveOccurred(), "case %q", tc.Name)
				continue
			}
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "case %q: want 422 Invalid, got %v", tc.Name, err)
			Expect(err.Error()).To(ContainSubstring("spec."+tc.Field), "case %q", tc.Name)
		}
	})
})
