-- Argo CD health check for the switchboard.conversations.dev kinds Switchboard and
-- ConversationControl (one script for both). Install it with argocd-cm.yaml beside this
-- file; test/healthcheck runs it in tests the way Argo CD does.
--
-- Argo CD runs checks from argocd-cm with only Lua's base, table and package libraries
-- (no string library), so this script uses nothing else.
--
-- Order of the rules:
--   1. metadata.deletionTimestamp set                       -> Progressing
--   2. no status, or status.observedGeneration (CRD default
--      -1) differs from metadata.generation                 -> Progressing
--   3. Stalled=True                                         -> Degraded
--   4. Ready reason Suspended, or spec.suspend true         -> Suspended
--   5. Reconciling=True                                     -> Progressing
--   6. Ready=True, and the Ready condition's
--      observedGeneration (when present) is the generation  -> Healthy
--   7. anything else                                        -> Progressing
hs = {}

-- condition returns the condition of the given type, or nil.
local function condition(status, condType)
  if type(status) ~= "table" or type(status.conditions) ~= "table" then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if type(c) == "table" and c.type == condType then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

-- nonEmpty returns s when it is a non-empty string, else nil.
local function nonEmpty(s)
  if type(s) == "string" and s ~= "" then
    return s
  end
  return nil
end

-- describe returns "Reason: message" for a condition, or the part it has, or fallback.
local function describe(c, fallback)
  if c == nil then
    return fallback
  end
  local reason = nonEmpty(c.reason)
  local message = nonEmpty(c.message)
  if reason ~= nil and message ~= nil then
    return reason .. ": " .. message
  end
  return message or reason or fallback
end

-- isCurrent tells whether a condition was written for the given generation; a condition
-- without observedGeneration, or an object without generation, counts as current.
local function isCurrent(c, generation)
  if c == nil or generation == nil then
    return true
  end
  local observed = tonumber(c.observedGeneration)
  return observed == nil or observed == generation
end

local metadata = obj.metadata
if type(metadata) ~= "table" then
  metadata = {}
end
local spec = obj.spec
local status = obj.status
local generation = tonumber(metadata.generation)
local stalled = condition(status, "Stalled")
local reconciling = condition(status, "Reconciling")
local ready = condition(status, "Ready")

-- 1. Being deleted: say what holds the deletion up, if anything.
if metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Being deleted"
  local blocker = nil
  if isTrue(stalled) then
    blocker = stalled
  elseif isTrue(reconciling) then
    blocker = reconciling
  end
  if blocker ~= nil then
    hs.message = hs.message .. "; " .. describe(blocker, blocker.type)
  end
  return hs
end

-- 2. The operator has not finished the current generation yet. Add what it is doing
-- now, when it said so for this generation.
local observed = nil
if type(status) == "table" then
  observed = tonumber(status.observedGeneration)
end
local waiting = nil
if type(status) ~= "table" then
  waiting = "Waiting for the operator to report status"
elseif observed == nil or observed < 0 then
  waiting = "Waiting for the operator's first reconcile"
elseif generation ~= nil and observed ~= generation then
  waiting = "Waiting for the operator to reconcile generation " .. tostring(generation) ..
    " (status is for generation " .. tostring(observed) .. ")"
end
if waiting ~= nil then
  hs.status = "Progressing"
  hs.message = waiting
  local now = nil
  if isTrue(reconciling) and isCurrent(reconciling, generation) then
    now = reconciling
  elseif ready ~= nil and ready.status ~= "True" and isCurrent(ready, generation) then
    now = ready
  end
  if now ~= nil and describe(now, nil) ~= nil then
    hs.message = hs.message .. "; " .. describe(now, nil)
  end
  return hs
end

-- 3. An error that retrying cannot fix until something changes.
if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = describe(stalled, "Stalled")
  return hs
end

-- 4. Suspended: no calls to the vendor's API are made.
if ready ~= nil and ready.reason == "Suspended" then
  hs.status = "Suspended"
  hs.message = describe(ready, "Suspended")
  return hs
end
if type(spec) == "table" and spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Suspended: spec.suspend is true"
  return hs
end

-- 5. An action in flight, a retry after a transient error, or waiting for a dependency.
if isTrue(reconciling) then
  hs.status = "Progressing"
  hs.message = describe(reconciling, "Reconciling")
  return hs
end

-- 6. Ready, for the current generation.
if isTrue(ready) then
  if isCurrent(ready, generation) then
    hs.status = "Healthy"
    hs.message = describe(ready, "Ready")
    return hs
  end
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition of generation " .. tostring(generation) ..
    " (it is for generation " .. tostring(tonumber(ready.observedGeneration)) .. ")"
  return hs
end

-- 7. Anything else is progress not yet finished.
hs.status = "Progressing"
hs.message = describe(ready, "Waiting for the Ready condition")
return hs
