"""The shipped library holds every √ and × sentence of the handbook's scripted-reply chapter in full, with an English twin."""

from pathlib import Path

import yaml

from scripts_library.placeholders import fill

SENTENCES = Path(__file__).with_name("handbook_sentences.yaml")


def seed_sentences() -> list[tuple[str, str]]:
    """(kind, sentence) for every √ and × sentence of the handbook's scripted-reply chapter."""
    return [(row["kind"], row["text"]) for row in yaml.safe_load(SENTENCES.read_text(encoding="utf-8"))]


def test_every_seed_sentence_is_an_entry_in_full(library):
    sentences = seed_sentences()
    assert len(sentences) == 27  # 14 √ and 13 × texts
    assert sum(kind == "approved" for kind, _ in sentences) == 14
    texts = {(e.kind, fill(t, e.locale)) for e in library.entries if e.locale == "zh-CN" for t in (e.text, *e.variants)}
    missing = [s for s in sentences if s not in texts]
    assert missing == []


def test_every_situation_has_both_kinds_in_both_locales(library):
    for locale in ("zh-CN", "en"):
        for n in range(1, 10):
            kinds = {e.kind for e in library.of(locale, situation=f"S{n}")}
            assert kinds == {"approved", "forbidden"}, (locale, n)
    zh = {e.id for e in library.entries if e.locale == "zh-CN"}
    en = {e.id for e in library.entries if e.locale == "en"}
    assert zh == en


def test_forbidden_entries_point_at_their_situations_approved_replies(library):
    for e in library.entries:
        if e.kind == "forbidden":
            alts = library.alternatives_of(e)
            assert alts and all(a.kind == "approved" and a.situation == e.situation for a in alts)
