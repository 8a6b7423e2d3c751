"""``luagate lua --repl``: read-eval-print Lua in the sandbox, one Lua state for the session.

Imported only when ``--repl`` is given (``luagate lua -e`` start-up is measured). Each input
runs as ``luagate lua`` runs a script, against the same ``app.integrations.*`` and ``docs.*``,
under the same limits; the session itself (one worker process, or this process with
``--in-process``) is :mod:`luagate.lua.session`'s.

An input is tried as an expression first (``return <input>``, as Lua's own REPL does): a value
prints as the CLI prints a script's result (JSON, pretty). An unfinished input (``function f()``)
asks for more lines. Prompts go to stderr, and only when stdin is a terminal, so lines piped in
give clean stdout.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from contextlib import suppress

from .common import EXIT_FAILURE, flush_stdout, stdout_gone, stream_stdout, write_stdout

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType
    from typing import Any

    from ..catalog.spec import ProviderSpec
    from ..lua.limits import Limits
    from ..lua.session import InProcessSession, InputResult, IsolatedSession


PROMPT, CONTINUATION = "> ", ">> "
HISTORY_FILE = "repl_history"
HISTORY_LENGTH = 1000

HELP = """\
Lua 5.4 in luagate's sandbox. Each input runs as you enter it; an expression prints its value.
Globals last for the session (x = 1, then x); locals last for one input, as in Lua's own REPL.
  print(docs.read("overview"))             the guide; docs.list(), docs.search("missed calls")
{examples}  dump(v)                                  print any value readably
The limits apply to each input (--timeout, --max-output, --max-calls), the memory limit to the
session. An input stopped by a limit or by Ctrl-C resets the session: a fresh Lua state.
Ctrl-C stops a running input or clears the line; Ctrl-D (or .exit) quits."""


def help_text(providers: Sequence[ProviderSpec]) -> str:
    """:data:`HELP`, its examples taken from the providers switched on here (none: no example)."""
    lines = []
    functions = [f for p in providers for f in p.functions]
    if functions:
        page = next((f for f in functions if f.name.startswith("list_")), functions[0])
        lines.append(
            (
                f'  print(docs.read("{page.provider}.{page.name}"))',
                "one function's page: parameters, returns, examples",
            )
        )
    # a read that needs no argument, of another provider if there is one; the shortest name
    simple = [f for f in functions if f.kind == "read" and not any(p.required for p in f.params)]
    if simple:
        call = min(
            simple,
            key=lambda f: (f.provider == functions[0].provider, len(f.provider) + len(f.name)),
        )
        lines.append(
            (
                f"  app.integrations.{call.provider}.{call.name}({{}})",
                "call a function (the demo account if none is set)",
            )
        )
    width = 43
    return HELP.format(examples="".join(f"{code:<{width}}{what}\n" for code, what in lines))


RESET = (
    "luagate: session reset: the next input runs in a fresh Lua state "
    "(the globals defined so far are gone)"
)


def run_repl(limits: Limits, *, isolated: bool, force: bool) -> int:
    """The session, until EOF (exit 0). A failure to start the sandbox propagates (exit 1)."""
    from ..gateway.gateway import Gateway
    from ..gateway.lua_host import GatewayHost
    from ..lua.session import open_session
    from .common import ask_at_terminal

    interactive = sys.stdin.isatty()
    # a person is at the prompt: the 'ask' policy asks them (the input's clock keeps running)
    gateway = Gateway(surface="lua", ask=ask_at_terminal if interactive else None)
    host = GatewayHost(gateway, force=force)
    session = open_session(host, limits, isolated=isolated)
    reader = LineReader(interactive)
    try:
        if reader.interactive:
            where = "a worker process" if isolated else "this process"
            _err(f"luagate lua --repl: Lua 5.4 in the sandbox, in {where}.")
            _err("Type .help for help, Ctrl-D to quit.")
        return Repl(session, reader, limits.output_bytes, help_text(gateway.providers)).loop()
    finally:
        session.close()
        reader.close()
        if isolated:
            from ..lua.fork_server import shared_fork_server

            shared_fork_server().close()


class Repl:
    """The loop: read an input (more lines while it is unfinished), run it, show what it gave."""

    def __init__(
        self,
        session: IsolatedSession | InProcessSession,
        reader: LineReader,
        shown_bytes: int = 1024 * 1024,
        help: str = HELP.format(examples=""),
    ) -> None:
        self.session = session
        self.reader = reader
        self.shown_bytes = shown_bytes  # an echoed value counts as output: the same cap
        self.help = help

    def loop(self) -> int:
        pending: list[str] = []  # the lines of an unfinished input
        unfinished = None  # the syntax error it would be, should EOF come first
        scanner = LuaScanner()  # what the lines so far say about completeness, line by line
        size = checked = 0  # the input's characters so far; and at its last compile
        while True:
            try:
                line = self.reader.read(CONTINUATION if pending else PROMPT)
                if line is None:  # EOF: the session ends
                    if self.reader.interactive:
                        _err("")  # off the prompt's line first
                    if pending and checked < size:  # its last lines were not compiled yet
                        result = self.execute("\n".join(pending))
                        if result is not None and not result.incomplete:
                            show(result, self.shown_bytes)
                            return 0
                        unfinished = result.execution.error if result is not None else None
                    if pending and unfinished is not None:
                        _report_error(unfinished)
                    return 0
                if not pending:
                    command = line.strip()
                    if not command:
                        continue
                    if command == ".help":
                        _write(self.help + "\n")
                        continue
                    if command == ".exit":
                        return 0
                pending.append(line)
                size += len(line) + 1
                scanner.feed(line)
                # Each compile reads the whole input: for a long one, compile only when this
                # line could have finished it, or once it has doubled since the last compile
                # (a syntax error inside it is then reported a little later).
                if scanner.unfinished and size > EAGER_CHARS and size < 2 * checked:
                    continue
                checked = size
                result = self.execute("\n".join(pending))
                if stdout_gone():
                    raise ReaderLeft
                if result is not None and result.incomplete:
                    unfinished = result.execution.error
                    continue
                pending.clear()
                scanner, size, checked = LuaScanner(), 0, 0
                if result is not None:
                    show(result, self.shown_bytes)
            except KeyboardInterrupt:  # at the prompt (or while showing): drop the input
                if self.reader.interactive:
                    _err("")
                pending.clear()
                scanner, size, checked = LuaScanner(), 0, 0
            except ReaderLeft:  # stopped quietly, as a program stops on SIGPIPE
                return EXIT_FAILURE

    def execute(self, code: str) -> InputResult | None:
        """Run one input; Ctrl-C interrupts it (a second one, if the first is not enough,
        abandons it). None when it was abandoned (the session was reset)."""
        presses = [0]

        def on_sigint(signum: int, frame: FrameType | None) -> None:
            presses[0] += 1
            if presses[0] > 1:
                raise KeyboardInterrupt
            self.session.interrupt()
            if self.session.in_host_call:  # e.g. waiting on a provider: nothing checks a flag
                raise KeyboardInterrupt

        from ..errors import OutputLimitError

        try:
            previous = signal.signal(signal.SIGINT, on_sigint)
            try:
                return self.session.run(code, on_output=stream_stdout)
            finally:
                signal.signal(signal.SIGINT, previous)
        except OutputLimitError:
            if stdout_gone():  # raised by stream_stdout, to stop the input
                raise ReaderLeft from None
            raise
        except KeyboardInterrupt:
            self.session.reset()
            _err("luagate: interrupted")
            _err(RESET)
            return None


EAGER_CHARS = 16 * 1024
"""Up to this size an unfinished input is compiled at every line (so an error shows at once)."""

_LEX = re.compile(
    r"""
    (?P<space>\s+)
    | --(?:\[(?P<comment>=*)\[)?                  # a comment: long, or to the end of the line
    | \[(?P<long>=*)\[                             # a long string
    | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')  # a string closed on this line
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>\.?[0-9](?:[eEpP][-+]|[0-9A-Za-z_.])*)
    | (?P<op>\.\.\.|\.\.|::|//|<<|>>|==|~=|<=|>=|[-+*/%^\#&~|<>=(){}\[\];:,.])
    """,
    re.X,
)
_OPENING = frozenset(["function", "do", "repeat", "if", "(", "[", "{"])
"""What ``end``, ``until`` or a closing bracket must close (``while``/``for`` open with ``do``)."""
_CLOSING = frozenset(["end", "until", ")", "]", "}"])
_WANTS_MORE = frozenset(
    {
        *("and", "or", "not", "local", "goto", "in", "until", "then", "else", "elseif", "do"),
        *("while", "for", "if", "repeat", "function", "=", ",", ".", ":", ".."),
        *("+", "-", "*", "/", "//", "%", "^", "#", "&", "~", "|", "<<", ">>"),
        *("==", "~=", "<", "<=", ">", ">="),
    }
)
"""Tokens no chunk (nor ``return <chunk>``) can end with: each needs something after it."""


class LuaScanner:
    """Reads an input's lines as Lua's lexer would, one line at a time, to tell when no Lua
    compiler could accept the text so far (:attr:`unfinished`): a block or bracket still open,
    a long string or comment still open, an operator still waiting for its operand.

    It never claims more than that: when anything is unusual (a string left open at the end of
    a line, a character Lua has no token for, a closer without an opener) it says nothing,
    and the caller compiles the input as usual.
    """

    __slots__ = ("closer", "depth", "last", "unsure")

    def __init__(self) -> None:
        self.depth = 0  # blocks (function, do, repeat, if) and brackets still open
        self.closer: str | None = None  # what ends the long string or comment we are in
        self.last: str | None = None  # the last token
        self.unsure = False

    @property
    def unfinished(self) -> bool:
        """Whether the text so far is certainly no complete chunk."""
        if self.unsure:
            return False
        return self.closer is not None or self.depth > 0 or self.last in _WANTS_MORE

    def feed(self, line: str) -> None:
        if self.unsure:
            return
        text, pos = line + "\n", 0
        while pos < len(text):
            if self.closer is not None:  # inside a long string or comment
                end = text.find(self.closer, pos)
                if end < 0:
                    return
                pos = end + len(self.closer)
                self.closer = None
                continue
            m = _LEX.match(text, pos)
            if m is None:  # no Lua token (or a string not closed on its line)
                self.unsure = True
                return
            pos = m.end()
            kind = m.lastgroup
            if kind == "space":
                continue
            if kind is None:  # a line comment: the rest of the line
                return
            if kind == "comment":  # a long comment (the group holds its "=" signs)
                self.closer = "]" + m.group("comment") + "]"
                continue
            token = m.group()
            if kind == "long":
                self.closer = "]" + m.group("long") + "]"
                token = "<string>"
            elif token in _OPENING:
                self.depth += 1
            elif token in _CLOSING:
                self.depth -= 1
                if self.depth < 0:  # a closer without an opener: let the compiler say
                    self.unsure = True
                    return
            self.last = token


def show(result: InputResult, shown_bytes: int = 1024 * 1024) -> None:
    """What an input gave: output went out as it was printed; then its value (up to the output
    cap, ``shown_bytes``, with a marker past it), or its error."""
    execution = result.execution
    if execution.output and not execution.output.endswith("\n"):
        _write("\n")
    if result.interrupted:
        _err("luagate: interrupted")
    elif execution.error is not None:
        _report_error(execution.error)
    elif result.values:
        if result.display is not None:
            text = result.display
        else:
            text = json.dumps(execution.result, indent=2, ensure_ascii=False)
        _write(_capped(text, shown_bytes) + "\n")
    if result.reset:
        _err(RESET)


def _capped(text: str, limit: int) -> str:
    data = text.encode("utf-8", "surrogateescape")
    if len(data) <= limit:
        return text
    kept = data[:limit].decode("utf-8", "ignore")  # never half a character
    return f"{kept}\n[luagate: value shown up to {limit} bytes of {len(data)}]"


def _report_error(error: Any) -> None:
    where = f" (line {error.line})" if error.line else ""
    _err(f"luagate: {error.type}{where}: {error.message}")


def _write(text: str) -> None:
    write_stdout(text)
    if stdout_gone():
        raise ReaderLeft


def _err(text: str) -> None:
    flush_stdout()  # what was printed comes first
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class ReaderLeft(Exception):
    """stdout's reader went away (``luagate lua --repl | head``): the session ends, exit 1."""


class LineReader:
    """Lines from stdin: with a terminal, through ``input()`` (``readline`` editing and
    history when available) with the prompt on stderr; otherwise plain lines, no prompt."""

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive
        self._readline: Any = None
        self._history: str | None = None
        if interactive:
            self._setup_readline()

    def read(self, prompt: str) -> str | None:
        """The next line without its newline; None at EOF."""
        if not self.interactive:
            data = sys.stdin.buffer.readline()
            if not data:
                return None
            return data.decode("utf-8", "surrogateescape").rstrip("\r\n")
        # input() writes its prompt (and readline its editing) to fd 1: stderr, meanwhile
        flush_stdout()
        saved = os.dup(1)
        try:
            os.dup2(2, 1)
            try:
                return input(prompt)
            except EOFError:
                return None
        finally:
            os.dup2(saved, 1)
            os.close(saved)

    def _setup_readline(self) -> None:
        try:
            import readline
        except ImportError:  # no line editing; input() still works
            return
        self._readline = readline
        readline.parse_and_bind("tab: tab-insert")  # Tab indents Lua; it completes no file names
        readline.set_history_length(HISTORY_LENGTH)
        from ..accounts.paths import luagate_home

        self._history = os.path.join(luagate_home(), HISTORY_FILE)
        with suppress(OSError):  # none yet, or unreadable
            readline.read_history_file(self._history)

    def close(self) -> None:
        """Save the history (owner-only), unless luagate's home cannot be written."""
        if self._readline is None or self._history is None:
            return
        if self._readline.get_current_history_length() == 0:
            return
        with suppress(OSError):
            os.makedirs(os.path.dirname(self._history), mode=0o700, exist_ok=True)
            os.close(os.open(self._history, os.O_WRONLY | os.O_CREAT, 0o600))
            self._readline.write_history_file(self._history)
