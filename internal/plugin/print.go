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
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// none is what tables show for an empty value, as kubectl does.
const none = "<none>"

// outputFlags are -o and its companions (--template, --show-managed-fields), as kubectl
// has them. Without -o a command prints its own table or text.
type outputFlags struct {
	print *genericclioptions.PrintFlags
}

func addOutputFlags(cmd *cobra.Command) *outputFlags {
	f := &outputFlags{print: genericclioptions.NewPrintFlags("").WithTypeSetter(scheme)}
	f.print.AddFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return f.print.AllowedFormats(), cobra.ShellCompDirectiveNoFileComp
	})
	return f
}

// requested tells whether -o (or --template) asks for a printer instead of the table.
func (f *outputFlags) requested() bool {
	return *f.print.OutputFormat != "" ||
		(f.print.TemplatePrinterFlags.TemplateArgument != nil && *f.print.TemplatePrinterFlags.TemplateArgument != "")
}

// validate fails early, before anything is written, when -o names no known format.
func (f *outputFlags) validate() error {
	if !f.requested() {
		return nil
	}
	_, err := f.print.ToPrinter()
	return err
}

// printObj prints obj with the printer -o asks for.
func (f *outputFlags) printObj(obj runtime.Object, w io.Writer) error {
	p, err := f.print.ToPrinter()
	if err != nil {
		return err
	}
	return p.PrintObj(obj, w)
}

// controlList types each item, so that -o yaml|json shows apiVersion and kind on every
// item as kubectl does.
func controlList(items []sbv1.ConversationControl) *sbv1.ConversationControlList {
	list := &sbv1.ConversationControlList{Items: items}
	for i := range list.Items {
		list.Items[i].SetGroupVersionKind(sbv1.GroupVersion.WithKind("ConversationControl"))
	}
	return list
}

// humanAge is how long before now t was, in kubectl's short form ("5s", "3m12s", "2d").
func humanAge(now, t time.Time) string {
	if t.IsZero() {
		return none
	}
	return duration.HumanDuration(now.Sub(t))
}

// timeAge formats a time as an age, or <none>.
func (o *options) timeAge(t *metav1.Time) string {
	if t == nil || t.IsZero() {
		return none
	}
	return o.age(t.Time)
}

// refName names an integration for people: its name, else its type, else its id.
func refName(r *sbv1.IntegrationReference) string {
	switch {
	case r == nil:
		return none
	case r.Name != "":
		return r.Name
	case r.IntegrationType != "":
		return r.IntegrationType
	case r.ID != "":
		return r.ID
	}
	return none
}

// orNone returns s, or <none> when it is empty.
func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

// declared is spec.state and spec.integration in one word pair: "Active agent-workspace".
func declared(cc *sbv1.ConversationControl) string {
	if cc.Spec.Integration == "" {
		return string(cc.Spec.State)
	}
	return string(cc.Spec.State) + " " + cc.Spec.Integration
}

// live is what the operator last observed: the active integration, and the pending one
// when there is one.
func live(cc *sbv1.ConversationControl) string {
	s := refName(cc.Status.ActiveIntegration)
	if cc.Status.PendingIntegration != nil {
		s += " (pending " + refName(cc.Status.PendingIntegration) + ")"
	}
	return s
}

// conditionStatus is a condition's status, or Unknown when it is absent.
func conditionStatus(conds []metav1.Condition, t string) string {
	c := meta.FindStatusCondition(conds, t)
	if c == nil {
		return string(metav1.ConditionUnknown)
	}
	return string(c.Status)
}

// readyReason is the Ready condition's reason, or <none> before the first reconcile.
func readyReason(conds []metav1.Condition) string {
	if c := meta.FindStatusCondition(conds, sbv1.ConditionReady); c != nil {
		return orNone(c.Reason)
	}
	return none
}

// whyNotReady explains why an object is not Ready: the Stalled or Reconciling condition
// while one is True, else the Ready condition's message. Empty when it is Ready.
func whyNotReady(conds []metav1.Condition) string {
	if meta.IsStatusConditionTrue(conds, sbv1.ConditionReady) {
		return ""
	}
	for _, t := range []string{sbv1.ConditionStalled, sbv1.ConditionReconciling} {
		if c := meta.FindStatusCondition(conds, t); c != nil && c.Status == metav1.ConditionTrue {
			return t + " " + c.Reason + ": " + c.Message
		}
	}
	if c := meta.FindStatusCondition(conds, sbv1.ConditionReady); c != nil {
		return strings.TrimSpace(c.Reason + ": " + c.Message)
	}
	return "not reconciled yet"
}

// lastAction is the last applied action in a few words: "passControl to agent-workspace".
func lastAction(a *sbv1.AppliedAction) string {
	if a == nil {
		return none
	}
	s := string(a.Action)
	if a.Adopted {
		s = "adopted"
	}
	switch {
	case a.Reached != nil:
		s += " to " + refName(a.Reached)
	case a.Integration != "":
		s += " to " + a.Integration
	}
	return s
}

// table writes rows as kubectl does: upper-case headers, columns separated by spaces.
func table(w io.Writer, header []string, rows [][]string) error {
	lines := make([]string, 0, len(rows)+1)
	lines = append(lines, strings.Join(header, "\t"))
	for _, r := range rows {
		lines = append(lines, strings.Join(r, "\t"))
	}
	tw := printers.GetNewTabWriter(w)
	if err := writeLines(tw, lines); err != nil {
		return err
	}
	return tw.Flush()
}

// writeLines writes each line with a newline.
func writeLines(w io.Writer, lines []string) error {
	for _, l := range lines {
		if _, err := io.WriteString(w, l+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// printf writes one line of the command's result to standard output.
func (o *options) printf(format string, args ...any) error {
	_, err := fmt.Fprintf(o.streams.Out, format, args...)
	return err
}
