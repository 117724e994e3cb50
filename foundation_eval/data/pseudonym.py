r"""Keyed pseudonyms: identifiers replaced by an HMAC-SHA256 of a secret key that the force keeps.

A pseudonym is the identifier kind's letter followed by the first 16 hexadecimal digits (64 bits) of

$$
\mathrm{HMAC\text{-}SHA256}(K,\ \text{letter} \,\|\, \texttt{0x1f} \,\|\, \text{identifier})
$$

(Krawczyk, Bellare and Canetti 1997, RFC 2104; NIST FIPS 198-1, 2008), so that person ``12345`` and
offence ``12345`` get unrelated pseudonyms. The same key gives the same pseudonym in every monthly
extract, so people link across months; without the key nobody can re-derive them, not even by trying
every police number (which reverses a plain hash).

Chance collisions: $n$ distinct identifiers hashed into $16^{16}$ values collide in about
$n^2 / (2 \cdot 16^{16})$ pairs, about 1 in 10 million at 2 million people (8 hex digits would give
about 465 pairs). [`Pseudonymiser.pseudonyms`][foundation_eval.data.pseudonym.Pseudonymiser.pseudonyms]
reports any collision it meets, and ``prepare`` refuses it.

The key is held only in a [`Key`][foundation_eval.data.pseudonym.Key], whose ``repr`` hides it; nothing
here writes, logs or prints it.
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
"""Shortest key accepted, in bytes: 32 (256 bits, the output size of SHA-256; RFC 2104, section 3)."""
HEX_DIGITS = 16
"""Hexadecimal digits of a pseudonym after its letter: 16 (64 bits of the HMAC)."""
DEFAULT_KEY_ENV = "FOUNDATION_EVAL_KEY"
"""Environment variable the key is read from when neither a key file nor another variable is named."""
_SEP = b"\x1f"
_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


class KeyProblem(ValueError):
    """The key is missing or too short. The message never contains the key.

    Raised by [`read_key`][foundation_eval.data.pseudonym.read_key]; the message says where the key was
    looked for (a file path or an environment variable's name) and what is wrong with it.

    Attributes
    ----------
    args : tuple of str
        The message, as for any exception.

    Examples
    --------
    >>> read_key(env="FE_DOCS_UNSET_KEY_VARIABLE")
    Traceback (most recent call last):
    ...
    foundation_eval.data.pseudonym.KeyProblem: no key: environment variable FE_DOCS_UNSET_KEY_VARIABLE is not set (or give --key-file)
    """


@dataclass(frozen=True)
class Key:
    """A secret pseudonymisation key. Its ``repr`` and ``str`` never show it.

    Usually made by [`read_key`][foundation_eval.data.pseudonym.read_key], which refuses keys shorter than
    `MIN_KEY_BYTES`; building one directly checks nothing.

    Attributes
    ----------
    secret : bytes
        The key itself.
    origin : str
        Where it came from (a key file or an environment variable), for messages; may be empty.

    Examples
    --------
    >>> key = Key(b"0" * 32, "example")
    >>> key
    Key(origin='example')
    >>> str(key), len(key.secret)
    ('key from example', 32)
    """

    secret: bytes = field(repr=False)
    origin: str = ""  # where it came from (a file path or an environment variable name), for messages

    def __str__(self) -> str:
        return f"key from {self.origin}" if self.origin else "key"


def read_key(file: str | Path | None = None, env: str | None = None) -> Key:
    """Read the pseudonymisation key from a file or an environment variable.

    The key is the file's bytes, or the variable's value encoded as UTF-8, with surrounding white space
    removed (so a trailing newline does not count). A key from
    [`new_key`][foundation_eval.data.pseudonym.new_key] (64 hexadecimal characters) is used as those 64
    characters, not decoded.

    Parameters
    ----------
    file : str or Path, optional
        Key file. When given, ``env`` is ignored.
    env : str, optional
        Environment variable holding the key; `DEFAULT_KEY_ENV` (``FOUNDATION_EVAL_KEY``) when neither
        argument is given.

    Returns
    -------
    Key
        The key, with where it came from as its ``origin``.

    Raises
    ------
    KeyProblem
        When the file or variable is missing, empty, or shorter than `MIN_KEY_BYTES` (32) bytes.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "force.key"
    ...     _ = path.write_text(new_key() + "\\n")
    ...     key = read_key(path)
    ...     _ = path.write_text("too short")
    ...     read_key(path)
    Traceback (most recent call last):
    ...
    foundation_eval.data.pseudonym.KeyProblem: key file .../force.key is too short: 9 bytes where at least 32 are needed (make one with `foundation-eval prepare --new-key FILE`)
    >>> len(key.secret)
    64
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
    """A fresh random key: 32 random bytes as 64 hexadecimal characters (``secrets.token_hex``).

    The bytes come from the operating system's cryptographic random source (Python's ``secrets``), so
    the key cannot be guessed. ``foundation-eval prepare --new-key FILE`` writes one to a file only its
    owner can read.

    Returns
    -------
    str
        64 lower-case hexadecimal characters; different at every call.

    Examples
    --------
    >>> key = new_key()
    >>> len(key), set(key) <= set("0123456789abcdef"), key != new_key()
    (64, True, True)
    """
    return secrets.token_hex(MIN_KEY_BYTES)


class Pseudonymiser:
    r"""HMAC-SHA256 pseudonyms under one key.

    The inner and outer SHA-256 states of the HMAC are computed once for the key (RFC 2104:
    $H((K \oplus \mathrm{opad}) \,\|\, H((K \oplus \mathrm{ipad}) \,\|\, m))$, a key longer than 64 bytes
    being hashed first), so each identifier costs two hash updates; only distinct identifiers are
    hashed. About a second for 2 million identifiers. The result equals Python's own ``hmac`` module.

    Parameters
    ----------
    key : Key
        The secret key. Its length is not checked here (``read_key`` does that).

    Examples
    --------
    >>> import hashlib, hmac
    >>> ps = Pseudonymiser(Key(b"0" * 32, "example"))
    >>> ps
    Pseudonymiser(<key hidden>)
    >>> codes, collided = ps.pseudonyms("P", ["12345", "67890"])
    >>> list(codes), collided
    (['P06FAF2D0AC5D0FB4', 'PE841B5E49F28870A'], 0)
    >>> hmac.new(b"0" * 32, b"P\x1f12345", hashlib.sha256).hexdigest()[:16].upper()
    '06FAF2D0AC5D0FB4'
    >>> ps.pseudonyms("O", ["12345"])[0][0]  # offence 12345 is unrelated to person 12345
    'O124E5B0B2F540B1E'
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
        integers.

        Parameters
        ----------
        letter : str
            The identifier kind's letter (``P`` person, ``V`` victim, ``O`` offence...), one ASCII character.
        values : iterable
            Identifiers; each is turned into text with ``str`` and encoded as UTF-8.

        Returns
        -------
        numpy.ndarray
            One big-endian ``uint64`` per value, in the order given.

        Examples
        --------
        >>> ps = Pseudonymiser(Key(b"0" * 32, "example"))
        >>> f"{int(ps.digests('P', ['12345'])[0]):016X}"
        '06FAF2D0AC5D0FB4'
        """
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
        whose pseudonym another value also got (0 when there is no collision).

        Parameters
        ----------
        letter : str
            The identifier kind's letter, one ASCII character; it starts every pseudonym.
        values : iterable
            Distinct identifiers. A value given twice gets the same pseudonym twice, which counts as a
            collision: pass each identifier once.

        Returns
        -------
        pseudonyms : numpy.ndarray
            Object array of str, one per value in the order given, e.g. ``'P06FAF2D0AC5D0FB4'``.
        collided : int
            Number of values that share their pseudonym with another value (0 when there is none).

        Examples
        --------
        >>> ps = Pseudonymiser(Key(b"0" * 32, "example"))
        >>> codes, collided = ps.pseudonyms("V", ["A1", "A2", "A3"])
        >>> [len(c) for c in codes], codes[0][0], collided
        ([17, 17, 17], 'V', 0)
        >>> ps.pseudonyms("V", ["A1", "A1"])[1]  # the same value twice counts as a collision
        2
        """
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
