-- Who called lately? The last inbound Aircall calls, each caller matched to a shared contact.
-- Run it: luagate lua examples/aircall_recent_callers.lua

local calls = app.integrations.aircall.list_calls({
  direction = "inbound",
  order = "desc",
  per_page = 15,
}).calls

local function text(v) return (v ~= nil and v ~= json.null) and tostring(v) or nil end

local function describe(contact)
  local name = table.concat({ text(contact.first_name) or "", text(contact.last_name) or "" }, " ")
  local company = text(contact.company_name)
  return company and (name .. " (" .. company .. ")") or name
end

local known, strangers, cache = 0, 0, {}
for _, call in ipairs(calls) do
  local who = "anonymous"
  if call.from then
    -- one contact search per distinct number (Aircall matches phone numbers, not names)
    if cache[call.from] == nil then
      local found = app.integrations.aircall.list_contacts({ q = call.from, per_page = 1 })
      local contact = found.contacts[1]
      cache[call.from] = contact and describe(contact) or false
    end
    who = cache[call.from] or call.from
    if cache[call.from] then known = known + 1 else strangers = strangers + 1 end
  end
  -- Aircall's status is "done" for every finished call: answered_at says whether anyone picked up
  local outcome = (call.answered_at ~= nil and call.answered_at ~= json.null) and "answered" or "missed"
  print(("%s  %4ds  %-8s %s"):format(
    os.date("!%Y-%m-%d %H:%M", call.started_at), call.duration, outcome, who))
end

return { calls = #calls, from_contacts = known, from_other_numbers = strangers }
