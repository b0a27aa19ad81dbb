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

// Package soak is the operator's reliability soak: many ConversationControls handed off
// while the vendor's API (the simulator, with injected faults) misbehaves and the manager
// restarts, and a handoff whose answer is lost, against envtest. It drives the operator only
// through its exported API (controllers.SetupWithManager and controllers.Options) and the
// simulator's fault API. `make test` runs it briefly (60 objects); `make test-soak` runs it
// at SOAK_OBJECTS and SOAK_RESTARTS. It has no code of its own.
package soak
