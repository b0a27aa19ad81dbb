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
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

func newReconcileCommand(o *options) *cobra.Command {
	var waitDone bool
	var timeout time.Duration
	var out *outputFlags
	cmd := &cobra.Command{
		Use:   "reconcile NAME",
		Short: "Make the operator read the conversation again now, and re-apply where it differs",
		Long: `Sets the annotation ` + sbv1.AnnotationRequestedAt + ` of the ConversationControl to a new
value. The operator then reads the conversation's live state at once and, where it differs
from the declaration, applies the declaration once, whatever the driftPolicy. The command
waits until the operator reports the value handled (status.lastHandledReconcileAt);
--wait=false returns at once.`,
		Example:           "  kubectl switchboard reconcile vip-4711 -n support",
		Args:              exactlyOne("NAME", "the ConversationControl's name"),
		ValidArgsFunction: o.completeControls,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			return o.runReconcile(cmd.Context(), args[0], waitDone, timeout, out)
		},
	}
	addWaitFlags(cmd, &waitDone, &timeout, true)
	out = addOutputFlags(cmd)
	return cmd
}

func (o *options) runReconcile(ctx context.Context, name string, waitDone bool, timeout time.Duration, out *outputFlags) error {
	if timeout <= 0 {
		return fmt.Errorf("--timeout is %s: it must be positive", timeout)
	}
	cc, err := o.getControl(ctx, name)
	if err != nil {
		return err
	}
	if cc.Spec.Suspend {
		return fmt.Errorf("ConversationControl %s/%s is suspended: the operator reads nothing for it until "+
			"kubectl switchboard resume %s", cc.Namespace, cc.Name, cc.Name)
	}
	value := o.now().UTC().Format(time.RFC3339Nano)
	if value == cc.Annotations[sbv1.AnnotationRequestedAt] {
		value += "-1"
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"annotations":     map[string]string{sbv1.AnnotationRequestedAt: value},
		"resourceVersion": cc.ResourceVersion, // refuse to write over a change made meanwhile
	}})
	if err != nil {
		return err
	}
	c, err := o.kube()
	if err != nil {
		return err
	}
	if err := c.Patch(ctx, cc, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(FieldManager)); err != nil {
		return fmt.Errorf("annotating ConversationControl %s/%s: %w", cc.Namespace, cc.Name, err)
	}
	if !out.requested() {
		if err := o.printf("conversationcontrol/%s reconcile requested (%s=%s)\n", name, sbv1.AnnotationRequestedAt, value); err != nil {
			return err
		}
	}
	obj := cc
	if waitDone {
		obj, err = o.waitFor(ctx, client.ObjectKeyFromObject(cc), timeout, "to handle "+sbv1.AnnotationRequestedAt+"="+value,
			func(cc *sbv1.ConversationControl) (bool, error) {
				return cc.Status.LastHandledReconcileAt == value, nil
			})
		if err != nil {
			return err
		}
		if !out.requested() {
			return o.printf("conversationcontrol/%s reconciled: Ready %s (%s), in sync %s, active %s\n", name,
				conditionStatus(obj.Status.Conditions, sbv1.ConditionReady), readyReason(obj.Status.Conditions),
				conditionStatus(obj.Status.Conditions, sbv1.ConditionInSync), live(obj))
		}
	}
	if out.requested() {
		return out.printObj(obj, o.streams.Out)
	}
	return nil
}

func newSuspendCommand(o *options, suspend bool) *cobra.Command {
	var waitDone bool
	var timeout time.Duration
	var out *outputFlags
	verb, short, long := "resume", "Let the operator act for a ConversationControl again (spec.suspend false)",
		`Sets spec.suspend to false (a patch, field manager kubectl-switchboard): the
operator reads the conversation again and applies the declaration. With --wait it waits
until the object is Ready.`
	if suspend {
		verb, short, long = "suspend", "Stop every API call for a ConversationControl (spec.suspend true)",
			`Sets spec.suspend to true (a patch, field manager kubectl-switchboard): the
operator makes no API call for the object until it is resumed; deletion still works. With
--wait it waits until the operator reports it Suspended.`
	}
	cmd := &cobra.Command{
		Use:               verb + " NAME",
		Short:             short,
		Long:              long,
		Example:           "  kubectl switchboard " + verb + " vip-4711 -n support",
		Args:              exactlyOne("NAME", "the ConversationControl's name"),
		ValidArgsFunction: o.completeControls,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			return o.runSuspend(cmd.Context(), args[0], suspend, waitDone, timeout, out)
		},
	}
	addWaitFlags(cmd, &waitDone, &timeout, false)
	out = addOutputFlags(cmd)
	return cmd
}

func (o *options) runSuspend(ctx context.Context, name string, suspend, waitDone bool, timeout time.Duration, out *outputFlags) error {
	if timeout <= 0 {
		return fmt.Errorf("--timeout is %s: it must be positive", timeout)
	}
	cc, err := o.getControl(ctx, name)
	if err != nil {
		return err
	}
	c, err := o.kube()
	if err != nil {
		return err
	}
	// A merge patch, not an apply: an apply without the fields the plugin's handoffs
	// applied would remove them.
	patch := []byte(fmt.Sprintf(`{"spec":{"suspend":%t}}`, suspend))
	if err := c.Patch(ctx, cc.DeepCopy(), client.RawPatch(types.MergePatchType, patch), client.FieldOwner(FieldManager)); err != nil {
		return fmt.Errorf("updating ConversationControl %s/%s: %w", cc.Namespace, cc.Name, err)
	}
	after, err := getControl(ctx, c, client.ObjectKeyFromObject(cc))
	if err != nil {
		return err
	}
	verb := map[bool]string{true: "suspended", false: "resumed"}[suspend]
	if after.Generation == cc.Generation {
		verb = "unchanged (already " + verb + ")"
	}
	if !out.requested() {
		if err := o.printf("conversationcontrol/%s %s\n", name, verb); err != nil {
			return err
		}
	}
	if waitDone {
		key := client.ObjectKeyFromObject(cc)
		if suspend {
			after, err = o.waitFor(ctx, key, timeout, "to be Suspended", suspendedForGeneration)
		} else {
			after, err = o.waitReady(ctx, key, timeout)
		}
		if err != nil {
			return err
		}
		if !out.requested() {
			return o.printf("conversationcontrol/%s is Ready %s (%s)\n", name,
				conditionStatus(after.Status.Conditions, sbv1.ConditionReady), readyReason(after.Status.Conditions))
		}
	}
	if out.requested() {
		return out.printObj(after, o.streams.Out)
	}
	return nil
}

// suspendedForGeneration tells whether the operator reports the current generation
// Suspended.
func suspendedForGeneration(cc *sbv1.ConversationControl) (bool, error) {
	r := meta.FindStatusCondition(cc.Status.Conditions, sbv1.ConditionReady)
	return r != nil && r.ObservedGeneration == cc.Generation && r.Status != metav1.ConditionTrue && r.Reason == sbv1.ReasonSuspended, nil
}
