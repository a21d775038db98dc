"""The learned layer: spans and alternatives of every flag, negation and ownership, the
negated-instruction rule, determinism and the model cache."""

import dataclasses

import numpy as np
import pytest
import yaml

from bench.library_eval import BLIND
from scripts_library.loader import load_library
from scripts_library.matcher import Matcher
from scripts_library.settings import MatchSettings


def _lines(library):
    rows = [(e.locale, e.text) for e in library.examples]
    rows += [(r["locale"], r["text"]) for r in yaml.safe_load(BLIND.read_text(encoding="utf-8"))]
    return rows


@pytest.mark.timeout(600)  # checks every tuning and blind line
def test_every_flag_has_a_span_inside_the_text_and_a_clean_approved_alternative(matcher, library):
    flagged = 0
    for loc, text in _lines(library):
        for f in matcher.check(text, loc):
            flagged += 1
            assert 0 <= f["start"] < f["end"] <= len(text)
            assert f["matched"] == text[f["start"]:f["end"]] and f["matched"].strip()
            assert f["alternatives"], f
            for alt_id, alt in zip(f["alternative_ids"], f["alternatives"], strict=True):
                assert library.get(loc, alt_id).kind == "approved"
                assert library.get(loc, alt_id).situation == f["situation"]
                assert matcher.check(alt, loc) == []
    assert flagged > 300


def test_the_learned_layer_flags_wordings_no_key_phrase_lists(library):
    rules = Matcher(library, MatchSettings(learned=False))
    learned = Matcher(library, MatchSettings(learned_cache=False))
    caught = [(loc, t) for loc, t in (("zh-CN", "我入职才一个礼拜,好多不会"), ("en", "I joined a week ago, there's loads I don't know."))
              if not rules.check(t, loc)]
    assert caught  # the aligner alone misses at least one of these
    for loc, text in caught:
        assert [f["situation"] for f in learned.check(text, loc)] == ["S3"]


@pytest.mark.parametrize(("loc", "refusal", "offer"), [
    ("en", "I can't transfer you to anyone.", "I'll transfer you to my manager now, please hold."),
    ("zh-CN", "经理不会处理你这个问题", "经理会亲自处理你这个问题"),
])
def test_negation_and_ownership(matcher, loc, refusal, offer):
    assert [f["situation"] for f in matcher.check(refusal, loc)] == ["S7"]
    assert matcher.check(offer, loc) == []


@pytest.mark.parametrize(("loc", "fault", "released"), [
    ("en", "Hang up and dial again.", "No need to hang up and dial again, I'm putting you through to my manager."),
    ("zh-CN", "你挂了重新打吧", "您不用挂了重新打,我这就帮您转给经理"),
])
def test_a_fault_named_after_you_dont_need_to_is_not_flagged(matcher, loc, fault, released):
    assert matcher.check(fault, loc)
    assert matcher.check(released, loc) == []


@pytest.mark.timeout(300)  # trains twice: about 20 s of CPU each, far more on a busy machine
def test_same_library_same_model_same_flags(library, tmp_path):
    one = Matcher(library, MatchSettings(learned_cache=False))
    two = Matcher(library, MatchSettings(learned_cache=False))
    for loc in ("zh-CN", "en"):
        a, b = one.learned.agent[loc], two.learned.agent[loc]
        assert a.vocab == b.vocab and a.labels == b.labels
        assert np.array_equal(a.weights, b.weights) and np.array_equal(a.bias, b.bias)
        assert a.dense is not None and np.array_equal(a.dense, b.dense)  # the word-vector weights too
    lines = _lines(library)[::5]  # every fifth tuning and blind line, both locales
    assert [one.check(t, loc) for loc, t in lines] == [two.check(t, loc) for loc, t in lines]
    assert [one.suggest(t, loc) for loc, t in lines[:60]] == [two.suggest(t, loc) for loc, t in lines[:60]]


@pytest.mark.timeout(300)  # trains twice: about 20 s of CPU each, far more on a busy machine
def test_the_model_is_cached_beside_the_library_and_rebuilt_when_it_changes(library, tmp_path):
    # another content than the default library's (whose model is shipped, never cached)
    cached = dataclasses.replace(library, root=str(tmp_path), digest=library.digest + "-copy")
    first = Matcher(cached)
    files = sorted(p.name for p in tmp_path.glob(".learned-*.npz"))
    assert len(files) == 1
    again = Matcher(cached)
    text = "我入职才一个礼拜,好多不会"
    assert again.check(text, "zh-CN") == first.check(text, "zh-CN")
    assert np.array_equal(again.learned.agent["en"].weights, first.learned.agent["en"].weights)
    Matcher(dataclasses.replace(cached, digest=cached.digest + "-edited"))
    now = sorted(p.name for p in tmp_path.glob(".learned-*.npz"))
    assert len(now) == 1 and now != files  # retrained for the new content; the old model is gone


def test_a_tiny_library_gets_no_model(tmp_path):
    (tmp_path / "x.yaml").write_text(
        "situation: S9\nlocale: en\nentries:\n"
        "  - {id: a, kind: approved, text: Goodbye and thank you.}\n"
        "  - {id: f, kind: forbidden, text: Get lost., key_phrases: [get lost], alternatives: [a]}\n",
        encoding="utf-8")
    lib, problems = load_library(tmp_path)
    assert problems == []
    m = Matcher(lib)
    assert m.learned.agent == {} and m.check("I'm new here", "en") == []


def test_every_examples_file_of_the_library_is_read(tmp_path):
    (tmp_path / "examples.yaml").write_text(
        "examples:\n  - {locale: en, flag: S6, text: I only started on Monday.}\n", encoding="utf-8")
    (tmp_path / "examples_more.yaml").write_text(
        "examples:\n  - {locale: zh-CN, flag: none, text: 我帮您登记一下。}\n"
        "  - {locale: zh-CN, suggest: S7, text: 我要找你们经理}\n", encoding="utf-8")
    lib, problems = load_library(tmp_path)
    assert problems == []
    assert sorted((x.locale, x.text, x.flag or "", x.suggest or "") for x in lib.examples) == [
        ("en", "I only started on Monday.", "S6", ""),
        ("zh-CN", "我帮您登记一下。", "none", ""),
        ("zh-CN", "我要找你们经理", "", "S7"),
    ]
