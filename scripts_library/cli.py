"""``python -m scripts_library check|suggest|lint|prompt``.

JSON goes to stdout (``ensure_ascii=False``), errors to stderr. Exit codes: 0 success,
1 lint found problems, 2 bad usage (unknown locale, bad ``--context``, text too long,
library that cannot be loaded).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from . import service
from .lint import lint
from .loader import DEFAULT_DIR, LibraryError
from .locales import ACCEPTED, UnknownLocale, canonical_locale


class UsageError(Exception):
    """Bad input: printed to stderr, exit 2."""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--library", metavar="DIR", default=argparse.SUPPRESS,
                        help="library directory (default: the shipped one)")
    common.add_argument("--locale", default=argparse.SUPPRESS, help=f"zh-CN (default) or en; accepts {ACCEPTED}")
    parser = argparse.ArgumentParser(prog="python -m scripts_library", parents=[common],
                                     description="Hotline scripted-response library: check, suggest, lint.")
    sub = parser.add_subparsers(dest="command", required=True)
    texts = argparse.ArgumentParser(add_help=False)
    texts.add_argument("text", nargs="*", help="the utterance ('-' reads stdin); empty prints []")
    texts.add_argument("--context", metavar="JSON", help='placeholder values, e.g. \'{"title": "王先生", "hours": 24}\'')
    texts.add_argument("--pretty", action="store_true", help="indent the JSON")
    sub.add_parser("check", parents=[common, texts], help="flag forbidden phrasing (JSON list of flags)")
    sg = sub.add_parser("suggest", parents=[common, texts], help="rank approved replies (JSON list)")
    sg.add_argument("--k", type=int, default=None, help="how many (default 3)")
    sg.add_argument("--kinds", default="approved", help="comma list of kinds to return (approved,prompt)")
    ln = sub.add_parser("lint", parents=[common], help="validate a library directory")
    ln.add_argument("--json", action="store_true", help="print the problems as JSON on stdout")
    pr = sub.add_parser("prompt", parents=[common], help="print one prompt with placeholders filled")
    pr.add_argument("id", help="prompt id (greeting, menu, reassurance…) or rule id (H1, S8…)")
    pr.add_argument("--context", metavar="JSON")
    return parser


def _context(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--context is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise UsageError("--context must be a JSON object")
    return value


def _text(parts: Sequence[str]) -> str:
    if list(parts) == ["-"]:
        return sys.stdin.read()
    return " ".join(parts)


def _emit(value: Any, pretty: bool = False) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2 if pretty else None) + "\n")


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    library = getattr(args, "library", None)
    if args.command == "lint":
        problems = lint(library)
        where = library or str(DEFAULT_DIR)
        if args.json:
            _emit([{"file": p.where.file, "line": p.where.line, "message": p.message} for p in problems], True)
        for p in problems:
            print(f"{p}", file=sys.stderr)
        if problems:
            print(f"{len(problems)} problem(s) in {where}", file=sys.stderr)
            return 1
        if not args.json:
            print(f"{where}: OK")
        return 0
    locale = canonical_locale(getattr(args, "locale", None))
    context = _context(args.context)
    if args.command == "prompt":
        try:
            print(service.get_prompt(args.id, locale, context, library_dir=library))
        except KeyError as exc:
            raise UsageError(str(exc.args[0])) from exc
        return 0
    text = _text(args.text)
    limit = service.current_settings().max_text_chars
    if len(text) > limit:
        raise UsageError(f"text is {len(text)} characters; the limit is {limit}")
    if not text.strip():
        _emit([])
        return 0
    if args.command == "check":
        _emit(service.check(text, locale, context, library_dir=library), args.pretty)
    else:
        kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
        if args.k is not None and args.k < 0:
            raise UsageError("--k must be 0 or more")
        _emit(service.suggest(text, locale, args.k, context, kinds, library_dir=library), args.pretty)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(encoding="utf-8")
    try:
        return run(argv)
    except UnknownLocale as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except LibraryError as exc:
        print(f"error: cannot load the library: {exc}", file=sys.stderr)
        return 2
