package main

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/pkg/sunshine/sunshinetest"
)

func TestParseFlagsDrift(t *testing.T) {
	o, err := parseFlags([]string{"-drift", "-n", "200", "-drift-share", "0.5", "-drift-rate", "5",
		"-drift-poll-interval", "30s", "-drift-runs", "webhooks"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	d := o.Drift
	if !d.Enabled || d.Share != 0.5 || d.Rate != 5 || d.PollInterval != 30*time.Second || d.SafetyPoll != time.Hour ||
		!slices.Equal(d.Runs, []string{driftRunWebhooks}) {
		t.Errorf("drift options = %+v", d)
	}
	o, err = parseFlags(nil, io.Discard)
	if err != nil || o.Drift.Enabled || o.Drift.PollInterval != 5*time.Minute ||
		!slices.Equal(o.Drift.Runs, []string{driftRunPolls, driftRunWebhooks}) {
		t.Errorf("defaults = %+v, %v", o.Drift, err)
	}
	for _, args := range [][]string{
		{"-drift-share", "0"},
		{"-drift-share", "1.5"},
		{"-drift-rate", "0"},
		{"-drift-poll-interval", "5s"},
		{"-drift-safety-poll", "5s"},
		{"-drift-runs", "polls,sometimes"},
		{"-drift-runs", ""},
		{"-drift", "-n", "3", "-drift-share", "0.1"}, // no conversation would move
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) succeeded", args)
		}
	}
}

func TestMovedIndicesSpreadTheShareOverTheObjects(t *testing.T) {
	got := movedIndices(10, 0.3)
	if !slices.Equal(got, []int{0, 3, 6}) {
		t.Errorf("movedIndices(10, 0.3) = %v", got)
	}
	got = movedIndices(1000, 0.2)
	if len(got) != 200 || got[0] != 0 || got[199] != 995 {
		t.Errorf("movedIndices(1000, 0.2): %d indices, first %d, last %d", len(got), got[0], got[len(got)-1])
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+5 {
			t.Fatalf("indices %d and %d are not 5 apart: %v", i-1, i, got[i-1:i+1])
		}
	}
	if got := movedIndices(4, 1); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("movedIndices(4, 1) = %v", got)
	}
}

func TestCallLogCountsPollsAndOtherReadsInAWindow(t *testing.T) {
	l := newCallLog(time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, info := range []sunshinetest.RequestInfo{
		{Operation: sunshinetest.OpGetConversation, ConversationID: "a", Time: t0},
		{Operation: sunshinetest.OpPassControl, ConversationID: "a", Time: t0.Add(time.Millisecond)},
		{Operation: sunshinetest.OpGetConversation, ConversationID: "a", Time: t0.Add(2 * time.Millisecond)}, // read-back
		{Operation: sunshinetest.OpGetConversation, ConversationID: "b", Time: t0.Add(10 * time.Second)},     // first read of b
		{Operation: sunshinetest.OpGetConversation, ConversationID: "a", Time: t0.Add(70 * time.Second)},     // a poll (>= 27 s after)
		{Operation: sunshinetest.OpGetConversation, ConversationID: "a", Time: t0.Add(80 * time.Second)},     // too soon: not a poll
		{Operation: sunshinetest.OpListSwitchboards, Time: t0.Add(80 * time.Second)},                         // no conversation
	} {
		l.observe(info)
	}
	if got := l.count(t0, t0.Add(time.Hour)); got != (callCounts{Actions: 1, Polls: 1, Reads: 4}) {
		t.Errorf("whole log: %+v", got)
	}
	if got := l.count(t0.Add(time.Second), t0.Add(75*time.Second)); got != (callCounts{Polls: 1, Reads: 1}) {
		t.Errorf("from 1s to 75s: %+v", got)
	}
	if got := l.count(t0.Add(80*time.Second), t0.Add(81*time.Second)); got != (callCounts{Reads: 1}) {
		t.Errorf("the window is closed at both ends: %+v", got)
	}
}

// driftObject is a ConversationControl with the given Ready and InSync statuses (empty
// for absent).
func driftObject(name string, ready, inSync metav1.ConditionStatus) *sbv1.ConversationControl {
	cc := &sbv1.ConversationControl{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Generation: 1}}
	cc.Status.ObservedGeneration = 1
	for typ, st := range map[string]metav1.ConditionStatus{sbv1.ConditionReady: ready, sbv1.ConditionInSync: inSync} {
		if st != "" {
			meta.SetStatusCondition(&cc.Status.Conditions, metav1.Condition{Type: typ, Status: st, Reason: "R", ObservedGeneration: 1})
		}
	}
	return cc
}

func TestDriftWatcherTimesInSyncAndDetections(t *testing.T) {
	ctx := context.Background()
	w := newDriftWatcher(2)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w.observe(driftObject("a", metav1.ConditionTrue, metav1.ConditionTrue), t0)
	w.observe(driftObject("b", metav1.ConditionFalse, ""), t0.Add(time.Second)) // not done yet
	w.observe(driftObject("b", metav1.ConditionTrue, metav1.ConditionFalse), t0.Add(time.Second))
	if w.inSyncCount() != 1 {
		t.Fatalf("in sync: %d, want 1", w.inSyncCount())
	}
	w.observe(driftObject("b", metav1.ConditionTrue, metav1.ConditionTrue), t0.Add(2*time.Second))
	last, err := w.waitInSync(ctx, time.Second)
	if err != nil || !last.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("waitInSync = %v, %v", last, err)
	}

	w.expectMoves(2)
	// InSync=False before its move is not a detection (a has not moved yet).
	w.observe(driftObject("a", metav1.ConditionTrue, metav1.ConditionFalse), t0.Add(3*time.Second))
	w.moved("a", t0.Add(10*time.Second))
	w.moved("b", t0.Add(11*time.Second))
	w.observe(driftObject("b", metav1.ConditionTrue, metav1.ConditionTrue), t0.Add(11500*time.Millisecond)) // still in sync
	w.observe(driftObject("a", metav1.ConditionTrue, metav1.ConditionFalse), t0.Add(10300*time.Millisecond))
	w.observe(driftObject("a", metav1.ConditionTrue, metav1.ConditionFalse), t0.Add(12*time.Second)) // only the first counts
	w.observe(driftObject("c", metav1.ConditionTrue, metav1.ConditionFalse), t0.Add(12*time.Second)) // never moved
	if err := w.waitDetected(ctx, 10*time.Millisecond); err == nil {
		t.Fatal("waitDetected returned with one of two detections")
	}
	w.observe(driftObject("b", metav1.ConditionTrue, metav1.ConditionFalse), t0.Add(12*time.Second))
	if err := w.waitDetected(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	got := w.latencies()
	if !slices.Equal(got, []time.Duration{300 * time.Millisecond, time.Second}) {
		t.Errorf("latencies = %v", got)
	}
	if last := w.lastDetection(); !last.Equal(t0.Add(12 * time.Second)) {
		t.Errorf("last detection = %v", last)
	}
}

func TestDriftRunRates(t *testing.T) {
	// Polls only: the window (moves and one whole interval) holds every object's poll.
	polls := DriftRun{Name: driftRunPolls, PollIntervalSeconds: 60, ReferencePollIntervalSeconds: 300, Objects: 1000,
		Moves: 200, WindowSeconds: 70, Window: callCounts{Polls: 1150, Reads: 0}}
	polls.fillRates(200)
	if polls.PollsPerHourMethod != pollsMeasured || !near(polls.PollsPerHour, 1150*3600.0/70) {
		t.Errorf("polls per hour %v (%s)", polls.PollsPerHour, polls.PollsPerHourMethod)
	}
	// Scaled to the 5-minute interval: five times fewer polls.
	if !near(polls.ReadsPerHourAtReference, 1150*3600.0/70/5) || polls.ReadsPerMove != 0 {
		t.Errorf("reads per hour at 5m %v, per move %v", polls.ReadsPerHourAtReference, polls.ReadsPerMove)
	}

	// Webhooks: the window is far shorter than the safety poll and holds no poll.
	hooks := DriftRun{Name: driftRunWebhooks, Webhooks: true, PollIntervalSeconds: 3600, ReferencePollIntervalSeconds: 3600,
		Objects: 1000, Moves: 200, WindowSeconds: 20, Window: callCounts{Reads: 200}}
	hooks.fillRates(200)
	if hooks.PollsPerHourMethod != pollsComputed || hooks.PollsPerHour != 1000 || hooks.ReadsPerMove != 1 {
		t.Errorf("webhooks: polls per hour %v (%s), reads per move %v", hooks.PollsPerHour, hooks.PollsPerHourMethod, hooks.ReadsPerMove)
	}
	if hooks.ReadsPerHour != 1200 || hooks.ReadsPerHourAtReference != 1200 {
		t.Errorf("webhooks: reads per hour %v, at reference %v", hooks.ReadsPerHour, hooks.ReadsPerHourAtReference)
	}

	// Detection over a shortened interval, scaled by the interval.
	polls.Detection = DetectionLatency{P50Seconds: 30, P99Seconds: 59.4}
	polls.fillRates(200)
	if !near(polls.DetectionAtReference.P50Seconds, 150) || !near(polls.DetectionAtReference.P99Seconds, 297) {
		t.Errorf("detection scaled to 5m: %+v", polls.DetectionAtReference)
	}
	hooks.Detection = DetectionLatency{P50Seconds: 0.3}
	hooks.fillRates(200)
	if hooks.DetectionAtReference.P50Seconds != 0.3 {
		t.Errorf("webhook detection does not depend on the poll interval: %+v", hooks.DetectionAtReference)
	}
}

func near(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }

func TestDriftTargetsAndTable(t *testing.T) {
	rep := &DriftReport{
		Settings: DriftSettings{N: 1000, Share: 0.2, MovesPerSecond: 20, MovesPerHour: 200},
		Runs: []DriftRun{
			{Name: driftRunPolls, PollIntervalSeconds: 300, ReferencePollIntervalSeconds: 300, Objects: 1000, Moves: 200, Detected: 200,
				Detection: DetectionLatency{P50Seconds: 150, P99Seconds: 297}, ReadsPerHandoff: 2, ReadsPerHourAtReference: 12000,
				PollsPerHour: 12000, PollsPerHourMethod: pollsMeasured},
			{Name: driftRunWebhooks, Webhooks: true, PollIntervalSeconds: 3600, ReferencePollIntervalSeconds: 3600, Objects: 1000,
				Moves: 200, Detected: 200, Detection: DetectionLatency{P50Seconds: 0.4, P99Seconds: 2.5}, ReadsPerHandoff: 1.0,
				ReadsPerHourAtReference: 1100, PollsPerHour: 1000, PollsPerHourMethod: pollsComputed},
		},
	}
	rep.Targets = evaluateDriftTargets(rep)
	want := map[string]string{
		"drift detection p50 with webhooks":                 "met",
		"drift detection p99 with webhooks":                 "missed",
		"vendor reads per handoff with webhooks":            "met",
		"vendor reads per hour, polls only (5m) / webhooks": "met",
		"every move seen as InSync=False":                   "met",
	}
	if len(rep.Targets) != len(want) {
		t.Errorf("targets: %+v", rep.Targets)
	}
	for _, tg := range rep.Targets {
		if want[tg.Name] != tg.Status {
			t.Errorf("target %q: %s (%s), want %s", tg.Name, tg.Status, tg.Value, want[tg.Name])
		}
	}
	var out bytes.Buffer
	if err := writeDriftTable(&out, rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"POLLS ONLY", "WEBHOOKS", "150.0s", "400.0ms", "12000", "1100", "10.91x", "polls alone 12.00x", "TARGET", "missed"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, out.String())
		}
	}

	// One run alone: the targets that need both are not evaluated.
	rep.Runs = rep.Runs[1:]
	rep.Runs[0].Detection.P99Seconds = 1.5
	for _, tg := range evaluateDriftTargets(rep) {
		switch tg.Name {
		case "vendor reads per hour, polls only (5m) / webhooks":
			if tg.Status != "n/a" {
				t.Errorf("ratio without the polls run: %s", tg.Status)
			}
		case "drift detection p99 with webhooks":
			if tg.Status != "met" {
				t.Errorf("p99 1.5s: %s", tg.Status)
			}
		}
	}
	rep.Runs[0].Detected = 150
	for _, tg := range evaluateDriftTargets(rep) {
		if tg.Name == "every move seen as InSync=False" && tg.Status != "missed" {
			t.Errorf("150 of 200 detected: %s", tg.Status)
		}
	}
}
