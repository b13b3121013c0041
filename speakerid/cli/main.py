"""``speakerid`` entry point: discovers sub-commands and maps failures to exit codes.

Exit codes: 0 ok, 1 partial failure (some inputs failed, the rest done), 2 usage or fatal error.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from speakerid import __version__
from speakerid.cli import commands
from speakerid.errors import SpeakeridError
from speakerid.extras import missing_extra

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own usage errors -> exit 2, one line
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"speakerid: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Each module in ``speakerid.cli.commands`` contributes one sub-command."""
    parser = _Parser(prog="speakerid", description="Who is on screen, frame by frame, as FiftyOne labels.")
    parser.add_argument("--version", action="version", version=f"speakerid {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{mod.name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code (also used by ``sys.exit``)."""
    from speakerid.labels.database import quiet_fiftyone_logs

    quiet_fiftyone_logs()  # a clean run prints only what speakerid means to say
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code = args.func(args)
    except SpeakeridError as exc:
        print(f"speakerid: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ModuleNotFoundError as exc:  # a lean install: name the extra, in one line
        hint = missing_extra(exc.name, args.command)
        if hint is None:
            raise
        print(f"speakerid: error: {hint}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("speakerid: interrupted", file=sys.stderr)
        return 130
    return EXIT_OK if code is None else int(code)


if __name__ == "__main__":
    sys.exit(main())
