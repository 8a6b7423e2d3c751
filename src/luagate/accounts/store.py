"""The account store: ``$LUAGATE_HOME/config.json`` plus accounts from the environment.

Per provider it keeps the accounts (name → credential fields), which account is the default,
and the read/write policy. Secret fields (as the provider's spec declares them) are encrypted
in the file; a value ``env:NAME`` is a reference resolved from the environment at use.
Accounts can also come wholly from the environment: ``LUAGATE_<PROVIDER>_<ACCOUNT>_<FIELD>``
(e.g. ``LUAGATE_AIRCALL_SALES_API_TOKEN``); such values override the file's for that field.
"""

from __future__ import annotations

import json
import os
import re

from ..errors import NotConfiguredError, SecretStoreError, UsageError
from .paths import luagate_home
from .secrets import SecretBox, write_private

TYPE_CHECKING = False
if TYPE_CHECKING:
    from os import PathLike
    from typing import Any

    from ..catalog.spec import ProviderSpec

CONFIG_FILE = "config.json"
POLICY_VALUES = ("allow", "ask", "deny")
DEFAULT_POLICY = {"read": "allow", "write": "ask"}
ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
ENV_PREFIX = "LUAGATE_"
BUILT_IN_ACCOUNT = "demo"
"""The built-in account's name (the provider's simulator, while no account is configured):
no configured account may take it."""
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class AccountStore:
    def __init__(
        self, home: str | PathLike[str] | None = None, environ: dict[str, str] | None = None
    ) -> None:
        self.environ = dict(os.environ if environ is None else environ)
        self.home = os.fspath(home) if home is not None else luagate_home(self.environ)
        self.secrets = SecretBox(self.home, self.environ)
        self._config: dict[str, Any] | None = None
        self._env: dict[str, dict[str, dict[str, str]]] = {}  # environ is a snapshot: cache it
        self._env_keys: dict[tuple[str, str, str], str] = {}  # (provider, account, field) → var

    # -- the file -----------------------------------------------------------------------------

    @property
    def config_path(self) -> str:
        return os.path.join(self.home, CONFIG_FILE)

    def _load(self) -> dict[str, Any]:
        if self._config is None:
            path = self.config_path
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except FileNotFoundError:
                if os.path.exists(self.home) and not os.path.isdir(self.home):
                    raise SecretStoreError(_not_a_directory(self.home)) from None
                self._config = {"version": 1, "providers": {}}
            except NotADirectoryError:
                raise SecretStoreError(_not_a_directory(self.home)) from None
            except OSError as e:  # a directory named config.json, no permission, ...
                raise SecretStoreError(f"cannot read {path}: {e.strerror}") from None
            else:
                try:
                    config = json.loads(text)
                except ValueError as e:
                    raise SecretStoreError(f"{path} is not valid JSON: {e}") from None
                except RecursionError:
                    raise SecretStoreError(f"{path} is not valid JSON: nested too deeply") from None
                _check_shape(path, config)
                self._config = config
        return self._config

    def _save(self) -> None:
        try:
            os.makedirs(self.home, exist_ok=True)
        except FileExistsError:
            raise SecretStoreError(_not_a_directory(self.home)) from None
        except OSError as e:
            raise SecretStoreError(f"cannot create {self.home}: {e.strerror}") from None
        data = json.dumps(self._load(), indent=2, sort_keys=True) + "\n"
        write_private(self.config_path, data.encode())

    def _provider(self, provider: str, create: bool = False) -> dict[str, Any]:
        providers = self._load().setdefault("providers", {})
        if create:
            return providers.setdefault(provider, {"accounts": {}})
        return providers.get(provider, {"accounts": {}})

    # -- reading ------------------------------------------------------------------------------

    def _env_accounts(self, spec: ProviderSpec) -> dict[str, dict[str, str]]:
        found = self._env.get(spec.name)
        if found is None:
            found = self._env[spec.name] = self._read_env_accounts(spec)
        return found

    def _read_env_accounts(self, spec: ProviderSpec) -> dict[str, dict[str, str]]:
        prefix = f"{ENV_PREFIX}{spec.name.upper()}_"
        found: dict[str, dict[str, str]] = {}
        for key, value in self.environ.items():
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix) :]
            for field in spec.credentials:
                suffix = "_" + field.name.upper()
                if rest.endswith(suffix) and len(rest) > len(suffix):
                    account = rest[: -len(suffix)].lower()
                    found.setdefault(account, {})[field.name] = value
                    self._env_keys[(spec.name, account, field.name)] = key
                    break
        return found

    def accounts(self, spec: ProviderSpec) -> list[str]:
        """Every account of a provider, stored or from the environment, default first."""
        names = list(self._provider(spec.name).get("accounts", {}))
        names += [n for n in self._env_accounts(spec) if n not in names]
        default = self.default_account(spec, names)
        return sorted(names, key=lambda n: (n != default, n))

    def stored_accounts(self, spec: ProviderSpec) -> list[str]:
        """The accounts config.json holds (not those only in the environment)."""
        return sorted(self._provider(spec.name).get("accounts", {}))

    def default_account(self, spec: ProviderSpec, names: list[str] | None = None) -> str | None:
        """The marked default, else ``default``, else the first account by name."""
        if names is None:
            names = self.accounts(spec)
        marked = self._provider(spec.name).get("default")
        if marked in names:
            return marked
        if "default" in names:
            return "default"
        return sorted(names)[0] if names else None

    def stored_fields(self, spec: ProviderSpec, account: str) -> dict[str, Any]:
        """The fields as stored (secrets still encrypted) plus the environment's, unresolved."""
        stored = dict(self._provider(spec.name).get("accounts", {}).get(account, {}))
        stored.update(self._env_accounts(spec).get(account, {}))
        return stored

    def credentials(self, spec: ProviderSpec, account: str) -> dict[str, str]:
        """Decrypted, resolved credential fields of one account (only for making a call).

        A secret that no HTTP header can carry (blank, with whitespace, control characters or
        non-ASCII characters) is a ``not_configured`` error naming where it comes from (the
        stored field, or the environment variable), never its value."""
        values: dict[str, str] = {}
        for name, value in self.stored_fields(spec, account).items():
            where = f"{spec.name} account {account!r} field {name}"
            if isinstance(value, dict) and "encrypted" in value:
                value = self.secrets.decrypt_cached(value["encrypted"], where)
            if isinstance(value, str) and value.startswith("env:"):
                var = value[4:]
                if var not in self.environ:
                    continue  # reported as missing, with the variable's name, by the caller
                value = self.environ[var]
            values[name] = str(value)
        self.check_secrets(spec, account, values)
        return values

    def _variable_of(self, spec: ProviderSpec, account: str, name: str) -> str | None:
        """The environment variable a field's value comes from (``LUAGATE_*`` or an ``env:``
        reference), if it does."""
        if name in self._env_accounts(spec).get(account, {}):
            return self._env_keys[(spec.name, account, name)]
        value = self._provider(spec.name).get("accounts", {}).get(account, {}).get(name)
        if isinstance(value, str) and value.startswith("env:"):
            return value[4:]
        return None

    def check_plain_secrets(self, spec: ProviderSpec, account: str) -> None:
        """:meth:`check_secrets` for the secrets that are not stored encrypted (the
        environment's, ``env:`` references'): what a dry run checks, decrypting nothing."""
        self.check_secrets(spec, account, self.plain_values(spec, account))

    def plain_values(self, spec: ProviderSpec, account: str) -> dict[str, str]:
        """The account's values that can be read without decrypting anything: the
        environment's, ``env:`` references resolved (when their variable is set)."""
        values = {}
        for name, value in self.stored_fields(spec, account).items():
            if isinstance(value, str) and value.startswith("env:"):
                if value[4:] in self.environ:
                    values[name] = self.environ[value[4:]]
            elif isinstance(value, str):
                values[name] = value
        return values

    def secret_trouble(
        self, spec: ProviderSpec, account: str, values: dict[str, str]
    ) -> tuple[str, str] | None:
        """The first secret in ``values`` (resolved) that cannot be sent, as (what is wrong,
        naming the field and where it comes from, never the value; the fix), or None."""
        for field in spec.credentials:
            value = values.get(field.name)
            problem = secret_problem(value) if field.secret and value is not None else None
            if problem is None:
                continue
            variable = self._variable_of(spec, account, field.name)
            if variable is None:
                where = "as stored"
                fix = (
                    f"luagate configure {spec.name} --account {account} --stdin-json"
                    f' (reading {{"{field.name}": "..."}} on stdin)'
                )
            else:
                where = f"from the environment variable {variable}"
                fix = f"export {variable}=<{field.name}>"
            return f"{field.name} ({where}) {problem}; {SECRET_RULE}", fix
        return None

    def check_secrets(self, spec: ProviderSpec, account: str, values: dict[str, str]) -> None:
        """Refuse, as ``not_configured``, a secret in ``values`` that cannot be sent
        (:meth:`secret_trouble`)."""
        trouble = self.secret_trouble(spec, account, values)
        if trouble is not None:
            problem, fix = trouble
            raise NotConfiguredError(f"{spec.name} account {account!r}: {problem}. To fix: {fix}")

    def missing_env_references(self, spec: ProviderSpec, account: str) -> list[tuple[str, str]]:
        """(field, variable) for each ``env:NAME`` reference whose variable is not set."""
        missing = []
        for name, value in self.stored_fields(spec, account).items():
            if (
                isinstance(value, str)
                and value.startswith("env:")
                and value[4:] not in self.environ
            ):
                missing.append((name, value[4:]))
        return missing

    def enabled(self, provider: str) -> bool:
        """Whether the operator lets scripts and agents use the provider (the default: yes)."""
        return self._provider(provider).get("enabled", True) is not False

    def policy(self, provider: str) -> dict[str, str]:
        policy = dict(DEFAULT_POLICY)
        policy.update(self._provider(provider).get("policy", {}))
        return policy

    def audit_enabled(self) -> bool:
        if self.environ.get("LUAGATE_AUDIT", "").lower() in ("0", "off", "false", "no"):
            return False
        return bool(self._load().get("audit", True))

    # -- changing -----------------------------------------------------------------------------

    def configure(
        self,
        spec: ProviderSpec,
        account: str,
        *,
        set_values: dict[str, str] | None = None,
        unset: list[str] | None = None,
    ) -> None:
        check_account_name(spec, account)
        stored = self.stored_accounts(spec)
        if account == BUILT_IN_ACCOUNT:
            raise UsageError(
                f"{BUILT_IN_ACCOUNT!r} is the name of {spec.name}'s built-in account (a simulated"
                " company, used while no account is configured); give yours another name, such"
                " as --account default"
                + (
                    f" (to remove the stored account {BUILT_IN_ACCOUNT!r}: luagate configure"
                    f" {spec.name} --account {BUILT_IN_ACCOUNT} --delete)"
                    if BUILT_IN_ACCOUNT in stored
                    else ""
                )
            )
        if not set_values and account not in stored:  # unsetting would only create it, empty
            if account in self.accounts(spec):
                raise UsageError(
                    f"{spec.name} account {account!r} is defined only by environment variables"
                    f" ({ENV_PREFIX}{spec.name.upper()}_{account.upper()}_<FIELD>): unset them"
                    " there; nothing was changed"
                )
            known_accounts = ", ".join(self.accounts(spec)) or "none"
            raise UsageError(
                f"{spec.name} has no account {account!r} to unset fields of"
                f" (accounts: {known_accounts}); nothing was changed"
            )
        known = {c.name: c for c in spec.credentials}
        for name in [*(set_values or {}), *(unset or [])]:
            if name not in known:
                raise UsageError(
                    f"{spec.name} has no credential field {name!r}; its fields are: "
                    + ", ".join(known)
                )
        for name, value in (set_values or {}).items():
            if not isinstance(value, str) or value == "":
                raise UsageError(f"{spec.name} field {name} needs a non-empty text value")
            if known[name].secret:
                check_secret_value(spec, name, value)
        fields = self._provider(spec.name, create=True)["accounts"].setdefault(account, {})
        for name, value in (set_values or {}).items():
            if known[name].secret and not value.startswith("env:"):
                fields[name] = {"encrypted": self.secrets.encrypt(value)}
            else:
                fields[name] = value
        for name in unset or []:
            fields.pop(name, None)
        self._save()

    def delete_account(self, spec: ProviderSpec, account: str) -> bool:
        config = self._provider(spec.name, create=True)
        existed = config["accounts"].pop(account, None) is not None
        if config.get("default") == account:
            config.pop("default")
        self._save()
        return existed

    def set_default(self, spec: ProviderSpec, account: str) -> None:
        if account not in self.accounts(spec):
            raise UsageError(f"{spec.name} has no account {account!r} to make the default")
        self._provider(spec.name, create=True)["default"] = account
        self._save()

    def set_policy(self, provider: str, read: str | None = None, write: str | None = None) -> None:
        config = self._provider(provider, create=True)
        policy = config.setdefault("policy", {})
        for kind, value in (("read", read), ("write", write)):
            if value is None:
                continue
            if value not in POLICY_VALUES:
                raise UsageError(f"--{kind} must be one of allow, ask, deny; got {value!r}")
            policy[kind] = value
        self._save()

    def set_enabled(self, provider: str, enabled: bool) -> None:
        """Switch a provider on or off; its accounts, secrets and policy are kept either way."""
        self._provider(provider, create=True)["enabled"] = enabled
        self._save()

    def rotate_key(self, new_key: str | None = None) -> int:
        """Re-encrypt every stored secret under a new key; returns how many were re-encrypted."""
        from .secrets import new_key as generate

        if self.secrets.key_from_env and new_key is None:
            raise SecretStoreError(
                "the key comes from LUAGATE_SECRET_KEY, which luagate cannot change: set "
                "LUAGATE_NEW_SECRET_KEY to the new key, rotate, then update LUAGATE_SECRET_KEY"
            )
        plain: list[tuple[dict[str, Any], str, str]] = []
        for provider, config in self._load().get("providers", {}).items():
            for account, fields in config.get("accounts", {}).items():
                for name, value in fields.items():
                    if isinstance(value, dict) and "encrypted" in value:
                        where = f"{provider} account {account!r} field {name}"
                        plain.append(
                            (fields, name, self.secrets.decrypt(value["encrypted"], where))
                        )
        key = new_key or generate()
        fresh = SecretBox(self.home, {**self.environ, "LUAGATE_SECRET_KEY": key})
        for fields, name, value in plain:
            fields[name] = {"encrypted": fresh.encrypt(value)}
        self._save()
        if not self.secrets.key_from_env:
            write_private(self.secrets.key_path, key.encode() + b"\n")
        self.secrets = SecretBox(self.home, self.environ)
        return len(plain)


SECRET_RULE = (
    "a secret is sent in an HTTP header, so it must be printable ASCII: no spaces, line breaks,"
    " control or non-ASCII characters"
)


def secret_problem(value: str) -> str | None:
    """What keeps a secret's value out of an HTTP header, in words that never quote it (nor
    the character at fault, beyond its kind); None when it can be sent."""
    if not value.strip():
        return "is empty" if value == "" else "is blank"
    for i, char in enumerate(value):
        if "!" <= char <= "~":
            continue
        where = "at its start" if i == 0 else "at its end" if i == len(value) - 1 else "inside it"
        names = {" ": "a space", "\t": "a tab", "\n": "a line feed (\\n)"}
        names["\r"] = "a carriage return (\\r)"
        if char in names:
            kind = names[char]
        elif char.isspace():
            kind = "a non-ASCII space"
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            kind = f"a control character (U+{ord(char):04X})"
        else:
            kind = "a non-ASCII character"
        return f"has {kind} {where}"
    return None


def check_secret_value(spec: ProviderSpec, name: str, value: str) -> None:
    """Refuse, before it is stored, a secret field's value that could never be sent (or an
    ``env:`` reference that names no variable); the message never includes the value."""
    if value.startswith("env:"):
        if not ENV_NAME.match(value[4:]):
            raise UsageError(
                f"{spec.name} field {name}: env: must be followed by an environment variable's"
                " name (letters, digits and _, not starting with a digit), as in"
                f" env:{spec.name.upper()}_{name.upper()}"
            )
        return
    problem = secret_problem(value)
    if problem is not None:
        raise UsageError(
            f"{spec.name} field {name}: the value given {problem}; {SECRET_RULE}"
            " (nothing was stored; the value is not shown)"
        )


def check_account_name(spec: ProviderSpec, account: str) -> None:
    if not ACCOUNT_NAME.match(account):
        raise UsageError(
            f"account names are lowercase letters, digits and _ (starting with a letter), "
            f"got {account!r}"
        )
    if spec.function(account) is not None:
        raise UsageError(f"{account!r} is a {spec.name} function name; choose another account name")


def _not_a_directory(home: str) -> str:
    return (
        f"luagate's home {home} is a file, not a directory: point LUAGATE_HOME at a directory"
        " (it holds config.json and the secret key)"
    )


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string"}.get(type(value), "a value")


def _check_shape(path: str, config: Any) -> None:
    """config.json must be the object luagate writes; say where it is not, before anything
    reads it (a hand edit gone wrong should be one clear line, not a traceback)."""
    problem = None
    if not isinstance(config, dict):
        problem = f"it holds {_kind(config)}, not an object"
    elif not isinstance(config.get("providers", {}), dict):
        problem = f'"providers" is {_kind(config["providers"])}, not an object'
    else:
        for name, provider in config.get("providers", {}).items():
            if not isinstance(provider, dict):
                problem = f'"providers.{name}" is {_kind(provider)}, not an object'
            elif not isinstance(provider.get("enabled", True), bool):
                problem = (
                    f'"providers.{name}.enabled" is {_kind(provider["enabled"])}, not true or false'
                )
            elif not isinstance(provider.get("accounts", {}), dict):
                problem = (
                    f'"providers.{name}.accounts" is {_kind(provider["accounts"])}, not an object'
                )
            else:
                for account, fields in provider.get("accounts", {}).items():
                    if not isinstance(fields, dict):
                        problem = (
                            f'"providers.{name}.accounts.{account}" is {_kind(fields)},'
                            " not an object"
                        )
            if problem:
                break
    if problem:
        raise SecretStoreError(
            f"{path} is not a luagate configuration: {problem}. Fix or remove the file"
            " (luagate doctor shows what it can read)"
        )
