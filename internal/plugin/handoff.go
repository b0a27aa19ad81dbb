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
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// handoff is one of the four handoff commands.
type handoff struct {
	verb  string
	state sbv1.ControlState
	// to: whether --to is required (pass, offer) or refused (accept, release).
	needsTo bool
	short   string
	long    string
}

var (
	handoffPass = handoff{verb: "pass", state: sbv1.StateActive, needsTo: true,
		short: "Give an integration control of a conversation (state Active)",
		long: `Declares that the integration --to controls the conversation: creates or updates the
ConversationControl for it with state Active. The operator then passes control (or accepts
an offer to that integration). --to takes an integration's id, name or integrationType, or
next (the next integration of the one that is active).`}
	handoffOffer = handoff{verb: "offer", state: sbv1.StateOffered, needsTo: true,
		short: "Offer control of a conversation to an integration (state Offered)",
		long: `Declares that control of the conversation is offered to the integration --to (it becomes
pending): creates or updates the ConversationControl with state Offered. Accept it later
with kubectl switchboard accept.`}
	handoffAccept = handoff{verb: "accept", state: sbv1.StateActive,
		short: "Accept the offer of a conversation (state Active for the offered integration)",
		long: `Declares that the offered (pending) integration takes control: sets the ConversationControl
of the conversation from state Offered to Active, for the integration it offered to (or,
when it declares something else, the integration the operator saw pending). The operator
then accepts the offer. It needs no --to.`}
	handoffRelease = handoff{verb: "release", state: sbv1.StateReleased,
		short: "Release a conversation: no integration controls it (state Released)",
		long: `Declares that nobody controls the conversation until its next activity: creates or updates
the ConversationControl with state Released (and without an integration).`}
)

// handoffFlags are the flags of the handoff commands.
type handoffFlags struct {
	to, switchboard, name string
	wait                  bool
	timeout               time.Duration
	out                   *outputFlags
}

func newHandoffCommand(o *options, h handoff) *cobra.Command {
	f := &handoffFlags{}
	use := h.verb + " CONVERSATION"
	if h.needsTo {
		use += " --to INTEGRATION"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: h.short,
		Long: h.long + `

The object is written with server-side apply (field manager kubectl-switchboard); the
plugin never calls the vendor's API. Without --name it is the namespace's
ConversationControl of that conversation, or a new one named after the conversation id.
With --wait it waits until the object is Ready for its new generation and fails with the
reason when the operator reports it Stalled.`,
		Example:           "  kubectl switchboard " + h.verb + " 029c31f25a21b47effd7be90" + exampleTo(h) + " -n support --wait",
		Args:              exactlyOne("CONVERSATION", "the conversation id"),
		ValidArgsFunction: o.completeConversations,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.out.validate(); err != nil {
				return err
			}
			return o.runHandoff(cmd.Context(), h, args[0], f)
		},
	}
	cmd.Flags().StringVar(&f.to, "to", "", "The integration: its id, name or integrationType, or next.")
	if h.needsTo {
		_ = cmd.RegisterFlagCompletionFunc("to", o.completeIntegrations)
	} else {
		// Registered so that a --to given here is refused with a reason, not as unknown.
		_ = cmd.Flags().MarkHidden("to")
	}
	cmd.Flags().StringVar(&f.switchboard, "switchboard", "",
		"The Switchboard of a new ConversationControl (default: the namespace's only Switchboard).")
	_ = cmd.RegisterFlagCompletionFunc("switchboard", o.completeSwitchboardFlag)
	cmd.Flags().StringVar(&f.name, "name", "", "Name of the ConversationControl (default: the one of the conversation, or its id).")
	_ = cmd.RegisterFlagCompletionFunc("name", o.completeControlsFlag)
	addWaitFlags(cmd, &f.wait, &f.timeout, false)
	f.out = addOutputFlags(cmd)
	return cmd
}

func exampleTo(h handoff) string {
	if h.needsTo {
		return " --to agent-workspace"
	}
	return ""
}

// addWaitFlags adds --wait and --timeout.
func addWaitFlags(cmd *cobra.Command, wait *bool, timeout *time.Duration, waitDefault bool) {
	cmd.Flags().BoolVar(wait, "wait", waitDefault, "Wait until the operator has handled the change.")
	cmd.Flags().DurationVar(timeout, "timeout", time.Minute, "How long --wait waits (a duration such as 30s or 2m).")
}

// exactlyOne accepts exactly one argument, with an error that names it.
func exactlyOne(name, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		switch len(args) {
		case 1:
			return nil
		case 0:
			return fmt.Errorf("missing %s: give %s", name, what)
		}
		return fmt.Errorf("expected one %s (%s), got %d arguments: %s", name, what, len(args), strings.Join(args, " "))
	}
}

// conversationIDPattern is what the API server accepts as spec.conversationId.
var conversationIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

func (f *handoffFlags) check(h handoff, conversation string) error {
	if !conversationIDPattern.MatchString(conversation) {
		return fmt.Errorf("conversation id %q is not valid: it must be 1 to 128 characters of A-Z, a-z, 0-9, _ and -", conversation)
	}
	if h.needsTo && f.to == "" {
		return fmt.Errorf("%s needs --to: the integration's id, name or integrationType, or next", h.verb)
	}
	if !h.needsTo && f.to != "" {
		return fmt.Errorf("%s takes no --to: %s", h.verb, map[string]string{
			"accept":  "it accepts the integration that was offered",
			"release": "a released conversation has no integration",
		}[h.verb])
	}
	if len(f.to) > 128 {
		return fmt.Errorf("--to is %d characters long: at most 128 are allowed", len(f.to))
	}
	if f.timeout <= 0 {
		return fmt.Errorf("--timeout is %s: it must be positive", f.timeout)
	}
	return nil
}

func (o *options) runHandoff(ctx context.Context, h handoff, conversation string, f *handoffFlags) error {
	if err := f.check(h, conversation); err != nil {
		return err
	}
	c, err := o.kube()
	if err != nil {
		return err
	}
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	existing, err := findControl(ctx, c, ns, conversation, f.name)
	if err != nil {
		return err
	}
	target, err := planHandoff(ctx, c, ns, h, conversation, f, existing)
	if err != nil {
		return err
	}
	result, err := o.applyControl(ctx, c, target, existing)
	if err != nil {
		return err
	}
	return o.finishWrite(ctx, result, f.wait, f.timeout, f.out, fmt.Sprintf("%s %s", h.verb, describeTarget(target)))
}

// findControl finds the ConversationControl of the conversation: the one named name when
// it is given (nil when it does not exist yet), else the namespace's only one that targets
// the conversation (nil when there is none).
func findControl(ctx context.Context, c client.Client, ns, conversation, name string) (*sbv1.ConversationControl, error) {
	if name != "" {
		var cc sbv1.ConversationControl
		err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &cc)
		switch {
		case apierrors.IsNotFound(err):
			return nil, nil
		case err != nil:
			return nil, notFoundOr(err, "ConversationControl", ns, name)
		case cc.Spec.ConversationID != conversation:
			return nil, fmt.Errorf("ConversationControl %q in namespace %s targets conversation %s, not %s "+
				"(spec.conversationId is immutable): choose another --name", name, ns, cc.Spec.ConversationID, conversation)
		}
		return &cc, nil
	}
	var list sbv1.ConversationControlList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("listing ConversationControls in namespace %s: %w", ns, err)
	}
	var found []sbv1.ConversationControl
	var names []string
	for i := range list.Items {
		if list.Items[i].Spec.ConversationID == conversation {
			found = append(found, list.Items[i])
			names = append(names, list.Items[i].Name)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return &found[0], nil
	}
	return nil, fmt.Errorf("%d ConversationControls in namespace %s target conversation %s (%s): choose one with --name",
		len(found), ns, conversation, strings.Join(names, ", "))
}

// planHandoff is the ConversationControl the command declares.
func planHandoff(ctx context.Context, c client.Client, ns string, h handoff, conversation string, f *handoffFlags,
	existing *sbv1.ConversationControl) (*sbv1.ConversationControl, error) {
	target := &sbv1.ConversationControl{}
	target.Namespace = ns
	target.Spec.ConversationID = conversation
	target.Spec.State = h.state
	target.Spec.Integration = f.to
	if existing != nil {
		target.Name = existing.Name
		target.Spec.SwitchboardRef = existing.Spec.SwitchboardRef
		if f.switchboard != "" && f.switchboard != existing.Spec.SwitchboardRef.Name {
			return nil, fmt.Errorf("ConversationControl %q uses Switchboard %q, not %q (spec.switchboardRef is immutable): "+
				"leave out --switchboard, or choose another --name", existing.Name, existing.Spec.SwitchboardRef.Name, f.switchboard)
		}
	} else {
		name, err := objectName(conversation, f.name)
		if err != nil {
			return nil, err
		}
		target.Name = name
		sb, err := chooseSwitchboard(ctx, c, ns, f.switchboard)
		if err != nil {
			return nil, err
		}
		target.Spec.SwitchboardRef.Name = sb
	}
	if h.verb == handoffAccept.verb {
		integration, err := acceptedIntegration(ns, conversation, existing)
		if err != nil {
			return nil, err
		}
		target.Spec.Integration = integration
	}
	return target, nil
}

// objectName is --name, or a name made from the conversation id.
func objectName(conversation, name string) (string, error) {
	if name == "" {
		name = strings.Trim(strings.ReplaceAll(strings.ToLower(conversation), "_", "-"), "-")
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", fmt.Errorf("%q is not a valid object name (%s): give one with --name", name, strings.Join(errs, "; "))
	}
	return name, nil
}

// chooseSwitchboard is the Switchboard a new object uses: the one named, or the
// namespace's only one.
func chooseSwitchboard(ctx context.Context, c client.Client, ns, name string) (string, error) {
	if name != "" {
		var sb sbv1.Switchboard
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &sb); err != nil {
			return "", notFoundOr(err, "Switchboard", ns, name)
		}
		return name, nil
	}
	var list sbv1.SwitchboardList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return "", fmt.Errorf("listing Switchboards in namespace %s: %w", ns, err)
	}
	switch len(list.Items) {
	case 0:
		return "", fmt.Errorf("no Switchboard in namespace %s: create one (see the README) or choose the namespace with -n", ns)
	case 1:
		return list.Items[0].Name, nil
	}
	names := make([]string, 0, len(list.Items))
	for i := range list.Items {
		names = append(names, list.Items[i].Name)
	}
	return "", fmt.Errorf("namespace %s has %d Switchboards (%s): choose one with --switchboard", ns, len(names), strings.Join(names, ", "))
}

// acceptedIntegration is the integration an accept makes active: the one the object
// offered to, else the one the operator saw pending.
func acceptedIntegration(ns, conversation string, existing *sbv1.ConversationControl) (string, error) {
	if existing == nil {
		return "", fmt.Errorf("nothing to accept: no ConversationControl in namespace %s targets conversation %s "+
			"(offer it first with kubectl switchboard offer)", ns, conversation)
	}
	if existing.Spec.State == sbv1.StateOffered && existing.Spec.Integration != sbv1.IntegrationNext {
		return existing.Spec.Integration, nil
	}
	if p := existing.Status.PendingIntegration; p != nil {
		if p.ID != "" {
			return p.ID, nil
		}
		return refName(p), nil
	}
	return "", fmt.Errorf("nothing to accept: ConversationControl %q declares %s and the operator saw no integration pending "+
		"(accept follows an offer)", existing.Name, declared(existing))
}

// describeTarget says what a declaration asks for: "conversation c1 to agent-workspace".
func describeTarget(cc *sbv1.ConversationControl) string {
	s := "conversation " + cc.Spec.ConversationID
	if cc.Spec.Integration != "" {
		s += " to " + cc.Spec.Integration
	}
	return s
}

// applyControl writes the declaration with server-side apply. Applying a spec without
// integration removes it only where this field manager owns it; when others (kubectl
// apply, an editor) own spec.integration, a release is written as one merge patch that
// sets the state and removes the integration together, as the API server requires.
func (o *options) applyControl(ctx context.Context, c client.Client, target, existing *sbv1.ConversationControl) (writeResult, error) {
	res := writeResult{key: client.ObjectKeyFromObject(target), created: existing == nil}
	if existing != nil && target.Spec.Integration == "" && existing.Spec.Integration != "" && othersOwnIntegration(existing) {
		patch := []byte(`{"spec":{"state":"` + string(target.Spec.State) + `","integration":null}}`)
		if err := c.Patch(ctx, existing.DeepCopy(), client.RawPatch(types.MergePatchType, patch), client.FieldOwner(FieldManager)); err != nil {
			return res, fmt.Errorf("updating ConversationControl %s/%s: %w", target.Namespace, target.Name, err)
		}
	} else {
		spec := map[string]any{
			"switchboardRef": map[string]any{"name": target.Spec.SwitchboardRef.Name},
			"conversationId": target.Spec.ConversationID,
			"state":          string(target.Spec.State),
		}
		if target.Spec.Integration != "" {
			spec["integration"] = target.Spec.Integration
		}
		if err := o.apply(ctx, c, target, spec); err != nil {
			return res, err
		}
	}
	cc, err := getControl(ctx, c, res.key)
	if err != nil {
		return res, err
	}
	res.obj = cc
	res.changed = existing == nil || cc.Generation != existing.Generation
	return res, nil
}

// apply server-side applies spec (and nothing else) to the object under the plugin's field
// manager, taking over the fields it sets from other managers.
func (o *options) apply(ctx context.Context, c client.Client, obj client.Object, spec map[string]any) error {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": sbv1.GroupVersion.String(),
		"kind":       "ConversationControl",
		"metadata":   map[string]any{"name": obj.GetName(), "namespace": obj.GetNamespace()},
		"spec":       spec,
	}}
	err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldManager), client.ForceOwnership)
	if err != nil {
		return fmt.Errorf("applying ConversationControl %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// othersOwnIntegration tells whether a field manager other than the plugin's apply owns
// spec.integration.
func othersOwnIntegration(cc *sbv1.ConversationControl) bool {
	for _, mf := range cc.ManagedFields {
		if mf.Manager == FieldManager && mf.Operation == metav1.ManagedFieldsOperationApply {
			continue
		}
		if mf.FieldsV1 == nil {
			continue
		}
		var fields map[string]map[string]any
		if err := json.Unmarshal(mf.FieldsV1.GetRawBytes(), &fields); err != nil {
			// A manager whose fields cannot be read may own it: take the safe write.
			return true
		}
		if _, ok := fields["f:spec"]["f:integration"]; ok {
			return true
		}
	}
	return false
}

func getControl(ctx context.Context, c client.Client, key client.ObjectKey) (*sbv1.ConversationControl, error) {
	var cc sbv1.ConversationControl
	if err := c.Get(ctx, key, &cc); err != nil {
		return nil, notFoundOr(err, "ConversationControl", key.Namespace, key.Name)
	}
	cc.SetGroupVersionKind(sbv1.GroupVersion.WithKind("ConversationControl"))
	return &cc, nil
}

// writeResult is what a write left.
type writeResult struct {
	key     client.ObjectKey
	obj     *sbv1.ConversationControl
	created bool
	changed bool
}

// finishWrite reports a write: one line (or the object with -o), after waiting for Ready
// when asked to.
func (o *options) finishWrite(ctx context.Context, res writeResult, wait bool, timeout time.Duration, out *outputFlags, what string) error {
	verb := "unchanged"
	switch {
	case res.created:
		verb = "created"
	case res.changed:
		verb = "configured"
	}
	if !out.requested() {
		if err := o.printf("conversationcontrol/%s %s (%s)\n", res.key.Name, verb, what); err != nil {
			return err
		}
	}
	obj := res.obj
	if wait {
		var err error
		obj, err = o.waitReady(ctx, res.key, timeout)
		if err != nil {
			return err
		}
		if !out.requested() {
			return o.printf("conversationcontrol/%s is Ready (%s): active %s\n", res.key.Name, readyReason(obj.Status.Conditions), live(obj))
		}
	}
	if out.requested() {
		return out.printObj(obj, o.streams.Out)
	}
	return nil
}
