-- A first luagate script: the sandbox's helpers and the test namespace (app.echo).
-- Run it: luagate lua examples/hello.lua

-- Values cross the bridge as JSON: arrays stay arrays, json.null stays null.
local calls = app.echo({
  { id = 1, direction = "inbound", from = "+33612345678", duration = 42 },
  { id = 2, direction = "outbound", from = "+33698765432", duration = 0 },
  { id = 3, direction = "inbound", from = "+14155550100", duration = 310, note = json.null },
})

local answered, total = {}, 0
for _, call in ipairs(calls) do
  if call.duration > 0 then
    -- regex.* uses Python's re syntax: no delimiters, named groups, \d...
    local m = regex.match([[(?P<last4>\d{4})$]], call.from)
    answered[#answered + 1] = { id = call.id, ends_with = m and m.last4 or "?" }
    total = total + call.duration
  end
end

print(("%d of %d calls answered, %d s in total"):format(#answered, #calls, total))
dump(answered) -- a readable, deterministic rendering
print(json.encode({ answered = answered }))

-- A failing host call is an ordinary Lua error: catch it with pcall.
local ok, err = pcall(app.fail, { type = "not_found", message = "no call 99" })
print("caught:", ok, err)

return { answered = #answered, seconds = total }
