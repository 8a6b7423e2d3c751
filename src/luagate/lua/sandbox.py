"""One fresh Lua 5.4 state per execution, built by the trusted bootstrap.

The state runs with ``encoding=None`` (every Lua string reaches Python as bytes, so no decode
error can happen inside lupa), attribute access on Python objects denied, and a memory ceiling.
Scripts see only the environment the bootstrap builds; the single Python callable they can reach
indirectly, :meth:`Sandbox._dispatch`, never raises.
"""

from __future__ import annotations

import json
import os

import lupa.lua54 as lua54

from ..errors import (
    InvalidValueError,
    LimitError,
    LuagateError,
    MemoryLimitError,
    TimeoutLimitError,
)
from .convert import ToLua, decode_json
from .deadline import Deadline
from .envelope import Outcome, ScriptError
from .host import unavailable, unknown_name_message
from .limits import Limits
from .output import OutputBuffer
from .regex_ops import RegexOps

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .host import Namespace

    CallFunction = Callable[[str, bytes], Any]
    """``(path, arguments as JSON text) -> value``; raises a LuagateError to fail it."""


def _compile_bootstrap() -> bytes:
    """The bootstrap as Lua bytecode, compiled once per process.

    Compiling the source costs ~0.5 ms per sandbox; loading bytecode ~0.05 ms. Only this trusted
    chunk is ever loaded as bytecode; scripts are loaded as text ("t").
    """
    with open(os.path.join(os.path.dirname(__file__), "bootstrap.lua"), "rb") as f:
        source = f.read()
    compiler = lua54.LuaRuntime(encoding=None)
    dump = compiler.eval("function(src) return string.dump(assert(load(src, '=luagate', 't'))) end")
    return dump(source)


BOOTSTRAP = _compile_bootstrap()

HOOK_COUNT = 5000
"""Lua instructions between two deadline checks (about 20-50 us of work)."""
MAX_DEPTH = 100
"""Deepest nesting of a value that may cross the bridge or be encoded as JSON."""

OUT_OF_MEMORY = "the script needed more memory than its limit"

OP_PRINT, OP_CALL, OP_JSON_DECODE, OP_REGEX, OP_UNKNOWN, OP_ABORT = 1, 2, 3, 4, 5, 6
OP_MEMORY_FULL, OP_MEMORY_ROOM = 7, 8
MEMORY_ROOM = 64 * 1024
"""What a state stopped for lack of memory is lent to look up the line it stopped at."""


def _deny(*_: Any) -> Any:
    raise AttributeError("not available in the sandbox")


def _text(data: bytes | None) -> str:
    return "" if data is None else data.decode("utf-8", "replace")


MESSAGE_BYTES = 4096
"""The most bytes of an error's message the envelope keeps (then a marker): a script decides
what it raises, and the message crosses to the parent and into every log of the run."""


def _message(data: bytes | None) -> str:
    """An error message as the envelope shows it: UTF-8 (bad bytes replaced), cut after
    :data:`MESSAGE_BYTES` bytes — never in the middle of a character — with a marker."""
    if data is None:
        return ""
    if len(data) <= MESSAGE_BYTES:
        return data.decode("utf-8", "replace")
    end = MESSAGE_BYTES
    while end > MESSAGE_BYTES - 3 and 0x80 <= data[end] < 0xC0:  # a character's continuation
        end -= 1
    return data[:end].decode("utf-8", "replace") + f"... (truncated, {len(data)} bytes)"


def _leaf(value: Any) -> bytes:
    return b"helper" if value == "helper" else b"call"


def _lua_strings(tree: Namespace) -> dict[bytes, Any]:
    # an "unavailable:" leaf becomes nothing in Lua: asking for it gets its explanation; a
    # "helper" sends all its arguments (a list), a call its one table
    return {
        k.encode(): _lua_strings(v) if isinstance(v, dict) else _leaf(v)
        for k, v in tree.items()
        if unavailable(v) is None
    }


class Sandbox:
    """A Lua state ready to run one script (or, through :meth:`run_input`, a REPL's inputs)."""

    def __init__(
        self,
        *,
        namespace: Namespace,
        call: CallFunction,
        limits: Limits,
        deadline: Deadline,
        output: OutputBuffer,
    ) -> None:
        self._namespace = namespace
        self._call = call
        self._limits = limits
        self._deadline = deadline
        self._output = output
        self._regex = RegexOps(limits.value_bytes)
        self._abort: ScriptError | None = None
        self._broken = False
        self._room_lent = False

        runtime = lua54.LuaRuntime(
            encoding=None,
            max_memory=limits.memory_bytes,
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_handlers=(_deny, _deny),
        )
        runtime.globals().python = None
        settings = runtime.table_from(
            {
                b"hook_count": HOOK_COUNT,
                b"value_bytes": limits.value_bytes,
                b"memory_bytes": limits.memory_bytes,
                b"max_depth": MAX_DEPTH,
                b"namespace": _lua_strings(namespace),
            },
            recursive=True,
        )
        setup = runtime.execute(BOOTSTRAP, name="=luagate", mode="b")
        controller = setup(self._dispatch, deadline.expired, settings)
        self._runtime = runtime
        self._run = controller[b"run"]
        self._to_lua = ToLua(
            runtime, controller[b"null"], controller[b"new_object"], limits.memory_bytes
        )

    def run(self, code: str | bytes) -> Outcome:
        """Run the script; never raises (every failure is an outcome)."""
        try:
            return self._run_script(code, False)
        except Exception as e:
            self._broken = True
            return self._failed(
                self._abort or ScriptError("internal", f"the sandbox failed ({type(e).__name__})")
            )

    def run_input(self, code: str | bytes, *, output: OutputBuffer, call: CallFunction) -> Outcome:
        """Run one REPL input in this state, printing to ``output`` and calling through ``call``
        (each input has its own); the deadline is the caller's to re-arm. Never raises.

        The input is tried as an expression first; the outcome says how many values it returned
        (``values``), their rendering when JSON cannot hold them (``display``), whether the input
        is unfinished (``incomplete``: nothing ran), and whether this state can run no more
        (``stopped``: a limit stopped it, or it failed).
        """
        self._output = output
        self._call = call
        try:
            outcome = self._run_script(code, True)
        except Exception as e:
            self._broken = True
            outcome = self._failed(
                self._abort or ScriptError("internal", f"the sandbox failed ({type(e).__name__})")
            )
        outcome.stopped = self.stopped or (
            outcome.error is not None and outcome.error.type == MemoryLimitError.type
        )
        return outcome

    @property
    def stopped(self) -> bool:
        """Whether this state can run no more: a limit stopped it (every instruction now
        fails, by design), or the sandbox itself failed."""
        return self._abort is not None or self._broken

    def _run_script(self, code: str | bytes, repl: bool) -> Outcome:
        source = code.encode("utf-8", "surrogateescape") if isinstance(code, str) else code
        try:
            returned = self._run(source, repl)
            ok, *rest = returned if isinstance(returned, tuple) else (returned,)
        except lua54.LuaMemoryError:
            self._broken = True
            return self._failed(self._abort or ScriptError(MemoryLimitError.type, OUT_OF_MEMORY))
        except lua54.LuaError:
            # Raised only after an abort, whose reason the host already holds. The error
            # object is never turned into a string here: its __tostring would run unhooked.
            self._broken = True
            return self._failed(
                self._abort or ScriptError("internal", "the sandbox stopped without a reason")
            )
        if self._abort is not None:
            return self._failed(self._abort)
        if ok and repl:
            text, values, display = [*rest, None, None][:3]
            return Outcome(
                True,
                result=json.loads(text) if text else None,
                memory_bytes=self.memory_used(),
                values=values if isinstance(values, int) else 0,
                display=None if text else _text(display),
            )
        if ok:
            return Outcome(True, result=json.loads(rest[0]), memory_bytes=self.memory_used())
        kind, message, line, incomplete = [*rest, None, None, None, None][:4]
        if kind == b"memory_limit" and not message:  # stopped before it could say more
            message = OUT_OF_MEMORY.encode()
        outcome = self._failed(ScriptError(_text(kind), _message(message), line))
        outcome.incomplete = incomplete is True  # nothing ran; the error is what EOF would get
        return outcome

    def memory_used(self) -> int:
        return self._runtime.get_memory_used()

    def _failed(self, error: ScriptError) -> Outcome:
        return Outcome(False, error=error, memory_bytes=self.memory_used())

    # -- the one door from Lua to Python ------------------------------------------------------

    def _dispatch(self, op: int, *args: Any) -> tuple[Any, ...]:
        try:
            return self._handle(op, args)
        except LuagateError as e:
            return (False, e.message.encode(), e.type.encode(), isinstance(e, LimitError))
        except MemoryError:
            error = MemoryLimitError(OUT_OF_MEMORY)
            return (False, error.message.encode(), error.type.encode(), True)
        except KeyboardInterrupt:
            self._deadline.cancel()
            error = TimeoutLimitError("the execution was interrupted")
            return (False, error.message.encode(), error.type.encode(), True)
        except Exception as e:
            message = f"internal error in luagate ({type(e).__name__})"
            return (False, message.encode(), b"internal", False)

    def _handle(self, op: int, args: tuple[Any, ...]) -> tuple[Any, ...]:
        if op == OP_PRINT:
            self._output.write(args[0])
            return (True,)
        if op == OP_CALL:
            value = self._call(_text(args[0]), args[1])
            return (True, self._to_lua(value))
        if op == OP_JSON_DECODE:
            return (True, self._to_lua(decode_json(args[0], self._limits.value_bytes)))
        if op == OP_REGEX:
            value = self._regex(_text(args[0]), *args[1:])
            return (True,) if value is None else (True, self._to_lua(value))
        if op == OP_UNKNOWN:
            message = unknown_name_message(self._namespace, _text(args[0]), _text(args[1]))
            return (True, message.encode())
        if op == OP_MEMORY_FULL:
            limit = self._limits.memory_bytes
            return (True, self.memory_used() >= limit - max(64 * 1024, limit // 256))
        if op == OP_MEMORY_ROOM:  # lent until the stop is reported (OP_ABORT, next)
            self._runtime.set_max_memory(self._limits.memory_bytes + MEMORY_ROOM)
            self._room_lent = True
            return (True,)
        if op == OP_ABORT:
            if self._room_lent:
                self._runtime.set_max_memory(self._limits.memory_bytes)
                self._room_lent = False
            kind, message, line = _text(args[0]), _message(args[1]), args[2]
            self._abort = ScriptError(kind, message, line if isinstance(line, int) else None)
            return (True,)
        raise InvalidValueError(f"unknown sandbox operation {op!r}")


def run_sandbox(
    code: str | bytes,
    *,
    namespace: Namespace,
    call: CallFunction,
    limits: Limits,
    deadline: Deadline,
    output: OutputBuffer,
) -> Outcome:
    """Build a sandbox and run one script in it; a failure to build is an outcome too."""
    try:
        sandbox = Sandbox(
            namespace=namespace, call=call, limits=limits, deadline=deadline, output=output
        )
    except (MemoryError, lua54.LuaMemoryError):
        error = MemoryLimitError("the memory limit is too small to start a sandbox")
        return Outcome(False, error=ScriptError(error.type, error.message))
    except LuagateError as e:
        return Outcome(False, error=ScriptError(e.type, e.message))
    return sandbox.run(code)


class SessionSandbox:
    """One Lua state kept across a REPL's inputs (in this process, or in a REPL worker).

    Globals persist from one input to the next; each input gets its own deadline, output buffer
    and call function. The state is built at the first input. Once an input has stopped it
    (``Outcome.stopped``), the caller discards this object and starts a fresh one.
    """

    def __init__(self, namespace: Namespace, limits: Limits) -> None:
        self._namespace = namespace
        self.limits = limits
        self.deadline = Deadline(0.0)
        """The state's deadline (its hook reads it): armed for each input, cancelled to
        interrupt one."""
        self._sandbox: Sandbox | None = None

    def arm(self, deadline: float) -> None:
        """Set the next input's deadline (monotonic seconds)."""
        self.deadline.at = deadline
        self.deadline.cancelled = False

    def run(self, code: str | bytes, *, output: OutputBuffer, call: CallFunction) -> Outcome:
        """Run one input, under the deadline :meth:`arm` set; never raises."""
        if self._sandbox is None:
            try:
                self._sandbox = Sandbox(
                    namespace=self._namespace,
                    call=call,
                    limits=self.limits,
                    deadline=self.deadline,
                    output=output,
                )
            except (MemoryError, lua54.LuaMemoryError):
                error = MemoryLimitError("the memory limit is too small to start a sandbox")
                return Outcome(False, error=ScriptError(error.type, error.message), stopped=True)
            except LuagateError as e:
                return Outcome(False, error=ScriptError(e.type, e.message), stopped=True)
        return self._sandbox.run_input(code, output=output, call=call)
