"""The bridge: host calls, their records, typed errors, limits and the envelope."""

from __future__ import annotations

import pytest

from luagate.errors import UsageError
from luagate.lua.limits import MIB, Limits


def test_calls_are_recorded_with_account_and_outcome(run):
    e = run("""
        app.echo({1})
        pcall(app.fail, {type = "auth", message = "token rejected"})
        return app.echo("last")
    """)
    assert e.success, e.error
    assert [(c.path, c.ok, c.account, c.error) for c in e.calls] == [
        ("app.echo", True, "test", None),
        ("app.fail", False, None, "auth"),
        ("app.echo", True, "test", None),
    ]
    assert all(c.duration_ms >= 0 for c in e.calls)


def test_error_type_names_a_caught_errors_type(run):
    e = run("""
        local _, direct = pcall(app.fail, {type = "auth", message = "token rejected"})
        local _, nested = pcall(function()
            app.fail({type = "not_found", message = "no such call"})
        end)
        local _, unknown = pcall(function() return app.nope end)
        local _, own = pcall(error, "my own")
        local _, runtime = pcall(function() local t = nil; return t.x end)
        local _, object = pcall(error, {code = 1})
        return {error_type(direct), error_type(nested), error_type(unknown),
                error_type(own), error_type(runtime), error_type(object), error_type(nil)}
    """)
    assert e.success, e.error
    assert e.result == ["auth", "not_found", "unknown_name", "runtime", "runtime", "runtime"]


def test_error_type_memory_is_bounded(run):
    e = run("""
        local last
        for i = 1, 300 do
            local _, err = pcall(app.fail, {type = "upstream", message = "failure " .. i})
            last = err
        end
        local _, first_kind = pcall(app.fail, {type = "auth", message = "failure 1"})
        return {error_type(last), error_type(first_kind)}
    """)
    assert e.success, e.error
    # the memo keeps the first 256 messages; later ones are "runtime", never unbounded memory
    assert e.result == ["runtime", "auth"]


def test_host_error_is_catchable_as_a_lua_string_with_the_scripts_line(run):
    e = run("""
        local ok, err = pcall(app.fail, {type = "auth", message = "token rejected"})
        local ok2, err2 = pcall(function()
            app.fail({type = "not_found", message = "no such call"})
        end)
        return {ok, type(err), err, ok2, err2}
    """)
    assert e.success, e.error
    assert e.result[0] is False
    assert e.result[1] == "string"
    assert e.result[2] == "token rejected"  # pcall(f) has no script frame to point at
    assert e.result[3] is False
    assert e.result[4] == "script:4: no such call"


def test_uncaught_host_error_keeps_its_type_and_line_in_the_envelope(run):
    e = run('local x = 1\nlocal r = app.fail({type = "rate_limited", message = "slow down"})\n')
    assert not e.success
    assert e.error.type == "rate_limited"
    assert e.error.line == 2
    assert e.error.message == "script:2: slow down"


def test_call_limit_stops_the_script_and_pcall_cannot_swallow_it(run):
    e = run(
        """
        local n = 0
        for i = 1, 10 do
            local ok = pcall(app.echo, i)
            n = n + 1
        end
        return n
        """,
        max_calls=3,
    )
    assert not e.success
    assert e.error.type == "call_limit"
    assert len(e.calls) == 3


def test_values_over_the_bridge_limit_are_refused_before_the_host(run):
    e = run("local r = app.echo(string.rep('x', 2000))", value_bytes=1000)
    assert not e.success
    assert e.error.type == "value_too_large"
    assert "app.echo" in e.error.message
    assert e.calls == []


def test_a_result_over_the_limit_is_refused(run):
    e = run("return string.rep('x', 2000)", value_bytes=1000)
    assert not e.success
    assert e.error.type == "value_too_large"
    assert e.error.message.startswith("result ")


def test_unknown_names_suggest_the_closest(run):
    e = run("local r = app.ecko({})")
    assert e.error.type == "unknown_name"
    assert "Did you mean: app.echo?" in e.error.message
    assert e.error.line == 1


def test_extra_arguments_are_an_error(run):
    e = run("local r = app.echo(1, 2)")
    assert e.error.type == "invalid_value"
    assert "takes one argument" in e.error.message


def test_slow_host_calls_count_against_the_deadline(run):
    e = run("app.sleep({seconds = 5}) return 'late'", timeout_s=0.5)
    assert not e.success
    assert e.error.type == "time_limit"
    assert e.duration_ms < 2000


def test_envelope_has_every_documented_field(run):
    d = run("print('x') return 1").to_dict()
    assert set(d) == {
        "success",
        "output",
        "output_truncated",
        "result",
        "error",
        "calls",
        "duration_ms",
        "memory_bytes",
        "limits",
        "executor",
        "meta",
    }
    assert d["meta"] == {"rate_limited_ms": 0}  # no provider call held back
    assert d["limits"] == Limits().to_dict()
    assert d["memory_bytes"] > 0


def test_limits_validate_and_narrow_but_never_widen():
    base = Limits(timeout_s=10, memory_bytes=32 * MIB)
    narrowed = base.narrowed(timeout_s=60, memory_bytes=16 * MIB, max_calls=None)
    assert narrowed.timeout_s == 10  # asked for more: keeps the ceiling
    assert narrowed.memory_bytes == 16 * MIB
    assert narrowed.max_calls == base.max_calls
    with pytest.raises(UsageError, match="timeout_s must be a positive number, got -1"):
        Limits(timeout_s=-1)
    with pytest.raises(UsageError, match="unknown limit 'cpu'"):
        base.narrowed(cpu=1)
    with pytest.raises(AttributeError):
        base.timeout_s = 99  # type: ignore[misc]


def test_the_python_api_runs_isolated_by_default():
    from luagate import run_lua
    from luagate.lua.echo_host import EchoHost

    e = run_lua("print('hi') return app.echo({n = 1})", host=EchoHost())
    assert e.executor == "isolated"
    assert (e.success, e.output, e.result) == (True, "hi\n", {"n": 1})


def test_too_large_going_out_is_catchable_coming_in_stops_the_script(run):
    # out: the script's own value is refused before it crosses, as an ordinary error
    e = run(
        "local ok, err = pcall(json.encode, {string.rep('x', 2000)})\n"
        "local ok2, err2 = pcall(app.echo, {s = string.rep('x', 2000)})\n"
        "return {ok, error_type(err), ok2, error_type(err2)}",
        value_bytes=1000,
    )
    assert e.success, e.error
    assert e.result == [False, "value_too_large", False, "value_too_large"]
    # in: json.decode's text over the limit stops the script, pcall or not
    e = run(
        "local ok = pcall(json.decode, '\"' .. string.rep('x', 2000) .. '\"')\nreturn 'went on'",
        value_bytes=1000,
    )
    assert not e.success and e.error.type == "value_too_large"
    assert e.result is None


def test_a_script_larger_than_one_value_is_refused_before_it_runs(run):
    code = "x = 1 --" + "a" * 2000
    e = run(code, value_bytes=1000)
    assert not e.success and e.error.type == "value_too_large"
    assert e.error.message == f"the script is {len(code)} bytes; the limit is 1000"
    assert run("return 1", value_bytes=1000).result == 1
