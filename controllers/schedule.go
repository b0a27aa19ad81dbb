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
	"crypto/sha256"
	"encoding/binary"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// pollPhaseOf places an object's polls within its poll interval, from its UID: the same
// phase in every process, so that a restarted manager polls each object when the previous
// one would have, and the polls of many objects are spread evenly over the interval.
func pollPhaseOf(uid types.UID) float64 {
	sum := sha256.Sum256([]byte(uid))
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / float64(1<<53)
}

// nextPollSlot is the first poll slot at or after t of an object with the given interval
// and phase: the slots are phase*interval past every multiple of the interval since the
// Unix epoch.
func nextPollSlot(t time.Time, interval time.Duration, phase float64) time.Time {
	if interval <= 0 {
		return t
	}
	offset := time.Duration(phase * float64(interval))
	since := t.Sub(time.Unix(0, 0).Add(offset))
	k := since / interval
	if since%interval != 0 && since > 0 {
		k++
	}
	return time.Unix(0, 0).Add(offset + k*interval)
}
