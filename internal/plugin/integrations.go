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
	"fmt"

	"github.com/spf13/cobra"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

func newIntegrationsCommand(o *options) *cobra.Command {
	var out *outputFlags
	cmd := &cobra.Command{
		Use:   "integrations SWITCHBOARD",
		Short: "List a Switchboard's integrations: the names a ConversationControl may use",
		Long: `Shows the switchboard integrations the operator last listed for the Switchboard
(status.integrations): name, id, integrationType, the integration next leads to, and which
one is the default. Each name, id or type is a valid --to.`,
		Example:           "  kubectl switchboard integrations acme -n support",
		Args:              exactlyOne("SWITCHBOARD", "the Switchboard's name"),
		ValidArgsFunction: o.completeSwitchboards,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			sb, err := o.getSwitchboard(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if out.requested() {
				return out.printObj(sb, o.streams.Out)
			}
			return o.printIntegrations(sb)
		},
	}
	out = addOutputFlags(cmd)
	return cmd
}

func (o *options) printIntegrations(sb *sbv1.Switchboard) error {
	if len(sb.Status.Integrations) == 0 {
		why := whyNotReady(sb.Status.Conditions)
		if why == "" {
			why = "its switchboard has no integrations"
		}
		_, err := fmt.Fprintf(o.streams.ErrOut, "Switchboard %s/%s lists no integrations yet: %s\n", sb.Namespace, sb.Name, why)
		return err
	}
	rows := make([][]string, 0, len(sb.Status.Integrations))
	for _, i := range sb.Status.Integrations {
		def := ""
		if i.Name == sb.Status.DefaultIntegration {
			def = "yes"
		}
		rows = append(rows, []string{i.Name, i.ID, orNone(i.IntegrationType), orNone(i.Next), def})
	}
	return table(o.streams.Out, []string{"NAME", "ID", "TYPE", "NEXT", "DEFAULT"}, rows)
}

// getSwitchboard reads one Switchboard of the namespace.
func (o *options) getSwitchboard(ctx context.Context, name string) (*sbv1.Switchboard, error) {
	var sb sbv1.Switchboard
	if err := o.getObject(ctx, "Switchboard", name, &sb); err != nil {
		return nil, err
	}
	return &sb, nil
}
