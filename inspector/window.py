"""The main window: composer + response + history on the left, inspector tabs on the right.

Data flow: engine threads → ``EventBridge`` (one deque, drained ~30 times a second on the GUI
thread) → ``ingest(batch)`` → every model and tab, once per batch. Requests the composer sends
go out on worker threads and come back as exchange dicts, which are matched to the engine's
request ids (``window_traffic``). The File menu's dialogs are in ``window_files``, the settings
kept between runs in ``window_settings``, the menus in ``window_menus`` and the optional tabs
in ``window_tabs``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QTabWidget

from engine.events import Event

from .bridge import EventBridge
from .cookie_text import describe_cookie
from .engine_session import EngineSession, app_routes, app_secret_keys
from .errors import install_excepthook
from .http_client import OutgoingRequest
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
from .window_files import CaptureFiles
from .window_menus import build_menus
from .window_settings import restore_settings, save_settings
from .window_tabs import make_cookie_tab, make_ws_tab, scrollable
from .window_traffic import RequestTraffic

__all__ = ["MainWindow", "app_icon"]

ICON_PATH = os.path.join(os.path.dirname(__file__), "icons", "ctxscope.svg")
SNAPSHOT_INTERVAL_MS = 150  # how often the Local storage of every thread is re-read


def app_icon() -> QIcon:
    return QIcon(ICON_PATH)


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
        self.traffic = RequestTraffic(self)  # composer requests out, exchanges back and matched
        self.files = CaptureFiles(self, persist)  # the File menu's dialogs
        self._secret_keys: list[str] = []  # the app's keys, for decoding cookies
        self._signed_cookie_sessions = True  # False for a custom session interface
        self._session_interface = ""  # its class name, for that message
        self._started = time.perf_counter()  # for the launch-time report

        self._build_ui()
        # File > Open capture…, Save capture…, Export HAR… (tests trigger them)
        self.open_action, self.save_action, self.har_action = build_menus(self)
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
            restore_settings(self)

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
        self.cookie_tab = make_cookie_tab(self._use_cookie_in_composer)  # or a placeholder
        self.ws_tab = make_ws_tab(self.select_request)  # or a placeholder
        self.tabs = QTabWidget()  # the inspector tabs
        self.tabs.addTab(self.timeline, "Timeline")
        self.tabs.addTab(self.threads_view, "Threads && locals")
        self.tabs.addTab(self.session_view, "Session")
        self.tabs.addTab(scrollable(self.cookie_tab), "Cookies")
        self.tabs.addTab(scrollable(self.ws_tab), "WebSocket")
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
        self.traffic.match_waiting()
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
        self.traffic.clear()
        if hasattr(self.ws_tab, "clear"):
            self.ws_tab.clear()
        self.show_message("events cleared")

    # --- sending (``window_traffic``) ---------------------------------------------------------

    def send(self, req: OutgoingRequest, copies: int = 1) -> None:
        """Send ``req`` (``copies`` at once, each on its own connection and worker)."""
        self.traffic.send(req, copies)

    def resend(self, exchange: dict[str, Any]) -> None:
        self.traffic.resend(exchange)

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

    # --- captures (``window_files``) -----------------------------------------------------------

    def capture_events(self) -> list[Event]:
        self.bridge.flush(everything=True)
        return self.timeline_model.events()

    def save_capture(self, path: str) -> None:
        self.files.save(path)

    def export_har(self, path: str) -> None:
        self.files.export_har(path)

    @classmethod
    def from_capture(cls, path: str, *, persist: bool = False) -> MainWindow:
        """An offline window showing a capture file (CaptureError when it cannot be read)."""
        from .capture import load_capture

        capture = load_capture(path)
        win = cls(None, persist=persist, title=f"ctxscope — {os.path.basename(path)} (capture)")
        win.files.clock_offset_ns = capture.clock_offset_ns
        win.load_events(capture.events)
        win.history_model.add([dict(ex) for ex in capture.exchanges])
        win.server_label.setText(f"capture {os.path.basename(path)} (offline)")
        return win

    def open_capture(self, path: str) -> MainWindow | None:
        """Open ``path`` in a new window; None (and a message) when it cannot be read."""
        return self.files.open_window(path)

    # --- status, settings, closing --------------------------------------------------------------

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def show_error(self, text: str) -> None:
        self.statusBar().setStyleSheet("QStatusBar { color: #b02a37; }")
        self.statusBar().showMessage(text, 15000)
        # the window as the timer's context: closing it within 15 s cancels the timer, which
        # would otherwise reach a deleted status bar (a RuntimeError in the event loop)
        QTimer.singleShot(15000, self, lambda: self.statusBar().setStyleSheet(""))

    def _update_status(self) -> None:
        pending = self.bridge.pending()
        text = f"{self.bridge.delivered} events · {self.timeline_model.total()} kept"
        if pending:
            text += f" · {pending} queued"
        self.events_label.setText(text)

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
        self.traffic.wait(3000)
        self._remove_hook()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._persist:
            try:
                save_settings(self)
            except Exception as exc:  # settings must never keep the window open
                self.show_error(f"could not save settings: {exc}")
        self.shutdown()
        super().closeEvent(event)
