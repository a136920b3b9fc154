"""``ctxscope trace`` and ``ctxscope serve`` as a user runs them: real processes, real HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def ctxscope(
    *args: str, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "inspector", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or ROOT,
        env=env,
    )


def test_trace_prints_the_lifecycle_in_order() -> None:
    result = ctxscope("trace", "GET", "/login?name=ada")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("GET /login?name=ada -> 200 OK")
    kinds = [line.split()[4] for line in lines[1:] if " ms  A" in line]
    expected_order = [
        "app_ctx_pushed",
        "request_ctx_pushed",
        "session_opened",
        "url_matched",
        "request_started",
        "before_request",
        "view",
        "after_request",
        "session_saved",
        "request_finished",
        "teardown_request",
        "request_tearing_down",
        "request_ctx_popped",
        "teardown_appcontext",
        "appcontext_tearing_down",
        "app_ctx_popped",
    ]
    positions = [kinds.index(kind) for kind in expected_order]
    assert positions == sorted(positions)
    assert "Set-Cookie: session=" in result.stdout
    assert '{"logged_in":"ada"}' in result.stdout
    assert result.stderr == ""


def test_trace_json_lines_have_the_stable_fields() -> None:
    result = ctxscope("trace", "--json", "GET", "/boom")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    for event in events:
        assert list(event)[:8] == [
            "seq",
            "t_ns",
            "thread",
            "request_id",
            "kind",
            "name",
            "blueprint",
            "depth",
        ]
    kinds = [e["kind"] for e in events]
    assert kinds[-1] == "app_ctx_popped" and events[-1]["depth"] == {"app": 0, "request": 0}
    view = next(e for e in events if e["kind"] == "view")
    assert view["error"] == "ZeroDivisionError: division by zero"
    exc = next(e for e in events if e["kind"] == "exception")
    assert exc["handled"] is False and "ZeroDivisionError" in exc["traceback"]
    finished = next(e for e in events if e["kind"] == "request_finished")
    assert finished["status"] == 500
    teardown = next(e for e in events if e["kind"] == "teardown_request")
    assert teardown["error"] == "ZeroDivisionError: division by zero"
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert "Traceback" not in result.stderr


def test_trace_sends_headers_body_and_cookies() -> None:
    login = ctxscope("trace", "--json", "POST", "/login", "-d", "name=grace")
    saved = next(
        json.loads(line)
        for line in login.stdout.splitlines()
        if json.loads(line)["kind"] == "session_saved"
    )
    cookie = saved["set_cookie"].split(";")[0].split("=", 1)[1]
    whoami = ctxscope("trace", "GET", "/whoami", "-b", cookie)
    assert '{"user":"grace"}' in whoami.stdout
    echo = ctxscope(
        "trace",
        "POST",
        "/api/echo",
        "-H",
        "Content-Type: application/json",
        "-H",
        "X-Probe: 42",
        "-d",
        '{"a": [1, 2]}',
    )
    assert '"json":{"a":[1,2]}' in echo.stdout
    assert '"X-Probe":"42"' in echo.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("trace", "GET", "/", "-H", "no colon"), "bad header"),
        (("trace", "--app", "no_such_module_xyz", "GET", "/"), "could not import"),
        (("trace", "GET", "relative"), "must start with '/'"),
        (("serve", "--port", "70000"), "bad port"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    result = ctxscope(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_trace_loads_a_user_app_from_the_project_directory(tmp_path: Path) -> None:
    (tmp_path / "myproj.py").write_text(
        textwrap.dedent("""
        from engine import App

        def create_app(greeting="hi"):
            app = App(__name__)

            @app.route("/")
            def index():
                return greeting

            return app
    """)
    )
    result = ctxscope(
        "trace", "--app", "myproj:create_app('hello there')", "GET", "/", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "hello there" in result.stdout
    broken = ctxscope("trace", "--app", "myproj:nope", "GET", "/", cwd=tmp_path)
    assert broken.returncode == 2 and "has no attribute 'nope'" in broken.stderr


def _start_serve(*args: str) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("listening on http://127.0.0.1:"), first + proc.stderr.read()
    return proc, first.split()[-1]


def test_serve_streams_events_as_json_lines_and_stops_cleanly() -> None:
    proc, url = _start_serve()
    try:
        with urllib.request.urlopen(f"{url}/counter", timeout=10) as response:
            assert json.loads(response.read()) == {"count": 1}
        events = []
        assert proc.stdout is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            event = json.loads(proc.stdout.readline())
            events.append(event)
            if event["kind"] == "app_ctx_popped":
                break
        kinds = [e["kind"] for e in events]
        assert kinds[0] == "local_set" and "view" in kinds and kinds[-1] == "app_ctx_popped"
        assert len({e["request_id"] for e in events}) == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert proc.stderr is not None and "Traceback" not in proc.stderr.read()


def test_serve_refuses_a_busy_port_with_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = ctxscope("serve", "--port", str(port))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"ctxscope serve: error: port {port} on 127.0.0.1 is already in use"
    )


def test_serve_single_thread_queues_requests() -> None:
    proc, url = _start_serve("--single-thread")
    try:
        import concurrent.futures

        def fetch(_: int) -> float:
            with urllib.request.urlopen(f"{url}/slow?ms=300", timeout=20) as response:
                response.read()
            return time.monotonic()

        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            ends = sorted(pool.map(fetch, range(3)))
        # One at a time: the third finishes after about three sleeps, not one.
        assert ends[-1] - start >= 0.85
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _window_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def test_window_without_a_display_is_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "inspector"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_window_env(),
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("ctxscope: error: no display")
    assert len(result.stderr.strip().splitlines()) == 1


def test_window_with_a_bad_app_fails_before_qt_starts() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "inspector", "--app", "no_such_module_xyz"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_window_env(QT_QPA_PLATFORM="offscreen"),
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"ctxscope: error: could not import 'no_such_module_xyz' (looked in {ROOT} and sys.path)"
    )


def test_help_lists_window_options_and_commands() -> None:
    result = ctxscope("--help")
    assert result.returncode == 0
    for word in ("--app", "--screenshot", "--open", "trace", "serve", "decode", "sign", "crack"):
        assert word in result.stdout
