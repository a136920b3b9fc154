"""Runs ``engine.cookies.Cracker`` off the GUI thread and reports to the GUI by polling.

The cracker's progress callback runs on its own thread; it only stores the latest figures. A
QTimer on the GUI thread reads them every 100 ms and emits Qt signals, so the GUI never waits
on a lock held for long and never receives a flood of cross-thread events.
"""

from __future__ import annotations

import os
import stat
import threading
import time

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from engine.cookies.crack import Cracker, CrackResult
from engine.cookies.decode import DecodedCookie
from engine.cookies.errors import CookieError
from engine.cookies.signing import SigningSettings

__all__ = ["AuditRunner"]

_POOL_THRESHOLD = 2 * 1024 * 1024  # bytes of wordlist below which process start-up isn't worth it


def _count_lines(path: str, cancel: threading.Event) -> int:
    """Lines of a regular file (a last line without newline counts); -1 if not knowable."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return -1  # a pipe or device: reading it to count would consume it
        count = 0
        last = b"\n"
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                if cancel.is_set():
                    return -1
                count += chunk.count(b"\n")
                last = chunk[-1:]
        return count + (last != b"\n")
    except OSError:
        return -1


class AuditRunner(QObject):
    """One audit at a time; ``start`` returns an error line instead of raising."""

    progressed = Signal(int, int, float)  # tried, total (-1 unknown), candidates per second
    finished = Signal(str, str, str)  # outcome ("found", "exhausted", "cancelled", "error"),
    # the key found (repr-safe text), a one-line message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()  # guards the fields the worker thread writes
        self._thread: threading.Thread | None = None  # the audit's thread
        self._cracker: Cracker | None = None  # the running cracker, for cancel()
        self._cancel = threading.Event()  # set by cancel(); stops the line count early
        self._tried = 0  # latest progress figures, written by the worker
        self._rate = 0.0  # candidates per second, as last reported
        self._total = -1  # lines in the wordlist, -1 while unknown
        self._outcome: tuple[str, str, str] | None = None  # set once by the worker when done
        self._poll = QTimer(self)  # GUI-thread poll of the fields above
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._tick)
        self.workers: int | None = None  # None: the library's default (one per CPU)
        app = QCoreApplication.instance()
        if app is not None:  # stop the worker processes when the application quits
            app.aboutToQuit.connect(self.cancel)

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, decoded: DecodedCookie, path: str, settings: SigningSettings) -> str | None:
        if self.is_running():
            return "an audit is already running"
        try:
            st = os.stat(path)
        except OSError as exc:
            return f"cannot open wordlist: {exc.strerror}: {path}"
        if stat.S_ISDIR(st.st_mode):
            return f"the wordlist is a directory: {path}"
        workers = self.workers
        if workers is None and stat.S_ISREG(st.st_mode) and st.st_size < _POOL_THRESHOLD:
            workers = 1
        try:
            cracker = Cracker(decoded, settings=settings, workers=workers)
        except CookieError as exc:
            return str(exc)
        self._cancel = threading.Event()
        with self._lock:
            self._tried, self._rate, self._total, self._outcome = 0, 0.0, -1, None
        self._cracker = cracker
        self._thread = threading.Thread(
            target=self._run, args=(cracker, path), name="ctxscope-audit", daemon=True
        )
        self._thread.start()
        self._poll.start()
        return None

    def cancel(self) -> None:
        """Stop the audit soon; safe to call when none runs."""
        self._cancel.set()  # stops the line count
        if self._cracker is not None:
            self._cracker.cancel()  # the library checks it between blocks

    def wait(self, timeout: float | None = None) -> bool:
        """Join the audit thread (tests and shutdown); True when it has ended."""
        t = self._thread
        if t is not None:
            t.join(timeout)
            return not t.is_alive()
        return True

    # --- worker thread ------------------------------------------------------------------------

    def _progress(self, tried: int, rate: float) -> None:
        with self._lock:
            self._tried, self._rate = tried, rate

    def _run(self, cracker: Cracker, path: str) -> None:
        started = time.perf_counter()
        total = _count_lines(path, self._cancel)
        with self._lock:
            self._total = total
        if self._cancel.is_set():
            cracker.cancel()  # cancelled while counting: run() then stops at once
        try:
            result: CrackResult = cracker.run(path, self._progress)
        except CookieError as exc:
            outcome = ("error", "", str(exc))
        except Exception as exc:  # one line in the window, never a traceback
            outcome = ("error", "", f"audit failed: {type(exc).__name__}: {exc}")
        else:
            elapsed = time.perf_counter() - started
            figures = f"{result.tried:,} keys in {elapsed:.2f} s ({result.rate:,.0f}/s)"
            if result.key is not None:
                text = result.key_text if result.key_text is not None else repr(result.key)
                outcome = ("found", text, f"after {figures}")
            elif result.cancelled:
                outcome = ("cancelled", "", f"stopped after {figures}")
            else:
                outcome = ("exhausted", "", f"none of {figures} matched")
            with self._lock:
                self._tried, self._rate = result.tried, result.rate
        with self._lock:
            self._outcome = outcome

    # --- GUI thread ---------------------------------------------------------------------------

    def _tick(self) -> None:
        with self._lock:
            tried, rate, total, outcome = self._tried, self._rate, self._total, self._outcome
        self.progressed.emit(tried, total, rate)
        if outcome is not None:
            self._poll.stop()
            if self._thread is not None:
                self._thread.join(2.0)  # it set the outcome as its last step
            self._thread = None
            self._cracker = None
            self.finished.emit(*outcome)
