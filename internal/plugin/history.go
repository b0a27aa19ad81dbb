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

	"github.com/spf13/cobra"
)

func newHistoryCommand(o *options) *cobra.Command {
	var out *outputFlags
	cmd := &cobra.Command{
		Use:   "history NAME",
		Short: "Show who had a conversation, when and why (status.history)",
		Long: `Shows the last transitions of the conversation's control that the operator recorded
(status.history, at most 10, oldest first): when, from which integration to which, the
switchboard action when known, whether this object's own action made it (Operator) or the
operator observed a change by others (Observed), and the vendor's reason when known.`,
		Example:           "  kubectl switchboard history vip-4711 -n support",
		Args:              exactlyOne("NAME", "the ConversationControl's name"),
		ValidArgsFunction: o.completeControls,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			cc, err := o.getControl(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if out.requested() {
				return out.printObj(cc, o.streams.Out)
			}
			if len(cc.Status.History) == 0 {
				_, err := fmt.Fprintf(o.streams.ErrOut, "ConversationControl %s/%s has no history yet.\n", cc.Namespace, cc.Name)
				return err
			}
			rows := make([][]string, 0, len(cc.Status.History))
			for i := range cc.Status.History {
				t := &cc.Status.History[i]
				rows = append(rows, []string{o.timeAge(&t.Time), string(t.Source), orNone(string(t.Action)),
					refName(t.From), refName(t.To), orNone(t.Reason)})
			}
			return table(o.streams.Out, []string{"AGE", "SOURCE", "ACTION", "FROM", "TO", "REASON"}, rows)
		},
	}
	out = addOutputFlags(cmd)
	return cmd
}
