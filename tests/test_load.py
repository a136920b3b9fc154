"""2,000 real HTTP requests over 50 keep-alive connections, fast and slow ones overlapping.

Afterwards every context must be popped, every ident released, and every request must have
produced exactly the events a lone request of the same route produces.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import defaultdict
from typing import Any

from engine import App, Blueprint, after_this_request, g, jsonify, request, session
from engine.events import Event
from engine.globals import _app_ctx_stack, _request_ctx_stack, snapshot
from engine.serving import Server

CONNECTIONS = 50
PER_CONNECTION = 40  # 2,000 requests in all
SLOW_MS = 15
GATHERED = 5  # the first slow requests wait in the view until this many are inside at once


def _app() -> App:
    app = App("load_app")
    app.secret_key = "load"
    # A lucky schedule on a loaded machine can serve the slow requests one after another; the
    # first few wait for each other, so the overlap the test checks is there by construction.
    # (Each comes from its own connection: a connection's next request waits for this one.)
    gate = threading.Barrier(GATHERED, timeout=30)
    arrivals = iter(range(GATHERED))

    @app.before_request
    def before() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def after(response: Any) -> Any:
        response.headers["X-Took"] = f"{time.perf_counter() - g.started:.6f}"
        return response

    @app.teardown_request
    def down(exc: BaseException | None) -> None:
        g.pop("started", None)

    @app.route("/fast/<int:n>")
    def fast(n: int) -> str:
        session["n"] = n
        return f"fast {n}"

    @app.route("/json")
    def as_json() -> Any:
        return jsonify(path=request.path, args=request.args.to_dict())

    @app.route("/slow")
    def slow() -> str:
        ms = int(request.args.get("ms", "0"))
        if ms and next(arrivals, None) is not None:
            gate.wait()
        time.sleep(ms / 1000)
        after_this_request(lambda r: r)
        return "slow"

    api = Blueprint("api", __name__)
    inner = Blueprint("inner", __name__)

    @api.before_request
    def api_before() -> None:
        g.api = True

    @inner.after_request
    def inner_after(response: Any) -> Any:
        return response

    @inner.route("/item/<int:n>")
    def item(n: int) -> Any:
        return {"item": n}

    api.register_blueprint(inner, url_prefix="/inner")
    app.register_blueprint(api, url_prefix="/api")
    return app


def _path(i: int, k: int) -> str:
    choice = (i + k) % 10
    if choice == 0:
        return f"/slow?ms={SLOW_MS}"
    if choice in (1, 2):
        return f"/json?i={i}&k={k}"
    if choice in (3, 4):
        return f"/api/inner/item/{k}"
    return f"/fast/{k}"


def _route(path: str) -> str:
    return path.split("?")[0].rsplit("/", 1)[0] if path[1:].count("/") else path.split("?")[0]


def test_load_two_thousand_requests() -> None:
    app = _app()
    # What a lone request of each route emits, measured in-process first.
    reference: dict[str, list[str]] = {}
    probe: list[Event] = []
    sub = app.subscribe(probe.append)
    for path in ("/slow?ms=0", "/json?i=0&k=0", "/api/inner/item/1", "/fast/1"):
        probe.clear()
        assert app.test_client().get(path).status_code == 200
        reference[_route(path)] = [e.kind for e in probe]
    sub.unsubscribe()
    assert len({tuple(v) for v in reference.values()}) >= 3  # hooks differ by route

    events: list[Event] = []
    app.subscribe(events.append)  # list.append is atomic: no lock needed
    server = Server(app, threaded=True).start()
    errors: list[str] = []
    answers: dict[str, int] = defaultdict(int)
    answers_lock = threading.Lock()

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=20)
        try:
            for k in range(PER_CONNECTION):
                path = _path(i, k)
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                if response.status != 200:
                    errors.append(f"{path}: {response.status} {body[:80]!r}")
                elif path.startswith("/fast") and body != f"fast {k}".encode():
                    errors.append(f"{path}: wrong body {body!r}")
                with answers_lock:
                    answers[_route(path)] += 1
        except Exception as e:
            errors.append(f"connection {i}: {e!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CONNECTIONS)]
    started = time.monotonic()
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads), "clients still running"
    finally:
        server.stop()
    elapsed = time.monotonic() - started

    assert errors == []
    assert sum(answers.values()) == CONNECTIONS * PER_CONNECTION
    # Every context popped and every ident released, in every thread.
    assert snapshot() == {}
    assert _app_ctx_stack.local.idents() == []
    assert _request_ctx_stack.local.idents() == []

    by_request: dict[int | None, list[Event]] = defaultdict(list)
    for event in events:
        by_request[event.request_id].append(event)
    assert None not in by_request  # every event belongs to a request
    assert len(by_request) == CONNECTIONS * PER_CONNECTION
    seen_routes: dict[str, int] = defaultdict(int)
    threads_used: set[int] = set()
    for request_id, evs in by_request.items():
        path = next(e.path for e in evs if e.kind == "request_ctx_pushed")
        route = _route(path)
        seen_routes[route] += 1
        kinds = [e.kind for e in evs]
        assert kinds == reference[route], (request_id, path)
        assert len({e.thread for e in evs}) == 1  # a request stays on its thread
        threads_used.add(evs[0].thread)
        assert all(e.depth["app"] <= 1 and e.depth["request"] <= 1 for e in evs)
        assert evs[-1].depth == {"app": 0, "request": 0}
    assert dict(seen_routes) == dict(answers)
    # Requests really overlapped on different threads (idents of finished threads may be
    # reused by the OS, so count simultaneity, not distinct idents).
    assert len(threads_used) > 1
    live: set[int] = set()
    most_at_once = 0
    for event in sorted(events, key=lambda e: e.t_ns):
        if event.kind == "request_ctx_pushed":
            live.add(event.request_id)  # type: ignore[arg-type]
        elif event.kind == "request_ctx_popped":
            live.discard(event.request_id)  # type: ignore[arg-type]
        most_at_once = max(most_at_once, len(live))
    assert most_at_once >= GATHERED
    seqs = [e.seq for e in events]
    assert len(set(seqs)) == len(seqs)
    print(f"\n{len(events)} events for {len(by_request)} requests in {elapsed:.2f} s")
