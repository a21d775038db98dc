"""Cross-validated choices that need no retraining: per-situation thresholds and a sentence-level
encoder check, chosen and scored over the same five folds as ``library_cv.py`` (never the blind set).

For every held-out agent line of every fold this records what ``check`` would decide from:
the situations the aligner flags, and every clause window's learned probabilities with whether
the matcher would drop a learned flag there (aligner overlap, an approved text, a release
phrase). Then, per fold, thresholds are chosen on the *other four* folds' records only and
applied to the held-out fold:

* ``global``: one ``learned_min_prob`` per locale (the current method);
* ``per-situation``: one threshold per situation and locale (coordinate ascent on
  caught − λ × false flags, λ the smallest keeping false flags within ``--max-ff``);
* with ``--encoder WORK``: also a sentence-level check of the encoder (multilingual-e5-small,
  vectors cached in WORK by ``wordvec_distill``): a softmax model over the encoder's sentence
  vector of the fold's training sentences, flagging a whole line whose best situation reaches
  its own threshold — alone and as a union with the fast layers.

    python bench/library_cv_windows.py --distill WORK [--encoder WORK] [--dump FILE | --load FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.library_cv import distilled, fold_of  # noqa: E402
from scripts_library import learned, learned_data  # noqa: E402
from scripts_library.index import grams  # noqa: E402
from scripts_library.learned_check import clause_windows  # noqa: E402
from scripts_library.loader import load_library  # noqa: E402
from scripts_library.matcher import Matcher  # noqa: E402
from scripts_library.placeholders import fill  # noqa: E402
from scripts_library.settings import MatchSettings  # noqa: E402

GRID = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99, 1.01]
SITS = [f"S{i}" for i in range(1, 10)]


def line_record(m: Matcher, text: str, loc: str) -> dict:
    """What check() decides a line from (see the module docstring)."""
    layer, m.learned = m.learned, None
    rule = sorted({f["situation"] for f in m.check(text, loc)})
    m.learned = layer
    out = {"rule": rule, "windows": []}
    if layer is None or loc not in layer.agent:
        return out
    norm = m._norm(text, loc)
    code = m._encoder.encode(norm.tokens)
    if not code:
        return out
    qgrams = grams(code)
    spans = [m._widen(norm, a, b) for _s, _n, a, b, _i in m._flag_spans(loc, code, qgrams, None)]
    approved = m._approved_spans(loc, code, qgrams, None)
    model = layer.agent[loc]
    windows = clause_windows(norm)
    if not windows:
        return out
    probs = model.probabilities([learned.features(norm.tokens[a:b]) for a, b in windows],
                                layer.vector_rows([text[slice(*norm.span(a, b))] for a, b in windows], loc))
    for (a, b), row in zip(windows, probs, strict=True):
        dropped = (any(a < fb and fa < b for fa, fb in spans)
                   or any(s >= m.settings.phrase_min_score and min(b, sb) - max(a, sa) >= (b - a) / 2
                          for s, sa, sb in approved)
                   or m._releases.releases(norm, a, b, loc))
        probs_of = {lab: float(p) for lab, p in zip(model.labels, row, strict=True) if lab != learned_data.NONE}
        out["windows"].append([a, b, dropped, probs_of])
    return out


def encoder_probs(fold_lib, held: list[dict], work: Path) -> list[dict]:
    """Per held-out line, the situation probabilities of a softmax model over the encoder's
    sentence vector, trained on the fold's agent sentences (no augmentation: the encoder sees
    fillers and particles as noise anyway)."""
    from scripts_library.wordvec_distill import embed_cached

    out = []
    none = learned_data.NONE
    sents = {(e.locale, fill(t, e.locale), e.situation if e.kind == "forbidden" else none, 1.0)
             for e in fold_lib.entries for t in (e.text, *e.variants, *(e.key_phrases if e.kind == "forbidden" else ()))}
    sents |= {(t.locale, p, none, 0.5) for t in fold_lib.triggers for p in t.phrases}
    sents |= {(x.locale, x.text, none if x.flag in (None, "none") else x.flag, 1.0 if x.flag else 0.5)
              for x in fold_lib.examples}
    for loc in sorted({r["locale"] for r in held}):
        mine = sorted({(t, lab, w) for lc, t, lab, w in sents if lc == loc})
        vec = embed_cached([(loc, t) for t, _, _ in mine] + [(loc, r["text"]) for r in held if r["locale"] == loc], work)
        labels = [learned_data.NONE, *sorted({lab for _, lab, _ in mine} - {learned_data.NONE}, key=lambda s: int(s[1:]))]
        rows = [(["·"], lab, w) for _, lab, w in mine]
        x = np.vstack([vec[(loc, t)] for t, _, _ in mine])
        model = learned.train(rows, labels, x)
        for r in held:
            if r["locale"] == loc:
                p = model.probabilities([["·"]], vec[(loc, r["text"])][None, :])[0]
                r["enc"] = {lab: float(v) for lab, v in zip(labels, p, strict=True) if lab != learned_data.NONE}
        out += [r for r in held if r["locale"] == loc]
    return out


def dump(args) -> list[dict]:
    lib, problems = load_library(args.library)
    if problems:
        raise SystemExit(f"library has problems: {problems[0]}")
    records = []
    for k in range(args.folds) if args.only is None else [args.only]:
        train = [x for x in lib.examples if fold_of(x.locale, x.text, args.folds) != k]
        held = [{"fold": k, "locale": x.locale, "text": x.text, "flag": x.flag}
                for x in lib.examples if fold_of(x.locale, x.text, args.folds) == k and x.flag]
        fold_lib = replace(lib, examples=train, digest="")
        if args.distill:
            distilled(fold_lib, Path(args.distill), True)
        m = Matcher(fold_lib, MatchSettings(learned_cache=False))
        for r in held:
            r.update(line_record(m, r["text"], r["locale"]))
        if args.encoder:
            encoder_probs(fold_lib, held, Path(args.encoder))
        records += held
        print(f"fold {k}: {len(held)} lines", file=sys.stderr, flush=True)
    return records


def flagged(r: dict, thr: dict[str, float], enc: dict[str, float] | None, fast: bool = True) -> set[str]:
    """The situations check() would report on a record under these thresholds."""
    sits: set[str] = set()
    if fast:
        sits = set(r["rule"])
        found = []
        for a, b, dropped, probs in r["windows"]:
            best = max(probs, key=lambda s: probs[s])
            if probs[best] >= thr.get(best, 1.01):
                found.append((b - a, -probs[best], a, b, dropped, best))
        found.sort()
        accepted: list[tuple[int, int]] = []
        for _n, _p, a, b, dropped, best in found:
            if not any(a < ob and oa < b for oa, ob in accepted):
                accepted.append((a, b))
                if not dropped:
                    sits.add(best)
    if enc is not None and "enc" in r:
        best = max(r["enc"], key=lambda s: r["enc"][s])
        if r["enc"][best] >= enc.get(best, 1.01):
            sits.add(best)
    return sits


def score(recs: list[dict], thr: dict[str, float], enc: dict[str, float] | None = None,
          fast: bool = True) -> tuple[int, int, int, int]:
    """(caught, forbidden, false flags, clean)."""
    caught = forb = ff = clean = 0
    for r in recs:
        sits = flagged(r, thr, enc, fast)
        if r["flag"] == "none":
            clean += 1
            ff += bool(sits)
        else:
            forb += 1
            caught += r["flag"] in sits
    return caught, forb, ff, clean


def _prune(recs: list[dict]) -> list[dict]:
    """The records whose outcome some threshold of the grid can change (windows below the
    grid's lowest threshold never flag), for a faster search; the others only add constants."""
    out = []
    for r in recs:
        windows = [w for w in r["windows"] if max(w[3].values(), default=0.0) >= GRID[0]]
        if windows or "enc" in r:
            out.append({**r, "windows": windows})
    return out


def choose(recs: list[dict], max_ff: float, mode: str) -> tuple[dict[str, float], dict[str, float] | None]:
    """Thresholds (fast layer, encoder) chosen on ``recs`` (one locale) — see the module docstring."""
    fixed_ff = sum(1 for r in recs if r["flag"] == "none" and r["rule"] and not _prune([r]))
    n_clean = sum(1 for r in recs if r["flag"] == "none")
    recs = _prune(recs)
    max_ff = (max_ff * n_clean - fixed_ff) / max(1, sum(1 for r in recs if r["flag"] == "none"))
    use_enc = mode in ("encoder", "union")
    fast = mode != "encoder"
    if mode == "global":
        best = dict.fromkeys(SITS, 1.01)
        for t in GRID:
            c, _f, ff, n = score(recs, dict.fromkeys(SITS, t))
            if ff <= max_ff * n:
                return dict.fromkeys(SITS, t), None
        return best, None
    best_pair: tuple[dict, dict | None] = (dict.fromkeys(SITS, 1.01), dict.fromkeys(SITS, 1.01) if use_enc else None)
    best_caught = -1
    for lam in (1.0, 2.0, 4.0, 8.0, 16.0):
        thr = dict.fromkeys(SITS, 0.95 if fast else 1.01)
        enc = dict.fromkeys(SITS, 1.01) if use_enc else None
        for _sweep in range(2):
            for which, sit in [("f", s) for s in SITS if fast] + [("e", s) for s in SITS if use_enc]:
                target = thr if which == "f" else enc
                options = []
                for t in GRID:
                    target[sit] = t
                    c, _f, ff, _n = score(recs, thr, enc, fast)
                    options.append((c - lam * ff, t))
                target[sit] = max(options)[1]
        c, _f, ff, n = score(recs, thr, enc, fast)
        if ff <= max_ff * n and c > best_caught:
            best_caught, best_pair = c, (dict(thr), None if enc is None else dict(enc))
    return best_pair


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--library", default=None)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--distill", default=None, metavar="WORK")
    ap.add_argument("--encoder", default=None, metavar="WORK")
    ap.add_argument("--only", type=int, default=None, help="record one fold only (a quick look)")
    ap.add_argument("--dump", default=None, help="write the records to this JSON file")
    ap.add_argument("--load", default=None, help="read records written by --dump instead of training")
    ap.add_argument("--vector-weight", type=float, default=None)
    ap.add_argument("--max-ff", type=float, default=0.02)
    ap.add_argument("--modes", default="global,per-situation")
    args = ap.parse_args(argv)
    if args.vector_weight is not None:
        learned.VECTOR_WEIGHT = args.vector_weight
    if args.load:
        records = json.loads(Path(args.load).read_text())
        if args.encoder:  # add the encoder's probabilities to records made without them
            lib, _ = load_library(args.library)
            for k in range(args.folds):
                fold_lib = replace(lib, examples=[x for x in lib.examples if fold_of(x.locale, x.text, args.folds) != k],
                                   digest="")
                encoder_probs(fold_lib, [r for r in records if r["fold"] == k], Path(args.encoder))
    else:
        records = dump(args)
    if args.dump:
        Path(args.dump).write_text(json.dumps(records, ensure_ascii=False))
    for mode in args.modes.split(","):
        print(f"== {mode} (thresholds chosen on the other folds, false flags ≤ {args.max_ff}) ==")
        for loc in ("zh-CN", "en"):
            tot = [0, 0, 0, 0]
            per_sit: dict[str, list[int]] = {s: [0, 0] for s in SITS}
            for k in range(args.folds):
                others = [r for r in records if r["locale"] == loc and r["fold"] != k]
                mine = [r for r in records if r["locale"] == loc and r["fold"] == k]
                thr, enc = choose(others, args.max_ff, mode)
                got = score(mine, thr, enc, mode != "encoder")
                tot = [x + y for x, y in zip(tot, got, strict=True)]
                for r in mine:
                    if r["flag"] in per_sit:
                        per_sit[r["flag"]][1] += 1
                        per_sit[r["flag"]][0] += r["flag"] in flagged(r, thr, enc, mode != "encoder")
                print(f"  {loc} fold {k}: fast {thr} enc {enc}", file=sys.stderr)
            print(f"{loc:6} recall {tot[0] / tot[1]:.3f} ({tot[0]}/{tot[1]})  false flags {tot[2] / tot[3]:.3f} "
                  f"({tot[2]}/{tot[3]})  " + " ".join(f"{s} {c}/{n}" for s, (c, n) in per_sit.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
