"""The shape of a spec: what a provider, its credentials and each of its functions are.

Specs are data a reviewer reads top to bottom (see ``luagate/providers/<name>/spec.py``). Plain
frozen classes rather than pydantic models: ``luagate docs`` and every gateway call load them, and
importing pydantic measured 400-600 ms on this project's machines.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PARAM_TYPES = ("string", "integer", "number", "boolean", "array", "object")
KINDS = ("read", "write")


class _Frozen:
    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        name = getattr(self, "name", "")
        return f"{type(self).__name__}({name!r})"


class Field(_Frozen):
    """A field of an object: a parameter's array items, or a returned value.

    ``fields`` describes an object's own fields; ``items`` an array's element.
    """

    __slots__ = ("description", "fields", "items", "name", "nullable", "type")

    name: str
    type: str
    description: str
    fields: tuple[Field, ...]
    items: Field | None
    nullable: bool

    def __init__(
        self,
        name: str,
        type: str,
        description: str = "",
        *,
        fields: tuple[Field, ...] = (),
        items: Field | None = None,
        nullable: bool = False,
    ) -> None:
        if type not in PARAM_TYPES:
            raise ValueError(f"field {name}: unknown type {type!r}")
        self._set(
            name=name,
            type=type,
            description=description,
            fields=tuple(fields),
            items=items,
            nullable=nullable,
        )


class Param(_Frozen):
    """One parameter of a function, with everything validation and docs need."""

    __slots__ = (
        "default",
        "description",
        "enum",
        "format",
        "items",
        "maximum",
        "min_length",
        "minimum",
        "name",
        "required",
        "type",
    )

    name: str
    type: str
    description: str
    required: bool
    default: Any
    minimum: int | float | None
    maximum: int | float | None
    enum: tuple[Any, ...] | None
    format: str | None
    items: Field | None
    min_length: int | None
    """For strings: the fewest characters once surrounding spaces are stripped (1: not blank)."""

    def __init__(
        self,
        name: str,
        type: str,
        description: str,
        *,
        required: bool = False,
        default: Any = None,
        minimum: float | None = None,
        maximum: float | None = None,
        enum: tuple[Any, ...] | None = None,
        format: str | None = None,
        items: Field | None = None,
        min_length: int | None = None,
    ) -> None:
        if type not in PARAM_TYPES:
            raise ValueError(f"param {name}: unknown type {type!r}")
        # "instant": an ISO 8601 date-time or date, or UNIX seconds (an integer or digits)
        if format not in (None, "date-time", "date", "instant"):
            raise ValueError(f"param {name}: unknown format {format!r}")
        if min_length is not None and type != "string":
            raise ValueError(f"param {name}: min_length applies to strings, not {type}")
        self._set(
            name=name,
            type=type,
            description=description,
            required=required,
            default=default,
            minimum=minimum,
            maximum=maximum,
            enum=None if enum is None else tuple(enum),
            format=format,
            items=items,
            min_length=min_length,
        )


class Example(_Frozen):
    """A Lua example; ``title`` is shown when a function has several."""

    __slots__ = ("code", "title")

    code: str
    title: str | None

    def __init__(self, code: str, title: str | None = None) -> None:
        self._set(code=code.strip("\n"), title=title)


class Section(_Frozen):
    """An extra documentation section of a function (e.g. the shape of a nested object)."""

    __slots__ = ("body", "title")

    title: str
    body: str

    def __init__(self, title: str, body: str) -> None:
        self._set(title=title, body=body.strip("\n"))


class FunctionSpec(_Frozen):
    """One operation of a provider, named ``provider.function``."""

    __slots__ = (
        "description",
        "examples",
        "keywords",
        "kind",
        "name",
        "notes",
        "params",
        "provider",
        "requests",
        "returns",
        "sections",
    )

    provider: str
    name: str
    kind: str
    description: str
    params: tuple[Param, ...]
    returns: tuple[Field, ...]
    examples: tuple[Example, ...]
    sections: tuple[Section, ...]
    notes: str
    requests: str
    """How many HTTP requests one call makes (they count against the provider's budget)."""
    keywords: str
    """Words an agent may search with that the page does not use (``"me whoami"``); indexed
    for :func:`luagate.catalog.docs.Docs.search`, not shown."""

    def __init__(
        self,
        provider: str,
        name: str,
        *,
        kind: str,
        description: str,
        params: tuple[Param, ...] = (),
        returns: tuple[Field, ...] = (),
        examples: tuple[Example, ...] = (),
        sections: tuple[Section, ...] = (),
        notes: str = "",
        requests: str = "",
        keywords: str = "",
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"{provider}.{name}: kind must be read or write, got {kind!r}")
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError(f"{provider}.{name}: duplicate parameter names")
        self._set(
            provider=provider,
            name=name,
            kind=kind,
            description=description,
            params=tuple(params),
            returns=tuple(returns),
            examples=tuple(examples),
            sections=tuple(sections),
            notes=notes.strip("\n"),
            requests=requests.strip("\n"),
            keywords=keywords,
        )

    @property
    def full_name(self) -> str:
        return f"{self.provider}.{self.name}"

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


class CredentialField(_Frozen):
    """One field of an account's credentials; ``secret`` fields are encrypted at rest."""

    __slots__ = ("description", "name", "secret")

    name: str
    description: str
    secret: bool

    def __init__(self, name: str, description: str, *, secret: bool = False) -> None:
        self._set(name=name, description=description, secret=secret)


class ProviderSpec(_Frozen):
    """A provider: its credential fields and functions.

    ``credential_sets`` lists the alternative sets of fields that make an account usable
    (Aircall: an API key pair, or an OAuth token); any one complete set is enough.
    ``multi_account_function`` and ``multi_account_accounts`` are the names the generated
    "Multi-Account Usage" section uses in its example.
    """

    __slots__ = (
        "credential_sets",
        "credentials",
        "description",
        "functions",
        "multi_account_accounts",
        "multi_account_function",
        "name",
        "rate_limit",
        "title",
    )

    name: str
    title: str
    description: str
    credentials: tuple[CredentialField, ...]
    credential_sets: tuple[tuple[str, ...], ...]
    functions: tuple[FunctionSpec, ...]
    multi_account_function: str
    multi_account_accounts: tuple[str, ...]
    rate_limit: str
    """The provider's request budget and what luagate does at it (markdown), shown on the
    provider's page and under each function's requests."""

    def __init__(
        self,
        name: str,
        *,
        title: str,
        description: str,
        credentials: tuple[CredentialField, ...],
        credential_sets: tuple[tuple[str, ...], ...],
        functions: tuple[FunctionSpec, ...],
        multi_account_function: str = "function_name",
        multi_account_accounts: tuple[str, ...] = ("sales", "support"),
        rate_limit: str = "",
    ) -> None:
        known = {c.name for c in credentials}
        for group in credential_sets:
            unknown = set(group) - known
            if unknown:
                raise ValueError(f"{name}: credential set names unknown fields {sorted(unknown)}")
        for f in functions:
            if f.provider != name:
                raise ValueError(f"{f.full_name} is declared under provider {name}")
        self._set(
            name=name,
            title=title,
            description=description,
            credentials=tuple(credentials),
            credential_sets=tuple(tuple(g) for g in credential_sets),
            functions=tuple(functions),
            multi_account_function=multi_account_function,
            multi_account_accounts=tuple(multi_account_accounts),
            rate_limit=rate_limit.strip("\n"),
        )

    def function(self, name: str) -> FunctionSpec | None:
        for f in self.functions:
            if f.name == name:
                return f
        return None

    def credential(self, name: str) -> CredentialField | None:
        for c in self.credentials:
            if c.name == name:
                return c
        return None
