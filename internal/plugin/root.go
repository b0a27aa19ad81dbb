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

// Package plugin implements `kubectl switchboard`, the kubectl plugin for Switchboards and
// ConversationControls. It reads and writes only Kubernetes objects; the operator makes
// every call to the vendor's API.
package plugin

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

// FieldManager is the field manager of every write the plugin makes (server-side apply
// and patches), so that `kubectl get -o yaml --show-managed-fields` shows what it set.
const FieldManager = "kubectl-switchboard"

// scheme knows the operator's kinds.
var scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(sbv1.AddToScheme(scheme))
	utilruntime.Must(corev1.AddToScheme(scheme))
}

// options are what every command shares: the kubeconfig flags, the streams and the
// client built from them.
type options struct {
	configFlags *genericclioptions.ConfigFlags
	streams     genericiooptions.IOStreams

	// client is built from the flags on first use.
	client client.Client
	// now is the clock for ages and requestedAt values.
	now func() time.Time
	// age formats how long ago t was, as kubectl does ("5s", "3m12s"); tests replace it
	// so that golden files do not depend on timing.
	age func(t time.Time) string
	// pollInterval is how often --wait reads the object again.
	pollInterval time.Duration
}

// NewCommand returns the `kubectl switchboard` command with all its subcommands, writing
// to streams.
func NewCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return newRootCommand(newOptions(streams))
}

func newOptions(streams genericiooptions.IOStreams) *options {
	o := &options{
		configFlags:  genericclioptions.NewConfigFlags(true),
		streams:      streams,
		now:          time.Now,
		pollInterval: 250 * time.Millisecond,
	}
	o.age = func(t time.Time) string { return humanAge(o.now(), t) }
	return o
}

func newRootCommand(o *options) *cobra.Command {
	root := &cobra.Command{
		Use:   "kubectl-switchboard",
		Short: "Hand Sunshine Conversations conversations over and see who has them",
		Long: `kubectl switchboard works with the switchboard-operator's objects: it hands conversations
over by writing ConversationControls (server-side apply, field manager kubectl-switchboard),
and shows their state, history and the Switchboards' integrations. It never calls the
vendor's API: the operator does.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations: map[string]string{
			// Shown as `kubectl switchboard` in usage lines when run as a kubectl plugin.
			cobra.CommandDisplayNameAnnotation: "kubectl switchboard",
		},
	}
	root.SetIn(o.streams.In)
	root.SetOut(o.streams.Out)
	root.SetErr(o.streams.ErrOut)
	o.configFlags.AddFlags(root.PersistentFlags())
	registerConfigFlagCompletions(root, o)

	root.AddCommand(
		newStatusCommand(o),
		newHandoffCommand(o, handoffPass),
		newHandoffCommand(o, handoffOffer),
		newHandoffCommand(o, handoffAccept),
		newHandoffCommand(o, handoffRelease),
		newReconcileCommand(o),
		newSuspendCommand(o, true),
		newSuspendCommand(o, false),
		newIntegrationsCommand(o),
		newHistoryCommand(o),
	)
	return root
}

// kube returns the client for the cluster the flags name, built once.
func (o *options) kube() (client.Client, error) {
	if o.client != nil {
		return o.client, nil
	}
	cfg, err := o.configFlags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("loading the kubeconfig: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	o.client = c
	return c, nil
}

// namespace is the namespace the flags and the kubeconfig's context name.
func (o *options) namespace() (string, error) {
	ns, _, err := o.configFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("reading the namespace from the kubeconfig: %w", err)
	}
	return ns, nil
}
