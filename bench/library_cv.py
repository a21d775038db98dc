"""Five-fold cross-validation of the whole matcher over the tuning examples (how every feature,
threshold and training choice of the learned layer is chosen — never on the blind set).

Each tuning example (``examples*.yaml``) falls in one of five folds (a stable hash of its
locale and text); for each fold the matcher is trained on the library with the other four
folds' examples and scores the held-out fold with ``library_eval.evaluate``. The five reports
are summed: recall, false-flag rate and top-3 per locale and per situation, for every
``learned_min_prob`` asked for (one training per fold serves them all).

    python bench/library_cv.py [--min-prob 0.85,0.9,0.95] [--folds 5] [--only 0] [--table wordvec.npz]
                               [--distill WORK [--prior 0.5]] [--mean-only] [--vector-weight 3]
                               [--score-files examples.yaml,examples_more.yaml] [--situations]

``--distill`` needs the build-time packages (``requirements-wordvec.txt``) unless every sentence's
encoder output is already cached in WORK.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.library_eval import Report, evaluate, situation_table, summary_lines  # noqa: E402
from scripts_library import learned, learned_store, wordvec, wordvec_distill  # noqa: E402
from scripts_library.loader import load_library  # noqa: E402
from scripts_library.matcher import Matcher  # noqa: E402
from scripts_library.model import Library  # noqa: E402
from scripts_library.settings import MatchSettings  # noqa: E402


def fold_of(locale: str, text: str, folds: int) -> int:
    """The fold of an example: stable across runs and machines."""
    return int(hashlib.sha256(f"{locale}\t{text}".encode()).hexdigest()[:8], 16) % folds


def merge(into: Report, rep: Report) -> None:
    for key, score in rep.by_cell.items():
        into.by_cell[key].add(score)
    into.confusion.update(rep.confusion)
    into.misses += rep.misses


def use_table(table: wordvec.WordVectors) -> None:
    """Make the learned layer train and run on ``table`` instead of the shipped one
    (``learned_store`` reads the table through its own name ``shipped``)."""
    learned_store.shipped = lambda: table


def distilled(lib: Library, work: Path, pool_max: bool) -> None:
    """Make the learned layer use a table distilled from this fold's sentences only."""
    names, q, scale = wordvec_distill.build(wordvec_distill.library_sentences(lib), work)
    path = work / "fold-table.npz"
    wordvec_distill.save(path, names, q, scale)
    table = wordvec.WordVectors(path, pool_max=pool_max)
    use_table(table)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--library", default=None)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--only", type=int, default=None, help="run one fold only (a quick look)")
    ap.add_argument("--min-prob", default="0.9", help="comma-separated learned_min_prob values")
    ap.add_argument("--table", default=None, help="another word-vector table (.npz) to try")
    ap.add_argument("--no-vectors", action="store_true")
    ap.add_argument("--distill", default=None, metavar="WORK",
                    help="fit a distilled word-vector table per fold (wordvec_distill; encoder cache in WORK)")
    ap.add_argument("--prior", type=float, default=None, help="wordvec_distill.PRIOR")
    ap.add_argument("--mean-only", action="store_true", help="word vectors: the mean alone, without the maximum")
    ap.add_argument("--vector-weight", type=float, default=None)
    ap.add_argument("--situations", action="store_true", help="print the per-situation table")
    ap.add_argument("--score-files", default=None,
                    help="score only held-out examples of these files (comma-separated), to compare runs "
                         "whose tuning data differ on the same lines")
    args = ap.parse_args(argv)
    lib, problems = load_library(args.library)
    if problems:
        print(f"library has problems: {problems[0]}", file=sys.stderr)
        return 2
    if args.prior is not None:
        wordvec_distill.PRIOR = args.prior
    if args.vector_weight is not None:
        learned.VECTOR_WEIGHT = args.vector_weight
    pool_max = not args.mean_only
    if args.table or args.mean_only:
        table = wordvec.WordVectors(Path(args.table or wordvec.TABLE), pool_max=pool_max)
        wordvec.shipped.cache_clear()
        use_table(table)
    scored = set(args.score_files.split(",")) if args.score_files else None
    probs = [float(p) for p in args.min_prob.split(",")]
    reports = {p: Report() for p in probs}
    for k in range(args.folds) if args.only is None else [args.only]:
        t0 = time.process_time()
        train = [x for x in lib.examples if fold_of(x.locale, x.text, args.folds) != k]
        held = [{"locale": x.locale, "text": x.text, "flag": x.flag, "suggest": x.suggest}
                for x in lib.examples if fold_of(x.locale, x.text, args.folds) == k
                and (scored is None or (x.where is not None and x.where.file in scored))]
        settings = MatchSettings(learned_cache=False, learned_vectors=not args.no_vectors)
        fold_lib = replace(lib, examples=train, digest="")
        if args.distill:
            distilled(fold_lib, Path(args.distill), pool_max)
        matcher = Matcher(fold_lib, settings)
        t1 = time.process_time()
        for p in probs:
            matcher.settings = replace(settings, learned_min_prob=p)
            merge(reports[p], evaluate(matcher, held))
        print(f"fold {k}: {len(held)} held out, train {t1 - t0:.0f} s CPU, score {time.process_time() - t1:.0f} s CPU",
              file=sys.stderr, flush=True)
    for p in probs:
        lines = summary_lines(f"cross-validation, learned_min_prob {p}", reports[p])
        print("\n".join(lines + (situation_table(reports[p]) if args.situations else [])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
