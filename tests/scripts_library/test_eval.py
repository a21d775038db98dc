"""Issue 5 bars on the labelled evaluation set: forbidden-flag recall ≥ 95 %, false flags
≤ 2 %, suggest top-3 ≥ 90 %. The numbers are printed (pytest -s) for the README."""

from pathlib import Path

import yaml

EVAL = Path(__file__).with_name("eval_set.yaml")


def test_evaluation_set_is_big_enough_and_labelled():
    rows = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    assert len(rows) >= 150
    assert {r["locale"] for r in rows} == {"zh-CN", "en"}
    assert all(r.get("flag") or r.get("suggest") for r in rows)


def test_recall_false_flags_and_top3(matcher):
    rows = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    forbidden = [r for r in rows if r.get("flag") not in (None, "none")]
    clean = [r for r in rows if r.get("flag") == "none"]
    ranked = [r for r in rows if r.get("suggest")]
    missed = [r["text"] for r in forbidden
              if r["flag"] not in {f["situation"] for f in matcher.check(r["text"], r["locale"])}]
    false_flags = [r["text"] for r in clean if matcher.check(r["text"], r["locale"])]
    wrong = [r["text"] for r in ranked
             if r["suggest"] not in [s["situation"] for s in matcher.suggest(r["text"], r["locale"], 3)]]
    recall = 1 - len(missed) / len(forbidden)
    false_rate = len(false_flags) / len(clean)
    top3 = 1 - len(wrong) / len(ranked)
    print(f"\neval: {len(rows)} lines; recall {recall:.1%} ({len(forbidden)} forbidden), "
          f"false flags {false_rate:.1%} ({len(clean)} clean), suggest top-3 {top3:.1%} ({len(ranked)} utterances)")
    assert recall >= 0.95, missed
    assert false_rate <= 0.02, false_flags
    assert top3 >= 0.90, wrong
