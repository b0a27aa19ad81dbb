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

package sunshine

import "testing"

func TestSecretMatchesOnlyItsOwnValue(t *testing.T) {
	s := NewSecret("whsec-1234")
	for _, tc := range []struct {
		name      string
		secret    Secret
		candidate string
		want      bool
	}{
		{"the same value", s, "whsec-1234", true},
		{"another value of the same length", s, "whsec-1235", false},
		{"a prefix", s, "whsec-123", false},
		{"a longer value", s, "whsec-12345", false},
		{"empty candidate", s, "", false},
		{"an empty secret matches nothing, not even empty", Secret{}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.secret.Matches(tc.candidate); got != tc.want {
				t.Errorf("Matches(%q) = %v, want %v", tc.candidate, got, tc.want)
			}
		})
	}
}
