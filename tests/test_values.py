"""Values crossing the bridge: JSON, null, empty tables, big numbers, UTF-8, print and dump."""

from __future__ import annotations

import json

import pytest


def test_result_types_round_trip(run):
    e = run('return {s = "é", i = 7, f = 1.5, t = true, a = {1, 2, 3}, o = {k = "v"}}')
    assert e.success, e.error
    assert e.result == {"s": "é", "i": 7, "f": 1.5, "t": True, "a": [1, 2, 3], "o": {"k": "v"}}


def test_no_return_is_null_and_several_returns_are_a_list(run):
    assert run("local x = 1").result is None
    assert run("return 1, nil, 'x'").result == [1, None, "x"]


def test_json_null_survives_both_ways(run):
    e = run("""
        local v = app.echo({a = json.null, list = {1, json.null, 3}})
        return {same = v.a == json.null, second = v.list[2] == json.null, n = #v.list, v = v}
    """)
    assert e.success, e.error
    assert e.result == {
        "same": True,
        "second": True,
        "n": 3,
        "v": {"a": None, "list": [1, None, 3]},
    }


def test_empty_object_and_empty_array_stay_apart(run):
    e = run("""
        local v = json.decode('{"o": {}, "a": []}')
        return {decoded = v, made = json.object(), plain = {}, text = json.encode(v)}
    """)
    assert e.success, e.error
    assert e.result["decoded"] == {"o": {}, "a": []}
    assert e.result["made"] == {}
    assert e.result["plain"] == []
    assert json.loads(e.result["text"]) == {"o": {}, "a": []}


def test_big_integers_become_floats_instead_of_failing(run):
    e = run('return json.decode("[123456789012345678901234567890, 9007199254740993]")')
    assert e.success, e.error
    assert e.result[0] == pytest.approx(1.2345678901234568e29)
    assert e.result[1] == 9007199254740993  # fits in 64 bits: stays an exact integer


def test_json_encode_is_compact_sorted_and_pretty_on_request(run):
    e = run("""
        local v = {b = 1, a = {3, 2}, c = "x"}
        return {json.encode(v), json.encode(v, {pretty = true})}
    """)
    assert e.success, e.error
    assert e.result[0] == '{"a":[3,2],"b":1,"c":"x"}'
    assert e.result[1] == '{\n  "a": [\n    3,\n    2\n  ],\n  "b": 1,\n  "c": "x"\n}'


def test_json_encode_escapes_control_characters(run):
    e = run(r'return json.encode({"a\"b\\c\n\t\1"})')
    assert e.success, e.error
    assert e.result == '["a\\"b\\\\c\\n\\t\\u0001"]'
    assert json.loads(e.result) == ['a"b\\c\n\t\x01']


def test_json_decode_errors_name_the_problem(run):
    e = run('local v = json.decode("{bad json}")\nreturn v')
    assert not e.success
    assert e.error.type == "invalid_value"
    assert "json.decode" in e.error.message and "line 1" in e.error.message
    assert e.error.line == 1


def test_json_encode_refuses_what_json_cannot_say(run):
    cases = {
        "return json.encode({f = print})": "is a function",
        "return json.encode(0/0)": "JSON cannot represent",
        "local t = {} t.self = t return json.encode(t)": "contains itself",
        'return json.encode({["\\255"] = 1})': "not valid UTF-8",
        "return json.encode({[true] = 1})": "JSON keys are strings",
    }
    for code, expected in cases.items():
        e = run(code)
        assert not e.success, code
        assert e.error.type == "invalid_value", code
        assert expected in e.error.message, (code, e.error.message)


def test_mixed_tables_become_objects_with_string_keys(run):
    e = run("return {1, 2, x = 3}")
    assert e.result == {"1": 1, "2": 2, "x": 3}
    e = run("return {[1] = 'a', [3] = 'c'}")
    assert e.result == {"1": "a", "3": "c"}


def test_floats_keep_their_kind(run):
    e = run("return {3.0, 0.1, 1e300, -0.5}")
    assert e.result == [3.0, 0.1, 1e300, -0.5]
    assert isinstance(e.result[0], float)


def test_print_renders_tables_as_json_and_joins_with_tabs(run):
    e = run('print("a", 1, nil, true, {x = {1, 2}}, json.null)')
    assert e.success, e.error
    assert e.output == 'a\t1\tnil\ttrue\t{"x":[1,2]}\tnull\n'


def test_print_of_a_table_with_tostring_uses_it(run):
    e = run('print(setmetatable({}, {__tostring = function() return "custom" end}))')
    assert e.output == "custom\n"


def test_print_of_a_non_json_table_falls_back_to_dump(run):
    e = run("local t = {f = print} t.me = t print(t)")
    assert e.success, e.error
    assert e.output == "{\n  f = <function>,\n  me = <cycle>,\n}\n"


def test_dump_is_deterministic_readable_and_returns_its_argument(run):
    e = run("""
        local v = dump({b = {1, 2, 3}, a = "x", ["key with space"] = json.null, [10] = false})
        return v.a
    """)
    assert e.success, e.error
    assert e.output == (
        '{\n  [10] = false,\n  a = "x",\n  b = { 1, 2, 3 },\n  ["key with space"] = json.null,\n}\n'
    )
    assert e.result == "x"


def test_invalid_utf8_output_is_replaced_not_fatal(run):
    e = run(r'print("ok \255\254 end")')
    assert e.success, e.error
    assert e.output == "ok \ufffd\ufffd end\n"


def test_host_values_arrive_with_1_based_arrays(run):
    e = run("local v = app.echo({10, 20, 30}) return {v[1], v[3], #v}")
    assert e.result == [10, 30, 3]


def test_regex_match_groups_and_names(run):
    e = run(r"""
        local m = regex.match("(\\d+)-(?P<tail>\\d+)(x)?", "call 12-34 now")
        return {m[0], m[1], m[2], m.tail, m[3]}
    """)
    assert e.success, e.error
    assert e.result == ["12-34", "12", "34", "34", False]


def test_regex_no_match_is_nil(run):
    assert run('return regex.match("z+", "abc") == nil').result is True


def test_regex_match_all_split_and_gsub(run):
    e = run(r"""
        local all = regex.match_all("\\d+", "a1 b22 c333")
        local parts = regex.split("\\s*,\\s*", "a , b,c", 1)
        local s, n = regex.gsub("(\\w+)@(\\w+)", "x@y and p@q", "\\2 at \\1")
        local f, m = regex.gsub("\\d", "a1b2", function(match) return "<" .. match[0] .. ">" end)
        local t = regex.gsub("cat|dog", "cat dog emu", {cat = "CAT"})
        return {all[1][0], all[3][0], #all, parts, s, n, f, m, t}
    """)
    assert e.success, e.error
    assert e.result == [
        "1",
        "333",
        3,
        ["a", "b,c"],
        "y at x and q at p",
        2,
        "a<1>b<2>",
        2,
        "CAT dog emu",
    ]


def test_regex_bad_pattern_is_a_clear_error_never_silent(run):
    e = run('local m = regex.match("(unclosed", "x")\nreturn m')
    assert not e.success
    assert e.error.type == "invalid_value"
    assert "bad pattern" in e.error.message and "(unclosed" in e.error.message
    assert e.error.line == 1


def test_regex_works_on_utf8_text_and_keeps_binary_bytes(run):
    e = run(r"""
        local m = regex.match("(\\w+)$", "prénom")
        local s = regex.gsub("x", "\255x\254", "y")
        return {m[1], #s, s:byte(1), s:byte(3)}
    """)
    assert e.success, e.error
    assert e.result == ["prénom", 3, 255, 254]
