-- luagate's trusted bootstrap. It runs once in each fresh Lua state, before any script, and
-- builds the only environment a script ever sees. Everything a script can touch is a Lua value
-- made here; the two Python callables (dispatch, expired) stay in upvalues no script can reach.
--
-- Rules for the code in this file, because scripts can change their own `string`, `table` and
-- metatables: call only the library functions captured as locals below; never use method syntax
-- on strings, `pairs`, `ipairs`, `#` on tables or `tostring` on script values except where running
-- the script's own metamethods is intended (they then run under the time hook).

return function(dispatch, expired, settings)
  local debug_sethook, debug_getinfo, debug_getmetatable = debug.sethook, debug.getinfo, debug.getmetatable
  local raw_pcall, raw_xpcall, raw_error, raw_type = pcall, xpcall, error, type
  local raw_tostring, raw_tonumber, raw_select = tostring, tonumber, select
  local raw_setmetatable, raw_getmetatable = setmetatable, getmetatable
  local raw_rawget, raw_rawset, raw_rawlen, raw_rawequal, raw_next = rawget, rawset, rawlen, rawequal, next
  local co_create, co_resume, co_close, co_running = coroutine.create, coroutine.resume, coroutine.close, coroutine.running
  local co_status = coroutine.status
  local string_rep, string_format, string_gsub, string_match = string.rep, string.format, string.gsub, string.match
  local string_char, string_find, string_sub = string.char, string.find, string.sub
  local table_concat, table_sort, table_move, table_pack, table_unpack = table.concat, table.sort, table.move, table.pack, table.unpack
  local math_type, math_huge, math_tointeger = math.type, math.huge, math.tointeger
  local utf8_len = utf8.len
  local os_date = os.date
  local lua_load = load

  local HOOK_COUNT = settings.hook_count
  local VALUE_BYTES = settings.value_bytes
  local MEMORY_BYTES = settings.memory_bytes
  local MAX_DEPTH = settings.max_depth
  local OP_PRINT, OP_CALL, OP_JSON_DECODE, OP_REGEX, OP_UNKNOWN, OP_ABORT = 1, 2, 3, 4, 5, 6
  local OP_MEMORY_FULL, OP_MEMORY_ROOM = 7, 8
  local OOM = "not enough memory"

  ---------------------------------------------------------------------------------------------
  -- Stopping a script: once a limit is reached, every instruction on every thread raises ABORT,
  -- and every catching construct (pcall, xpcall, resume, close, wrap) re-raises it.
  ---------------------------------------------------------------------------------------------
  local ABORT = raw_setmetatable({}, {
    __tostring = function() return "luagate: execution stopped" end,
    __metatable = false,
  })
  local aborted_kind = nil
  local main_thread = co_running()
  local threads = raw_setmetatable({}, { __mode = "k" })

  local function hook_abort() raw_error(ABORT, 0) end

  local function script_line(level)
    for l = level, level + 250 do
      local info = debug_getinfo(l, "Sl")
      if not info then return nil end
      if info.source == "=script" and info.currentline and info.currentline > 0 then
        return info.currentline
      end
    end
    return nil
  end

  -- A library function's error, as the script sees it. A C function called from a wrapper in
  -- this file would name the wrapper's position ("luagate:543:") and the local it was called
  -- by ("os_date"); Lua's own library names its caller's position and the function. So the
  -- wrappers raise at the first frame outside this file: a script line, or no position when
  -- that frame is a C function (pcall(string.rep, {}), as in Lua), and name the public function.
  local function caller_position()
    for l = 3, 100 do  -- 1: this function, 2: lib_fail
      local info = debug_getinfo(l, "Sl")
      if not info then return "" end
      if info.source ~= "=luagate" then
        if info.source == "=script" and info.currentline > 0 then
          return "script:" .. info.currentline .. ": "
        end
        return ""
      end
    end
    return ""
  end
  local function lib_fail(message) raw_error(caller_position() .. message, 0) end
  local function arg_error(n, name, expected, value, absent)
    lib_fail("bad argument #" .. n .. " to '" .. name .. "' (" .. expected .. " expected, got "
      .. (absent and "no value" or raw_type(value)) .. ")")
  end
  -- The results of raw_pcall(shim, ...), where `shim` tail-calls the library function known
  -- here as `internal`: its values, or its error re-raised as the library would raise it to the
  -- script. Only errors the library function raised itself carry this file's position; any
  -- other (a script's own, from a metamethod; the stop; out of memory) passes unchanged.
  local function relay(public, internal, ok, ...)
    if ok then return ... end
    local err = ...
    if raw_type(err) == "string" then
      local _, stop = string_find(err, "^luagate:%d+: ")
      if stop then
        local text = string_sub(err, stop + 1)
        local from, to = string_find(text, "'" .. internal .. "'", 1, true)
        if from then
          text = string_sub(text, 1, from - 1) .. "'" .. public .. "'" .. string_sub(text, to + 1)
        end
        lib_fail(text)
      end
    end
    raw_error(err, 0)
  end

  -- The host is told first (if even that fails for lack of memory, the host still sees the
  -- memory error); then every other thread gets the stop hook, and the running one last: from
  -- that point no Lua code can run on this state.
  local function abort(kind, message, line)
    if not aborted_kind then
      aborted_kind = kind
      if not line then
        local ok, found = raw_pcall(script_line, 4)
        if not ok and kind == "memory_limit" then
          -- no memory left even to look (the frames' info is a table each): the host lends
          -- a little for it, and takes it back when told of the stop just below
          raw_pcall(dispatch, OP_MEMORY_ROOM)
          ok, found = raw_pcall(script_line, 4)
        end
        line = ok and found or nil
      end
      dispatch(OP_ABORT, kind, message, line)
    end
    local current = co_running()
    for co in raw_next, threads do
      if co ~= current then debug_sethook(co, hook_abort, "", 1) end
    end
    debug_sethook(current, hook_abort, "", 1)
    raw_error(ABORT, 0)
  end

  local function hook()
    if expired() then
      abort("time_limit", "the script ran longer than its time limit", script_line(3))
    end
  end

  -- Re-raise what must never be swallowed, return the rest unchanged. A memory error can be
  -- replaced by another while it unwinds (a `__close` handler that raises), so a caught error
  -- with the state's memory all but full counts as the memory limit too.
  local function memory_full()
    local _, full = dispatch(OP_MEMORY_FULL)
    return full
  end
  -- error("x", 3) at a script's top level names the frame three levels up, which is this
  -- file's ("luagate:766: x"); Lua would name none there (a C function). Where a script catches
  -- an error, and where it ends a script, that position is taken off.
  local function public_error(err)
    if raw_type(err) == "string" then
      local _, stop = string_find(err, "^luagate:%d+: ")
      if stop then return string_sub(err, stop + 1) end
    end
    return err
  end
  local function pass_or_abort(ok, ...)
    if not ok then
      local err = ...
      if aborted_kind or raw_rawequal(err, ABORT) then raw_error(ABORT, 0) end
      if err == OOM or memory_full() then
        abort("memory_limit", "the script needed more memory than its limit")
      end
      return ok, public_error(err)  -- a failed pcall, resume or close gives these two
    end
    return ok, ...
  end

  -- Typed errors raised by the sandbox into the script: remember the type so the envelope can
  -- report it if the script does not catch the error.
  -- error_type(err) looks a caught message up here (a bounded memo: a script that raises
  -- thousands of errors gets "runtime" for the oldest, never unbounded memory).
  local last_kind, last_message = nil, nil
  local error_kinds, error_kinds_count = {}, 0
  local function raise(kind, message, level)
    last_kind, last_message = kind, message
    if error_kinds[message] ~= nil then
      error_kinds[message] = kind
    elseif error_kinds_count < 256 then
      error_kinds[message] = kind
      error_kinds_count = error_kinds_count + 1
    end
    raw_error(message, level + 1)
  end
  local function error_type(err)
    if err == nil then return nil end
    if raw_type(err) ~= "string" then return "runtime" end
    local kind = error_kinds[err]
    if kind == nil then  -- "script:12: message" when raised with a position
      local _, stop = string_find(err, "^[^\n]-:%d+: ")
      if stop then kind = error_kinds[string_sub(err, stop + 1)] end
    end
    return kind or "runtime"
  end

  ---------------------------------------------------------------------------------------------
  -- JSON values: json.null, explicitly empty objects, and one deterministic encoder shared by
  -- json.encode, print, the bridge and the script's result.
  ---------------------------------------------------------------------------------------------
  local NULL = raw_setmetatable({}, {
    __name = "json.null",
    __tostring = function() return "null" end,
    __newindex = function() raw_error("json.null is read-only", 2) end,
    __metatable = false,
  })
  -- Shared by every empty object, so protected: a script that could reach it could add __gc
  -- after the fact and have later objects finalized outside the time limit.
  local OBJECT_MT = { __name = "json.object", __metatable = "json.object" }
  local function new_object() return raw_setmetatable({}, OBJECT_MT) end

  local ESCAPES = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
                    ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
  for i = 0, 31 do
    local c = string_char(i)
    if not ESCAPES[c] then ESCAPES[c] = string_format("\\u%04x", i) end
  end
  ESCAPES["\127"] = "\\u007f"
  local function quote(s)
    if not string_find(s, '[%c"\\]') then return '"' .. s .. '"' end
    return '"' .. string_gsub(s, '[%c"\\]', ESCAPES) .. '"'
  end

  local function format_float(v)
    local s = string_format("%.14g", v)
    if raw_tonumber(s) ~= v then s = string_format("%.17g", v) end
    if not string_find(s, "[%.eEn]") then s = s .. ".0" end
    return s
  end

  -- Where in a value the encoder is, as "name.key[3]"; built only when reporting an error.
  local function path_text(root_name, stack, depth)
    local parts = { root_name }
    for i = 1, depth do
      local k = stack[i]
      if raw_type(k) == "number" then
        parts[#parts + 1] = "[" .. string_format("%d", k) .. "]"
      elseif string_match(k, "^[%a_][%w_]*$") then
        parts[#parts + 1] = "." .. k
      else
        parts[#parts + 1] = "[" .. quote(k) .. "]"
      end
    end
    return table_concat(parts)
  end

  local EncodeError = {}

  -- Sorted keys of a table and whether it is an array (keys exactly 1..n).
  local function classify(t)
    local count, max_index, all_index = 0, 0, true
    for k in raw_next, t do
      count = count + 1
      if math_type(k) == "integer" and k > 0 then
        if k > max_index then max_index = k end
      else
        all_index = false
      end
    end
    return count, all_index and max_index == count
  end

  -- Encode `root` as JSON text of at most `limit` bytes. Raises {EncodeError, kind, message}.
  -- Its state lives in upvalues rather than per-call closures: the bridge encodes every call's
  -- arguments, so this is a hot path. It runs no script code, so it is never re-entered.
  local e_buf, e_n, e_size, e_limit, e_pretty, e_name = {}, 0, 0, 0, false, ""
  local e_sorted = true
  local e_stack, e_on_path = {}, {}

  local function e_fail(kind, message, depth)
    raw_error({ EncodeError, kind, path_text(e_name, e_stack, depth) .. " " .. message }, 0)
  end
  local function e_put(s, depth)
    e_n = e_n + 1
    e_buf[e_n] = s
    e_size = e_size + #s
    if e_size > e_limit then
      e_fail("value_too_large", "is larger than the limit of " .. e_limit .. " bytes", depth)
    end
  end
  local function e_newline(depth)
    if e_pretty then e_put("\n" .. string_rep("  ", depth), depth) end
  end
  -- A table key as a JSON object key (numbers become their text), or an encode error.
  local function e_key(k, depth)
    local kt = raw_type(k)
    if kt == "string" then return k end
    if kt == "number" then
      return math_type(k) == "integer" and string_format("%d", k) or format_float(k)
    end
    e_stack[depth + 1] = "<" .. kt .. " key>"
    e_fail("invalid_value", "has a key that is a " .. kt .. "; JSON keys are strings", depth + 1)
  end

  local function e_value(v, depth)
    local t = raw_type(v)
    if t == "string" then
      if not utf8_len(v) then e_fail("invalid_value", "is not valid UTF-8 text", depth) end
      e_put(quote(v), depth)
    elseif t == "number" then
      if math_type(v) == "integer" then
        e_put(string_format("%d", v), depth)
      elseif v ~= v or v == math_huge or v == -math_huge then
        e_fail("invalid_value", "is " .. raw_tostring(v) .. ", which JSON cannot represent", depth)
      else
        e_put(format_float(v), depth)
      end
    elseif t == "boolean" then
      e_put(v and "true" or "false", depth)
    elseif t == "nil" or raw_rawequal(v, NULL) then
      e_put("null", depth)
    elseif t == "table" then
      if e_on_path[v] then e_fail("invalid_value", "contains itself (a cycle)", depth) end
      if depth >= MAX_DEPTH then
        e_fail("invalid_value", "is nested deeper than " .. MAX_DEPTH .. " levels", depth)
      end
      e_on_path[v] = true
      local count, is_array = classify(v)
      if count == 0 then
        e_put(raw_rawequal(debug_getmetatable(v), OBJECT_MT) and "{}" or "[]", depth)
      elseif is_array then
        e_put("[", depth)
        for i = 1, count do
          if i > 1 then e_put(",", depth) end
          e_newline(depth + 1)
          e_stack[depth + 1] = i
          e_value(raw_rawget(v, i), depth + 1)
        end
        e_newline(depth)
        e_put("]", depth)
      elseif not e_sorted then
        -- the bridge's arguments: key order does not matter to the host, so no sort
        e_put("{", depth)
        local first = true
        for k, item in raw_next, v do
          local name = e_key(k, depth)
          if not first then e_put(",", depth) end
          first = false
          e_stack[depth + 1] = name
          if not utf8_len(name) then e_fail("invalid_value", "is a key that is not valid UTF-8", depth + 1) end
          e_put(quote(name), depth)
          e_put(":", depth)
          e_value(item, depth + 1)
        end
        e_put("}", depth)
      else
        local keys, names = {}, {}
        for k in raw_next, v do
          local name = e_key(k, depth)
          keys[#keys + 1] = name
          names[name] = k
        end
        table_sort(keys)
        e_put("{", depth)
        for i = 1, #keys do
          local name = keys[i]
          if i > 1 then e_put(",", depth) end
          e_newline(depth + 1)
          e_stack[depth + 1] = name
          if not utf8_len(name) then e_fail("invalid_value", "is a key that is not valid UTF-8", depth + 1) end
          e_put(quote(name), depth)
          e_put(e_pretty and ": " or ":", depth)
          e_value(raw_rawget(v, names[name]), depth + 1)
        end
        e_newline(depth)
        e_put("}", depth)
      end
      e_on_path[v] = nil
    else
      e_fail("invalid_value", "is a " .. t .. ", which cannot be converted to JSON", depth)
    end
  end

  local function encode(root, root_name, pretty, limit, unsorted)
    e_n, e_size, e_limit, e_pretty, e_name = 0, 0, limit, pretty, root_name
    e_sorted = not unsorted
    if raw_next(e_on_path) ~= nil then e_on_path = {} end -- left over by a failed encode
    e_value(root, 0)
    local text = table_concat(e_buf, "", 1, e_n)
    if e_n > 256 then e_buf = {} end -- let a large value's pieces go
    return text
  end

  -- encode() for trusted callers: returns text, or nil, kind, message. Never swallows ABORT.
  local function try_encode(value, name, pretty, limit, unsorted)
    local ok, res = pass_or_abort(
      raw_pcall(encode, value, name, pretty, limit or VALUE_BYTES, unsorted))
    if ok then return res end
    if raw_type(res) == "table" and res[1] == EncodeError then return nil, res[2], res[3] end
    raw_error(res, 0)
  end

  ---------------------------------------------------------------------------------------------
  -- dump(): a readable, deterministic rendering in Lua syntax.
  ---------------------------------------------------------------------------------------------
  local function key_order(a, b)
    local ta, tb = raw_type(a), raw_type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    if ta == "boolean" then return (not a) and b end
    return string_format("%p", a) < string_format("%p", b)
  end

  local function render(root, limit)
    local buf, n, size, truncated = {}, 0, 0, false
    local on_path = {}
    local function put(s)
      if truncated then return end
      n = n + 1
      buf[n] = s
      size = size + #s
      if size > limit then truncated = true end
    end
    local function scalar(v)
      local t = raw_type(v)
      if t == "string" then return quote(v) end
      if t == "number" then
        if math_type(v) == "integer" then return string_format("%d", v) end
        return (v ~= v or v == math_huge or v == -math_huge) and raw_tostring(v) or format_float(v)
      end
      if t == "boolean" or t == "nil" then return raw_tostring(v) end
      if raw_rawequal(v, NULL) then return "json.null" end
      if t == "table" then return nil end
      return "<" .. (t == "thread" and "coroutine" or t) .. ">"
    end
    local function rend(v, depth)
      if truncated then return end
      local s = scalar(v)
      if s then put(s) return end
      if on_path[v] then put("<cycle>") return end
      if depth >= MAX_DEPTH then put("{...}") return end
      local count, is_array = classify(v)
      if count == 0 then put("{}") return end
      on_path[v] = true
      local keys = {}
      for k in raw_next, v do keys[#keys + 1] = k end
      table_sort(keys, key_order)
      local function key_text(k)
        if raw_type(k) == "string" and string_match(k, "^[%a_][%w_]*$") then return k end
        return "[" .. (scalar(k) or "<table>") .. "]"
      end
      -- a short table of scalars stays on one line
      local line = nil
      if count <= 16 then
        local items = {}
        for i = 1, #keys do
          local k = keys[i]
          local s = scalar(raw_rawget(v, k))
          if s == nil then items = nil break end
          items[i] = is_array and s or (key_text(k) .. " = " .. s)
        end
        if items then
          line = "{ " .. table_concat(items, ", ") .. " }"
          if #line > 80 then line = nil end
        end
      end
      if line then
        put(line)
      else
        local pad = string_rep("  ", depth + 1)
        put("{\n")
        for i = 1, #keys do
          local k = keys[i]
          put(pad)
          if not is_array then put(key_text(k) .. " = ") end
          rend(raw_rawget(v, k), depth + 1)
          put(",\n")
        end
        put(string_rep("  ", depth) .. "}")
      end
      on_path[v] = nil
    end
    rend(root, 0)
    if truncated then buf[n + 1] = " ...(truncated)" n = n + 1 end
    return table_concat(buf, "", 1, n)
  end

  ---------------------------------------------------------------------------------------------
  -- The environment.
  ---------------------------------------------------------------------------------------------
  local env = {}

  local function host(op, ...)
    local ok, value, kind, fatal = dispatch(op, ...)
    if ok then return value end
    if fatal then abort(kind, value) end
    raise(kind, value, 3)
  end

  -- print: tables without a __tostring print as compact JSON (or a dump when they are not JSON).
  local function call_tostring(v) return raw_tostring(v) end
  local function print_text(v)
    if raw_type(v) == "table" and not raw_rawequal(v, NULL) then
      local mt = debug_getmetatable(v)
      if not (mt and raw_rawget(mt, "__tostring")) then
        return try_encode(v, "value", false) or render(v, VALUE_BYTES)
      end
      -- its __tostring may fail (or return no string): an error at the script's print
      return relay("print", "tostring", raw_pcall(call_tostring, v))
    end
    return raw_tostring(v)
  end

  env.print = function(...)
    local args = table_pack(...)
    local parts = {}
    for i = 1, args.n do parts[i] = print_text(args[i]) end
    host(OP_PRINT, table_concat(parts, "\t") .. "\n")
  end

  env.dump = function(...)
    local args = table_pack(...)
    local parts = {}
    for i = 1, args.n do parts[i] = render(args[i], VALUE_BYTES) end
    host(OP_PRINT, table_concat(parts, "\t") .. "\n")
    return ...
  end

  for _, name in raw_next, { "assert", "error", "ipairs", "next", "pairs", "rawequal", "rawget",
                             "rawlen", "rawset", "select", "tonumber", "tostring", "type" } do
    env[name] = _ENV[name]
  end
  env._VERSION = _VERSION
  env._G = env
  env.error_type = error_type

  env.pcall = function(...)
    if raw_select("#", ...) == 0 then lib_fail("bad argument #1 to 'pcall' (value expected)") end
    return pass_or_abort(raw_pcall(...))
  end
  env.xpcall = function(f, handler, ...)
    if raw_type(handler) ~= "function" then
      arg_error(2, "xpcall", "function", handler, handler == nil)
    end
    local function guarded(e)
      if aborted_kind or raw_rawequal(e, ABORT) or e == OOM then return e end
      return handler(public_error(e))
    end
    return pass_or_abort(raw_xpcall(f, guarded, ...))
  end

  env.getmetatable = function(v)
    if raw_type(v) ~= "table" then return nil end
    return raw_getmetatable(v)
  end
  local function call_setmetatable(t, mt) return raw_setmetatable(t, mt) end
  env.setmetatable = function(t, mt)
    if raw_type(t) ~= "table" then
      raw_error("bad argument #1 to 'setmetatable' (table expected, got " .. raw_type(t) .. ")", 2)
    end
    local mt_type = raw_type(mt)
    if mt_type == "table" and raw_rawget(mt, "__gc") ~= nil then
      raw_error("setmetatable: __gc metamethods are not allowed in the sandbox", 2)
    end
    local current = debug_getmetatable(t)
    if (mt_type == "table" or mt_type == "nil")
        and not (current and raw_rawget(current, "__metatable") ~= nil) then
      return raw_setmetatable(t, mt)
    end
    -- a bad metatable, or a protected one: Lua's own error, as the script would get it
    return relay("setmetatable", "raw_setmetatable", raw_pcall(call_setmetatable, t, mt))
  end

  -- string: no dump; rep bounded by the memory limit. Strings' own methods use this table.
  local sandbox_string = {}
  for k, v in raw_next, string do sandbox_string[k] = v end
  sandbox_string.dump = nil
  local function as_integer(v)
    local t = raw_type(v)
    if t == "number" or t == "string" then
      local n = raw_tonumber(v)
      return n and math_tointeger(n)
    end
    return nil
  end
  local function as_text(v)
    local t = raw_type(v)
    if t == "string" then return v end
    if t == "number" then return raw_tostring(v) end
    return nil
  end
  local function call_rep(...) return string_rep(...) end
  sandbox_string.rep = function(...)
    local s, n, sep = ...
    local text, count = as_text(s), as_integer(n)
    local separator = sep == nil and "" or as_text(sep)
    if text and count and separator then
      local unit = #text + #separator
      if count <= 0 or unit == 0 then return "" end
      if count > MEMORY_BYTES // unit then
        raw_error("string.rep: the result would exceed the memory limit", 2)
      end
      return string_rep(s, n, sep)  -- cannot fail: the result fits the memory limit
    end
    return relay("string.rep", "string_rep", raw_pcall(call_rep, ...))
  end
  env.string = sandbox_string
  local string_mt = debug_getmetatable("")
  string_mt.__index = sandbox_string
  string_mt.__metatable = false

  local MAX_MOVE = 10000000
  local sandbox_table = {}
  for k, v in raw_next, table do sandbox_table[k] = v end
  local function call_move(...) return table_move(...) end
  sandbox_table.move = function(...)
    local _, f, e = ...
    local first, last = as_integer(f), as_integer(e)
    if first and last and last - first >= MAX_MOVE then
      raw_error("table.move: at most " .. MAX_MOVE .. " elements can be moved at once", 2)
    end
    return relay("table.move", "table_move", raw_pcall(call_move, ...))
  end
  env.table = sandbox_table

  local function copy(lib)
    local t = {}
    for k, v in raw_next, lib do t[k] = v end
    return t
  end
  env.math = copy(math)
  env.utf8 = copy(utf8)
  local function call_date(...) return os_date(...) end
  env.os = {
    time = os.time,
    clock = os.clock,
    date = function(...)
      local format = ...
      if raw_type(format) == "string" and #format > 256 then
        raw_error("os.date: the format may be at most 256 bytes", 2)
      end
      return relay("os.date", "os_date", raw_pcall(call_date, ...))
    end,
  }

  -- coroutines: every new one gets the time hook (hooks are per coroutine).
  local function new_thread(f)
    local co = co_create(f)
    if aborted_kind then
      debug_sethook(co, hook_abort, "", 1)
    else
      debug_sethook(co, hook, "", HOOK_COUNT)
    end
    threads[co] = true
    return co
  end
  local cor = copy(coroutine)
  local function check_function(name, ...)
    local f = ...
    if raw_type(f) ~= "function" then
      arg_error(1, name, "function", f, raw_select("#", ...) == 0)
    end
    return f
  end
  cor.create = function(...) return new_thread(check_function("coroutine.create", ...)) end
  cor.resume = function(...)
    local co = ...
    if raw_type(co) ~= "thread" then
      arg_error(1, "coroutine.resume", "thread", co, raw_select("#", ...) == 0)
    end
    return pass_or_abort(co_resume(...))
  end
  cor.close = function(...)
    local co = ...
    if raw_type(co) ~= "thread" then
      arg_error(1, "coroutine.close", "thread", co, raw_select("#", ...) == 0)
    end
    local status = co_status(co)
    if status == "running" or status == "normal" then
      lib_fail("cannot close a " .. status .. " coroutine")
    end
    return pass_or_abort(co_close(co))
  end
  local function wrap_result(ok, ...)
    if ok then return ... end
    local _, err = pass_or_abort(false, (...))
    raw_error(err, 0)
  end
  cor.wrap = function(...)
    local co = new_thread(check_function("coroutine.wrap", ...))
    return function(...) return wrap_result(co_resume(co, ...)) end
  end
  env.coroutine = cor

  -- json
  env.json = {
    null = NULL,
    object = new_object,
    encode = function(value, options)
      local pretty = false
      if options ~= nil then
        if raw_type(options) ~= "table" then
          raise("invalid_value", "json.encode: options must be a table like {pretty = true}", 2)
        end
        pretty = raw_rawget(options, "pretty") and true or false
      end
      local text, kind, message = try_encode(value, "value", pretty)
      if not text then raise(kind, "json.encode: " .. message, 2) end
      return text
    end,
    decode = function(text)
      if raw_type(text) ~= "string" then
        raise("invalid_value", "json.decode: expected a string, got " .. raw_type(text), 2)
      end
      local value = host(OP_JSON_DECODE, text)
      return value
    end,
  }

  -- regex (Python `re` syntax, evaluated by the host with a time limit)
  local function check_strings(fname, pattern, subject)
    if raw_type(pattern) ~= "string" then
      raise("invalid_value", "regex." .. fname .. ": pattern must be a string, got " .. raw_type(pattern), 3)
    end
    if raw_type(subject) ~= "string" then
      raise("invalid_value", "regex." .. fname .. ": subject must be a string, got " .. raw_type(subject), 3)
    end
  end
  env.regex = {
    match = function(pattern, subject)
      check_strings("match", pattern, subject)
      local value = host(OP_REGEX, "match", pattern, subject)
      return value
    end,
    match_all = function(pattern, subject)
      check_strings("match_all", pattern, subject)
      local value = host(OP_REGEX, "match_all", pattern, subject)
      return value
    end,
    split = function(pattern, subject, max_split)
      check_strings("split", pattern, subject)
      if max_split ~= nil and math_type(max_split) ~= "integer" then
        raise("invalid_value", "regex.split: max_split must be an integer", 2)
      end
      local value = host(OP_REGEX, "split", pattern, subject, max_split)
      return value
    end,
    gsub = function(pattern, subject, replacement, count)
      check_strings("gsub", pattern, subject)
      if count ~= nil and math_type(count) ~= "integer" then
        raise("invalid_value", "regex.gsub: count must be an integer", 2)
      end
      local rt = raw_type(replacement)
      if rt == "string" then
        local value = host(OP_REGEX, "gsub", pattern, subject, replacement, count or 0)
        return raw_rawget(value, 1), raw_rawget(value, 2)
      elseif rt == "function" or rt == "table" then
        -- The host splits the subject into text and matches; the replacement runs here, in Lua.
        local pieces = host(OP_REGEX, "pieces", pattern, subject, count or 0)
        local out, replaced = {}, 0
        for i = 1, raw_rawlen(pieces) do
          local piece = raw_rawget(pieces, i)
          if raw_type(piece) == "string" then
            out[#out + 1] = piece
          else
            local r
            if rt == "function" then r = replacement(piece) else r = replacement[piece[0]] end
            if r == nil or r == false then
              r = piece[0]
            elseif raw_type(r) == "number" then
              r = raw_tostring(r)
            elseif raw_type(r) ~= "string" then
              raise("invalid_value", "regex.gsub: the replacement returned a " .. raw_type(r) .. "; expected a string", 2)
            end
            out[#out + 1] = r
            replaced = replaced + 1
          end
        end
        return table_concat(out), replaced
      else
        raise("invalid_value", "regex.gsub: replacement must be a string, function or table, got " .. rt, 2)
      end
    end,
  }

  -- The host namespace: closures over one dispatcher, unknown names answered with suggestions.
  local function unknown_name(prefix)
    return function(_, key)
      raise("unknown_name", host(OP_UNKNOWN, prefix, raw_tostring(key)), 2)
    end
  end
  local function make_function(path, kind)
    if kind == "helper" then  -- a library function (docs.*): its arguments as one JSON array
      return function(...)
        local n = raw_select("#", ...)
        local list = {}
        for i = 1, n do
          local value = raw_select(i, ...)
          if value == nil then value = NULL end
          list[i] = value
        end
        local text, kind_, message = try_encode(list, path, false, nil, true)
        if not text then raise(kind_, message, 2) end
        local value = host(OP_CALL, path, text)  -- not a tail call: errors name the script's line
        return value
      end
    end
    return function(args, ...)
      if raw_select("#", ...) > 0 then
        raise("invalid_value", path .. " takes one argument (a table); got " .. (raw_select("#", ...) + 1), 2)
      end
      local text, kind, message = try_encode(args, "arguments", false, nil, true)
      if not text then raise(kind, path .. ": " .. message, 2) end
      local value = host(OP_CALL, path, text)
      return value
    end
  end
  local function build(tree, prefix)
    local t = {}
    for name, sub in raw_next, tree do
      local path = prefix .. "." .. name
      if raw_type(sub) == "table" then t[name] = build(sub, path) else t[name] = make_function(path, sub) end
    end
    return raw_setmetatable(t, { __index = unknown_name(prefix), __metatable = false })
  end
  for name, tree in raw_next, settings.namespace do
    env[name] = build(tree, name)
  end

  ---------------------------------------------------------------------------------------------
  -- Running the script. Returns plain strings and numbers only, never a script's value.
  ---------------------------------------------------------------------------------------------
  local error_line = nil
  local function on_error(e)
    if e == OOM then  -- a memory error re-raised (the allocator's own skips this handler)
      local ok, line = raw_pcall(script_line, 3)
      if ok then error_line = line end
      return e
    end
    error_line = script_line(2)
    return e
  end

  local function line_of(message)
    if raw_type(message) ~= "string" then return nil end
    return raw_tonumber(string_match(message, "^script:(%d+):"))
  end

  local function message_of(err)
    if raw_type(err) == "string" then return public_error(err) end
    if raw_type(err) == "table" then
      local mt = debug_getmetatable(err)
      if mt and raw_rawget(mt, "__tostring") then
        local ok, s = pass_or_abort(raw_pcall(raw_tostring, err))
        if ok and raw_type(s) == "string" then return s end
      end
      local text = try_encode(err, "error", false, 4096)
      if text then return "error object: " .. text end
      return "(error object is a table value)"
    end
    return raw_tostring(err) .. " (error object is a " .. raw_type(err) .. " value)"
  end

  local function kind_of(message)
    if last_kind and #message >= #last_message
        and string_sub(message, -#last_message) == last_message then
      return last_kind
    end
    return "runtime"
  end

  -- A REPL input (`repl` true) is tried as an expression first (`return <input>`, as Lua's own
  -- REPL does), a syntax error at <eof> is flagged as incomplete (the caller reads more lines),
  -- and a value JSON cannot hold comes back rendered as dump() would.
  local function load_input(code, repl)
    if repl then
      local fn = lua_load("return " .. code, "=script", "t", env)
      if fn then return fn end
    end
    local fn, err = lua_load(code, "=script", "t", env)
    if fn then return fn end
    return nil, err, repl and string_sub(err, -5) == "<eof>"
  end

  local function execute(code, repl)
    last_kind, last_message, error_line = nil, nil, nil
    local fn, err, incomplete = load_input(code, repl)
    if not fn then return false, "syntax", err, line_of(err), incomplete end
    threads[main_thread] = true
    debug_sethook(main_thread, hook, "", HOOK_COUNT)
    local results = table_pack(raw_xpcall(fn, on_error))
    if not results[1] then
      local e = results[2]
      if aborted_kind or raw_rawequal(e, ABORT) then return false, aborted_kind end
      if e == OOM then return false, "memory_limit", "the script needed more memory than its limit", error_line end
      local message = message_of(e)
      return false, kind_of(message), message, line_of(message) or error_line
    end
    local value
    if results.n == 1 then
      value = nil
    elseif results.n == 2 then
      value = results[2]
    else
      value = table_move(results, 2, results.n, 1, {})
      for i = 1, results.n - 1 do if value[i] == nil then value[i] = NULL end end
    end
    local text, kind, message = try_encode(value, "result", false)
    if repl then  -- the JSON text, or false and the rendering; and how many values there were
      if text then return true, text, results.n - 1 end
      -- too large is refused as a script's result is; only what JSON cannot hold is rendered
      if kind == "value_too_large" then return false, kind, message, nil end
      return true, false, results.n - 1, render(value, VALUE_BYTES)
    end
    if not text then return false, kind, message, nil end
    return true, text
  end

  -- After an abort this never returns normally: the hooks raise ABORT at its next instruction,
  -- and the host, already told why, reports that.
  local function run(code, repl)
    local r = table_pack(raw_pcall(execute, code, repl))
    if not r[1] then
      local e = r[2]
      if e == OOM then return false, "memory_limit", "the script needed more memory than its limit" end
      return false, "internal", "the sandbox failed while finishing the script"
    end
    return table_unpack(r, 2, r.n)
  end

  return { run = run, null = NULL, new_object = new_object }
end
