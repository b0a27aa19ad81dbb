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

package controllers

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	sbv1 "github.com/switchboard-operator/switchboard-operator/api/v1alpha1"
)

var _ = Describe("The status's managedFields", func() {
	It("name each status structure once, not every field in it (atomic structures)", func() {
		e := newEnv()
		conv := newConversation("bot", "")
		cc := e.control("fields", conv, sbv1.StateActive, "agent-workspace")
		create(cc)
		got := waitReady(cc)
		var status string
		for _, mf := range got.ManagedFields {
			if mf.Manager == FieldOwner && mf.Subresource == "status" && mf.FieldsV1 != nil {
				status = mf.FieldsV1.GetRawString()
			}
		}
		Expect(status).NotTo(BeEmpty(), "the operator's status entry in managedFields")
		for _, leaf := range []string{`"f:declaration":{}`, `"f:lastAppliedAction":{}`, `"f:activeIntegration":{}`} {
			Expect(status).To(ContainSubstring(leaf), "%s is tracked as one value", leaf)
		}
		Expect(status).NotTo(ContainSubstring(`"f:reached"`), "no field inside lastAppliedAction is tracked on its own")
	})
})
