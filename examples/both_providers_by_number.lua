-- One day of calls on both phone systems, joined by the outside party's number:
-- who called (or was called) through Aircall, through the Wildix PBX, or through both.
-- Run it: luagate lua examples/both_providers_by_number.lua
-- (with no accounts configured, both providers run on their built-in demo data)

local day = os.date("!%Y-%m-%d", os.time() - 86400)   -- yesterday, UTC

-- "+33 6 12 34 56 78", "0033612345678" and "+33612345678" are one number
local function key(number)
  if number == nil or number == json.null then return nil end
  local digits = tostring(number):gsub("[^%d]", "")
  if tostring(number):match("^%s*00") then digits = digits:sub(3) end
  if #digits < 8 then return nil end   -- an internal extension, not an outside number
  return digits
end

local people = {}
local function note(number, system, call)
  local k = key(number)
  if not k then return end
  local entry = people[k] or { number = "+" .. k, aircall = 0, wildix = 0, seconds = 0 }
  entry[system] = entry[system] + 1
  entry.seconds = entry.seconds + (call.duration or 0)
  people[k] = entry
end

-- Aircall: every call of the day, 50 per page
local page = 1
repeat
  local result = app.integrations.aircall.list_calls({
    from = day .. "T00:00:00Z", to = day .. "T23:59:59Z", order = "asc", per_page = 50, page = page,
  })
  for _, call in ipairs(result.calls) do
    -- the outside party: the caller of an inbound call (nil when anonymous), else the callee
    local outside
    if call.direction == "inbound" then outside = call.from else outside = call.to end
    if outside then note(outside, "aircall", call) end
  end
  page = page + 1
until result.meta.next_page_link == json.null

-- Wildix: the PBX's history of the same day (dates widen to the whole day)
page = 1
local seen = 0
repeat
  local result = app.integrations.wildix.list_calls({
    date_from = day, date_to = day, limit = 100, page = page,
  })
  for _, call in ipairs(result.calls) do
    note(key(call.from) and call.from or call.to, "wildix", call)
  end
  seen = seen + #result.calls
  page = page + 1
until #result.calls == 0 or seen >= result.total

local rows = {}
for _, entry in pairs(people) do rows[#rows + 1] = entry end
table.sort(rows, function(a, b)
  if a.aircall + a.wildix ~= b.aircall + b.wildix then
    return a.aircall + a.wildix > b.aircall + b.wildix
  end
  return a.number < b.number
end)

local both = 0
print(("%s: %d outside numbers"):format(day, #rows))
print(("%-16s %8s %7s %8s"):format("number", "aircall", "wildix", "minutes"))
for i, r in ipairs(rows) do
  if r.aircall > 0 and r.wildix > 0 then both = both + 1 end
  if i <= 15 then
    print(("%-16s %8d %7d %8.1f"):format(r.number, r.aircall, r.wildix, r.seconds / 60))
  end
end
print(("%d numbers used both systems"):format(both))
return { day = day, numbers = #rows, on_both = both }
