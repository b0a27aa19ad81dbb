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
	"io"
	"sort"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

func newStatusCommand(o *options) *cobra.Command {
	var allNamespaces bool
	var out *outputFlags
	cmd := &cobra.Command{
		Use:   "status [NAME]",
		Short: "Show ConversationControls: declared and live state, drift, the last action and why not Ready",
		Long: `Without NAME, a table of the namespace's ConversationControls (-A: of every namespace):
what is declared, who the operator last saw controlling the conversation, whether that
matches (IN SYNC), the last action the operator made, and why the object is not Ready.
With NAME, that object in detail.`,
		Example: `  kubectl switchboard status -n support
  kubectl switchboard status -A
  kubectl switchboard status vip-4711 -n support -o yaml`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: o.completeControls,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if len(args) == 1 && allNamespaces {
				return errors.New("status NAME takes no --all-namespaces: an object is named in one namespace (use -n)")
			}
			if len(args) == 1 {
				return o.statusOne(cmd.Context(), args[0], out)
			}
			return o.statusList(cmd.Context(), allNamespaces, out)
		},
	}
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "List ConversationControls of every namespace.")
	out = addOutputFlags(cmd)
	return cmd
}

func (o *options) statusList(ctx context.Context, allNamespaces bool, out *outputFlags) error {
	c, err := o.kube()
	if err != nil {
		return err
	}
	var opts []client.ListOption
	if !allNamespaces {
		ns, err := o.namespace()
		if err != nil {
			return err
		}
		opts = append(opts, client.InNamespace(ns))
	}
	var list sbv1.ConversationControlList
	if err := c.List(ctx, &list, opts...); err != nil {
		return fmt.Errorf("listing ConversationControls: %w", err)
	}
	sort.Slice(list.Items, func(i, j int) bool {
		a, b := list.Items[i], list.Items[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	if out.requested() {
		return out.printObj(controlList(list.Items), o.streams.Out)
	}
	if len(list.Items) == 0 {
		return o.noneFound(allNamespaces)
	}
	header := []string{"NAME", "CONVERSATION", "DECLARED", "LIVE", "IN SYNC", "LAST ACTION", "ACTED", "READY", "REASON", "MESSAGE"}
	if allNamespaces {
		header = append([]string{"NAMESPACE"}, header...)
	}
	rows := make([][]string, 0, len(list.Items))
	for i := range list.Items {
		cc := &list.Items[i]
		var acted string
		if cc.Status.LastAppliedAction != nil {
			acted = o.timeAge(&cc.Status.LastAppliedAction.Time)
		} else {
			acted = none
		}
		row := []string{cc.Name, cc.Spec.ConversationID, declared(cc), live(cc),
			conditionStatus(cc.Status.Conditions, sbv1.ConditionInSync), lastAction(cc.Status.LastAppliedAction), acted,
			conditionStatus(cc.Status.Conditions, sbv1.ConditionReady), readyReason(cc.Status.Conditions),
			orNone(whyNotReady(cc.Status.Conditions))}
		if allNamespaces {
			row = append([]string{cc.Namespace}, row...)
		}
		rows = append(rows, row)
	}
	return table(o.streams.Out, header, rows)
}

// noneFound says, as kubectl does, that there is nothing to list (on stderr; exit 0).
func (o *options) noneFound(allNamespaces bool) error {
	if allNamespaces {
		_, err := fmt.Fprintln(o.streams.ErrOut, "No ConversationControls found.")
		return err
	}
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(o.streams.ErrOut, "No ConversationControls found in namespace %s.\n", ns)
	return err
}

func (o *options) statusOne(ctx context.Context, name string, out *outputFlags) error {
	cc, err := o.getControl(ctx, name)
	if err != nil {
		return err
	}
	if out.requested() {
		return out.printObj(cc, o.streams.Out)
	}
	return o.describeControl(o.streams.Out, cc)
}

// describeControl writes one ConversationControl in detail, in the manner of kubectl
// describe.
func (o *options) describeControl(w io.Writer, cc *sbv1.ConversationControl) error {
	st := cc.Status
	rows := [][]string{
		{"Name:", cc.Name},
		{"Namespace:", cc.Namespace},
		{"Switchboard:", cc.Spec.SwitchboardRef.Name},
		{"Conversation:", cc.Spec.ConversationID},
		{"Declared:", declared(cc)},
		{"Live:", live(cc)},
		{"Observed:", o.timeAge(st.LastObservedTime)},
		{"Drift policy:", string(cc.Spec.DriftPolicy)},
		{"Deletion policy:", string(cc.Spec.DeletionPolicy)},
		{"Suspended:", fmt.Sprint(cc.Spec.Suspend)},
		{"Generation:", fmt.Sprintf("%d (observed %d)", cc.Generation, st.ObservedGeneration)},
		{"Last action:", o.describeAction(st.LastAppliedAction)},
		{"In flight:", o.describeAction(st.InFlightAction)},
		{"Ready:", conditionStatus(st.Conditions, sbv1.ConditionReady) + " " + readyReason(st.Conditions)},
	}
	if why := whyNotReady(st.Conditions); why != "" {
		rows = append(rows, []string{"Why not Ready:", why})
	}
	lines := make([]string, 0, len(rows))
	for _, r := range rows {
		lines = append(lines, r[0]+"\t"+r[1])
	}
	tw := printers.GetNewTabWriter(w)
	if err := writeLines(tw, lines); err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(st.Conditions) == 0 {
		return writeLines(w, []string{"Conditions:", "  " + none})
	}
	if err := writeLines(w, []string{"Conditions:"}); err != nil {
		return err
	}
	crow := make([][]string, 0, len(st.Conditions))
	for _, c := range st.Conditions {
		crow = append(crow, []string{"  " + c.Type, string(c.Status), c.Reason, fmt.Sprint(c.ObservedGeneration), o.timeAge(&c.LastTransitionTime), c.Message})
	}
	return table(w, []string{"  TYPE", "STATUS", "REASON", "GENERATION", "SINCE", "MESSAGE"}, crow)
}

func (o *options) describeAction(a *sbv1.AppliedAction) string {
	if a == nil {
		return none
	}
	return fmt.Sprintf("%s (generation %d, %s ago)", lastAction(a), a.Generation, o.timeAge(&a.Time))
}

// getControl reads one ConversationControl of the namespace; its error says which one
// is missing and where.
func (o *options) getControl(ctx context.Context, name string) (*sbv1.ConversationControl, error) {
	var cc sbv1.ConversationControl
	if err := o.getObject(ctx, "ConversationControl", name, &cc); err != nil {
		return nil, err
	}
	return &cc, nil
}

// getObject reads the object of kind (one of this API's) named name in the namespace into
// obj, with its kind set; its error says which one is missing and where.
func (o *options) getObject(ctx context.Context, kind, name string, obj client.Object) error {
	c, err := o.kube()
	if err != nil {
		return err
	}
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		return notFoundOr(err, kind, ns, name)
	}
	obj.GetObjectKind().SetGroupVersionKind(sbv1.GroupVersion.WithKind(kind))
	return nil
}
