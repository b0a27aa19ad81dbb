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
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/controllers"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

// The soak: many ConversationControls while the vendor's API misbehaves and the manager
// restarts (`make test-soak`; briefly in `make test`).

// briefSoakObjects is the soak's size in `make test`; SOAK_OBJECTS overrides it.
const briefSoakObjects = 60

// soakObjects is the number of ConversationControls in the soak.
func soakObjects() int {
	v := os.Getenv("SOAK_OBJECTS")
	if v == "" {
		return briefSoakObjects
	}
	n, err := strconv.Atoi(v)
	Expect(err).NotTo(HaveOccurred(), "SOAK_OBJECTS=%q is a number", v)
	Expect(n).To(BeNumerically(">=", 8), "SOAK_OBJECTS covers every kind of handoff twice")
	return n
}

// soakRestarts is how often the soak stops and starts the manager: SOAK_RESTARTS, else
// twice.
func soakRestarts() int {
	v := os.Getenv("SOAK_RESTARTS")
	if v == "" {
		return 2
	}
	n, err := strconv.Atoi(v)
	Expect(err).NotTo(HaveOccurred(), "SOAK_RESTARTS=%q is a number", v)
	Expect(n).To(BeNumerically(">=", 0))
	return n
}

// soakOptions are the reconcilers' options in the soak: the suite's short intervals with
// the operator's default concurrency.
func soakOptions() controllers.Options {
	o := suiteOptions
	o.MaxConcurrentReconciles = controllers.DefaultOptions().MaxConcurrentReconciles
	return o
}

// soakKind is one kind of declaration in the soak.
type soakKind int

const (
	activeByName soakKind = iota
	activeByNext
	offeredThenActive
	releasedKind
	soakKinds
)

func (k soakKind) String() string {
	return [...]string{"Active by name", "Active by next", "Offered then Active", "Released"}[k]
}

// soakCase is one ConversationControl of the soak, on a conversation of its own.
type soakCase struct {
	kind        soakKind
	name, conv  string
	start       sunshinetest.ConversationState // the conversation before the handoff
	state       sbv1.ControlState              // as first declared
	integration string
	want        sunshinetest.ConversationState // the conversation afterwards
	// handoffs are the actions the declaration needs, by operation.
	handoffs map[sunshinetest.Operation]int
}

// soakCaseFor is the i-th case: the kinds in turn, each from a few different starting
// states, none of which already is the declared state.
func soakCaseFor(i int) soakCase {
	st := func(active, pending string) sunshinetest.ConversationState {
		return sunshinetest.ConversationState{Active: active, Pending: pending}
	}
	c := soakCase{kind: soakKind(i % int(soakKinds)), name: fmt.Sprintf("soak-%04d", i), conv: fmt.Sprintf("soak-conv-%04d", i)}
	variant := (i / int(soakKinds)) % 3
	switch c.kind {
	case activeByName:
		target := [...]string{"agent-workspace", "partner", "bot"}[variant]
		c.start = [...]sunshinetest.ConversationState{st("bot", ""), st("bot", "agent-workspace"), st("", "")}[variant]
		c.state, c.integration, c.want = sbv1.StateActive, target, st(target, "")
		c.handoffs = map[sunshinetest.Operation]int{sunshinetest.OpPassControl: 1}
	case activeByNext:
		c.start = [...]sunshinetest.ConversationState{st("bot", ""), st("agent-workspace", ""), st("bot", "partner")}[variant]
		c.state, c.integration, c.want = sbv1.StateActive, sbv1.IntegrationNext, st(nextOf[c.start.Active], "")
		c.handoffs = map[sunshinetest.Operation]int{sunshinetest.OpPassControl: 1}
	case offeredThenActive:
		target := [...]string{"agent-workspace", "partner", "agent-workspace"}[variant]
		c.start = [...]sunshinetest.ConversationState{st("bot", ""), st("agent-workspace", "bot"), st("", "")}[variant]
		c.state, c.integration, c.want = sbv1.StateOffered, target, st(target, "")
		c.handoffs = map[sunshinetest.Operation]int{sunshinetest.OpOfferControl: 1, sunshinetest.OpAcceptControl: 1}
	default:
		c.start = [...]sunshinetest.ConversationState{st("bot", ""), st("bot", "agent-workspace"), st("partner", "")}[variant]
		c.state, c.want = sbv1.StateReleased, st("", "")
		c.handoffs = map[sunshinetest.Operation]int{sunshinetest.OpReleaseControl: 1}
	}
	return c
}

// finalState is the state the case ends up declaring.
func (c soakCase) finalState() sbv1.ControlState {
	if c.kind == offeredThenActive {
		return sbv1.StateActive
	}
	return c.state
}

// readyAtGeneration tells whether the object finished its current generation and is
// Ready.
func readyAtGeneration(cc *sbv1.ConversationControl) bool {
	ready := meta.FindStatusCondition(cc.Status.Conditions, sbv1.ConditionReady)
	return cc.Status.ObservedGeneration == cc.Generation && ready != nil &&
		ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == cc.Generation
}

// soakProblems lists what is wrong with a finished case: its conditions and the live
// conversation, and apart from them, what its status records of the handoff.
func soakProblems(c soakCase, cc *sbv1.ConversationControl, live sunshinetest.ConversationState) (state, record []string) {
	problem := func(out *[]string) func(format string, args ...any) {
		return func(format string, args ...any) {
			*out = append(*out, c.name+" ("+c.kind.String()+"): "+fmt.Sprintf(format, args...))
		}
	}
	add, addRecord := problem(&state), problem(&record)
	if cc.Spec.State != c.finalState() {
		add("spec.state is %s, not %s", cc.Spec.State, c.finalState())
	}
	if !readyAtGeneration(cc) {
		add("not Ready at generation %d: observedGeneration %d, conditions %v", cc.Generation, cc.Status.ObservedGeneration, cc.Status.Conditions)
	}
	for _, t := range []string{sbv1.ConditionReconciling, sbv1.ConditionStalled} {
		if cond := meta.FindStatusCondition(cc.Status.Conditions, t); cond != nil {
			add("%s: %s %s", t, cond.Reason, cond.Message)
		}
	}
	if !meta.IsStatusConditionTrue(cc.Status.Conditions, sbv1.ConditionInSync) {
		add("not InSync: %v", meta.FindStatusCondition(cc.Status.Conditions, sbv1.ConditionInSync))
	}
	if live != c.want {
		add("live state %+v, want %+v (started at %+v)", live, c.want, c.start)
	}
	if cc.Status.InFlightAction != nil {
		addRecord("an action is still recorded in flight: %+v", *cc.Status.InFlightAction)
	}
	// The status records the handoff that this generation made, also when its answer was
	// lost or a restart cut off the status write after the call: deletion with Release and
	// driftPolicy Report rely on it.
	if last := cc.Status.LastAppliedAction; last == nil {
		addRecord("no lastAppliedAction recorded for the %s", c.lastAction())
	} else {
		if last.Action != c.lastAction() || last.Generation != cc.Generation {
			addRecord("lastAppliedAction is %s at generation %d, not %s at generation %d", last.Action, last.Generation, c.lastAction(), cc.Generation)
		}
		if c.want.Active != "" && (last.Reached == nil || last.Reached.Name != c.want.Active) {
			addRecord("lastAppliedAction %+v does not record that it reached %s", *last, c.want.Active)
		}
	}
	return state, record
}

// lastAction is the action of the case's last handoff.
func (c soakCase) lastAction() sbv1.Action {
	switch c.kind {
	case offeredThenActive:
		return sbv1.ActionAcceptControl
	case releasedKind:
		return sbv1.ActionReleaseControl
	default:
		return sbv1.ActionPassControl
	}
}

var _ = Describe("Soak", Label("reliability"), func() {
	It("converges every object under API faults and two manager restarts, with no handoff twice", Label("soak"),
		func(ctx SpecContext) {
			const partition = "soak"
			started := time.Now()
			n, restarts := soakObjects(), soakRestarts()
			opts := soakOptions()
			api := newFaultAPI(opts.APITimeout)

			By(fmt.Sprintf("starting the manager, and a Switchboard on a simulator of its own (%d objects)", n))
			managers := []*runningManager{runManager("soak-0", partition, opts)}
			ns := api.newSwitchboard(partition)
			DeferCleanup(func(ctx SpecContext) {
				Expect(k8sClient.DeleteAllOf(ctx, &sbv1.ConversationControl{}, client.InNamespace(ns))).To(Succeed())
				Eventually(func(g Gomega) {
					var list sbv1.ConversationControlList
					g.Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
					g.Expect(list.Items).To(BeEmpty())
				}).WithTimeout(time.Minute).Should(Succeed())
			})

			cases := make([]soakCase, n)
			byName := make(map[string]soakCase, n)
			handoffs := map[sunshinetest.Operation]int{}
			kinds := map[soakKind]int{}
			for i := range cases {
				c := soakCaseFor(i)
				cases[i], byName[c.name] = c, c
				Expect(api.sim.SetConversation(testAppID, c.conv, c.start)).To(Succeed())
				for op, k := range c.handoffs {
					handoffs[op] += k
				}
				kinds[c.kind]++
			}
			createCase := func(c soakCase) {
				Expect(k8sClient.Create(ctx, control(ns, partition, c.name, c.conv, c.state, c.integration))).To(Succeed())
			}

			By("injecting the schedule of faults, and creating two thirds of the objects")
			api.injectSchedule(func(op sunshinetest.Operation) int {
				// Some 6 reads and at most 1 call of each action per object in a run; the
				// schedule reaches well beyond, and past it requests have only the latency.
				if op == sunshinetest.OpGetConversation {
					return 20 * n
				}
				return 4 * n
			})
			firstWave := n * 2 / 3
			for _, c := range cases[:firstWave] {
				createCase(c)
			}

			// Drive the run: accept the offers that were made, stop the manager when a third
			// and when two thirds of the objects are finished, create the last third while it
			// is down, and start it again after a second, once the simulator has handled
			// every request the stopped manager left behind: a late lost answer is applied
			// only when the client's timeout has passed since it arrived, and a new manager
			// that read the conversation before then would rightly send the action again.
			const downtime = time.Second
			var (
				accepted         = map[string]bool{}
				unfinishedAtStop []int
				down             bool
				downSince        time.Time
				longestDown      time.Duration
				created          = firstWave
			)
			deadline := time.Now().Add(2*time.Minute + time.Duration(n)*200*time.Millisecond)
			for {
				var list sbv1.ConversationControlList
				Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
				finished := 0
				for i := range list.Items {
					cc := &list.Items[i]
					c := byName[cc.Name]
					if c.kind == offeredThenActive && !accepted[cc.Name] && readyAtGeneration(cc) && cc.Spec.State == sbv1.StateOffered {
						base := cc.DeepCopy()
						cc.Spec.State = sbv1.StateActive
						Expect(k8sClient.Patch(ctx, cc, client.MergeFrom(base))).To(Succeed())
						accepted[cc.Name] = true
						continue
					}
					if cc.Spec.State == c.finalState() && readyAtGeneration(cc) {
						finished++
					}
				}
				if finished == n {
					break
				}
				Expect(time.Now()).To(BeTemporally("<", deadline), "%d of %d objects finished; restarts %d", finished, n, len(managers)-1)
				switch {
				case down && time.Since(downSince) >= downtime && api.unanswered() == 0:
					longestDown = max(longestDown, time.Since(downSince))
					By(fmt.Sprintf("starting the manager again (restart %d)", len(managers)))
					managers = append(managers, runManager(fmt.Sprintf("soak-%d", len(managers)), partition, opts))
					down = false
				case !down && len(unfinishedAtStop) < restarts && finished >= (len(unfinishedAtStop)+1)*n/(restarts+1):
					By(fmt.Sprintf("stopping the manager with %d of %d objects finished", finished, n))
					managers[len(managers)-1].stop()
					unfinishedAtStop = append(unfinishedAtStop, n-finished)
					down, downSince = true, time.Now()
					if created < n {
						By("creating the last third while the manager is down")
						for _, c := range cases[created:] {
							createCase(c)
						}
						created = n
					}
				}
				time.Sleep(100 * time.Millisecond)
			}
			converged := time.Since(started)
			Expect(unfinishedAtStop).To(HaveLen(restarts), "the manager was stopped %d times", restarts)
			Expect(managers).To(HaveLen(restarts+1), "and started again as often")
			for i, left := range unfinishedAtStop {
				Expect(left).To(BeNumerically(">", 0), "objects were still unfinished at stop %d", i+1)
			}

			By("checking that nothing is retried once every object is finished")
			const quietFor = 3 * time.Second
			before := api.conversationRequests()
			beforeByOp := map[sunshinetest.Operation]int{}
			for _, op := range conversationOps {
				beforeByOp[op] = api.requests(op)
			}
			time.Sleep(quietFor)
			quietCalls := api.conversationRequests() - before
			quietByOp := map[sunshinetest.Operation]int{}
			for _, op := range conversationOps {
				if d := api.requests(op) - beforeByOp[op]; d > 0 {
					quietByOp[op] = d
				}
			}

			var list sbv1.ConversationControlList
			Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
			Expect(list.Items).To(HaveLen(n))
			var problems, unrecorded []string
			reconciling := 0
			for i := range list.Items {
				cc := &list.Items[i]
				c := byName[cc.Name]
				if meta.FindStatusCondition(cc.Status.Conditions, sbv1.ConditionReconciling) != nil {
					reconciling++
				}
				state, record := soakProblems(c, cc, api.live(c.conv))
				problems, unrecorded = append(problems, state...), append(unrecorded, record...)
			}
			managers[len(managers)-1].stop()
			taken := api.faultsTaken()
			api.sim.ClearFaults()

			figures := soakFigures(api, taken, n, kinds, handoffs, unfinishedAtStop, downtime, longestDown, converged, quietFor, quietCalls, reconciling)
			AddReportEntry("soak figures", figures)
			GinkgoWriter.Print(figures)

			Expect(problems).To(BeEmpty(), "every object Ready with the live state as declared, each `next` one hop")
			Expect(quietByOp).To(BeEmpty(), "no calls after convergence: nothing left in a retry loop")
			Expect(reconciling).To(BeZero(), "no Reconciling condition after convergence")
			for _, op := range actionOps {
				applied := api.answeredBy(op, succeeded) + taken.of(op, lostAnswers...)
				Expect(applied).To(Equal(handoffs[op]), "%s: each handoff applied exactly once (answered with success, or its answer lost); conversations with more than one:%s",
					op, api.repeated(op))
				Expect(api.requests(op)).To(BeNumerically("<=", handoffs[op]+api.failuresOn(op)),
					"%s: at most one call per handoff plus one per injected failure", op)
			}
			for _, op := range sunshinetest.Operations {
				Expect(api.answeredBy(op, refused)).To(BeZero(), "%s: no request refused", op)
			}
			for _, op := range conversationOps {
				// The requests the simulator answered with 429 or 5xx or did not answer are
				// exactly the failures it no longer lists: each taken by one request, and
				// nothing else failed.
				Expect(api.answeredBy(op, failedAnswer)).To(Equal(taken.of(op, failing...)), "%s: failures counted (taken: %v)", op, taken[op])
			}
			Expect(unrecorded).To(BeEmpty(), "every handoff recorded in status.lastAppliedAction, also when its answer was lost or a stop cut off the status write")
		}, NodeTimeout(30*time.Minute))
})

// soakFigures are the soak's figures, one line each; taken are the faults requests took.
func soakFigures(api *faultAPI, taken faultCounts, n int, kinds map[soakKind]int, handoffs map[sunshinetest.Operation]int,
	unfinishedAtStop []int, downtime, longestDown, converged, quietFor time.Duration, quietCalls, reconciling int) string {
	var b strings.Builder
	total := func(m map[sunshinetest.Operation]int) int {
		t := 0
		for _, v := range m {
			t += v
		}
		return t
	}
	kindList := make([]string, 0, soakKinds)
	for k := range soakKinds {
		kindList = append(kindList, fmt.Sprintf("%d %s", kinds[k], k))
	}
	fmt.Fprintf(&b, "soak: %d objects (%s), %d handoffs, %d concurrent reconciles\n",
		n, strings.Join(kindList, ", "), total(handoffs), soakOptions().MaxConcurrentReconciles)

	byKind := map[faultKind]int{}
	for _, op := range conversationOps {
		for _, k := range failing {
			byKind[k] += taken.of(op, k)
		}
	}
	fmt.Fprintf(&b, "soak: faults taken by %d requests on conversations, each delayed %s: %d 5xx (%s more), %d 429 (Retry-After %s), %d dropped, %d lost answers (%d at once, %d as the client timed out after %s; the simulator applied them)\n",
		api.conversationRequests(), soakLatency, byKind[faultServerError], soakServerErrorLatency, byKind[faultRateLimited],
		soakRetryAfter, byKind[faultDropped], byKind[faultLostAnswer]+byKind[faultLateAnswer], byKind[faultLostAnswer],
		byKind[faultLateAnswer], api.clientTimeout)

	ops := make([]string, 0, len(sunshinetest.Operations))
	for _, op := range sunshinetest.Operations {
		answers := api.statuses(op)
		if len(answers) == 0 {
			continue
		}
		statuses := make([]int, 0, len(answers))
		for s := range answers {
			statuses = append(statuses, s)
		}
		sort.Ints(statuses)
		parts := make([]string, 0, len(statuses))
		for _, s := range statuses {
			label := strconv.Itoa(s)
			if s == 0 {
				label = "closed"
			}
			parts = append(parts, fmt.Sprintf("%s %d", label, answers[s]))
		}
		ops = append(ops, fmt.Sprintf("%s %d (%s)", op, api.requests(op), strings.Join(parts, ", ")))
	}
	fmt.Fprintf(&b, "soak: calls by operation and answer (closed: dropped or lost): %s\n", strings.Join(ops, "; "))

	actions, failures := 0, 0
	perOp := make([]string, 0, len(actionOps))
	for _, op := range actionOps {
		actions += api.requests(op)
		failures += api.failuresOn(op)
		perOp = append(perOp, fmt.Sprintf("%s %d <= %d + %d", op, api.requests(op), handoffs[op], api.failuresOn(op)))
	}
	fmt.Fprintf(&b, "soak: action calls %d <= %d handoffs + %d failed action calls (%s)\n",
		actions, total(handoffs), failures, strings.Join(perOp, ", "))
	fmt.Fprintf(&b, "soak: manager restarts %d (down %s or until the simulator handled what the stopped manager sent, at most %s; objects unfinished at the stops: %v); requests the simulator took the client's timeout or longer to handle: %d\n",
		len(unfinishedAtStop), downtime, longestDown.Round(10*time.Millisecond), unfinishedAtStop, api.lateRequests())
	fmt.Fprintf(&b, "soak: all %d objects finished after %s; then %s quiet: %d calls, %d objects Reconciling\n",
		n, converged.Round(100*time.Millisecond), quietFor, quietCalls, reconciling)
	return b.String()
}
