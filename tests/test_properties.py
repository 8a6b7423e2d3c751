"""Property tests: any JSON value survives the bridge both ways, unchanged."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luagate.lua.echo_host import EchoHost
from luagate.lua.executor import InProcessExecutor

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(text, children, max_size=5),
    max_leaves=25,
)

EXECUTOR = InProcessExecutor()
HOST = EchoHost()


def _lua_string(value: str) -> str:
    """A Lua long-bracket literal for ``value`` (JSON text has no raw newline to lose)."""
    level = 1
    while f"]{'=' * level}" in value:
        level += 1
    return f"[{'=' * level}[{value}]{'=' * level}]"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_json_values_round_trip_through_the_host(value):
    source = json.dumps(value)
    e = EXECUTOR.run(f"return app.echo(json.decode({_lua_string(source)}))", HOST)
    assert e.success, e.error
    assert e.result == value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_json_encode_matches_python_after_a_decode(value):
    source = json.dumps(value)
    e = EXECUTOR.run(f"return json.encode(json.decode({_lua_string(source)}))", HOST)
    assert e.success, e.error
    assert json.loads(e.result) == value
