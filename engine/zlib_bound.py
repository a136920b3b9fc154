"""When ``zlib.compress`` cannot make a payload more than one byte shorter, without calling it.

itsdangerous' URL-safe serializer compresses every payload and keeps the result only when it is
shorter than the input by more than one byte. For a small session (``{"visits":3}``) that never
happens, but finding out costs a full ``deflateInit`` (~256 KiB of state set up and freed),
which is more CPU than signing the cookie. :func:`cannot_shrink` proves the outcome for short
payloads from the DEFLATE format alone, so skipping the call cannot change a byte:

* If no 3-byte substring occurs twice, no back-reference is possible (DEFLATE's shortest match
  is 3 bytes, and a match of any length starts with a repeated 3-byte substring), so every
  encoder emits only literals plus the end-of-block code.
* zlib wraps the DEFLATE data in 2 header and 4 checksum bytes, and a payload this small is
  one block, padded to a byte. A stored block costs ``n + 5`` bytes, a fixed-Huffman block at
  least ``8n + 10`` bits; a dynamic-Huffman block at least its 29 header bits (3 block, 14
  counts, 4 x 3 code-length-code bits) plus the literals, which a prefix code cannot write in
  fewer bits than their empirical entropy (Shannon; end-of-block counted as one more symbol),
  itself bounded from below by the number of distinct bytes alone (``_least_distinct``).
* If even that least size is not below ``n - 1`` bytes, compression is discarded anyway.

Anything the bound cannot settle (repeats, longer payloads) is compressed as before.
"""

from __future__ import annotations

from math import ceil, log2

__all__ = ["cannot_shrink"]

_MAX_LEN = 64  # beyond this the bound essentially never settles it: do not spend the time
_HEADER_BITS = 29  # least dynamic-Huffman block header: 3 + 5 + 5 + 4 + 4 * 3
_SLACK = 1e-6  # bits: float rounding may only make the bound smaller (more compressing)


def _least_distinct(n: int) -> int:
    """The fewest distinct bytes an ``n``-byte payload needs for the bound to settle it.

    With ``K`` distinct symbols among ``N`` (the payload's bytes plus end-of-block), the
    entropy is smallest when one symbol takes every occurrence but ``K - 1``:
    ``N log N - (N-K+1) log (N-K+1)`` bits. It grows with ``K``, so the least ``K`` for which
    even that is too long to win is a per-length threshold, computed here once.
    """
    symbols = n + 1
    for distinct in range(n + 1):
        rest = symbols - distinct  # occurrences of the most frequent symbol (K = distinct + 1)
        entropy = symbols * log2(symbols) - (rest * log2(rest) if rest > 1 else 0.0)
        if 6 + ceil((_HEADER_BITS + entropy - _SLACK) / 8) >= n - 1:
            return distinct
    return n + 1  # never


_LEAST_DISTINCT = [_least_distinct(n) for n in range(_MAX_LEN + 1)]


def cannot_shrink(data: bytes) -> bool:
    """True only if ``len(zlib.compress(data)) >= len(data) - 1`` is certain."""
    n = len(data)
    # (Only C-level loops: this is on the per-request path.)
    if n > _MAX_LEN or len(set(data)) < _LEAST_DISTINCT[n]:
        return False
    # A repeated 3-byte substring would make a match possible.
    return n < 3 or len(set(zip(data, data[1:], data[2:], strict=False))) == n - 2
