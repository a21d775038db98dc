"""Quality bars on the tuning examples (``examples.yaml``) and the frozen blind set: forbidden
recall ≥ 95 %, false flags ≤ 2 %, suggest top-3 ≥ 90 %, in each locale. The scoring is
``bench/library_eval.py``'s (run it for the per-situation and confusion tables)."""

import yaml

from bench.library_eval import BLIND, evaluate


def _rows_of(library):
    return [{"locale": e.locale, "text": e.text, "flag": e.flag, "suggest": e.suggest} for e in library.examples]


def test_tuning_examples_are_big_enough_and_labelled(library):
    rows = _rows_of(library)
    assert len(rows) >= 150
    assert {r["locale"] for r in rows} == {"zh-CN", "en"}


def test_blind_set_is_frozen_apart_from_the_tuning_examples(library):
    rows = yaml.safe_load(BLIND.read_text(encoding="utf-8"))
    assert len(rows) >= 300
    assert {r["locale"] for r in rows} == {"zh-CN", "en"}
    assert {r.get("flag") for r in rows} >= {f"S{i}" for i in range(1, 10)} | {"none"}
    assert {r.get("suggest") for r in rows} >= {f"S{i}" for i in range(1, 10)}
    tuning = {(e.locale, e.text) for e in library.examples}
    assert not [r["text"] for r in rows if (r["locale"], r["text"]) in tuning]


def test_tuning_recall_false_flags_and_top3(matcher, library):
    rep = evaluate(matcher, _rows_of(library))
    for loc in ("zh-CN", "en"):
        s = rep.total(loc)
        print(f"\ntuning {loc}: recall {s.caught}/{s.forbidden}, false flags {s.false_flags}/{s.clean}, "
              f"top-3 {s.top3}/{s.queries}")
        assert s.caught / s.forbidden >= 0.95, rep.misses
        assert s.false_flags / s.clean <= 0.02, rep.misses
        assert s.top3 / s.queries >= 0.90, rep.misses
