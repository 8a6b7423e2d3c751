-- A first luagate script: the docs an agent reads, the sandbox's helpers, and an error caught.
-- Run it: luagate lua examples/hello.lua

-- The namespace documents itself: reading docs never calls a provider.
local catalog = docs.list()
for _, provider in ipairs(catalog.providers) do
  print(("%s: %d functions"):format(provider.title, #provider.functions))
end
local hits = docs.search("missed inbound calls")
print("best page for 'missed inbound calls': " .. hits[1].page)

-- regex.* uses Python's re syntax; json.* is deterministic.
local page = docs.read("aircall.list_calls")
local section = page:match("## Parameters(.-)\n## ")
local params = {}
for _, m in ipairs(regex.match_all([[\| `(\w+)` \| (\w+) \|]], section)) do
  params[#params + 1] = { name = m[1], type = m[2] }
end
print("aircall.list_calls takes " .. #params .. " parameters")
dump(params[1])
print(json.encode({ first = params[1], count = #params }))

-- Every call is validated before anything is sent; a failure is a Lua error to catch.
local ok, err = pcall(app.integrations.aircall.list_calls, { per_page = 51 })
print("caught:", ok, err)

return { providers = #catalog.providers, list_calls_params = #params }
