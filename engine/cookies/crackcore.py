"""The hot loop of the secret-key audit: many HMACs per call, no Python bytecode per guess.

Also the worker process's program (run as a script by path, so that a worker imports nothing
but the standard library: not the engine, not Qt, not the parent's ``__main__``).

HMAC (RFC 2104) is ``H((K ^ opad) || H((K ^ ipad) || m))`` with K zero-padded to the hash's
block size (hashed first when longer). Both HMACs of an itsdangerous signature are keyed by
something that changes with every guess (the guess, then the key derived from it), so nothing
but the messages can be precomputed. What is saved is the per-call cost: a block of guesses
goes through chains of ``map`` over C functions (``bytes.translate`` with XOR tables, hashlib
constructors, unbound ``update`` / ``digest``), which is faster than one ``hmac.digest`` call
per HMAC (OpenSSL 3 sets up an HMAC context per call) and far faster than itsdangerous' objects.
"""

from __future__ import annotations

import hashlib
import struct
import sys
from collections import deque
from dataclasses import dataclass
from itertools import repeat
from typing import BinaryIO

__all__ = ["CrackTarget", "check_block", "hmac_many", "serve", "split_block"]

_IPAD = bytes(x ^ 0x36 for x in range(256))  # XOR 0x36 as a translate() table
_OPAD = bytes(x ^ 0x5C for x in range(256))  # XOR 0x5C
_LJUST = bytes.ljust
_TRANSLATE = bytes.translate
_ADD = bytes.__add__  # salt + guess for the concat derivations


@dataclass(frozen=True)
class CrackTarget:
    """Everything about one token that does not depend on the guess (picklable)."""

    message: bytes  # the signed bytes: "[.]payload[.timestamp]"
    signature: bytes  # the MAC to reproduce
    salt: bytes
    digest: str  # hashlib name
    key_derivation: str  # "hmac", "concat", "django-concat" or "none"


def _constructor(name: str):  # type: ignore[no-untyped-def]
    # hashlib.sha1 & co are C constructors; hashlib.new is a Python wrapper (slower per call).
    ctor = getattr(hashlib, name, None)
    if ctor is None or name in ("new", "file_digest"):
        return lambda data=b"": hashlib.new(name, data)
    return ctor


def _fit_keys(keys: list[bytes], ctor, block: int) -> list[bytes]:  # type: ignore[no-untyped-def]
    # RFC 2104 §2: keys longer than the block are hashed first. Rare, so plain Python.
    if keys and max(map(len, keys)) > block:
        return [ctor(k).digest() if len(k) > block else k for k in keys]
    return keys


def hmac_many(keys: list[bytes], message: bytes, digest: str) -> list[bytes]:
    """``[hmac.digest(k, message, digest) for k in keys]``, computed without a Python loop."""
    ctor = _constructor(digest)
    proto = ctor()
    block = proto.block_size
    # Unbound C methods: no attribute lookup per call (methodcaller would do one each time).
    update, finish = type(proto).update, type(proto).digest
    padded = list(map(_LJUST, _fit_keys(keys, ctor, block), repeat(block), repeat(b"\0")))
    inner = list(map(ctor, map(_TRANSLATE, padded, repeat(_IPAD))))
    deque(map(update, inner, repeat(message)), 0)  # deque(..., 0) runs a map for its effect
    outer = list(map(ctor, map(_TRANSLATE, padded, repeat(_OPAD))))
    deque(map(update, outer, map(finish, inner)), 0)
    return list(map(finish, outer))


def derive_many(target: CrackTarget, guesses: list[bytes]) -> list[bytes]:
    """itsdangerous ``derive_key`` for every guess."""
    how = target.key_derivation
    if how == "hmac":
        return hmac_many(guesses, target.salt, target.digest)
    if how == "none":
        return guesses
    ctor = _constructor(target.digest)
    finish = type(ctor()).digest
    prefix = target.salt + (b"signer" if how == "django-concat" else b"")
    return list(map(finish, map(ctor, map(_ADD, repeat(prefix), guesses))))


BATCH = 4096  # guesses per hmac_many call: its intermediate lists stay in the CPU caches


def check_block(target: CrackTarget, guesses: list[bytes]) -> int:
    """Index of the first guess that reproduces the signature, or -1."""
    for start in range(0, len(guesses), BATCH):
        batch = guesses[start : start + BATCH]
        signatures = hmac_many(derive_many(target, batch), target.message, target.digest)
        if target.signature in signatures:
            return start + signatures.index(target.signature)
    return -1


def split_block(block: bytes) -> list[bytes]:
    """Lines of a block that ends with ``\\n``: only ``\\n`` / ``\\r\\n`` terminators removed."""
    lines = block.replace(b"\r\n", b"\n").split(b"\n")
    lines.pop()  # the empty string after the final newline
    return lines


# --- worker process protocol (stdin/stdout pipes, big-endian length-prefixed frames) ---
# parent -> worker: the five CrackTarget fields, then one frame per block; EOF ends.
# worker -> parent: for each block, (lines checked, index of the key or -1) as two int64.

_LEN = struct.Struct(">I")
REPLY = struct.Struct(">qq")


def write_frame(out: BinaryIO, data: bytes) -> None:
    out.write(_LEN.pack(len(data)))
    out.write(data)


def read_exact(inp: BinaryIO, size: int) -> bytes | None:
    """``size`` bytes, or None at end of stream."""
    chunks = []
    while size:
        chunk = inp.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(inp: BinaryIO) -> bytes | None:
    head = read_exact(inp, _LEN.size)
    if head is None:
        return None
    (size,) = _LEN.unpack(head)
    return read_exact(inp, size) if size else b""


def encode_target(target: CrackTarget) -> list[bytes]:
    return [
        target.message,
        target.signature,
        target.salt,
        target.digest.encode("ascii"),
        target.key_derivation.encode("ascii"),
    ]


def serve(inp: BinaryIO, out: BinaryIO) -> None:
    """The worker loop: read the target, then answer every block until end of input."""
    fields = [read_frame(inp) for _ in range(5)]
    if any(field is None for field in fields):
        return
    message, signature, salt, digest, derivation = fields  # type: ignore[misc]
    target = CrackTarget(message, signature, salt, digest.decode(), derivation.decode())
    while (block := read_frame(inp)) is not None:
        lines = split_block(block)
        out.write(REPLY.pack(len(lines), check_block(target, lines)))
        out.flush()


if __name__ == "__main__":  # started by engine.cookies.crack as ``python -I crackcore.py``
    try:
        serve(sys.stdin.buffer, sys.stdout.buffer)
    except (BrokenPipeError, KeyboardInterrupt):
        pass
