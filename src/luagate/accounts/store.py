"""The account store: ``$LUAGATE_HOME/config.json`` plus accounts from the environment.

Per provider it keeps the accounts (name → credential fields), which account is the default,
and the read/write policy. Secret fields (as the provider's spec declares them) are encrypted
in the file; a value ``env:NAME`` is a reference resolved from the environment at use.
Accounts can also come wholly from the environment: ``LUAGATE_<PROVIDER>_<ACCOUNT>_<FIELD>``
(e.g. ``LUAGATE_AIRCALL_SALES_API_TOKEN``); such values override the file's for that field. An
account name the configure rules refuse (``1x``, a function's name) is ignored there, and said
so by ``luagate doctor`` and ``luagate status``.

Every change is a read-modify-write of the home under its lock (:meth:`AccountStore.transaction`:
an exclusive ``flock`` on ``$LUAGATE_HOME/.lock``), config.json and the key read again under it,
so concurrent ``configure`` runs all keep their changes and ``rotate-key`` is atomic with respect
to them. Files are replaced atomically: reading takes no lock.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager, suppress

from ..errors import LuagateError, NotConfiguredError, SecretStoreError, UsageError
from .paths import ensure_home, luagate_home, not_a_directory
from .secrets import SecretBox, sync_directory, write_private

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from os import PathLike
    from typing import Any

    from ..catalog.spec import ProviderSpec

CONFIG_FILE = "config.json"
LOCK_FILE = ".lock"
LOCK_WAIT = 30.0
"""How long a change waits for another luagate command holding the home's lock (seconds)."""
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
        self.secrets = self._box()
        self._config: dict[str, Any] | None = None
        self._stamp: tuple[int, int, int] | None = None  # config.json as it was read
        self._env: dict[str, dict[str, dict[str, str]]] = {}  # environ is a snapshot: cache it
        self._env_keys: dict[tuple[str, str, str], str] = {}  # (provider, account, field) → var
        # accounts in the environment under a name configure refuses: account → (vars, why)
        self._env_ignored: dict[str, dict[str, tuple[list[str], str]]] = {}
        self._lock_fd: int | None = None
        self._depth = 0  # transactions entered and not left (they nest)

    def _box(self) -> SecretBox:
        return SecretBox(self.home, self.environ, self._encrypted_fields)

    def _encrypted_fields(self) -> list[tuple[str, str, str]]:
        """(provider, account, field) of every value config.json holds encrypted."""
        found = []
        for provider, config in self._load().get("providers", {}).items():
            for account, fields in config.get("accounts", {}).items():
                for name, value in fields.items():
                    if isinstance(value, dict):
                        found.append((provider, account, name))
        return found

    # -- the lock -----------------------------------------------------------------------------

    @contextmanager
    def transaction(self, wait: bool = True) -> Iterator[None]:
        """Hold the home's lock for a read-modify-write of config.json and the key.

        On entry config.json and the key are read again (what was read before may be stale)
        and a key rotation cut short is finished; leaving by an exception drops the unsaved
        changes. Transactions nest (the lock is taken once). With ``wait=False``, a lock held
        elsewhere is a :class:`_Busy` error at once."""
        if self._depth == 0:
            ensure_home(self.home)
            self._lock_fd = _lock(self.home, wait)
            self._config = None
            self.secrets = self._box()
        self._depth += 1
        try:
            if self._depth == 1:
                self._settle_keys()
            yield
        except BaseException:
            if self._depth == 1:
                self._config = None
                self.secrets = self._box()
            raise
        finally:
            self._depth -= 1
            if self._depth == 0 and self._lock_fd is not None:
                os.close(self._lock_fd)  # releases the lock
                self._lock_fd = None

    def _settle_keys(self) -> None:
        """Under the lock: finish, or clear, a key rotation cut short (``secret.key.new`` left
        behind). No rotation is under way (it would hold the lock), so the side key is either
        the one config.json is encrypted with (the rotation got that far: it becomes
        secret.key) or not (it never did: it is removed)."""
        box = self.secrets
        side = box.side_path
        which = self.rotation_leftover()
        try:
            if which == "side":
                os.replace(side, box.key_path)
                sync_directory(self.home)
            elif which == "key":
                os.remove(side)
            else:  # none, or neither decrypts: left for a person to sort out (doctor says how)
                return
        except OSError as e:
            raise SecretStoreError(
                f"cannot finish an interrupted key rotation ({side}): {e.strerror}"
            ) from None
        self.secrets = self._box()

    def reload(self) -> None:
        """Forget what was read: config.json and the key are read again when next needed."""
        self._config = None
        self.secrets = self._box()

    def refresh(self) -> bool:
        """Forget what was read if config.json changed on disk since (another process ran
        ``configure`` or ``rotate-key``): it is read again when next needed. Whether it had.
        One ``stat``; nothing happens inside a :meth:`transaction` or before the first read."""
        if self._depth or self._config is None or not self._changed_on_disk():
            return False
        self.reload()
        return True

    def rotation_leftover(self) -> str | None:
        """A key rotation cut short, as found: None (no ``secret.key.new``), else which key
        decrypts config.json: ``"side"`` (secret.key.new), ``"key"`` (secret.key), or
        ``"neither"``."""
        box = self.secrets
        if box.key_from_env or not os.path.exists(box.side_path):
            return None
        tokens = [
            self._load()["providers"][p]["accounts"][a][f]["encrypted"]
            for p, a, f in self._encrypted_fields()
        ]
        return box.key_that_decrypts(tokens) or "neither"

    def recover_rotation(self) -> bool:
        """Finish a key rotation cut short, if no other luagate command holds the lock (what
        reading does once it needed ``secret.key.new``; best effort, it never fails). Returns
        whether no side key is left."""
        other = AccountStore(self.home, self.environ)
        try:
            with other.transaction(wait=False):
                pass
        except (LuagateError, OSError):
            pass
        return not os.path.exists(self.secrets.side_path)

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
                    found = os.fstat(f.fileno())
                self._stamp = (found.st_ino, found.st_mtime_ns, found.st_size)
            except FileNotFoundError:
                if os.path.exists(self.home) and not os.path.isdir(self.home):
                    raise SecretStoreError(not_a_directory(self.home)) from None
                self._config = {"version": 1, "providers": {}}
                self._stamp = None
            except NotADirectoryError:
                raise SecretStoreError(not_a_directory(self.home)) from None
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
        """Write config.json (callers hold the lock: :meth:`transaction`)."""
        ensure_home(self.home)
        data = json.dumps(self._load(), indent=2, sort_keys=True) + "\n"
        write_private(self.config_path, data.encode())
        found = os.stat(self.config_path)
        self._stamp = (found.st_ino, found.st_mtime_ns, found.st_size)

    def _changed_on_disk(self) -> bool:
        """Has config.json been replaced since it was read?"""
        try:
            found = os.stat(self.config_path)
        except OSError:
            return self._stamp is not None
        return self._stamp != (found.st_ino, found.st_mtime_ns, found.st_size)

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
        ignored: dict[str, tuple[list[str], str]] = {}
        for key, value in sorted(self.environ.items()):
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix) :]
            for field in spec.credentials:
                suffix = "_" + field.name.upper()
                if rest.endswith(suffix) and len(rest) > len(suffix):
                    account = rest[: -len(suffix)].lower()
                    problem = account_name_problem(spec, account)
                    if problem is not None:  # the rules configure applies: never used
                        ignored.setdefault(account, ([], problem))[0].append(key)
                        break
                    found.setdefault(account, {})[field.name] = value
                    self._env_keys[(spec.name, account, field.name)] = key
                    break
        self._env_ignored[spec.name] = ignored
        return found

    def ignored_env_accounts(self, spec: ProviderSpec) -> list[dict[str, Any]]:
        """Accounts the environment defines under a name configure would refuse, which are
        ignored: ``{"name", "variables", "reason"}`` each, by name."""
        self._env_accounts(spec)
        return [
            {"name": name, "variables": variables, "reason": reason}
            for name, (variables, reason) in sorted(self._env_ignored[spec.name].items())
        ]

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
        stored field, or the environment variable), never its value.

        When the key no longer decrypts what was read because config.json was replaced since
        (``rotate-key`` ran meanwhile: a long-running ``serve``), this account's credentials
        are read again from the file as it is now."""
        try:
            values = self._credentials(spec, account)
        except SecretStoreError:
            if self._depth or not self._changed_on_disk():
                raise
            values = AccountStore(self.home, self.environ)._credentials(spec, account)
        if self.secrets.side_key_used and not self._depth:
            self.secrets.side_key_used = False
            self.recover_rotation()  # a rotation was cut short: finish it
        return values

    def _credentials(self, spec: ProviderSpec, account: str) -> dict[str, str]:
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
        with self.transaction():
            self._configure(spec, account, set_values or {}, unset or [])

    def _configure(
        self, spec: ProviderSpec, account: str, set_values: dict[str, str], unset: list[str]
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
        for name in [*unset, *set_values]:  # what is replaced is not orphaned by a new key
            fields.pop(name, None)
        for name, value in set_values.items():
            if known[name].secret and not value.startswith("env:"):
                fields[name] = {"encrypted": self.secrets.encrypt(value)}
            else:
                fields[name] = value
        self._save()

    def delete_account(self, spec: ProviderSpec, account: str) -> bool:
        with self.transaction():
            config = self._provider(spec.name, create=True)
            existed = config["accounts"].pop(account, None) is not None
            if config.get("default") == account:
                config.pop("default")
            self._save()
        return existed

    def set_default(self, spec: ProviderSpec, account: str) -> None:
        with self.transaction():
            if account not in self.accounts(spec):
                raise UsageError(f"{spec.name} has no account {account!r} to make the default")
            self._provider(spec.name, create=True)["default"] = account
            self._save()

    def set_policy(self, provider: str, read: str | None = None, write: str | None = None) -> None:
        for kind, value in (("read", read), ("write", write)):
            if value is not None and value not in POLICY_VALUES:
                raise UsageError(f"--{kind} must be one of allow, ask, deny; got {value!r}")
        with self.transaction():
            policy = self._provider(provider, create=True).setdefault("policy", {})
            for kind, value in (("read", read), ("write", write)):
                if value is not None:
                    policy[kind] = value
            self._save()

    def set_enabled(self, provider: str, enabled: bool) -> None:
        """Switch a provider on or off; its accounts, secrets and policy are kept either way."""
        with self.transaction():
            self._provider(provider, create=True)["enabled"] = enabled
            self._save()

    def rotate_key(self, new_key: str | None = None) -> int:
        """Re-encrypt every stored secret under a new key; returns how many were re-encrypted.

        Crash-safe: the new key goes to ``secret.key.new`` first, then config.json under it,
        then it replaces ``secret.key``; cut short anywhere, a key that decrypts config.json
        is left (the next change finishes the rotation, reading falls back to the side key).
        Any failure is a ``secret_store`` error saying what was, or was not, changed."""
        from .secrets import KEY_ENV
        from .secrets import new_key as generate

        with self.transaction():
            if self.secrets.key_from_env and new_key is None:
                raise SecretStoreError(
                    f"the key comes from {KEY_ENV}, which luagate cannot change: set "
                    f"LUAGATE_NEW_SECRET_KEY to the new key, rotate, then update {KEY_ENV}"
                )
            plain: list[tuple[dict[str, Any], str, str]] = []
            for provider, account, name in self._encrypted_fields():
                fields = self._load()["providers"][provider]["accounts"][account]
                where = f"{provider} account {account!r} field {name}"
                plain.append((fields, name, self.secrets.decrypt(fields[name]["encrypted"], where)))
            key = new_key or generate()
            fresh = SecretBox(self.home, {**self.environ, KEY_ENV: key})
            for fields, name, value in plain:
                fields[name] = {"encrypted": fresh.encrypt(value)}
            if self.secrets.key_from_env:  # config.json is replaced whole, or not at all
                self._save()
            else:
                self._rotate_key_file(key)
            self.secrets = self._box()
        return len(plain)

    def _rotate_key_file(self, key: str) -> None:
        """Save config.json (already re-encrypted under ``key``) and move the key file to
        ``key``, in the order that leaves a usable key however far it gets."""
        box = self.secrets
        side, key_path = box.side_path, box.key_path
        unchanged = "the key was not rotated, nothing was changed"
        try:
            write_private(side, key.encode() + b"\n")
        except SecretStoreError as e:
            raise SecretStoreError(f"{e.message}; {unchanged}") from None
        try:
            self._save()
        except SecretStoreError as e:
            with suppress(OSError):
                os.remove(side)
            raise SecretStoreError(f"{e.message}; {unchanged}") from None
        try:
            os.replace(side, key_path)
        except OSError as e:
            raise SecretStoreError(
                f"the secrets are re-encrypted under the new key, which is in {side}, but it"
                f" could not replace {key_path}: {e.strerror}. luagate finishes this the next"
                f" time it reads or changes the secrets; or finish it now: mv {side} {key_path}"
            ) from None
        sync_directory(self.home)


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


def account_name_problem(spec: ProviderSpec, account: str) -> str | None:
    """Why ``account`` cannot be an account's name (None when it can): the rules ``configure``
    applies, and the environment's accounts too."""
    if not ACCOUNT_NAME.match(account):
        return (
            f"account names are lowercase letters, digits and _ (starting with a letter), "
            f"got {account!r}"
        )
    if spec.function(account) is not None:
        return f"{account!r} is a {spec.name} function name; choose another account name"
    return None


def check_account_name(spec: ProviderSpec, account: str) -> None:
    problem = account_name_problem(spec, account)
    if problem is not None:
        raise UsageError(problem)


class _Busy(SecretStoreError):
    """Another luagate command holds the home's lock."""


def _lock(home: str, wait: bool) -> int | None:
    """An open file descriptor on ``home/.lock`` holding an exclusive ``flock`` (released when
    it is closed), waiting at most :data:`LOCK_WAIT` seconds for it (not at all unless
    ``wait``). None where ``fcntl`` does not exist."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no lock
        return None
    import time

    path = os.path.join(home, LOCK_FILE)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as e:
        raise SecretStoreError(f"cannot open the lock file {path}: {e.strerror}") from None
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if wait and time.monotonic() < deadline:
                time.sleep(0.02)
                continue
            os.close(fd)
            raise _Busy(
                f"another luagate command is changing {home} (it holds {path}); nothing was"
                " changed: try again once it is done"
            ) from None
        except OSError as e:
            os.close(fd)
            raise SecretStoreError(f"cannot lock {path}: {e.strerror}") from None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return {dict: "an object", list: "an array", str: "a string"}.get(type(value), "a value")


def _check_shape(path: str, config: Any) -> None:
    """config.json must be the object luagate writes; say where it is not, before anything
    reads it (a hand edit gone wrong should be one clear line, not a traceback): which
    provider, account and field, and the type of what is there, never a field's value."""
    problem = _shape_problem(config)
    if problem:
        raise SecretStoreError(
            f"{path} is not a luagate configuration: {problem}. Fix or remove the file"
            " (luagate doctor shows what it can read)"
        )


def _shape_problem(config: Any) -> str | None:
    if not isinstance(config, dict):
        return f"it holds {_kind(config)}, not an object"
    if not isinstance(config.get("audit", True), bool):
        return f'"audit" is {_kind(config["audit"])}, not true or false'
    if not isinstance(config.get("providers", {}), dict):
        return f'"providers" is {_kind(config["providers"])}, not an object'
    for name, provider in config.get("providers", {}).items():
        problem = _provider_problem(name, provider)
        if problem:
            return problem
    return None


def _provider_problem(name: str, provider: Any) -> str | None:
    at = f"providers.{name}"
    if not isinstance(provider, dict):
        return f'"{at}" is {_kind(provider)}, not an object'
    if not isinstance(provider.get("enabled", True), bool):
        return f'"{at}.enabled" is {_kind(provider["enabled"])}, not true or false'
    if not isinstance(provider.get("default", ""), str):
        return f'"{at}.default" is {_kind(provider["default"])}, not a string (an account name)'
    policy = provider.get("policy", {})
    if not isinstance(policy, dict):
        return f'"{at}.policy" is {_kind(policy)}, not an object like {json.dumps(DEFAULT_POLICY)}'
    for kind, value in policy.items():
        allowed = ", ".join(f'"{v}"' for v in POLICY_VALUES)
        if kind not in ("read", "write"):
            return f'"{at}.policy" has {json.dumps(kind)}: a policy has only "read" and "write"'
        if not isinstance(value, str):
            return f'"{at}.policy.{kind}" is {_kind(value)}, not one of {allowed}'
        if value not in POLICY_VALUES:
            shown = json.dumps(value if len(value) <= 20 else value[:20] + "...")
            return f'"{at}.policy.{kind}" is {shown}, not one of {allowed} (lowercase)'
    accounts = provider.get("accounts", {})
    if not isinstance(accounts, dict):
        return f'"{at}.accounts" is {_kind(accounts)}, not an object'
    for account, fields in accounts.items():
        if not isinstance(fields, dict):
            return f'"{at}.accounts.{account}" is {_kind(fields)}, not an object'
        for field, value in fields.items():
            where = f'"{at}.accounts.{account}.{field}" ({name} account {account!r}, field {field})'
            if isinstance(value, str):
                continue
            if not isinstance(value, dict):
                return (
                    f"{where} is {_kind(value)}, not a string"
                    ' (or {"encrypted": "<token>"} for a secret)'
                )
            if list(value) != ["encrypted"]:
                return f'{where} is an object other than {{"encrypted": "<token>"}}'
            if not isinstance(value["encrypted"], str):
                return f'{where}: "encrypted" is {_kind(value["encrypted"])}, not a string'
    return None
