"""The shipped library holds every √ and × sentence of seed 000 篇二 in full, with an English twin."""

import re
from pathlib import Path

import pytest

from scripts_library.placeholders import fill

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"


def seed_sentences() -> list[tuple[str, str]]:
    """(kind, sentence) for every quoted sentence after a √ or × in 篇二 of seed 000."""
    files = sorted(SEEDS.glob("000_*.txt"))
    if not files:
        pytest.skip("shared/seeds is not beside the repository")
    text = files[0].read_text(encoding="utf-8")
    part = text[text.index("篇二:呼叫中心客服工作手册"):text.index("篇三")]
    out = []
    for segment in re.split(r"\n\s*(?=[√×])", part)[1:]:  # a √ or × opens a line
        segment = re.sub(r"\s+", "", segment).replace("(本文来自:WwW.dXf5.coM东星资源网:客服中心员工手册)", "")
        for quote in re.findall(r"“(.*?)”", segment):
            quote = re.sub(r"\(具体回复时间[^)]*\)", "", quote)  # the handbook's note, not spoken
            quote = (quote.replace("XX先生/小姐", "先生/小姐").replace("X先生/小姐", "先生/小姐")
                     .replace("XX小时", "24小时").replace("??", "……"))
            out.append(("approved" if segment[0] == "√" else "forbidden", quote))
    return out


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
