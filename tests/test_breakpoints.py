"""Breakpoints against the real threaded server: hold, step, resume, time out, slow motion."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from engine import App, g
from engine.events import Event
from engine.globals import snapshot
from engine.serving import Server


class Fetch:
    """One GET on its own thread, so the test thread can watch it being held."""

    def __init__(self, server: Server, path: str) -> None:
        self.status: int | None = None  # set when the response has arrived
        self.body: bytes | None = None  # the response body
        self.error: BaseException | None = None  # what went wrong, if anything
        self._thread = threading.Thread(target=self._run, args=(server, path), daemon=True)
        self._thread.start()

    def _run(self, server: Server, path: str) -> None:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=15)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            self.body = response.read()
            self.status = response.status
        except BaseException as e:
            self.error = e
        finally:
            conn.close()

    def join(self, timeout: float = 10) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "request never finished"
        assert self.error is None, self.error


def _wait(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def served() -> Iterator[tuple[App, Server, list[Event]]]:
    app = App("bp_app")

    @app.before_request
    def mark() -> None:
        g.marked = True

    @app.route("/<name>")
    def hello(name: str) -> str:
        return f"hello {name}"

    events: list[Event] = []
    lock = threading.Lock()

    def record(event: Event) -> None:
        with lock:
            events.append(event)

    app.subscribe(record)
    app.breakpoints.timeout = 10
    server = Server(app).start()
    try:
        yield app, server, events
    finally:
        app.breakpoints.clear()
        server.stop()


def _for(events: list[Event], request_id: int) -> list[str]:
    return [e.kind for e in list(events) if e.request_id == request_id]


def test_pause_step_resume(served: tuple[App, Server, list[Event]]) -> None:
    app, server, events = served
    app.breakpoints.set_kinds({"before_request"})
    assert app.breakpoints.kinds == {"before_request"}
    fetch = Fetch(server, "/ann")
    (step,) = _wait(app.breakpoints.paused)
    assert step.event.kind == "before_request"
    request_id, thread = step.request_id, step.thread
    # The hold is registered just before the "paused" event is published: wait for both.
    _wait(lambda: _for(events, request_id)[-1:] == ["paused"])
    time.sleep(0.1)
    assert fetch.status is None  # the response has not arrived: the thread is held
    # The held thread's contexts can be listed from here.
    stacks = snapshot()[thread]
    assert [c["path"] for c in stacks["request"]] == ["/ann"]
    assert stacks["app"][0]["g"] == {"marked": True}
    kinds = _for(events, request_id)
    assert kinds[-2:] == ["before_request", "paused"]
    paused = [e for e in events if e.kind == "paused"][-1]
    assert paused.at_kind == "before_request" and paused.at_seq == step.event.seq

    # step(): exactly one more event, then held again.
    before = len(kinds)
    assert app.breakpoints.step(thread)
    (step2,) = _wait(lambda: [s for s in app.breakpoints.paused() if s.event.seq > step.event.seq])
    assert step2.event.kind == "view"
    _wait(lambda: _for(events, request_id)[-1:] == ["paused"])
    assert _for(events, request_id)[before:] == ["resumed", "view", "paused"]
    resumed = [e for e in events if e.kind == "resumed"][-1]
    assert resumed.how == "step"
    assert fetch.status is None

    # resume(): runs to the end (no more before_request in this request).
    assert app.breakpoints.resume(thread)
    fetch.join()
    assert (fetch.status, fetch.body) == (200, b"hello ann")
    kinds = _for(events, request_id)
    assert kinds[-1] == "app_ctx_popped"
    assert kinds.count("paused") == 2 and kinds.count("resumed") == 2
    assert [e.how for e in events if e.kind == "resumed"][-1] == "continue"
    assert app.breakpoints.paused() == []
    assert app.breakpoints.step(thread) is False  # nothing held any more
    _wait(lambda: snapshot() == {})


def test_resume_all(served: tuple[App, Server, list[Event]]) -> None:
    app, server, _ = served
    app.breakpoints.set_kinds({"view"})
    fetches = [Fetch(server, f"/n{i}") for i in range(3)]
    steps = _wait(lambda: len(app.breakpoints.paused()) == 3 and app.breakpoints.paused())
    assert {s.event.kind for s in steps} == {"view"}
    assert len({s.thread for s in steps}) == 3
    assert len(snapshot()) >= 3  # three threads, each with its contexts
    assert all(f.status is None for f in fetches)
    app.breakpoints.set_kinds(())
    app.breakpoints.resume_all()
    for i, f in enumerate(fetches):
        f.join()
        assert f.body == f"hello n{i}".encode()
    assert app.breakpoints.paused() == []


def test_timeout_releases_a_forgotten_pause(served: tuple[App, Server, list[Event]]) -> None:
    app, server, events = served
    app.breakpoints.timeout = 0.2
    app.breakpoints.set_kinds({"request_started"})
    fetch = Fetch(server, "/late")
    (step,) = _wait(app.breakpoints.paused)
    fetch.join()  # nobody resumes it: the timeout lets it go on
    assert fetch.status == 200
    resumed = [e for e in events if e.kind == "resumed" and e.request_id == step.request_id]
    assert [e.how for e in resumed] == ["timeout"]
    assert app.breakpoints.paused() == []


def test_delay_is_slow_motion(served: tuple[App, Server, list[Event]]) -> None:
    app, server, events = served
    app.breakpoints.set_delay(0.02)
    assert app.events.active
    started = time.monotonic()
    fetch = Fetch(server, "/slow")
    fetch.join()
    elapsed = time.monotonic() - started
    request_id = next(e.request_id for e in events if e.kind == "request_started")
    n = len(_for(events, request_id))
    assert n >= 15
    # Every request event is followed by the delay; none is held (no paused events).
    assert elapsed >= n * 0.02 * 0.9
    assert "paused" not in _for(events, request_id)
    app.breakpoints.set_delay(0)
    assert app.breakpoints.armed is False


def test_breakpoints_keep_the_bus_active_without_subscribers() -> None:
    app = App("quiet")
    assert app.events.active is False
    app.breakpoints.set_kinds({"view"})
    assert app.events.active is True
    app.breakpoints.set_kinds(())
    assert app.events.active is False
