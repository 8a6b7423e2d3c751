"""Encryption of secret fields at rest (Fernet), with the key from the environment or a file.

The key is ``LUAGATE_SECRET_KEY`` when set, else ``$LUAGATE_HOME/secret.key`` (created on first
use, mode 0600). There is no plaintext fallback: without a usable key, storing or reading a
secret fails with a :class:`~luagate.errors.SecretStoreError` that says what to do.
"""

from __future__ import annotations

import os
import stat

from ..errors import SecretStoreError

KEY_ENV = "LUAGATE_SECRET_KEY"
KEY_FILE = "secret.key"


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


class SecretBox:
    """Encrypts and decrypts field values with the configured key."""

    def __init__(self, home: str, environ: dict[str, str]) -> None:
        self.home = home
        self.environ = environ
        self._fernet = None
        self._plain: dict[str, str] = {}

    @property
    def key_path(self) -> str:
        return os.path.join(self.home, KEY_FILE)

    @property
    def key_from_env(self) -> bool:
        return bool(self.environ.get(KEY_ENV))

    def _load(self, create: bool):
        if self._fernet is not None:
            return self._fernet
        fernet = _fernet_module()
        if self.key_from_env:
            key = self.environ[KEY_ENV].strip().encode()
            source = KEY_ENV
        elif os.path.exists(self.key_path):
            mode = stat.S_IMODE(os.stat(self.key_path).st_mode)
            if mode & 0o077:
                raise SecretStoreError(
                    f"{self.key_path} is readable by others (mode {mode:o}); "
                    f"run: chmod 600 {self.key_path}"
                )
            with open(self.key_path, "rb") as f:
                key = f.read().strip()
            source = self.key_path
        elif create:
            key = fernet.Fernet.generate_key()
            os.makedirs(self.home, exist_ok=True)
            write_private(self.key_path, key + b"\n")
            source = self.key_path
        else:
            raise SecretStoreError(
                f"no key to decrypt stored secrets: set {KEY_ENV} or restore {self.key_path}"
            )
        try:
            self._fernet = fernet.Fernet(key)
        except ValueError:
            raise SecretStoreError(
                f"the key in {source} is not a valid Fernet key (32 url-safe base64 bytes)"
            ) from None
        return self._fernet

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
            return self._load(create=False).decrypt(token.encode()).decode()
        except fernet.InvalidToken:
            raise SecretStoreError(
                f"cannot decrypt {where}: the key does not match the one it was stored with "
                f"({KEY_ENV} or {self.key_path} changed?)"
            ) from None


def write_private(path: str, data: bytes) -> None:
    """Write a file readable only by its owner, atomically (a crash leaves the old file)."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
