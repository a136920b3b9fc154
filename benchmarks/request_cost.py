"""What one request costs in-process: bare Werkzeug, Flask 3.1, the engine, the engine watched.

Every variant serves the same route set (a ``before_request`` hook, an ``after_request`` hook
and a view that reads the session cookie and sets a session value), driven directly through
the WSGI interface with a prebuilt environ and a no-op ``start_response``, so only the
framework's own work is measured. Each figure is the best of several repeats (the least
disturbed run). Usage::

    python benchmarks/request_cost.py [--iterations N] [--repeats R] [--profile]

Targets: the watched engine at most 0.6x Flask's cost, at most 0.5 us per event; Flask with
ctxscope attached at most 1.2x plain Flask (printed watched and with nobody watching).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.routing import Map, Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

import engine
from engine.sessions import session_json_serializer

SECRET = "benchmark-secret"
PATH = "/hello/ann"
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


# --- the peers ---------------------------------------------------------------------------------


def werkzeug_app() -> WsgiApp:
    """The same work written on bare Werkzeug: route, hooks, signed-cookie session."""
    url_map = Map([Rule("/hello/<name>", endpoint="hello")])
    signer = URLSafeTimedSerializer(
        SECRET,
        salt="cookie-session",
        serializer=session_json_serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": "sha1"},
    )

    def before(state: dict[str, Any]) -> None:
        state["user"] = "bench"

    def after(response: Response) -> Response:
        response.headers["X-Bench"] = "1"
        return response

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        adapter = url_map.bind_to_environ(environ)
        _endpoint, args = adapter.match()
        state: dict[str, Any] = {}
        before(state)
        session: dict[str, Any] = {}
        cookie = request.cookies.get("session")
        if cookie:
            try:
                session = signer.loads(cookie, max_age=31 * 86400)
            except BadSignature:
                session = {}
        session["visits"] = session.get("visits", 0) + 1
        response = Response(f"hello {args['name']}", mimetype="text/html")
        response = after(response)
        response.vary.add("Cookie")
        response.set_cookie("session", signer.dumps(session), httponly=True, path="/")
        return response(environ, start_response)

    return app


def framework_app(mod: Any, app_class: Any) -> Any:
    """The same route on Flask or the engine (same code, different imports)."""
    app = app_class("bench")
    app.config["SECRET_KEY"] = SECRET

    @app.before_request
    def before() -> None:
        mod.g.user = "bench"

    @app.after_request
    def after(response: Any) -> Any:
        response.headers["X-Bench"] = "1"
        return response

    @app.route("/hello/<name>")
    def hello(name: str) -> str:
        mod.session["visits"] = mod.session.get("visits", 0) + 1
        return f"hello {name}"

    return app


# --- measuring ---------------------------------------------------------------------------------


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def _environ_with_cookie(app: WsgiApp) -> dict[str, Any]:
    """A GET environ carrying the session cookie this app itself set on a first request."""
    first = EnvironBuilder(path=PATH).get_environ()
    captured: dict[str, Any] = {}

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["headers"] = headers

    body = app(first, start)
    b"".join(body)
    getattr(body, "close", lambda: None)()
    cookie = next(v for k, v in captured["headers"] if k == "Set-Cookie").split(";")[0]
    return EnvironBuilder(path=PATH, headers={"Cookie": cookie}).get_environ()


def _run(app: WsgiApp, environ: dict[str, Any], n: int) -> float:
    """CPU seconds this process spent on ``n`` requests.

    CPU time, not wall time: on a shared machine other processes' load would otherwise land in
    whichever variant happened to run at the time.
    """
    start_response = _start_response
    copy = environ.copy
    gc_was = gc.isenabled()
    gc.disable()
    try:
        t0 = time.process_time()
        for _ in range(n):
            body = app(copy(), start_response)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()
        return time.process_time() - t0
    finally:
        if gc_was:
            gc.enable()


def measure(
    variants: dict[str, WsgiApp], n: int, repeats: int, reset: Callable[[], None]
) -> dict[str, float]:
    """Best microseconds per request of each variant over ``repeats`` runs of ``n`` requests.

    The variants take turns within each repeat, so a slow spell hits all of them alike.
    """
    environs = {name: _environ_with_cookie(app) for name, app in variants.items()}
    for name, app in variants.items():
        _run(app, environs[name], max(50, n // 10))  # warm caches (routing, serializers)
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(repeats):
        for name, app in variants.items():
            reset()
            best[name] = min(best[name], _run(app, environs[name], n) / n * 1e6)
    reset()
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=2000, help="requests per repeat")
    parser.add_argument("--repeats", type=int, default=7, help="repeats; the best counts")
    parser.add_argument("--profile", action="store_true", help="cProfile the watched engine")
    args = parser.parse_args(argv)
    n, r = args.iterations, args.repeats

    events: list[Any] = []
    watched = framework_app(engine, engine.App)
    watched.subscribe(events.append)  # keeps every event, as a capture would

    # Events one request produces, counted on its own.
    environ = _environ_with_cookie(watched)
    events.clear()
    _run(watched, environ, 1)
    per_request = len(events)
    events.clear()

    # The same Flask app with ctxscope attached (issue 6's row), keeping every event too.
    from engine.flask_adapter import attach

    adapter_events: list[Any] = []
    attached = attach(framework_app(flask, flask.Flask))
    attached.subscribe(adapter_events.append)

    def reset() -> None:
        events.clear()
        adapter_events.clear()

    variants = {
        "werkzeug (bare)": werkzeug_app(),
        "flask 3.1": framework_app(flask, flask.Flask),
        "engine, no subscriber": framework_app(engine, engine.App),
        "engine, list.append subscriber": watched,
        "flask + ctxscope attached, idle": attach(framework_app(flask, flask.Flask)),
        "flask + ctxscope attached, subscriber": attached,
    }
    results = measure(variants, n, r, reset=reset)
    flask_us = results["flask 3.1"]
    print(
        f"in-process CPU cost per request (best of {r} x {n} requests, Python "
        f"{sys.version.split()[0]}, Flask {_version('flask')}, Werkzeug "
        f"{_version('werkzeug')})"
    )
    print(f"{'variant':40} {'us/request':>11} {'x Flask':>8}")
    for name, us in results.items():
        print(f"{name:40} {us:11.2f} {us / flask_us:8.2f}")
    observed = results["engine, list.append subscriber"]
    unobserved = results["engine, no subscriber"]
    ratio = observed / flask_us
    per_event = (observed - unobserved) / per_request
    print(f"events per request: {per_request}")
    print(
        f"engine observed / Flask: {ratio:.2f} (target <= 0.60) "
        f"{'OK' if ratio <= 0.6 else 'MISSED'}"
    )
    print(f"engine unobserved / Flask: {unobserved / flask_us:.2f}")
    # Issue 6's row: Flask with the adapter attached, with and without a subscriber keeping
    # every event (the window, trace and serve always have one).
    for label, name in (("watched", "subscriber"), ("nobody watching", "idle")):
        adapter_ratio = results[f"flask + ctxscope attached, {name}"] / flask_us
        print(
            f"flask with the adapter attached, {label} / plain Flask: {adapter_ratio:.2f} "
            f"(target <= 1.20) {'OK' if adapter_ratio <= 1.2 else 'MISSED'}"
        )
    print(
        f"us per event: ({observed:.2f} - {unobserved:.2f}) / {per_request} = "
        f"{per_event:.3f} (target <= 0.50) {'OK' if per_event <= 0.5 else 'MISSED'}"
    )

    if args.profile:
        environ = _environ_with_cookie(watched)
        profiler = cProfile.Profile()
        profiler.enable()
        _run(watched, environ, n)
        profiler.disable()
        events.clear()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return 0


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


if __name__ == "__main__":
    raise SystemExit(main())
