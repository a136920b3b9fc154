"""Tying the window's HTTP exchanges to the engine's requests.

The composer tags every request with an ``X-Request-Id`` of its own, which the engine reports
in ``request_ctx_pushed``: a tagged exchange is matched by that tag alone, so even identical
concurrent requests find their own events. An exchange without our tag (the user sent an
``X-Request-Id`` of theirs) falls back to the first unclaimed request that agrees on method,
URL and status. Requests arrive as events, possibly after the response, so unmatched exchanges
wait and are retried with every batch.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urlsplit

__all__ = ["ExchangeMatcher"]

LOOKBACK = 2000  # most recent requests searched for a match
MAX_WAITING = 500  # exchanges kept waiting for their request's events


class _RequestInfo(Protocol):
    request_id: int
    client_id: str | None
    method: str
    url: str
    status: int | None


class _Requests(Protocol):
    def rowCount(self) -> int: ...

    def info(self, row: int) -> _RequestInfo: ...


class ExchangeMatcher:
    """Assigns ``exchange["request_id"]``; each engine request goes to one exchange at most."""

    def __init__(self, requests: _Requests) -> None:
        self._requests = requests  # the requests model: what the engine reported
        self._waiting: list[dict[str, Any]] = []  # exchanges not yet tied to a request
        self._claimed: set[int] = set()  # request ids already tied to an exchange

    @property
    def waiting(self) -> bool:
        return bool(self._waiting)

    def claim(self, request_id: int) -> None:
        """``request_id`` belongs to an exchange already (the response said so)."""
        self._claimed.add(request_id)

    def add(self, exchange: dict[str, Any]) -> None:
        self._waiting.append(exchange)
        del self._waiting[:-MAX_WAITING]

    def clear(self) -> None:
        self._claimed.clear()

    def match(self) -> list[dict[str, Any]]:
        """Try every waiting exchange; returns those that found their request."""
        rows = self._requests.rowCount()
        matched: list[dict[str, Any]] = []
        still: list[dict[str, Any]] = []
        for ex in self._waiting:
            found = self._find(ex, rows)
            if found is None:
                still.append(ex)
                continue
            self._claimed.add(found)
            ex["request_id"] = found
            matched.append(ex)
        self._waiting = still
        return matched

    def _find(self, ex: dict[str, Any], rows: int) -> int | None:
        parts = urlsplit(ex["url"])
        want = (ex["method"], parts.path or "/", parts.query)
        tag = ex.get("client_request_id")
        for row in range(max(0, rows - LOOKBACK), rows):
            info = self._requests.info(row)
            if info.request_id in self._claimed or info.status != ex["status"]:
                continue
            if tag and info.client_id:
                if info.client_id == tag:  # our own tag: it alone decides
                    return info.request_id
                continue
            got = urlsplit(info.url) if info.url else None
            if got is not None and (info.method, got.path or "/", got.query) == want:
                return info.request_id
        return None
