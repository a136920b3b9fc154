"""``ctxscope`` without a command: start the engine on 127.0.0.1 and open the window.

Options: ``--app MODULE:ATTR`` (default: the demo app), ``--port``, ``--open CAPTURE`` (a
recorded capture, offline, no engine), ``--screenshot DIR [--scenario NAME]`` (run a scripted
scenario, save a PNG per tab, exit), ``--exit-when-shown`` (print how long the window took to
appear and exit; the launch benchmark uses it).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence

__all__ = ["build_parser", "run"]

_T0 = time.perf_counter()  # when the window code started loading


def _since_start() -> float:
    """Seconds since this process started (Linux: from /proc), else since this module loaded."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rpartition(")")[2].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _T0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise SystemExit(_fail(f"{message} (see 'ctxscope --help')"))


def _fail(message: str) -> int:
    print(f"ctxscope: error: {message}", file=sys.stderr)
    return 2


def _no_display() -> str | None:
    """Why Qt could not open a window here, or None. Checked first: Qt's own failure is an
    abort with a screenful of plugin diagnostics."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display to open the window on (DISPLAY is not set); run it in a desktop session, "
        "under Xvfb, or with QT_QPA_PLATFORM=offscreen for --screenshot"
    )


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="ctxscope",
        description="Open the ctxscope window on an app (the demo app by default).",
        epilog="headless commands (see 'ctxscope COMMAND --help'):\n"
        "  trace    run one request in-process and print its lifecycle\n"
        "  serve    serve the app headless and stream its events as JSON Lines\n"
        "  decode   show what a session cookie holds; verify it with --secret\n"
        "  sign     make a session cookie Flask accepts\n"
        "  crack    audit a cookie's secret key against a wordlist",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--app", metavar="MODULE:ATTR", help="the app to serve (default: demo app)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    p.add_argument("--open", metavar="CAPTURE", help="open a capture file offline, no engine")
    p.add_argument("--cap", type=int, default=None, help="events kept in memory (default 100000)")
    p.add_argument("--screenshot", metavar="DIR", help="run a scenario, save a PNG per tab, exit")
    p.add_argument("--scenario", default="tour", help="scenario for --screenshot (default tour)")
    p.add_argument("--exit-when-shown", action="store_true", help=argparse.SUPPRESS)
    return p


def run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    if args.port < 0 or args.port > 65535:
        return _fail(f"--port must be 0..65535, not {args.port}")
    if args.cap is not None and args.cap < 10:
        return _fail("--cap must be at least 10")
    if args.screenshot:
        from .screenshot import SCENARIOS

        if args.scenario not in SCENARIOS:
            return _fail(f"unknown scenario {args.scenario!r} (known: {', '.join(SCENARIOS)})")
    if os.environ.get("CTXSCOPE_EXIT_WHEN_SHOWN"):
        args.exit_when_shown = True

    # A view that raises is an exception event in the window, with its traceback; the
    # terminal that launched the window stays quiet.
    logging.getLogger().addHandler(logging.NullHandler())
    if problem := _no_display():
        return _fail(problem)

    # The app is loaded and the port bound before Qt starts: a bad --app or a busy port is
    # one line on the terminal, not a window that opens and dies.
    engine: EngineSession | None = None
    if not args.open:
        from engine.loading import AppLoadError
        from engine.serving import ServerError

        from .engine_session import EngineSession

        try:
            engine = EngineSession.load(args.app, host=args.host, port=args.port)
        except (AppLoadError, ServerError) as exc:
            return _fail(str(exc))

    from PySide6.QtCore import QCoreApplication, QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from .models.timeline import DEFAULT_CAP
    from .window import MainWindow, app_icon

    QCoreApplication.setOrganizationName("ctxscope")
    QCoreApplication.setApplicationName("ctxscope")
    qapp = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "ctxscope"])
    qapp.setWindowIcon(app_icon())
    cap = args.cap or DEFAULT_CAP
    persist = not args.screenshot

    if engine is None:
        from .capture import CaptureError

        try:
            window = MainWindow.from_capture(args.open, persist=persist)
        except (CaptureError, OSError) as exc:
            return _fail(str(exc))
    else:
        engine.start()
        window = MainWindow(engine, cap=cap, persist=persist)

    from .gcpolicy import GcPolicy

    gc_policy = GcPolicy(window.bridge, window).install()

    if args.exit_when_shown:

        class _Shown(QObject):
            def eventFilter(self, obj: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Expose and window.windowHandle().isExposed():
                    print(f"window shown after {_since_start():.3f} s", flush=True)
                    qapp.removeEventFilter(self)
                    window.close()
                return False

        shown = _Shown()
        qapp.installEventFilter(shown)

    if args.screenshot:
        from .screenshot import run_scenario

        window.resize(1400, 900)
        window.show()
        try:
            return run_scenario(window, args.screenshot, args.scenario)
        finally:
            window.close()
    window.show()
    try:
        return int(qapp.exec())
    finally:
        gc_policy.uninstall()
        window.shutdown()
        if engine is not None:
            engine.stop()
