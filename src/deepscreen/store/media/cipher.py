"""Encryption at rest of retained media: Fernet (AES-128-CBC with an HMAC-SHA256 tag, from
``cryptography``). Several keys may be given, comma-separated: the first encrypts, every one
decrypts, so a key is rotated by putting the new one first."""

from __future__ import annotations

from deepscreen.core.errors import ConfigError, StoreUnavailable


class FernetCipher:
    """Encrypts and authenticates bytes with the first of ``keys``; decrypts with any."""

    def __init__(self, keys: str) -> None:
        try:
            from cryptography.fernet import Fernet, MultiFernet
        except ImportError as exc:  # a dependency of c2pa-python, so normally present
            raise ConfigError(
                "[media_store] encryption_key needs the `cryptography` package"
            ) from exc
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ConfigError("[media_store] encryption_key is empty")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])
        except ValueError as exc:
            raise ConfigError(
                "[media_store] encryption_key is not a Fernet key (32 url-safe base64-encoded "
                "bytes; make one with `deepscreen media keygen`)"
            ) from exc

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise StoreUnavailable(
                "a retained media copy cannot be decrypted with the configured "
                "[media_store] encryption_key (a key was removed, or the file was altered)"
            ) from exc


def new_key() -> str:
    """A fresh Fernet key, for ``deepscreen media keygen``."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()
