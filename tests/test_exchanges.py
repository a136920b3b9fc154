"""Pairing exchanges with engine requests: by our X-Request-Id tag first, else method/URL/status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspector.exchanges import ExchangeMatcher


@dataclass
class Info:
    request_id: int
    client_id: str | None
    method: str
    url: str
    status: int | None


class Requests:
    def __init__(self, infos: list[Info]) -> None:
        self.infos = infos

    def rowCount(self) -> int:
        return len(self.infos)

    def info(self, row: int) -> Info:
        return self.infos[row]


def _ex(tag: str | None, status: int = 200, url: str = "http://h/slow?ms=5") -> dict[str, Any]:
    return {"method": "GET", "url": url, "status": status, "client_request_id": tag}


def test_tags_decide_even_among_identical_requests() -> None:
    infos = [Info(i, f"t{i}", "GET", "http://127.0.0.1/slow?ms=5", 200) for i in (1, 2, 3)]
    matcher = ExchangeMatcher(Requests(infos))
    exchanges = [_ex("t3"), _ex("t1"), _ex("t2")]
    for ex in exchanges:
        matcher.add(ex)
    assert matcher.match() == exchanges
    assert [ex["request_id"] for ex in exchanges] == [3, 1, 2]
    assert not matcher.waiting


def test_untagged_falls_back_to_method_url_status_and_waits_for_events() -> None:
    requests = Requests([Info(1, None, "GET", "http://127.0.0.1/other", 200)])
    matcher = ExchangeMatcher(requests)
    ex = _ex(None)
    matcher.add(ex)
    assert matcher.match() == [] and matcher.waiting  # its events have not arrived yet
    requests.infos.append(Info(2, None, "GET", "http://127.0.0.1/slow?ms=5", 200))
    assert matcher.match() == [ex] and ex["request_id"] == 2


def test_a_request_is_claimed_once_and_status_must_agree() -> None:
    infos = [
        Info(1, None, "GET", "http://x/slow?ms=5", 500),
        Info(2, None, "GET", "http://x/slow?ms=5", 200),
    ]
    matcher = ExchangeMatcher(Requests(infos))
    matcher.claim(2)
    ex = _ex(None)
    matcher.add(ex)
    assert matcher.match() == []  # 1 has another status, 2 is taken
