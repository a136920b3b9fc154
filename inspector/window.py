"""The main window: composer + response + history on the left, inspector tabs on the right.

Data flow: engine threads → ``EventBridge`` (one deque, drained ~30 times a second on the GUI
thread) → ``ingest(batch)`` → every model and tab, once per batch. Requests the composer sends
go out on worker threads (``HttpSender``) and come back as exchange dicts, which are matched to
the engine's request ids by method and URL (the engine reports both when it pushes the request
context).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.events import Event

from .bridge import EventBridge
from .cookie_text import describe_cookie
from .engine_session import EngineSession, app_routes, app_secret_keys
from .errors import install_excepthook
from .exchanges import ExchangeMatcher
from .http_client import HttpSender, OutgoingRequest
from .models.cookiejar import CookieJarModel
from .models.describe import ThreadNames
from .models.history import HistoryModel
from .models.paused import PausedModel
from .models.requests import RequestsModel
from .models.sessions import SessionsModel
from .models.timeline import DEFAULT_CAP, TimelineModel
from .threads_state import ThreadsState
from .views.composer import ComposerView
from .views.history import HistoryView
from .views.response import ResponseView
from .views.session import SessionView
from .views.stepmode import StepModeView
from .views.threads import ThreadsView
from .views.throttle import PaintThrottle
from .views.timeline import TimelineView

__all__ = ["MainWindow", "app_icon"]

ICON_PATH = os.path.join(os.path.dirname(__file__), "icons", "ctxscope.svg")
SNAPSHOT_INTERVAL_MS = 150  # how often the Local storage of every thread is re-read
_open_windows: list[MainWindow] = []  # capture windows live until closed


def app_icon() -> QIcon:
    return QIcon(ICON_PATH)


def _scrollable(tab: QWidget) -> QScrollArea:
    """``tab`` in a scroll area, so its minimum size never forces the window to grow."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(tab)
    return area


def _placeholder(text: str) -> QWidget:
    w = QWidget()
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("color:#6c757d")
    QVBoxLayout(w).addWidget(label)
    return w


class MainWindow(QMainWindow):
    """The ctxscope window, on a running engine or (``engine=None``) on a capture."""

    internalError = Signal(str)  # from the excepthook, possibly on another thread
    exchangeFinished = Signal(dict)  # after an exchange was recorded (tests, scenarios)

    def __init__(
        self,
        engine: EngineSession | None = None,
        *,
        cap: int = DEFAULT_CAP,
        persist: bool = True,
        title: str | None = None,
    ) -> None:
        super().__init__()
        self.engine = engine  # None: offline, showing a capture
        self._persist = persist  # read/write QSettings (tests and screenshots do not)
        self.names = ThreadNames()  # T1, T2 ... shared by every view
        self.bridge = EventBridge(self)  # the one way events reach the GUI thread
        self.timeline_model = TimelineModel(self.names, cap=cap, parent=self)
        self.requests_model = RequestsModel(self.names, cap=max(100, cap // 10), parent=self)
        self.sessions_model = SessionsModel(cap=max(100, cap // 10), parent=self)
        self.history_model = HistoryModel(parent=self)
        self.jar = CookieJarModel(self)
        self.paused_model = PausedModel(self.names, self)
        snapshot = engine.snapshot() if engine is not None else None
        self.threads_state = ThreadsState(snapshot, self)  # every thread's stacks
        self.sender = HttpSender(self)  # worker threads for the composer
        self.matcher = ExchangeMatcher(self.requests_model)  # exchanges -> engine requests
        self._batches: dict[int, int] = {}  # send-xN batch tag -> exchanges still out
        self._batch_seq = 0  # next batch tag
        self._last_single: dict[str, Any] | None = None  # the latest single Send, to follow
        self._secret_keys: list[str] = []  # the app's keys, for decoding cookies
        self._signed_cookie_sessions = True  # False for a custom session interface
        self._session_interface = ""  # its class name, for that message
        self._started = time.perf_counter()  # for the launch-time report

        self._build_ui()
        self._build_menus()
        self.setWindowIcon(app_icon())
        self.setWindowTitle(title or "ctxscope")
        self.resize(1400, 900)

        self.throttle = PaintThrottle(
            [
                # viewports: they paint their own background, so a repaint stays inside them
                self.timeline.events_view.viewport(),
                self.timeline.requests_view.viewport(),
                self.timeline.events_view.horizontalHeader().viewport(),
                self.timeline.requests_view.horizontalHeader().viewport(),
                self.session_view.table.viewport(),
                self.threads_view,
                self.ws_tab,
            ],
            parent=self,
        )
        self.bridge.eventsReady.connect(self.ingest)
        self.bridge.backlogDropped.connect(
            lambda n: self.show_message(f"window fell behind: {n} events dropped")
        )
        self.sender.finished.connect(self._exchange_done)
        self.internalError.connect(self.show_error, Qt.ConnectionType.QueuedConnection)
        self._remove_hook = install_excepthook(self.internalError.emit)
        self._snapshot_timer = QTimer(self)  # keeps the threads view honest
        self._snapshot_timer.setInterval(SNAPSHOT_INTERVAL_MS)
        self._snapshot_timer.timeout.connect(self._refresh_threads)
        self._status_timer = QTimer(self)  # event counters in the status bar
        self._status_timer.setInterval(500)
        self._status_timer.timeout.connect(self._update_status)
        self._status_timer.start()
        self.bridge.start()
        if engine is not None:
            self._attach(engine)
        else:
            self.server_label.setText("offline (no engine)")
        if persist:
            self._restore_settings()

    # --- construction --------------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.composer = ComposerView(self.jar)
        self.response = ResponseView(self._describe_cookie)
        self.history = HistoryView(self.history_model)
        self.left = QSplitter(Qt.Orientation.Vertical)  # composer / response / history
        self.left.addWidget(self.composer)
        self.left.addWidget(self.response)
        self.left.addWidget(self.history)
        self.left.setSizes([250, 420, 210])

        self.timeline = TimelineView(self.requests_model, self.timeline_model)
        self.threads_view = ThreadsView(self.threads_state, self.names)
        self.session_view = SessionView(self.sessions_model, self._describe_cookie)
        self.stepmode = StepModeView(self.threads_state, self.names, self.paused_model)
        self.cookie_tab = self._make_cookie_tab()
        self.ws_tab = self._make_ws_tab()
        self.tabs = QTabWidget()  # the inspector tabs
        self.tabs.addTab(self.timeline, "Timeline")
        self.tabs.addTab(self.threads_view, "Threads && locals")
        self.tabs.addTab(self.session_view, "Session")
        self.tabs.addTab(_scrollable(self.cookie_tab), "Cookies")
        self.tabs.addTab(_scrollable(self.ws_tab), "WebSocket")
        self.tabs.addTab(self.stepmode, "Step mode")

        self.splitter = QSplitter(Qt.Orientation.Horizontal)  # left pane | tabs
        self.splitter.addWidget(self.left)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([520, 880])
        self.setCentralWidget(self.splitter)

        self.server_label = QLabel()  # where the engine listens
        self.events_label = QLabel()  # event counters
        self.events_label.setMinimumWidth(260)  # a changing count must not relayout the bar
        self.events_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.statusBar().addPermanentWidget(self.events_label)
        self.statusBar().addPermanentWidget(self.server_label)

        self.response.openInWorkbench.connect(self._open_in_workbench)
        self.composer.sendRequested.connect(self.send)
        self.composer.problem.connect(self.show_message)
        self.history.resend.connect(self.resend)
        self.history.edit.connect(self.composer.load_exchange)
        self.history.selected.connect(self._history_selected)
        self.timeline.requestSelected.connect(self._request_selected)
        self.stepmode.message.connect(self.show_message)

    def _make_cookie_tab(self) -> QWidget:
        try:
            from .tabs.cookies import CookieWorkbenchTab
        except ImportError as exc:
            return _placeholder(f"Cookie workbench unavailable: {exc}")
        tab = CookieWorkbenchTab()
        tab.useInComposer.connect(self._use_cookie_in_composer)
        return tab

    def _make_ws_tab(self) -> QWidget:
        try:
            from .tabs.websocket import WebSocketTab
        except ImportError as exc:
            return _placeholder(f"WebSocket tab unavailable: {exc}")
        tab = WebSocketTab()
        tab.requestContextSelected.connect(self.select_request)
        return tab

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open capture…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self._open_capture_dialog)
        self.save_action = QAction("&Save capture…", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self._save_capture_dialog)
        self.har_action = QAction("Export &HAR…", self)
        self.har_action.triggered.connect(self._export_har_dialog)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for a in (self.open_action, self.save_action, self.har_action):
            file_menu.addAction(a)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        clear = QAction("&Clear events", self)
        clear.setShortcut("Ctrl+L")
        clear.triggered.connect(self.clear_events)
        view_menu.addAction(clear)
        for i in range(6):
            act = QAction(self.tabs.tabText(i).replace("&&", "&"), self)
            act.setShortcut(f"Alt+{i + 1}")
            act.triggered.connect(lambda _=False, i=i: self.tabs.setCurrentIndex(i))
            view_menu.addAction(act)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About ctxscope", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _attach(self, engine: EngineSession) -> None:
        app = engine.app
        self.bridge.attach(app)
        self.composer.set_online(engine.url)
        http_rules, ws_rules = app_routes(app)
        self.composer.set_routes(http_rules)
        self._secret_keys = app_secret_keys(app)
        self._signed_cookie_sessions = getattr(app, "signed_cookie_sessions", True)
        self._session_interface = type(getattr(app, "session_interface", None)).__name__
        if getattr(app, "locals_reconstructed", False):
            self.threads_view.set_notice(
                "Reconstructed from events: Flask keeps its contexts in ContextVars, which "
                "cannot be listed from outside a thread, so this view is rebuilt from what "
                "each request's own thread reported."
            )
        if hasattr(self.cookie_tab, "set_secret_keys"):
            self.cookie_tab.set_secret_keys(list(self._secret_keys))
        if hasattr(self.ws_tab, "set_target"):
            self.ws_tab.set_target(engine.url, ws_rules)
            self.ws_tab.set_cookie_source(self.jar.header)
        self.stepmode.attach(engine.breakpoints)
        self._snapshot_timer.start()
        name = getattr(app, "name", None) or getattr(app, "import_name", "app")
        self.server_label.setText(f"serving {name} on {engine.url}")
        self.setWindowTitle(f"ctxscope — {name} on {engine.url}")

    # --- events ---------------------------------------------------------------------------------

    def ingest(self, events: list[Event]) -> None:
        """One batch from the bridge, to every consumer; one failing never starves the rest."""
        consumers: tuple[Callable[[list[Event]], Any], ...] = (
            self.timeline_model.ingest,
            self.requests_model.ingest,
            self.sessions_model.ingest,
            self.threads_state.ingest,
            self.stepmode.ingest,
        )
        if hasattr(self.ws_tab, "ingest"):
            consumers = (*consumers, self.ws_tab.ingest)
        for consume in consumers:
            try:
                consume(events)
            except Exception as exc:
                self.show_error(
                    f"internal error in {getattr(consume, '__qualname__', consume)}: "
                    f"{type(exc).__name__}: {exc}"
                )
        if self.matcher.waiting:
            self._match_exchanges()
        self.throttle.poke()

    def load_events(self, events: list[Event]) -> None:
        """Replay recorded events (a capture) through the same bridge, in budgeted batches."""
        self.bridge.push_many(list(events))
        while self.bridge.pending():
            self.bridge.flush(everything=True)

    def _refresh_threads(self) -> None:
        try:
            self.threads_state.refresh()
        except Exception as exc:
            self.show_error(f"snapshot failed: {type(exc).__name__}: {exc}")

    def clear_events(self) -> None:
        self.bridge.flush(everything=True)
        self.timeline_model.clear()
        self.requests_model.clear()
        self.sessions_model.clear()
        self.matcher.clear()
        if hasattr(self.ws_tab, "clear"):
            self.ws_tab.clear()
        self.show_message("events cleared")

    # --- sending --------------------------------------------------------------------------------

    def send(self, req: OutgoingRequest, copies: int = 1) -> None:
        """Send ``req`` (``copies`` at once, each on its own connection and worker)."""
        if self.engine is None:
            self.show_message("offline: open ctxscope on an app to send requests")
            return
        self._batch_seq += 1
        tag = self._batch_seq
        self._batches[tag] = copies
        for _ in range(copies):
            self.sender.submit(req, tag)
        what = f"{req.method} {urlsplit(req.url).path}"
        self.show_message(f"sent {what}" + (f" \u00d7{copies} at once" if copies > 1 else ""))

    def resend(self, exchange: dict[str, Any]) -> None:
        if self.engine is None:
            self.show_message("offline: nothing to send to")
            return
        parts = urlsplit(exchange.get("url", "/"))
        url = self.engine.url + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [list(h) for h in exchange.get("request_headers") or []]
        cookie = self.jar.header()
        if cookie:  # the jar's current cookies, not the ones the old request carried
            headers = [h for h in headers if h[0].lower() != "cookie"] + [["Cookie", cookie]]
        self.send(
            OutgoingRequest(
                method=exchange.get("method", "GET"),
                url=url,
                headers=headers,
                body=exchange.get("request_body") or b"",
            )
        )

    def _exchange_done(self, exchange: dict[str, Any], tag: Any) -> None:
        left = self._batches.get(tag, 1) - 1
        total = left
        if left <= 0:
            self._batches.pop(tag, None)
        else:
            self._batches[tag] = left
        if self.composer.follows_set_cookie():
            set_cookies = [
                v for k, v in exchange.get("response_headers", []) if k.lower() == "set-cookie"
            ]
            self.jar.apply_set_cookie(set_cookies)
        self.history_model.add([exchange])
        if total <= 0:
            self.response.show_exchange(exchange)
            self._last_single = exchange
        if exchange.get("request_id") is None and exchange.get("status") is not None:
            self.matcher.add(exchange)
            self.bridge.flush()  # the request's events are usually queued already
            self._match_exchanges()
        elif exchange.get("request_id") is not None:
            self.matcher.claim(exchange["request_id"])
            self._followed(exchange)
        if exchange.get("error"):
            self.show_message(f"{exchange['method']} {exchange['url']}: {exchange['error']}")
        self.exchangeFinished.emit(exchange)

    def _match_exchanges(self) -> None:
        matched = self.matcher.match()
        for exchange in matched:
            self._followed(exchange)
        if matched and self.history_model.rowCount():
            self.history_model.dataChanged.emit(
                self.history_model.index(0, 6),
                self.history_model.index(self.history_model.rowCount() - 1, 6),
            )

    def _followed(self, exchange: dict[str, Any]) -> None:
        if exchange is self.response.exchange():
            self.response.show_exchange(exchange)
        if exchange is self._last_single and self.timeline.follow.isChecked():
            self.select_request(exchange["request_id"], switch=False)

    # --- selection between panes ----------------------------------------------------------------

    def select_request(self, request_id: int, switch: bool = True) -> None:
        """Show ``request_id`` in the timeline (and its session)."""
        if self.timeline.select_request(request_id) and switch:
            self.tabs.setCurrentWidget(self.timeline)
        self.session_view.select_request(request_id)

    def _request_selected(self, request_id: int) -> None:
        self.session_view.select_request(request_id)

    def _history_selected(self, exchange: dict[str, Any]) -> None:
        self.response.show_exchange(exchange)
        if exchange.get("request_id") is not None:
            self.timeline.select_request(exchange["request_id"])

    def _describe_cookie(self, text: str) -> str:
        if not self._signed_cookie_sessions:
            # A custom session interface (server-side sessions...): its cookie is not a
            # Flask signed cookie, and decoding it as one would only mislead.
            return f"(session interface {self._session_interface}: not a signed cookie)"
        return describe_cookie(text, self._secret_keys)

    def _open_in_workbench(self, text: str) -> None:
        if hasattr(self.cookie_tab, "set_cookie_text"):
            self.cookie_tab.set_cookie_text(text)
            self.tabs.setCurrentIndex(3)

    def _use_cookie_in_composer(self, value: str) -> None:
        self.jar.set("session", value)
        self.composer.tabs.setCurrentIndex(3)
        self.show_message("session cookie put in the composer's jar")

    # --- captures -------------------------------------------------------------------------------

    def capture_events(self) -> list[Event]:
        self.bridge.flush(everything=True)
        return self.timeline_model.events()

    def save_capture(self, path: str) -> None:
        from .capture import save_capture

        save_capture(
            path,
            self.capture_events(),
            self.history_model.exchanges(),
            **({"clock_offset_ns": self._clock_offset} if self._clock_offset else {}),
        )

    def export_har(self, path: str) -> None:
        from .capture import export_har

        export_har(
            path,
            self.capture_events(),
            self.history_model.exchanges(),
            **({"clock_offset_ns": self._clock_offset} if self._clock_offset else {}),
        )

    _clock_offset: int | None = None  # set on capture windows: the recording's clock

    @classmethod
    def from_capture(cls, path: str, *, persist: bool = False) -> MainWindow:
        """An offline window showing a capture file (CaptureError when it cannot be read)."""
        from .capture import load_capture

        capture = load_capture(path)
        win = cls(None, persist=persist, title=f"ctxscope — {os.path.basename(path)} (capture)")
        win._clock_offset = capture.clock_offset_ns
        win.load_events(capture.events)
        win.history_model.add([dict(ex) for ex in capture.exchanges])
        win.server_label.setText(f"capture {os.path.basename(path)} (offline)")
        return win

    def open_capture(self, path: str) -> MainWindow | None:
        """Open ``path`` in a new window; None (and a message) when it cannot be read."""
        from .capture import CaptureError

        try:
            win = MainWindow.from_capture(path)
        except (CaptureError, OSError) as exc:
            self.show_error(str(exc))
            return None
        _open_windows.append(win)
        win.destroyed.connect(
            lambda *_: _open_windows.remove(win) if win in _open_windows else None
        )
        win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        win.show()
        return win

    def _dialog_dir(self) -> str:
        return (
            str(QSettings().value("paths/captures", os.getcwd())) if self._persist else os.getcwd()
        )

    def _remember_dir(self, path: str) -> None:
        if self._persist:
            QSettings().setValue("paths/captures", os.path.dirname(path))

    def _open_capture_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open capture",
            self._dialog_dir(),
            "ctxscope captures (*.json *.json.gz);;All files (*)",
        )
        if path:
            self._remember_dir(path)
            self.open_capture(path)

    def _save_capture_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save capture",
            os.path.join(self._dialog_dir(), "capture.ctxscope.json"),
            "ctxscope captures (*.json *.json.gz)",
        )
        if not path:
            return
        self._remember_dir(path)
        from .capture import CaptureError

        try:
            self.save_capture(path)
        except (CaptureError, OSError) as exc:
            self.show_error(str(exc))
            return
        self.show_message(f"capture saved: {path}")

    def _export_har_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export HAR", os.path.join(self._dialog_dir(), "ctxscope.har"), "HAR (*.har)"
        )
        if not path:
            return
        self._remember_dir(path)
        from .capture import CaptureError

        try:
            self.export_har(path)
        except (CaptureError, OSError) as exc:
            self.show_error(str(exc))
            return
        self.show_message(f"HAR exported: {path}")

    # --- status, settings, closing --------------------------------------------------------------

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def show_error(self, text: str) -> None:
        self.statusBar().setStyleSheet("QStatusBar { color: #b02a37; }")
        self.statusBar().showMessage(text, 15000)
        QTimer.singleShot(15000, lambda: self.statusBar().setStyleSheet(""))

    def _update_status(self) -> None:
        pending = self.bridge.pending()
        text = f"{self.bridge.delivered} events · {self.timeline_model.total()} kept"
        if pending:
            text += f" · {pending} queued"
        self.events_label.setText(text)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About ctxscope",
            "<b>ctxscope</b><br>A request-lifecycle inspector for Flask-style apps:"
            " context stacks, hooks, sessions, cookies and WebSocket frames, live.",
        )

    def _splitters(self) -> dict[str, QSplitter]:
        return {
            "main": self.splitter,
            "left": self.left,
            "timeline": self.timeline.splitter,
            "session": self.session_view.splitter,
            "stepmode": self.stepmode.splitter,
            "stepmode_lower": self.stepmode.lower_splitter,
        }

    def _restore_settings(self) -> None:
        s = QSettings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        for name, splitter in self._splitters().items():
            value = s.value(f"splitters/{name}")
            if isinstance(value, QByteArray):
                splitter.restoreState(value)
        tab = s.value("window/tab")
        if tab is not None:
            try:
                self.tabs.setCurrentIndex(int(tab))
            except (TypeError, ValueError):
                pass
        method, path = s.value("composer/method"), s.value("composer/path")
        if isinstance(method, str) and method:
            self.composer.method.setCurrentText(method)
        if isinstance(path, str) and path:
            self.composer.path.setText(path)

    def _save_settings(self) -> None:
        s = QSettings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/tab", self.tabs.currentIndex())
        for name, splitter in self._splitters().items():
            s.setValue(f"splitters/{name}", splitter.saveState())
        s.setValue("composer/method", self.composer.method.currentText())
        s.setValue("composer/path", self.composer.path.text())

    def shutdown(self) -> None:
        """Stop the server (releasing held requests first) and every timer; idempotent."""
        self._snapshot_timer.stop()
        self._status_timer.stop()
        self.stepmode.attach(None)
        self.bridge.stop()
        self.bridge.detach()
        if hasattr(self.ws_tab, "shutdown"):
            self.ws_tab.shutdown()
        if hasattr(self.cookie_tab, "shutdown"):
            self.cookie_tab.shutdown()  # cancels a running secret-key audit
        if self.engine is not None:
            self.engine.stop()
        self.sender.wait(3000)
        self._remove_hook()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._persist:
            try:
                self._save_settings()
            except Exception as exc:  # settings must never keep the window open
                self.show_error(f"could not save settings: {exc}")
        self.shutdown()
        super().closeEvent(event)
