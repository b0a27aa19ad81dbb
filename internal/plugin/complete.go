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
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// Dynamic completion reads the cluster that the flags already on the command line name
// (-n, --context, --kubeconfig). A failed read completes nothing rather than failing.

// completionTimeout bounds the reads a completion makes, so that a shell never hangs on
// an unreachable cluster.
const completionTimeout = 5 * time.Second

func completionContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, completionTimeout)
}

// completeNames lists the names of the namespace's objects of list's kind that start with
// prefix, each from name(i).
func (o *options) completeNames(cmd *cobra.Command, prefix string, list client.ObjectList, names func() []string) []string {
	c, err := o.kube()
	if err != nil {
		return nil
	}
	ns, err := o.namespace()
	if err != nil {
		return nil
	}
	ctx, cancel := completionContext(cmd)
	defer cancel()
	if err := c.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil
	}
	return withPrefix(names(), prefix)
}

// withPrefix keeps the distinct values that start with prefix, sorted.
func withPrefix(values []string, prefix string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, v := range values {
		if v != "" && strings.HasPrefix(v, prefix) && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func (o *options) controlNames(cmd *cobra.Command, prefix string, field func(*sbv1.ConversationControl) string) []string {
	var list sbv1.ConversationControlList
	return o.completeNames(cmd, prefix, &list, func() []string {
		out := make([]string, 0, len(list.Items))
		for i := range list.Items {
			out = append(out, field(&list.Items[i]))
		}
		return out
	})
}

func (o *options) switchboardNames(cmd *cobra.Command, prefix string) []string {
	var list sbv1.SwitchboardList
	return o.completeNames(cmd, prefix, &list, func() []string {
		out := make([]string, 0, len(list.Items))
		for i := range list.Items {
			out = append(out, list.Items[i].Name)
		}
		return out
	})
}

func ccName(cc *sbv1.ConversationControl) string { return cc.Name }

// completeControls completes the one NAME argument with ConversationControl names.
func (o *options) completeControls(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return o.controlNames(cmd, prefix, ccName), cobra.ShellCompDirectiveNoFileComp
}

// completeControlsFlag completes --name with ConversationControl names.
func (o *options) completeControlsFlag(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	return o.controlNames(cmd, prefix, ccName), cobra.ShellCompDirectiveNoFileComp
}

// completeConversations completes CONVERSATION with the conversation ids of the
// namespace's ConversationControls.
func (o *options) completeConversations(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return o.controlNames(cmd, prefix, func(cc *sbv1.ConversationControl) string { return cc.Spec.ConversationID }),
		cobra.ShellCompDirectiveNoFileComp
}

// completeSwitchboards completes the one SWITCHBOARD argument.
func (o *options) completeSwitchboards(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return o.switchboardNames(cmd, prefix), cobra.ShellCompDirectiveNoFileComp
}

// completeSwitchboardFlag completes --switchboard.
func (o *options) completeSwitchboardFlag(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	return o.switchboardNames(cmd, prefix), cobra.ShellCompDirectiveNoFileComp
}

// completeIntegrations completes --to with the names of the integrations of the
// Switchboard the handoff would use (--switchboard, else the one of the conversation's
// ConversationControl, else the namespace's only one), and next.
func (o *options) completeIntegrations(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	c, err := o.kube()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ns, err := o.namespace()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := completionContext(cmd)
	defer cancel()
	sbName, _ := cmd.Flags().GetString("switchboard")
	if sbName == "" && len(args) == 1 {
		name, _ := cmd.Flags().GetString("name")
		if cc, err := findControl(ctx, c, ns, args[0], name); err == nil && cc != nil {
			sbName = cc.Spec.SwitchboardRef.Name
		}
	}
	var sbs []sbv1.Switchboard
	if sbName != "" {
		var sb sbv1.Switchboard
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: sbName}, &sb); err == nil {
			sbs = append(sbs, sb)
		}
	} else {
		var list sbv1.SwitchboardList
		if err := c.List(ctx, &list, client.InNamespace(ns)); err == nil && len(list.Items) == 1 {
			sbs = list.Items
		}
	}
	names := []string{sbv1.IntegrationNext}
	for i := range sbs {
		for _, in := range sbs[i].Status.Integrations {
			names = append(names, in.Name)
		}
	}
	return withPrefix(names, prefix), cobra.ShellCompDirectiveNoFileComp
}

// registerConfigFlagCompletions completes -n with the cluster's namespaces and --context
// and --cluster with the kubeconfig's, as kubectl does.
func registerConfigFlagCompletions(root *cobra.Command, o *options) {
	_ = root.RegisterFlagCompletionFunc("namespace", func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		c, err := o.kube()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := completionContext(cmd)
		defer cancel()
		var list corev1.NamespaceList
		if err := c.List(ctx, &list); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]string, 0, len(list.Items))
		for i := range list.Items {
			names = append(names, list.Items[i].Name)
		}
		return withPrefix(names, prefix), cobra.ShellCompDirectiveNoFileComp
	})
	fromKubeconfig := func(useContexts bool) cobra.CompletionFunc {
		return func(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
			raw, err := o.configFlags.ToRawKubeConfigLoader().RawConfig()
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			if useContexts {
				for n := range raw.Contexts {
					names = append(names, n)
				}
			} else {
				for n := range raw.Clusters {
					names = append(names, n)
				}
			}
			return withPrefix(names, prefix), cobra.ShellCompDirectiveNoFileComp
		}
	}
	_ = root.RegisterFlagCompletionFunc("context", fromKubeconfig(true))
	_ = root.RegisterFlagCompletionFunc("cluster", fromKubeconfig(false))
}
