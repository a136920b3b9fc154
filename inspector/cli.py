"""The ``ctxscope`` console script: a headless command, or else the window."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from engine import cli as engine_cli

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in engine_cli.COMMANDS:
        return engine_cli.main(args)
    from inspector.app import run  # Qt is imported only when the window is wanted

    return run(args)
