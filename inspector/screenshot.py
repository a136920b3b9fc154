"""``ctxscope --screenshot DIR [--scenario NAME]``: drive the real window through a scripted
scenario against the real engine, save one PNG per tab, exit.

The README's images come from here, so they always show what the current code really draws.
Waits poll the window's own state while the Qt event loop keeps running (``QTest.qWait``), so
the bridge, the timers and the worker threads all run as they do for a user.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

__all__ = ["SCENARIOS", "ScenarioError", "run_scenario"]


class ScenarioError(Exception):
    """A step of the scenario did not happen in time."""


class Director:
    """Small vocabulary for scripting the window."""

    def __init__(self, window: Any, out_dir: str) -> None:
        self.w = window  # the MainWindow being driven
        self.out_dir = out_dir  # where PNGs go
        self.saved: list[str] = []  # files written, in order

    def wait(self, cond: Callable[[], Any], what: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if cond():
                    return
            except (IndexError, KeyError, AttributeError):
                pass
            if time.monotonic() > deadline:
                raise ScenarioError(f"timed out waiting for {what}")
            QTest.qWait(20)

    def settle(self, ms: int = 250) -> None:
        QTest.qWait(ms)

    def send(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] = (),  # type: ignore[assignment]
        form: list[tuple[str, str]] = (),  # type: ignore[assignment]
        copies: int = 1,
    ) -> list[dict[str, Any]]:
        """Fill the composer and click Send (or Send xN); returns the exchanges when done."""
        c = self.w.composer
        c.method.setCurrentText(method)
        c.path.setText(path)
        c.query.set_pairs(list(query))
        if form:
            c.body_kind.setCurrentIndex(1)
            c.form.set_pairs(list(form))
        else:
            c.body_kind.setCurrentIndex(0)
        got: list[dict[str, Any]] = []
        self.w.exchangeFinished.connect(got.append)
        if copies > 1:
            c.copies.setValue(copies)
            c.send_many_button.click()
        else:
            c.send_button.click()
        self._pending = got  # read by wait_sent
        return got

    def wait_sent(self, got: list[dict[str, Any]], n: int = 1, timeout: float = 20.0) -> None:
        self.wait(lambda: len(got) >= n, f"{n} response(s)", timeout)
        self.wait(
            lambda: all(ex.get("request_id") is not None for ex in got[:n]),
            "the engine's request ids",
            5.0,
        )
        try:
            self.w.exchangeFinished.disconnect(got.append)
        except (RuntimeError, TypeError):
            pass

    def tab_index(self, tab: QWidget) -> int:
        tabs = self.w.tabs
        for i in range(tabs.count()):
            page = tabs.widget(i)
            if page is tab or page.isAncestorOf(tab):
                return i
        raise ScenarioError(f"{type(tab).__name__} is not a tab")

    def shot(self, tab: QWidget | None, name: str) -> str:
        if tab is not None:
            self.w.tabs.setCurrentIndex(self.tab_index(tab))
        self.w.resize(1400, 900)
        self.settle(120)
        self.w.throttle.release()
        QCoreApplication.processEvents()
        path = os.path.join(self.out_dir, name)
        if not self.w.grab().save(path):
            raise ScenarioError(f"could not write {path}")
        self.saved.append(path)
        return path


def tour(d: Director) -> None:
    """Login, five slow requests at once, a WebSocket exchange, a decoded cookie, and a
    request held mid-lifecycle."""
    w = d.w
    if w.engine is None:
        raise ScenarioError("the tour needs a running engine")

    # 1. a short-circuit (not logged in yet: before_request answers 401) and a crashing view
    admin = d.send("GET", "/admin/")
    d.wait_sent(admin)
    boom = d.send("GET", "/boom")
    d.wait_sent(boom)

    # 2. log in: the session cookie lands in the jar
    login = d.send("POST", "/login", form=[("name", "ada")])
    d.wait_sent(login)
    d.wait(lambda: w.jar.get("session"), "the session cookie in the jar")
    counter = d.send("GET", "/counter")
    d.wait_sent(counter)
    login_id = login[0]["request_id"]

    # 3. five slow requests at once: five threads side by side
    w.tabs.setCurrentWidget(w.threads_view)  # a hidden strip does not redraw
    slow = d.send("GET", "/slow", query=[("ms", "2500")], copies=5)
    d.wait(lambda: len(w.threads_view.cards()) >= 5, "five threads with contexts", 10)
    d.settle(900)  # let the "just pushed" glow fade
    d.shot(w.threads_view, "threads.png")
    d.wait_sent(slow, 5, timeout=20)
    d.wait(lambda: not w.threads_view.cards(), "every context released", 10)

    # 4. a WebSocket exchange through the tab's own client, seen from the engine's side
    tab = w.ws_tab
    if hasattr(tab, "client_bar"):  # not the placeholder of a tab that failed to import
        bar = tab.client_bar
        w.tabs.setCurrentIndex(d.tab_index(tab))
        bar.route_box.setCurrentText("/ws/echo")
        bar.connect_btn.click()
        d.wait(lambda: bar.send_btn.isEnabled(), "the WebSocket to open")
        for text in ("hello ctxscope", "frames are masked client to server"):
            bar.payload_edit.setText(text)
            bar.send_btn.click()
        d.wait(
            lambda: sum(1 for e in tab.frames_shown() if e.kind == "ws_frame") >= 5,
            "the WebSocket frames",
        )
        frames = tab.frames_model
        row = next(
            (
                r
                for r in range(frames.rowCount())
                if "hello ctxscope" in str(frames.index(r, frames.columnCount() - 1).data())
                and "in" in str(frames.index(r, 1).data())
            ),
            1,
        )
        tab.select_frame(row)
        d.shot(tab, "websocket.png")
        bar.close_btn.click()
        d.wait(
            lambda: any(e.kind == "ws_closed" for e in w.timeline_model.events()), "the close", 10
        )

    # 5. the login response, its timeline and its session
    w.select_request(login_id)
    d.settle(100)
    w.timeline.requests_view.scrollToTop()  # the short-circuit and the error stay in view
    w.timeline.events_view.scrollToTop()
    model = w.timeline_model
    row = next((r for r in range(model.rowCount()) if model.event_at(r).kind == "session_saved"), 0)
    w.timeline.events_view.selectRow(row)
    w.timeline.follow.setChecked(False)
    w.history.table.selectRow(2)
    d.shot(w.timeline, "timeline.png")
    w.session_view.select_request(login_id)
    d.shot(w.session_view, "session.png")

    # 6. the session cookie decoded and verified in the workbench
    if hasattr(w.cookie_tab, "set_cookie_text"):
        w.cookie_tab.set_cookie_text(f"session={w.jar.get('session')}")
        d.settle(300)
        d.shot(w.cookie_tab, "cookies.png")

    # 7. a request held mid-lifecycle, stepped once
    w.stepmode.set_kinds(["before_request"])
    held = d.send("GET", "/counter")
    d.wait(lambda: w.paused_model.rowCount() == 1, "the request to pause")
    first = w.paused_model.step(0).event.seq
    w.stepmode.step_selected()
    d.wait(
        lambda: w.paused_model.rowCount() == 1 and w.paused_model.step(0).event.seq != first,
        "one step",
    )
    d.settle(400)
    d.shot(w.stepmode, "stepmode.png")
    w.stepmode.set_kinds([])
    w.stepmode.resume_all()
    d.wait_sent(held)


def flask_app(d: Director) -> None:
    """A real Flask app attached: a login, then a request through two nested blueprints,
    its timeline with the view selected. Run it from ``tests/fixtures_flask`` with
    ``--app ctxfx_factory``."""
    w = d.w
    if w.engine is None:
        raise ScenarioError("the flask scenario needs a running engine")
    login = d.send("GET", "/login/ada")
    d.wait_sent(login)
    item = d.send("GET", "/parent/child/en/item/3")
    d.wait_sent(item)
    rid = item[0]["request_id"]
    d.wait(
        lambda: any(
            e.kind == "app_ctx_popped" and e.request_id == rid for e in w.timeline_model.events()
        ),
        "the request's last event",
    )
    w.select_request(rid)
    d.settle(100)
    w.timeline.follow.setChecked(False)
    model = w.timeline_model
    row = next((r for r in range(model.rowCount()) if model.event_at(r).kind == "view"), 0)
    w.timeline.events_view.selectRow(row)
    w.history.table.selectRow(1)
    d.shot(w.timeline, "flask-app.png")


SCENARIOS: dict[str, Callable[[Director], None]] = {"tour": tour, "flask": flask_app}


def run_scenario(window: Any, out_dir: str, name: str = "tour") -> int:
    """Run scenario ``name`` on ``window`` and write its PNGs into ``out_dir``; exit status."""
    import sys

    os.makedirs(out_dir, exist_ok=True)
    d = Director(window, out_dir)
    QTest.qWaitForWindowExposed(window, 5000)
    try:
        SCENARIOS[name](d)
    except ScenarioError as exc:
        print(f"ctxscope: screenshot scenario {name!r} failed: {exc}", file=sys.stderr)
        return 1
    for path in d.saved:
        print(path)
    return 0
