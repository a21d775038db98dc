"""Training sentences of the learned layer, taken from the library itself, plus augmentation.

Agent side (``check``), one label per sentence — ``none`` or the forbidden situation S1–S9:

* forbidden texts, variants and key phrases → their situation (S1–S9);
* approved and prompt texts, their variants and each of their clauses → ``none``;
* tuning examples (``examples.yaml``): ``flag: Sx`` → Sx, ``flag: none`` → ``none``;
* caller triggers and caller utterances → ``none`` (an agent repeating the caller is no fault).

Caller side (``suggest``): triggers, tuning ``suggest:`` lines and approved texts → their
situation.

Augmentation (deterministic, a fixed seed per library): a filler or a politeness marker in
front, a particle or tag at the end, the clauses in the other order, and traditional script
for zh-CN — so «我是新手啦» also teaches «那個,我是新手吧»; and for forbidden texts and tuning
lines, copies with one word (or Chinese character) left out.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import opencc

from .model import Library
from .placeholders import fill

NONE = "none"
_S2T = opencc.OpenCC("s2t")
_CLAUSE = re.compile(r"[,，、;；:：.!?。！？…]+")
#: what agents put in front of / after a sentence without changing what it says
_FRONT = {"zh-CN": ["喂,", "那个,", "嗯,", "好的,", "您好,", "哎,", "这样啊,", "请问,"],
          "en": ["Well, ", "Look, ", "OK, ", "Hello, ", "Right, ", "Um, ", "Listen, ", "Sir, "]}
_BACK = {"zh-CN": ["啊", "吧", "呢", "哈", "好吗", "知道吗"],
         "en": [", okay?", ", right?", ", alright?", " then.", ", you know.", ", sir."]}


def clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(text) if c.strip()]


_EN_NEGATED = re.compile(r"\b(can't|cannot|won't|don't|doesn't|isn't|aren't|not|never|no)\b ?", re.I)
_EN_AFFIRM = {"can't": "can ", "cannot": "can ", "won't": "will ", "don't": "do ", "doesn't": "does ",
              "isn't": "is ", "aren't": "are "}


def affirmed(text: str, locale: str) -> str | None:
    """The statement with its first negation taken out («can't transfer you» → «can transfer
    you», «不能转接» → «能转接»), or None when it has none: a forbidden refusal turned into
    the offer is the approved side of the same words (ownership, S7)."""
    if locale == "zh-CN":
        for i, ch in enumerate(text):
            if ch in "不没" and text[i + 1 : i + 2] not in ("好", "错", "客", "用", ""):
                return text[:i] + text[i + 1 :]
        return None
    m = _EN_NEGATED.search(text)
    if m is None:
        return None
    return text[: m.start()] + _EN_AFFIRM.get(m.group(1).lower(), "") + text[m.end() :]


def clause_windows(text: str, most: int = 2) -> list[str]:
    """The proper runs of 1…``most`` consecutive clauses of a multi-clause text."""
    parts = clauses(text)
    return [",".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, min(len(parts), i + most) + 1)
            if j - i < len(parts)]


#: copies of each forbidden text and tuning line with one word (en) / character (zh-CN) left
#: out, so the model does not lean on any single n-gram (chosen by cross-validation)
DROPOUT = 2
#: copies with a courtesy clause in front («I hear you, but …»): tried, see docs/library.md
EMBED = 0
_LEAD = {"zh-CN": ["我理解您的心情,但是", "不好意思啊,", "我明白,不过", "这个我知道,可是"],
         "en": ["I hear you, but ", "I understand, but ", "Sorry about that, ", "I get it, but "]}


def _dropped(text: str, locale: str, rng: random.Random) -> str:
    """``text`` with one random Chinese character or English word left out (short texts unchanged)."""
    if locale == "zh-CN":
        idx = [i for i, ch in enumerate(text) if "\u4e00" <= ch <= "\u9fff"]
        if len(idx) < 5:
            return text
        i = rng.choice(idx)
        return text[:i] + text[i + 1 :]
    words = text.split()
    if len(words) < 4:
        return text
    del words[rng.randrange(len(words))]
    return " ".join(words)


def augment(text: str, locale: str, rng: random.Random, copies: int) -> Iterator[str]:
    """``text`` and up to ``copies`` altered copies of it (with ``copies`` ≥ 3 — the forbidden
    texts and the tuning lines — also ``DROPOUT`` copies with a word left out)."""
    yield text
    if copies >= 3:
        for _ in range(DROPOUT):
            yield _dropped(text, locale, rng)
        for _ in range(EMBED):
            lead = rng.choice(_LEAD[locale])
            yield lead + (text[:1].lower() + text[1:] if locale == "en" else text)
    parts = clauses(text)
    for _ in range(copies):
        out = text
        if rng.random() < 0.6:
            out = rng.choice(_FRONT[locale]) + out
        if rng.random() < 0.5:
            out = out.rstrip("。.!！?？") + rng.choice(_BACK[locale])
        if len(parts) > 1 and rng.random() < 0.4:
            sep = "," if locale == "zh-CN" else ", "
            out = sep.join(parts[1:] + parts[:1])
        if locale == "zh-CN" and rng.random() < 0.3:
            out = _S2T.convert(out)
        if out != text:
            yield out


def agent_sentences(lib: Library, seed: int, copies: int = 3) -> list[tuple[str, str, str, float]]:
    """(locale, text, label, weight) for the agent-side classifier."""
    rng = random.Random(seed)
    out: list[tuple[str, str, str, float]] = []
    for e in lib.entries:
        texts = [fill(t, e.locale) for t in (e.text, *e.variants)]
        if e.kind == "forbidden":
            for t in texts:
                out += [(e.locale, x, e.situation, 1.0) for x in augment(t, e.locale, rng, copies)]
            for k in e.key_phrases:
                out += [(e.locale, x, e.situation, 1.0) for x in augment(k, e.locale, rng, 1)]
                flipped = affirmed(k, e.locale)
                if flipped and len(flipped) > 3:
                    out.append((e.locale, flipped, NONE, 0.5))
        else:
            for t in texts:
                out += [(e.locale, x, NONE, 1.0) for x in augment(t, e.locale, rng, 1)]
                out += [(e.locale, c, NONE, 1.0) for c in clause_windows(t)]
    for t in lib.triggers:
        out += [(t.locale, p, NONE, 0.5) for p in t.phrases]
    for x in lib.examples:
        if x.flag:
            label = NONE if x.flag == "none" else x.flag
            out += [(x.locale, a, label, 1.0) for a in augment(x.text, x.locale, rng, copies)]
            if label == NONE:  # check() scores clause windows: each part of a clean line is clean
                out += [(x.locale, c, NONE, 1.0) for c in clause_windows(x.text)]
        elif x.suggest:
            out.append((x.locale, x.text, NONE, 0.5))
    return out


def caller_sentences(lib: Library, seed: int, copies: int = 2) -> list[tuple[str, str, str, float]]:
    """(locale, text, situation, weight) for the caller-side (suggest) classifier."""
    rng = random.Random(seed + 1)
    out: list[tuple[str, str, str, float]] = []
    for t in lib.triggers:
        if t.situation.startswith("S"):
            for p in t.phrases:
                out += [(t.locale, x, t.situation, 1.0) for x in augment(p, t.locale, rng, copies)]
    for x in lib.examples:
        if x.suggest and x.suggest.startswith("S"):
            out += [(x.locale, a, x.suggest, 1.0) for a in augment(x.text, x.locale, rng, copies)]
    for e in lib.entries:
        if e.kind == "approved" and e.situation.startswith("S"):
            out.append((e.locale, fill(e.text, e.locale), e.situation, 0.5))
    return out
