"""Small edits to a cookie string, for fuzzing decoders with almost-valid input."""

from __future__ import annotations

import string

from hypothesis import strategies as st

ALPHABET = string.ascii_letters + string.digits + "-_.=;: \"'\t+/!é\x00"
"""Characters a mutation may put in: base64url, separators, and a few a cookie must not hold."""

mutation = st.tuples(
    st.sampled_from(["replace", "insert", "delete", "truncate", "dot"]),
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(ALPHABET),
)
"""One edit: what, where (wrapped to the token's length), and which character."""


def mutate(token: str, steps: list[tuple[str, int, str]]) -> str:
    """``token`` with each edit of ``steps`` applied in order."""
    for kind, pos, char in steps:
        if not token:
            break
        i = pos % len(token)
        if kind == "replace":
            token = token[:i] + char + token[i + 1 :]
        elif kind == "insert":
            token = token[:i] + char + token[i:]
        elif kind == "delete":
            token = token[:i] + token[i + 1 :]
        elif kind == "truncate":
            token = token[:i]
        else:
            token = token[:i] + "." + token[i:]
    return token
