"""Every model of the window passes Qt's model tester, fed with real engine events, and the
event history stays bounded (oldest dropped in batches) however many events arrive."""

from __future__ import annotations

from typing import Any

import pytest

from engine.demo import create_app
from engine.events import Event
from inspector.models.cookiejar import CookieJarModel
from inspector.models.describe import ThreadNames
from inspector.models.history import HistoryModel
from inspector.models.jsontree import JsonTreeModel
from inspector.models.paused import PausedModel
from inspector.models.requests import RequestsModel
from inspector.models.sessions import SessionsModel
from inspector.models.timeline import TimelineModel


@pytest.fixture(scope="module")
def events() -> list[Event]:
    """Events of real requests through the demo app (short-circuit, login, 404, error...)."""
    app = create_app()
    got: list[Event] = []
    sub = app.subscribe(got.append)
    try:
        client = app.test_client()
        client.get("/admin/")
        client.post("/login", data={"name": "ada"})
        client.get("/counter")
        client.get("/nope")
        client.get("/boom")
        client.get("/nested")
    finally:
        sub.unsubscribe()
    assert len(got) > 80
    return got


# One ``check`` per model: the tester stays connected afterwards and verifies every insert,
# removal and reset the later calls make.


def test_timeline_model(qtmodeltester: Any, events: list[Event]) -> None:
    model = TimelineModel(ThreadNames(), cap=60)
    model.ingest(events[:30])
    qtmodeltester.check(model, force_py=True)
    model.ingest(events[30:])  # inserts, then trims the oldest past the cap
    rid = events[-1].request_id
    model.set_request_filter(rid)
    assert {model.event_at(r).request_id for r in range(model.rowCount())} == {rid}
    model.ingest(events)  # filtered inserts and trims
    model.set_hidden_kinds({"local_set", "local_released"})
    assert all(model.event_at(r).kind != "local_set" for r in range(model.rowCount()))
    model.set_request_filter(None)
    model.clear()
    assert model.rowCount() == 0


def test_timeline_is_bounded_and_drops_oldest_in_batches(qtbot: Any, events: list[Event]) -> None:
    model = TimelineModel(ThreadNames(), cap=100)
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _p, a, b: removed.append((a, b)))
    for _ in range(30):
        model.ingest(events)
    assert model.total() <= 100
    assert model.rowCount() == model.total()
    assert all(a == 0 for a, _ in removed)  # always the oldest
    assert len(removed) < 30 * len(events) / 10  # in chunks, not one by one
    kept = [model.event_at(r) for r in range(model.rowCount())]
    assert kept[-1] is events[-1]  # the newest stays


def test_timeline_filtered_view_trims_too(events: list[Event]) -> None:
    model = TimelineModel(ThreadNames(), cap=50)
    model.set_request_filter(events[0].request_id)
    for _ in range(20):
        model.ingest(events)
    assert model.total() <= 50
    assert all(
        model.event_at(r).request_id == events[0].request_id for r in range(model.rowCount())
    )


def test_requests_and_sessions_models(qtmodeltester: Any, events: list[Event]) -> None:
    requests = RequestsModel(ThreadNames(), cap=100)
    sessions = SessionsModel(cap=100)
    requests.ingest(events[:40])
    sessions.ingest(events[:40])
    qtmodeltester.check(requests, force_py=True)
    requests.ingest(events[40:])  # updates rows already there and adds new ones
    sessions.ingest(events[40:])
    qtmodeltester.check(sessions, force_py=True)
    statuses = [requests.info(r).status for r in range(requests.rowCount())]
    assert statuses[:5] == [401, 200, 200, 404, 500]
    assert requests.info(0).short_circuit and requests.info(4).error
    login = sessions.record(1)
    assert login.saved is not None and login.saved.after == {"user_info": "ada"}


def test_history_jar_paused_and_json_models(qtmodeltester: Any, events: list[Event]) -> None:
    history = HistoryModel(cap=3)
    ex = {
        "method": "GET",
        "url": "http://127.0.0.1:1/x?a=1",
        "status": 200,
        "started": 0.0,
        "elapsed_ms": 1.5,
        "request_id": 1,
        "request_headers": [],
        "response_headers": [],
    }
    history.add([dict(ex) for _ in range(5)])
    assert history.rowCount() == 3
    qtmodeltester.check(history, force_py=True)

    jar = CookieJarModel()
    jar.apply_set_cookie(["session=abc.def; HttpOnly; Path=/", "theme=dark; Path=/"])
    assert jar.header() == "session=abc.def; theme=dark"
    jar.apply_set_cookie(["theme=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"])
    assert jar.items() == [("session", "abc.def")]
    qtmodeltester.check(jar, force_py=True)

    class Step:
        def __init__(self, ev: Event) -> None:
            self.request_id, self.thread, self.event = ev.request_id, ev.thread, ev

    paused = PausedModel(ThreadNames())
    paused.set_steps([Step(events[5]), Step(events[30])])
    qtmodeltester.check(paused, force_py=True)

    tree = JsonTreeModel({"a": [1, {"b": None}], "c": "x", "d": {}})
    qtmodeltester.check(tree, force_py=True)
    tree.set_value([{"type": "AppContext", "g": {"db": "<conn>"}}])
    assert tree.rowCount() == 1 and tree.rowCount(tree.index(0, 0)) == 2
