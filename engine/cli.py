"""The headless command line: ``ctxscope trace|serve|decode|sign|crack``.

Each command lives in its own module and adds itself through ``register(subparsers)``; this
module only builds the parser and turns ``CommandError`` into one line on stderr. The window
(``ctxscope`` with no command) is started by ``inspector.cli``, which hands every known command
here so that none of them imports Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "CommandError", "build_parser", "main"]

COMMANDS = ("trace", "serve", "decode", "sign", "crack")
"""Command names; anything else on the command line belongs to the window."""

_COMMAND_MODULES = (
    "engine.commands.trace",
    "engine.commands.serve",
    "engine.cookies.commands",
)


class CommandError(Exception):
    """A failure the user caused or can fix: printed as one line, exit ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # the process exit status


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints the whole usage; one line is what a user (and a script) needs.
        raise CommandError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ctxscope", description="Flask-style request lifecycle inspector.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in _COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
        if getattr(args, "run", None) is None:
            parser.print_help()
            return 2
        return int(args.run(args) or 0)
    except CommandError as exc:
        command = args_list[0] if args_list and args_list[0] in COMMANDS else ""
        prefix = f"ctxscope {command}".rstrip()
        print(f"{prefix}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `ctxscope serve | head` closes stdout early; that is not an error of ours.
        sys.stderr.close()
        return 0
