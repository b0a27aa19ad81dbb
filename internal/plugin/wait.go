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
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// waitFor reads the object every pollInterval until done says it is finished (true) or
// fails, or timeout passes; then the error says what the object last showed.
func (o *options) waitFor(ctx context.Context, key client.ObjectKey, timeout time.Duration, what string,
	done func(*sbv1.ConversationControl) (bool, error)) (*sbv1.ConversationControl, error) {
	c, err := o.kube()
	if err != nil {
		return nil, err
	}
	var last *sbv1.ConversationControl
	err = wait.PollUntilContextTimeout(ctx, o.pollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		cc, err := getControl(ctx, c, key)
		if err != nil {
			return false, err
		}
		last = cc
		return done(cc)
	})
	if err == nil {
		return last, nil
	}
	if wait.Interrupted(err) && ctx.Err() == nil {
		state := "it was not read"
		if last != nil {
			state = "it is " + orNone(whyNotReady(last.Status.Conditions))
		}
		return last, fmt.Errorf("timed out after %s waiting for ConversationControl %s/%s %s; %s", timeout, key.Namespace, key.Name, what, state)
	}
	return last, err
}

// waitReady waits until the object is Ready=True for its current generation. A Stalled
// object (the operator cannot go on until something changes), a suspended one or one
// being deleted ends the wait with an error that says why.
func (o *options) waitReady(ctx context.Context, key client.ObjectKey, timeout time.Duration) (*sbv1.ConversationControl, error) {
	return o.waitFor(ctx, key, timeout, "to become Ready", readyForGeneration)
}

// readyForGeneration is the check of waitReady.
func readyForGeneration(cc *sbv1.ConversationControl) (bool, error) {
	name := cc.Namespace + "/" + cc.Name
	if cc.DeletionTimestamp != nil {
		return false, fmt.Errorf("ConversationControl %s is being deleted", name)
	}
	if cc.Spec.Suspend {
		return false, fmt.Errorf("ConversationControl %s is suspended (spec.suspend): it makes no handoff until "+
			"kubectl switchboard resume %s", name, cc.Name)
	}
	current := func(c *metav1.Condition) bool { return c != nil && c.ObservedGeneration == cc.Generation }
	if s := meta.FindStatusCondition(cc.Status.Conditions, sbv1.ConditionStalled); current(s) && s.Status == metav1.ConditionTrue {
		return false, &StalledError{Name: name, Reason: s.Reason, Message: s.Message}
	}
	r := meta.FindStatusCondition(cc.Status.Conditions, sbv1.ConditionReady)
	return current(r) && r.Status == metav1.ConditionTrue && cc.Status.ObservedGeneration == cc.Generation, nil
}

// StalledError is what --wait reports when the operator says the object is Stalled: it
// cannot go on until something changes (see the README's table of conditions).
type StalledError struct {
	// Name is the object's namespace/name.
	Name string
	// Reason and Message are those of the Stalled condition.
	Reason, Message string
}

func (e *StalledError) Error() string {
	return fmt.Sprintf("ConversationControl %s is Stalled (%s): %s", e.Name, e.Reason, e.Message)
}

// IsStalled tells whether err reports a Stalled object.
func IsStalled(err error) bool {
	var s *StalledError
	return errors.As(err, &s)
}
