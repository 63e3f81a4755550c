"""`sesame <stage> ...`: every workflow stage, runnable without Snakemake.

Each stage module registers its own sub-command (`register(subparsers)`) and imports its heavy
dependencies only when run, so `sesame --help` stays instant. User mistakes (SesameInputError)
print one line on stderr and exit 2; bugs keep their traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from sesame import __version__
from sesame.errors import SesameInputError

COMMAND_MODULES = [
    "sesame.data.cli",
    "sesame.metrics.cli",
    "sesame.synth.cli",
    "sesame.retrieval.cli",
    "sesame.readers.cli",
    "sesame.report.cli",
    "sesame.ask.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sesame", description="Adapt extractive QA to a document collection with no labelled data.")
    parser.add_argument("--version", action="version", version=f"sesame {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except SesameInputError as e:
        print(f"sesame {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
