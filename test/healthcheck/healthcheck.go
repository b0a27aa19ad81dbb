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

// Package healthcheck runs an Argo CD health check written in Lua, such as the one this
// project ships in config/argocd/health.lua, the way Argo CD runs the checks it reads
// from the argocd-cm ConfigMap: with github.com/yuin/gopher-lua, the object as the
// global table `obj`, only the base, table and package libraries, a one-second limit,
// and the returned table read as {status, message}.
//
// Tests call it with objects in every state:
//
//	script, err := healthcheck.ReadScript()
//	status, message, err := healthcheck.EvaluateObject(script, conversationControl)
package healthcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Argo CD health statuses a script may return.
const (
	StatusHealthy     = "Healthy"
	StatusProgressing = "Progressing"
	StatusDegraded    = "Degraded"
	StatusSuspended   = "Suspended"
	StatusMissing     = "Missing"
	StatusUnknown     = "Unknown"
)

// InvalidStatusMessage is the message Argo CD reports, with StatusUnknown, when a script
// returns a status that is not one of the statuses above.
const InvalidStatusMessage = "Lua returned an invalid health status"

// ScriptPath is where the project's health check lives, relative to the repository root.
const ScriptPath = "config/argocd/health.lua"

// Timeout bounds one evaluation, as Argo CD does.
const Timeout = time.Second

// Evaluate runs the Lua health check script against obj, an object in its unstructured
// form (what encoding/json or the apimachinery unstructured converter produce), and
// returns the status and message of the table the script returns. A script that fails
// or returns something other than a table is an error; a status Argo CD does not know
// gives StatusUnknown with InvalidStatusMessage, as in Argo CD.
func Evaluate(script string, obj map[string]any) (status, message string, err error) {
	ls := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer ls.Close()
	// Argo CD opens these libraries (and a reduced os library, which the project's
	// script does not use) for checks read from argocd-cm.
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := ls.CallByParam(lua.P{Fn: ls.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return "", "", fmt.Errorf("opening the Lua library %q: %w", lib.name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	ls.SetContext(ctx)

	value, err := ToLua(ls, obj)
	if err != nil {
		return "", "", fmt.Errorf("converting the object for Lua: %w", err)
	}
	ls.SetGlobal("obj", value)
	if err := ls.DoString(script); err != nil {
		return "", "", fmt.Errorf("running the health check: %w", err)
	}
	ret, ok := ls.Get(-1).(*lua.LTable)
	if !ok {
		return "", "", fmt.Errorf("expect table output from Lua script, not %s", ls.Get(-1).Type())
	}
	hs, ok := FromLua(ret).(map[string]any)
	if !ok {
		// An empty table converts to an empty list; it has no status.
		hs = map[string]any{}
	}
	if status, err = stringField(hs, "status"); err != nil {
		return "", "", err
	}
	if message, err = stringField(hs, "message"); err != nil {
		return "", "", err
	}
	switch status {
	case StatusHealthy, StatusProgressing, StatusDegraded, StatusSuspended, StatusMissing, StatusUnknown:
		return status, message, nil
	}
	return StatusUnknown, InvalidStatusMessage, nil
}

// EvaluateObject runs the script against any object that encodes to a JSON object, such
// as a typed API object (*v1alpha1.ConversationControl) read from the cluster. Numbers
// reach Lua as numbers, as they do in Argo CD.
func EvaluateObject(script string, obj any) (status, message string, err error) {
	u, err := ToUnstructured(obj)
	if err != nil {
		return "", "", err
	}
	return Evaluate(script, u)
}

// ToUnstructured converts obj to its unstructured form through its JSON encoding.
func ToUnstructured(obj any) (map[string]any, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding %T: %w", obj, err)
	}
	var u map[string]any
	if err := json.Unmarshal(data, &u); err != nil {
		return nil, fmt.Errorf("%T does not encode to a JSON object: %w", obj, err)
	}
	return u, nil
}

// stringField returns m[key] when it is a string, "" when it is absent.
func stringField(m map[string]any, key string) (string, error) {
	switch v := m[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", fmt.Errorf("the health check returned a %s that is a %T, not a string", key, v)
	}
}

// ToLua converts an unstructured value to Lua the way Argo CD does: maps to tables with
// string keys, slices to sequences, numbers to numbers, json.Number to a string, nil to
// nil. Other maps with string keys and other slices are converted by reflection; any
// other type is an error (Argo CD would silently pass nil).
func ToLua(ls *lua.LState, value any) (lua.LValue, error) {
	switch v := value.(type) {
	case nil:
		return lua.LNil, nil
	case bool:
		return lua.LBool(v), nil
	case string:
		return lua.LString(v), nil
	case json.Number:
		return lua.LString(v), nil
	case float64:
		return lua.LNumber(v), nil
	case float32:
		return lua.LNumber(v), nil
	case int:
		return lua.LNumber(v), nil
	case int32:
		return lua.LNumber(v), nil
	case int64:
		return lua.LNumber(v), nil
	case map[string]any:
		tbl := ls.CreateTable(0, len(v))
		for key, item := range v {
			lv, err := ToLua(ls, item)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			tbl.RawSetString(key, lv)
		}
		return tbl, nil
	case []any:
		tbl := ls.CreateTable(len(v), 0)
		for i, item := range v {
			lv, err := ToLua(ls, item)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			tbl.Append(lv)
		}
		return tbl, nil
	}
	return reflectToLua(ls, value)
}

// reflectToLua converts the maps with string keys, slices and numbers that ToLua does
// not name, for objects built by hand in tests.
func reflectToLua(ls *lua.LState, value any) (lua.LValue, error) {
	rv := reflect.ValueOf(value)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return lua.LNumber(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return lua.LNumber(rv.Uint()), nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		tbl := ls.CreateTable(0, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			key := iter.Key().String()
			lv, err := ToLua(ls, iter.Value().Interface())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			tbl.RawSetString(key, lv)
		}
		return tbl, nil
	case reflect.Slice, reflect.Array:
		tbl := ls.CreateTable(rv.Len(), 0)
		for i := range rv.Len() {
			lv, err := ToLua(ls, rv.Index(i).Interface())
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			tbl.Append(lv)
		}
		return tbl, nil
	}
	return nil, fmt.Errorf("unsupported type %T (use EvaluateObject for typed objects)", value)
}

// FromLua converts a Lua value back to Go: a table whose keys are 1..n to []any, any
// other table to map[string]any (non-string keys are formatted), strings, numbers
// (float64) and booleans to themselves, anything else to nil.
func FromLua(value lua.LValue) any {
	switch v := value.(type) {
	case lua.LBool:
		return bool(v)
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return float64(v)
	case *lua.LTable:
		if n := v.MaxN(); n > 0 && n == tableLen(v) {
			list := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				list = append(list, FromLua(v.RawGetInt(i)))
			}
			return list
		}
		m := map[string]any{}
		v.ForEach(func(key, item lua.LValue) {
			m[key.String()] = FromLua(item)
		})
		if len(m) == 0 {
			return []any{}
		}
		return m
	}
	return nil
}

// tableLen counts every key of a table.
func tableLen(t *lua.LTable) int {
	n := 0
	t.ForEach(func(lua.LValue, lua.LValue) { n++ })
	return n
}

// ReadScript reads the project's health check (ScriptPath) from the repository that
// contains the working directory.
func ReadScript() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(ScriptPath)))
	if err != nil {
		return "", err
	}
	return string(data), nil
}

// RepoRoot returns the nearest directory, from the working directory up, that holds a
// go.mod whose module is this project (tests run in their package's directory).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		gomod := filepath.Join(dir, "go.mod")
		if data, err := os.ReadFile(gomod); err == nil && isProjectModule(data) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of github.com/switchboard-operator/switchboard-operator above the working directory")
		}
		dir = parent
	}
}

// isProjectModule tells whether a go.mod declares this project's module.
func isProjectModule(gomod []byte) bool {
	for _, line := range strings.Split(string(gomod), "\n") {
		if fields := strings.Fields(line); len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == "github.com/switchboard-operator/switchboard-operator"
		}
	}
	return false
}
