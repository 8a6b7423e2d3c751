-- Yesterday's missed inbound Aircall calls, per person or line, with who called.
-- Run it: luagate lua examples/aircall_missed_yesterday.lua
-- (with no Aircall account configured, it runs on the built-in demo company)

local function present(v) return v ~= nil and v ~= json.null end

local day = os.date("!%Y-%m-%d", os.time() - 86400)   -- yesterday, UTC
local missed, page = {}, 1
repeat
  local result = app.integrations.aircall.list_calls({
    from = day .. "T00:00:00Z",
    to = day .. "T23:59:59Z",
    direction = "inbound",
    order = "asc",
    per_page = 50,
    page = page,
  })
  for _, call in ipairs(result.calls) do
    if not present(call.answered_at) then
      missed[#missed + 1] = call
    end
  end
  page = page + 1
until result.meta.next_page_link == json.null

-- who should have answered: the assigned person, else the line the call came in on
local function owner(call)
  if present(call.assigned_to) then return call.assigned_to.name end
  if present(call.user) then return call.user.name end
  return "line " .. call.number.name
end

local per_owner, owners = {}, {}
for _, call in ipairs(missed) do
  local who = owner(call)
  if not per_owner[who] then
    per_owner[who] = {}
    owners[#owners + 1] = who
  end
  table.insert(per_owner[who], call)
end
table.sort(owners)

print(("%d missed inbound calls on %s"):format(#missed, day))
for _, who in ipairs(owners) do
  print(("\n%s: %d"):format(who, #per_owner[who]))
  for _, call in ipairs(per_owner[who]) do
    local reason = present(call.missed_call_reason) and call.missed_call_reason or "missed"
    print(("  %s  from %-18s %s"):format(
      os.date("!%H:%M", call.started_at), call.from or "anonymous", reason))
  end
end

local summary = {}
for _, who in ipairs(owners) do summary[who] = #per_owner[who] end
return { day = day, missed = #missed, per_owner = summary }
