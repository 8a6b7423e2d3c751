"""Encryption of secret fields at rest (Fernet), with the key from the environment or a file.

The key is ``LUAGATE_SECRET_KEY`` when set, else ``$LUAGATE_HOME/secret.key`` (created on first
use, mode 0600). There is no plaintext fallback: without a usable key, storing or reading a
secret fails with a :class:`~luagate.errors.SecretStoreError` that says what to do.

A key rotation writes the new key to ``secret.key.new`` first, then config.json under it, and
only then replaces ``secret.key`` with it: a rotation cut short at any point leaves a key that
decrypts config.json. Until the rotation is finished (by the account store, see
:meth:`~luagate.accounts.store.AccountStore.transaction`), reading falls back to the side key.
A missing key file is never replaced by a new key while config.json still holds secrets that
only the lost key decrypts.
"""

from __future__ import annotations

import os
import stat
from contextlib import suppress

from ..errors import SecretStoreError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

KEY_ENV = "LUAGATE_SECRET_KEY"
KEY_FILE = "secret.key"
SIDE_SUFFIX = ".new"
"""``secret.key.new``: the key a rotation is moving to, until it replaces ``secret.key``."""


def _fernet_module():
    try:
        from cryptography import fernet
    except ImportError:  # never store a secret in plaintext instead
        raise SecretStoreError(
            "secrets cannot be encrypted: the 'cryptography' package is missing "
            "(pip install cryptography); nothing was stored"
        ) from None
    return fernet


def new_key() -> str:
    return _fernet_module().Fernet.generate_key().decode()


def read_key_file(path: str) -> bytes:
    """The key in ``path``, refused when others may read it; a ``secret_store`` error when it
    cannot be read (FileNotFoundError is left to the caller)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            raise SecretStoreError(
                f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}"
            )
        with open(path, "rb") as f:
            return f.read().strip()
    except FileNotFoundError:
        raise
    except OSError as e:
        raise SecretStoreError(f"cannot read the key file {path}: {e.strerror}") from None


class SecretBox:
    """Encrypts and decrypts field values with the configured key.

    ``encrypted_fields`` lists the (provider, account, field) whose stored values are
    encrypted: while there are any, a missing key file is an error, never replaced by a new
    key (that would leave them undecryptable for good)."""

    def __init__(
        self,
        home: str,
        environ: dict[str, str],
        encrypted_fields: Callable[[], list[tuple[str, str, str]]] | None = None,
    ) -> None:
        self.home = home
        self.environ = environ
        self.encrypted_fields = encrypted_fields
        self._fernet = None
        self._key: bytes | None = None  # what _fernet was made from
        self._plain: dict[str, str] = {}
        self.side_key_used = False
        """Set once a value decrypted only with ``secret.key.new`` (an unfinished rotation)."""

    @property
    def key_path(self) -> str:
        return os.path.join(self.home, KEY_FILE)

    @property
    def side_path(self) -> str:
        return self.key_path + SIDE_SUFFIX

    @property
    def key_from_env(self) -> bool:
        return bool(self.environ.get(KEY_ENV))

    def _load(self, create: bool, where: str = "stored secrets"):
        if self._fernet is not None:
            return self._fernet
        fernet = _fernet_module()
        if self.key_from_env:
            key = self.environ[KEY_ENV].strip().encode()
            source = KEY_ENV
        else:
            source = self.key_path
            try:
                key = read_key_file(self.key_path)
            except FileNotFoundError:
                if not create:
                    raise SecretStoreError(self._missing_key(where)) from None
                self._refuse_to_orphan()
                key = fernet.Fernet.generate_key()
                from .paths import ensure_home

                ensure_home(self.home)
                write_private(self.key_path, key + b"\n")
        try:
            self._fernet = fernet.Fernet(key)
        except ValueError:
            raise SecretStoreError(
                f"the key in {source} is not a valid Fernet key (32 url-safe base64 bytes)"
            ) from None
        self._key = key
        return self._fernet

    def _missing_key(self, where: str) -> str:
        return (
            f"no key to decrypt {where}: the key file {self.key_path} is missing (and {KEY_ENV}"
            f" is not set). Restore {self.key_path} from a backup, or set {KEY_ENV} to the key;"
            " without it the secret cannot be recovered: enter it again (luagate configure"
            " <provider> --account <name> --stdin-json) or delete its account (luagate"
            " configure <provider> --account <name> --delete)"
        )

    def _refuse_to_orphan(self) -> None:
        """A new key may be made only when no stored value is encrypted under the lost one."""
        orphans = self.encrypted_fields() if self.encrypted_fields is not None else []
        if not orphans:
            return
        listed = "; ".join(f"{p} account {a!r} field {f}" for p, a, f in orphans[:5])
        if len(orphans) > 5:
            listed += f"; and {len(orphans) - 5} more"
        by_account: dict[tuple[str, str], list[str]] = {}
        for provider, account, field in orphans:
            by_account.setdefault((provider, account), []).append(field)
        drops = ", ".join(
            f"luagate configure {p} --account {a}" + "".join(f" --unset {f}" for f in fields)
            for (p, a), fields in by_account.items()
        )
        count = f"{len(orphans)} stored secret{'s' if len(orphans) != 1 else ''}"
        raise SecretStoreError(
            f"the key file {self.key_path} is missing, but {count} in"
            f" {os.path.join(self.home, 'config.json')} {'are' if len(orphans) != 1 else 'is'}"
            f" encrypted with it ({listed}); a new key would leave them unreadable for good, so"
            f" none was made and nothing was stored. Restore {self.key_path} from a backup (or"
            f" set {KEY_ENV} to the key); or give those secrets up first ({drops}, or delete"
            " the account: luagate configure <provider> --account <name> --delete) and enter"
            " them again"
        )

    def encrypt(self, value: str) -> str:
        return self._load(create=True).encrypt(value.encode()).decode()

    def decrypt_cached(self, token: str, where: str) -> str:
        """:meth:`decrypt`, once per token for the life of this box (every call needs the
        account's secret; Fernet takes tens of microseconds)."""
        plain = self._plain.get(token)
        if plain is None:
            plain = self._plain[token] = self.decrypt(token, where)
        return plain

    def decrypt(self, token: str, where: str) -> str:
        fernet = _fernet_module()
        try:
            box = self._load(create=False, where=where)
        except SecretStoreError as e:
            if self.key_from_env or os.path.exists(self.key_path):
                raise  # a bad key or key file: said as it is, no fallback
            box, failure = None, e
        if box is not None:
            try:
                return box.decrypt(token.encode()).decode()
            except fernet.InvalidToken:
                failure = SecretStoreError(
                    f"cannot decrypt {where}: the key does not match the one it was stored with "
                    f"({KEY_ENV} or {self.key_path} changed?)"
                )
        found = self._other_key(token)  # a rotation under way, or cut short
        if found is None:
            raise failure
        self._fernet, self._key, plain = found
        return plain

    def _other_key(self, token: str):
        """(Fernet, key, plaintext) with a key file other than the one loaded that decrypts
        ``token``: ``secret.key.new`` (a rotation not finished), or ``secret.key`` read again
        (a rotation finished since it was read); None if there is none."""
        if self.key_from_env:
            return None
        fernet = _fernet_module()
        for path in (self.side_path, self.key_path):
            try:
                key = read_key_file(path)
                candidate = fernet.Fernet(key)
                plain = candidate.decrypt(token.encode()).decode()
            except (OSError, ValueError, SecretStoreError, fernet.InvalidToken):
                continue
            if key == self._key:
                continue
            if path == self.side_path:
                self.side_key_used = True
            return candidate, key, plain
        return None

    def key_that_decrypts(self, tokens: list[str]) -> str | None:
        """Which key file decrypts the stored ``tokens``: ``"key"`` (secret.key), ``"side"``
        (secret.key.new), or None. With no token, whichever file exists (secret.key first)."""
        paths = {"key": self.key_path, "side": self.side_path}
        if not tokens:
            return next((name for name, path in paths.items() if os.path.exists(path)), None)
        fernet = _fernet_module()
        for name, path in paths.items():
            try:
                fernet.Fernet(read_key_file(path)).decrypt(tokens[0].encode())
            except (OSError, ValueError, SecretStoreError, fernet.InvalidToken):
                continue
            return name
        return None


def write_private(path: str, data: bytes) -> None:
    """Write a file readable only by its owner, atomically (a crash leaves the old file): a
    temporary file of its own (0600 from its creation) in the same directory, synced, then
    renamed over ``path``. Any failure is a ``secret_store`` error naming the file; the
    temporary file is removed."""
    import tempfile

    directory, name = os.path.split(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory or ".")
    except OSError as e:
        raise SecretStoreError(f"cannot write {path}: {e.strerror}") from None
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as e:
        with suppress(OSError):
            os.unlink(tmp)
        raise SecretStoreError(f"cannot write {path}: {e.strerror or e}") from None
    sync_directory(directory or ".")


def sync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (best effort: not every system allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
