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

package healthcheck_test

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
	"github.com/switchboard-operator/switchboard-operator/test/healthcheck"
)

// TestHealthCheckOnTypedObjects feeds the API's Go types through EvaluateObject, the
// way a test holding objects read from envtest does.
func TestHealthCheckOnTypedObjects(t *testing.T) {
	lua := script(t)
	at := metav1.NewTime(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	meta := func(generation int64) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: "vip-4711", Namespace: "support", Generation: generation, CreationTimestamp: at}
	}
	condition := func(condType string, status metav1.ConditionStatus, reason, message string, generation int64) metav1.Condition {
		return metav1.Condition{Type: condType, Status: status, Reason: reason, Message: message, ObservedGeneration: generation, LastTransitionTime: at}
	}

	cases := []struct {
		name        string
		object      any
		wantStatus  string
		wantMessage string
	}{
		{
			name: "a ConversationControl with an empty status waits for the first reconcile",
			object: &sbv1.ConversationControl{
				TypeMeta:   metav1.TypeMeta{APIVersion: sbv1.GroupVersion.String(), Kind: "ConversationControl"},
				ObjectMeta: meta(1),
			},
			wantStatus:  healthcheck.StatusProgressing,
			wantMessage: "Waiting for the operator's first reconcile",
		},
		{
			name: "a ConversationControl with the CRD default observedGeneration waits for the first reconcile",
			object: &sbv1.ConversationControl{
				ObjectMeta: meta(1),
				Status:     sbv1.ConversationControlStatus{ObservedGeneration: -1},
			},
			wantStatus:  healthcheck.StatusProgressing,
			wantMessage: "Waiting for the operator's first reconcile",
		},
		{
			name: "a ready ConversationControl is healthy",
			object: &sbv1.ConversationControl{
				ObjectMeta: meta(2),
				Status: sbv1.ConversationControlStatus{
					ObservedGeneration: 2,
					Conditions: []metav1.Condition{
						condition(sbv1.ConditionReady, metav1.ConditionTrue, sbv1.ReasonSucceeded, "agent-workspace controls the conversation", 2),
						condition(sbv1.ConditionInSync, metav1.ConditionTrue, sbv1.ReasonInSync, "agent-workspace is active, as desired", 2),
					},
				},
			},
			wantStatus:  healthcheck.StatusHealthy,
			wantMessage: "Succeeded: agent-workspace controls the conversation",
		},
		{
			name: "a suspended ConversationControl is suspended",
			object: &sbv1.ConversationControl{
				ObjectMeta: meta(3),
				Spec:       sbv1.ConversationControlSpec{Suspend: true},
				Status: sbv1.ConversationControlStatus{
					ObservedGeneration: 3,
					Conditions: []metav1.Condition{
						condition(sbv1.ConditionReady, metav1.ConditionFalse, sbv1.ReasonSuspended, "spec.suspend is true: no switchboard calls are made", 3),
					},
				},
			},
			wantStatus:  healthcheck.StatusSuspended,
			wantMessage: "Suspended: spec.suspend is true: no switchboard calls are made",
		},
		{
			name: "a stalled Switchboard is degraded",
			object: &sbv1.Switchboard{
				ObjectMeta: meta(1),
				Status: sbv1.SwitchboardStatus{
					ObservedGeneration: 1,
					Conditions: []metav1.Condition{
						condition(sbv1.ConditionReady, metav1.ConditionFalse, sbv1.ReasonSecretNotFound, "Secret acme-sunshine not found", 1),
						condition(sbv1.ConditionStalled, metav1.ConditionTrue, sbv1.ReasonSecretNotFound, "Secret acme-sunshine not found", 1),
					},
				},
			},
			wantStatus:  healthcheck.StatusDegraded,
			wantMessage: "SecretNotFound: Secret acme-sunshine not found",
		},
		{
			name: "a Switchboard being deleted is progressing",
			object: &sbv1.Switchboard{
				ObjectMeta: func() metav1.ObjectMeta {
					m := meta(1)
					m.DeletionTimestamp = &at
					m.Finalizers = []string{"example.com/keep"}
					return m
				}(),
				Status: sbv1.SwitchboardStatus{
					ObservedGeneration: 1,
					Conditions: []metav1.Condition{
						condition(sbv1.ConditionReady, metav1.ConditionTrue, sbv1.ReasonSwitchboardReady, "listed", 1),
					},
				},
			},
			wantStatus:  healthcheck.StatusProgressing,
			wantMessage: "Being deleted",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, message, err := healthcheck.EvaluateObject(lua, tc.object)
			if err != nil {
				t.Fatal(err)
			}
			if status != tc.wantStatus || message != tc.wantMessage {
				t.Errorf("got %s %q, want %s %q", status, message, tc.wantStatus, tc.wantMessage)
			}
		})
	}
}
