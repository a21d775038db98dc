"""Quality of the scripted-response library on the tuning set and the frozen blind set.

Scores ``check`` and ``suggest`` of the shipped library (or ``--library DIR``) on

* the **tuning** set: the library's own ``examples.yaml`` (the learned layer trains on it,
  so these numbers are optimistic), and
* the **blind** set: ``tests/scripts_library/blind_set.yaml``, never trained or tuned on —
  the numbers to quote.

For each: forbidden recall, false-flag rate on clean lines and suggest top-3, overall and per
locale, a per-situation × locale table, and a confusion table (expected situation → the
situation ``check`` reported; ``none`` = no flag). ``--rules-only`` switches the learned layer
off (the aligner alone), ``--no-vectors`` runs it on n-grams without the word vectors,
``--misses`` lists every wrong line.

    python bench/library_eval.py [--rules-only] [--no-vectors] [--misses] [--set tuning|blind|both]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts_library.loader import load_library  # noqa: E402
from scripts_library.matcher import Matcher  # noqa: E402
from scripts_library.settings import MatchSettings  # noqa: E402

BLIND = ROOT / "tests" / "scripts_library" / "blind_set.yaml"
SITUATIONS = [f"S{i}" for i in range(1, 10)]
LOCALES = ("zh-CN", "en")


@dataclass
class Score:
    """Counts of one slice (a locale, a situation, or everything)."""

    forbidden: int = 0
    caught: int = 0
    clean: int = 0
    false_flags: int = 0
    queries: int = 0
    top3: int = 0

    def add(self, other: Score) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Report:
    by_cell: dict[tuple[str, str], Score] = field(default_factory=lambda: defaultdict(Score))
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def total(self, locale: str | None = None, situation: str | None = None) -> Score:
        out = Score()
        for (loc, sit), s in self.by_cell.items():
            if (locale is None or loc == locale) and (situation is None or sit == situation):
                out.add(s)
        return out


def rows_of(which: str, library_dir: str | None) -> list[dict]:
    if which == "blind":
        return yaml.safe_load(BLIND.read_text(encoding="utf-8"))
    lib, _ = load_library(library_dir)
    return [{"locale": e.locale, "text": e.text, "flag": e.flag, "suggest": e.suggest} for e in lib.examples]


def evaluate(matcher: Matcher, rows: list[dict]) -> Report:
    """Score every row: ``flag`` rows with ``check``, ``suggest`` rows with ``suggest(k=3)``."""
    rep = Report()
    for r in rows:
        loc, text, flag, want = r["locale"], r["text"], r.get("flag"), r.get("suggest")
        if flag:
            found = [f["situation"] for f in matcher.check(text, loc)]
            if flag == "none":
                cell = rep.by_cell[(loc, "clean")]
                cell.clean += 1
                bad = bool(found)
                cell.false_flags += bad
                rep.confusion[("none", found[0] if found else "none")] += 1
                if bad:
                    rep.misses.append(f"false flag {found} [{loc}] {text}")
            else:
                cell = rep.by_cell[(loc, flag)]
                cell.forbidden += 1
                ok = flag in found
                cell.caught += ok
                rep.confusion[(flag, flag if ok else (found[0] if found else "none"))] += 1
                if not ok:
                    rep.misses.append(f"missed {flag} (got {found}) [{loc}] {text}")
        if want:
            cell = rep.by_cell[(loc, want)]
            cell.queries += 1
            ranked = [s["situation"] for s in matcher.suggest(text, loc, 3)]
            cell.top3 += want in ranked
            if want not in ranked:
                rep.misses.append(f"top-3 {want} (got {ranked}) [{loc}] {text}")
    return rep


def _pct(num: int, den: int) -> str:
    return f"{num / den:6.1%}" if den else "     –"


def summary_lines(name: str, rep: Report) -> list[str]:
    out = [f"== {name} =="]
    out.append(f"{'':8} {'recall':>16} {'false flags':>16} {'top-3':>16}")
    for loc in (*LOCALES, None):
        s = rep.total(loc)
        out.append(f"{loc or 'all':8} {_pct(s.caught, s.forbidden)} ({s.caught:>3}/{s.forbidden:<3})"
                   f" {_pct(s.false_flags, s.clean)} ({s.false_flags:>3}/{s.clean:<3})"
                   f" {_pct(s.top3, s.queries)} ({s.top3:>3}/{s.queries:<3})")
    return out


def situation_table(rep: Report) -> list[str]:
    out = ["", "| situation | zh-CN recall | en recall | zh-CN top-3 | en top-3 |", "|---|---|---|---|---|"]
    for sit in SITUATIONS:
        cells = [rep.by_cell.get((loc, sit), Score()) for loc in LOCALES]
        rec = [f"{c.caught}/{c.forbidden}" for c in cells]
        top = [f"{c.top3}/{c.queries}" for c in cells]
        out.append(f"| {sit} | {rec[0]} | {rec[1]} | {top[0]} | {top[1]} |")
    clean = [rep.by_cell.get((loc, "clean"), Score()) for loc in LOCALES]
    out.append(f"| clean (false flags) | {clean[0].false_flags}/{clean[0].clean} | "
               f"{clean[1].false_flags}/{clean[1].clean} | | |")
    return out


def confusion_table(rep: Report) -> list[str]:
    cols = [*SITUATIONS, "none"]
    out = ["", "confusion (rows: expected, columns: first situation flagged)",
           "expected " + " ".join(f"{c:>4}" for c in cols)]
    for row in cols:
        out.append(f"{row:8} " + " ".join(f"{rep.confusion.get((row, c), 0) or '.':>4}" for c in cols))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--library", default=None, help="library directory (default: the shipped one)")
    ap.add_argument("--rules-only", action="store_true", help="switch the learned layer off")
    ap.add_argument("--no-vectors", action="store_true", help="the learned layer on n-grams alone (no word vectors)")
    ap.add_argument("--set", choices=("tuning", "blind", "both"), default="both")
    ap.add_argument("--holdout", action="store_true",
                    help="train the learned layer without the tuning examples and score only those (a dev set)")
    ap.add_argument("--misses", action="store_true", help="list every missed or wrong line")
    args = ap.parse_args(argv)
    lib, problems = load_library(args.library)
    if problems:
        print(f"library has problems: {problems[0]}", file=sys.stderr)
        return 2
    settings = MatchSettings(learned=not args.rules_only, learned_vectors=not args.no_vectors)
    if args.holdout:
        args.set = "tuning"
        rows = rows_of("tuning", args.library)
        lib = replace(lib, examples=[], digest="")
    matcher = Matcher(lib, settings)
    print(f"library {lib.digest[:12]}, {len(lib.entries)} entries, learned layer "
          f"{'off' if args.rules_only else 'on'}{', n-grams alone' if args.no_vectors else ''}")
    for which in (("tuning", "blind") if args.set == "both" else (args.set,)):
        rep = evaluate(matcher, rows if args.holdout else rows_of(which, args.library))
        print("\n".join(summary_lines(which, rep) + situation_table(rep) + confusion_table(rep)))
        if args.misses:
            print("\n".join(["", *rep.misses]))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
