"""Keyed pseudonyms: identifiers replaced by an HMAC-SHA256 of a secret key that the force keeps.

A pseudonym is the identifier kind's letter followed by the first 16 hexadecimal digits (64 bits) of

.. math:: \\mathrm{HMAC\\text{-}SHA256}(K,\\ \\text{letter} \\,\\|\\, \\texttt{0x1f} \\,\\|\\, \\text{identifier})

(RFC 2104; FIPS 198-1), so that person ``12345`` and offence ``12345`` get unrelated pseudonyms. The same
key gives the same pseudonym in every monthly extract, so people link across months; without the key
nobody can re-derive them, not even by trying every police number (which reverses a plain hash).

Chance collisions: ``n`` distinct identifiers hashed into :math:`16^{16}` values collide in about
:math:`n^2 / (2 \\cdot 16^{16})` pairs, about 1 in 10 million at 2 million people (8 hex digits would give
about 465 pairs). :meth:`Pseudonymiser.pseudonyms` reports any collision it meets, and ``prepare`` refuses it.

The key is held only in a :class:`Key`, whose ``repr`` hides it; nothing here writes, logs or prints it.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Key", "KeyProblem", "Pseudonymiser", "read_key", "new_key", "MIN_KEY_BYTES", "HEX_DIGITS",
           "DEFAULT_KEY_ENV"]

MIN_KEY_BYTES = 32  # 256 bits, the output size of SHA-256 (RFC 2104 section 3: at least L bytes)
HEX_DIGITS = 16
DEFAULT_KEY_ENV = "FOUNDATION_EVAL_KEY"
_SEP = b"\x1f"
_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


class KeyProblem(ValueError):
    """The key is missing or too short. The message never contains the key."""


@dataclass(frozen=True)
class Key:
    """A secret pseudonymisation key. Its ``repr`` and ``str`` never show it."""

    secret: bytes = field(repr=False)
    origin: str = ""  # where it came from (a file path or an environment variable name), for messages

    def __str__(self) -> str:
        return f"key from {self.origin}" if self.origin else "key"


def read_key(file: str | Path | None = None, env: str | None = None) -> Key:
    """Read the key from ``file`` (its bytes, surrounding white space removed) or from environment variable
    ``env`` (default ``FOUNDATION_EVAL_KEY`` when neither is given).

    Raises
    ------
    KeyProblem
        When the file or variable is missing, empty, or shorter than :data:`MIN_KEY_BYTES` bytes.
    """
    if file is not None:
        path = Path(file)
        origin = f"key file {path}"
        if not path.is_file():
            raise KeyProblem(f"{origin} does not exist")
        secret = path.read_bytes().strip()
    else:
        name = env or DEFAULT_KEY_ENV
        origin = f"environment variable {name}"
        value = os.environ.get(name)
        if value is None:
            raise KeyProblem(f"no key: {origin} is not set (or give --key-file)")
        secret = value.strip().encode("utf-8")
    if not secret:
        raise KeyProblem(f"{origin} is empty")
    if len(secret) < MIN_KEY_BYTES:
        raise KeyProblem(f"{origin} is too short: {len(secret)} bytes where at least {MIN_KEY_BYTES} are needed "
                         "(make one with `foundation-eval prepare --new-key FILE`)")
    return Key(secret, origin)


def new_key() -> str:
    """A fresh random key: 32 random bytes as 64 hexadecimal characters (``secrets.token_hex``)."""
    return secrets.token_hex(MIN_KEY_BYTES)


class Pseudonymiser:
    """HMAC-SHA256 pseudonyms under one key.

    The inner and outer SHA-256 states of the HMAC are computed once for the key (RFC 2104:
    ``H((K ^ opad) || H((K ^ ipad) || m))``), so each identifier costs two hash updates; only distinct
    identifiers are hashed. About a second for 2 million identifiers.
    """

    def __init__(self, key: Key):
        k = key.secret
        if len(k) > 64:
            k = hashlib.sha256(k).digest()
        k = k.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in k))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in k))

    def __repr__(self) -> str:
        return "Pseudonymiser(<key hidden>)"

    def digests(self, letter: str, values) -> np.ndarray:
        """First 8 bytes of HMAC(key, letter || 0x1f || value) for each value, as big-endian unsigned 64-bit
        integers."""
        inner, outer = self._inner, self._outer
        prefix = letter.encode("ascii") + _SEP
        out = bytearray()
        for v in values:
            i = inner.copy()
            i.update(prefix + str(v).encode("utf-8"))
            o = outer.copy()
            o.update(i.digest())
            out += o.digest()[:8]
        return np.frombuffer(bytes(out), dtype=">u8")

    def pseudonyms(self, letter: str, values) -> tuple[np.ndarray, int]:
        """Pseudonyms of distinct ``values`` (``letter`` + 16 upper-case hex digits) and the number of values
        whose pseudonym another value also got (0 when there is no collision)."""
        d = self.digests(letter, values)
        n = len(d)
        if n == 0:
            return np.array([], dtype=object), 0
        _, inverse, counts = np.unique(d, return_inverse=True, return_counts=True)
        collided = int((counts[inverse] > 1).sum())
        # hex digits, vectorised: each byte -> two characters
        raw = d.astype(">u8").view(np.uint8).reshape(n, 8)
        chars = np.empty((n, 1 + 2 * 8), dtype=np.uint8)
        chars[:, 0] = ord(letter)
        chars[:, 1::2] = _HEX[raw >> 4]
        chars[:, 2::2] = _HEX[raw & 0x0F]
        text = chars.view(f"S{1 + 2 * 8}").ravel().astype(str).astype(object)
        return text, collided
