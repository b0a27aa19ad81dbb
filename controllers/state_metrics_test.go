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
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

func stateScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	utilruntime.Must(sbv1.AddToScheme(s))
	return s
}

func stateCondition(conditionType string, status metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{Type: conditionType, Status: status, Reason: reason, Message: "m"}
}

func stateSwitchboard(name string, conditions ...metav1.Condition) *sbv1.Switchboard {
	return &sbv1.Switchboard{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "support"},
		Status:     sbv1.SwitchboardStatus{Conditions: conditions},
	}
}

func stateControl(name string, conditions ...metav1.Condition) *sbv1.ConversationControl {
	return &sbv1.ConversationControl{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "support"},
		Status:     sbv1.ConversationControlStatus{Conditions: conditions},
	}
}

func TestStateMetricsCountObjectsByReadyStatusAndStalledReason(t *testing.T) {
	ready := stateCondition(sbv1.ConditionReady, metav1.ConditionTrue, sbv1.ReasonSucceeded)
	objects := []client.Object{
		stateSwitchboard("ready", stateCondition(sbv1.ConditionReady, metav1.ConditionTrue, sbv1.ReasonSwitchboardReady)),
		stateSwitchboard("unauthorized",
			stateCondition(sbv1.ConditionReady, metav1.ConditionFalse, sbv1.ReasonUnauthorized),
			stateCondition(sbv1.ConditionStalled, metav1.ConditionTrue, sbv1.ReasonUnauthorized)),
		stateSwitchboard("new"),
		stateControl("a", ready),
		stateControl("b", ready, stateCondition(sbv1.ConditionInSync, metav1.ConditionFalse, sbv1.ReasonDrifted)),
		stateControl("retrying",
			stateCondition(sbv1.ConditionReady, metav1.ConditionFalse, sbv1.ReasonRateLimited),
			stateCondition(sbv1.ConditionReconciling, metav1.ConditionTrue, sbv1.ReasonRateLimited)),
		stateControl("conflict-1",
			stateCondition(sbv1.ConditionReady, metav1.ConditionFalse, sbv1.ReasonConflict),
			stateCondition(sbv1.ConditionStalled, metav1.ConditionTrue, sbv1.ReasonConflict)),
		stateControl("conflict-2",
			stateCondition(sbv1.ConditionReady, metav1.ConditionFalse, sbv1.ReasonConflict),
			stateCondition(sbv1.ConditionStalled, metav1.ConditionTrue, sbv1.ReasonConflict)),
		// A Stalled condition that is not True does not count as stalled.
		stateControl("recovered", ready, stateCondition(sbv1.ConditionStalled, metav1.ConditionFalse, sbv1.ReasonConflict)),
	}
	c := fake.NewClientBuilder().WithScheme(stateScheme(t)).WithObjects(objects...).Build()

	want := `
# HELP switchboard_operator_objects Objects the operator handles, by kind.
# TYPE switchboard_operator_objects gauge
switchboard_operator_objects{kind="ConversationControl"} 6
switchboard_operator_objects{kind="Switchboard"} 3
# HELP switchboard_operator_object_ready Objects by kind and the status and reason of their Ready condition (status Unknown and no reason before the first reconcile).
# TYPE switchboard_operator_object_ready gauge
switchboard_operator_object_ready{kind="ConversationControl",reason="Conflict",status="False"} 2
switchboard_operator_object_ready{kind="ConversationControl",reason="RateLimited",status="False"} 1
switchboard_operator_object_ready{kind="ConversationControl",reason="Succeeded",status="True"} 3
switchboard_operator_object_ready{kind="Switchboard",reason="",status="Unknown"} 1
switchboard_operator_object_ready{kind="Switchboard",reason="SwitchboardReady",status="True"} 1
switchboard_operator_object_ready{kind="Switchboard",reason="Unauthorized",status="False"} 1
# HELP switchboard_operator_object_stalled Objects whose Stalled condition is True, by kind and reason.
# TYPE switchboard_operator_object_stalled gauge
switchboard_operator_object_stalled{kind="ConversationControl",reason="Conflict"} 2
switchboard_operator_object_stalled{kind="Switchboard",reason="Unauthorized"} 1
`
	if err := testutil.CollectAndCompare(NewStateMetrics(c), strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

func TestStateMetricsFollowTheObjectsBetweenScrapes(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientBuilder().WithScheme(stateScheme(t)).Build()
	collector := NewStateMetrics(c)

	// With no objects, the counts of objects are exported as zero, and no Ready series.
	want := `
# HELP switchboard_operator_objects Objects the operator handles, by kind.
# TYPE switchboard_operator_objects gauge
switchboard_operator_objects{kind="ConversationControl"} 0
switchboard_operator_objects{kind="Switchboard"} 0
`
	if err := testutil.CollectAndCompare(collector, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}

	sb := stateSwitchboard("acme", stateCondition(sbv1.ConditionReady, metav1.ConditionFalse, sbv1.ReasonAPIUnavailable))
	if err := c.Create(ctx, sb); err != nil {
		t.Fatal(err)
	}
	ready := `
# HELP switchboard_operator_object_ready Objects by kind and the status and reason of their Ready condition (status Unknown and no reason before the first reconcile).
# TYPE switchboard_operator_object_ready gauge
switchboard_operator_object_ready{kind="Switchboard",reason="%s",status="%s"} 1
`
	if err := testutil.CollectAndCompare(collector, strings.NewReader(fmt.Sprintf(ready, "APIUnavailable", "False")), MetricObjectReady); err != nil {
		t.Fatal(err)
	}

	// The next scrape sees the new condition: no series of the old one stays behind.
	sb.Status.Conditions = []metav1.Condition{stateCondition(sbv1.ConditionReady, metav1.ConditionTrue, sbv1.ReasonSwitchboardReady)}
	if err := c.Update(ctx, sb); err != nil {
		t.Fatal(err)
	}
	if err := testutil.CollectAndCompare(collector, strings.NewReader(fmt.Sprintf(ready, "SwitchboardReady", "True")), MetricObjectReady); err != nil {
		t.Fatal(err)
	}
}

func TestStateMetricsLeaveOutAKindWhoseListFails(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(stateScheme(t)).
		WithObjects(stateControl("a"), stateSwitchboard("acme")).
		WithInterceptorFuncs(interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if _, ok := list.(*sbv1.SwitchboardList); ok {
				return errors.New("the cache is not started, can not read objects")
			}
			return c.List(ctx, list, opts...)
		}}).Build()

	want := `
# HELP switchboard_operator_objects Objects the operator handles, by kind.
# TYPE switchboard_operator_objects gauge
switchboard_operator_objects{kind="ConversationControl"} 1
`
	if err := testutil.CollectAndCompare(NewStateMetrics(c), strings.NewReader(want), MetricObjects); err != nil {
		t.Fatal(err)
	}
}

func TestStateMetricsRegisterAndLint(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	collector := NewStateMetrics(fake.NewClientBuilder().WithScheme(stateScheme(t)).
		WithObjects(stateControl("a", stateCondition(sbv1.ConditionReady, metav1.ConditionTrue, sbv1.ReasonSucceeded))).Build())
	if err := reg.Register(collector); err != nil {
		t.Fatalf("registering the state metrics: %v", err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("gathering the state metrics from a pedantic registry: %v", err)
	}
	problems, err := testutil.CollectAndLint(collector)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
}
