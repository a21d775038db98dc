"""Did a sentence say a library phrase? Pure text matching for the scorecard.

A library text («我跟您确认一下,您反映的是{issue},对吗?») is cut at its punctuation and its
``{placeholders}`` into *fragments* («我跟您确认一下», «您反映的是», «对吗»). A sentence says a
fragment when it contains at least ``share`` of the fragment's wording: Chinese compared by
pairs of neighbouring characters, English by words, both after the library's own normalisation
(``scripts_library.normalize``: simplified characters, 您→你, fillers and particles dropped,
light stemming). Fragments of one or two characters or a single word must appear as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from scripts_library.normalize import is_cjk, normalize

_CUTS = re.compile(r"\{[a-z_]+\}|[,,。.!!??;;::、“”\"()()…\n]+")
_SENTENCE_END = re.compile(r"(?<=[。!?!?])|(?<=\.)\s+")


@dataclass(frozen=True)
class Fragment:
    """One piece of a library text: what it says and the units a sentence must contain."""

    text: str
    units: frozenset[tuple[str, ...]]
    exact: bool  # too short to compare by share: must appear as it is


def tokens(text: str) -> list[str]:
    return normalize(text).tokens


def _units(toks: list[str]) -> frozenset[tuple[str, ...]]:
    if any(is_cjk(t[0]) for t in toks):
        return frozenset(zip(toks, toks[1:], strict=False))
    return frozenset((t,) for t in toks)


def fragment(text: str) -> Fragment | None:
    toks = tokens(text)
    if not toks:
        return None
    units = _units(toks)
    if len(units) < 2:
        return Fragment(text.strip(), frozenset({tuple(toks)}), exact=True)
    return Fragment(text.strip(), units, exact=False)


def fragments(text: str) -> list[Fragment]:
    """The fragments of a library text (placeholders and punctuation cut it)."""
    found = (fragment(piece) for piece in _CUTS.split(text) if piece.strip())
    return [f for f in found if f is not None]


def _contains(toks: list[str], run: tuple[str, ...]) -> bool:
    n = len(run)
    return any(tuple(toks[i:i + n]) == run for i in range(len(toks) - n + 1))


def coverage(frag: Fragment, sentence: str) -> float:
    """Share of ``frag``'s wording found in ``sentence`` (0–1)."""
    toks = tokens(sentence)
    if frag.exact:
        return 1.0 if _contains(toks, next(iter(frag.units))) else 0.0
    said = frozenset(zip(toks, toks[1:], strict=False)) | frozenset((t,) for t in toks)
    return sum(1 for u in frag.units if u in said) / len(frag.units)


def says(frag: Fragment, sentence: str, share: float) -> bool:
    return coverage(frag, sentence) >= share


def first_said(frags: Iterable[Fragment], sentence: str, share: float) -> Fragment | None:
    return next((f for f in frags if says(f, sentence, share)), None)


def distinct(frags: Iterable[Fragment], others: Iterable[Fragment], share: float) -> tuple[Fragment, ...]:
    """``frags`` without those another group's wording also says (an apology's «请问有什么可以
    帮到您» is the greeting's too, so it proves nothing about the apology)."""
    other_list = list(others)
    unique: dict[str, Fragment] = {}
    for f in frags:
        if f.text not in unique and not any(says(f, o.text, share) or says(o, f.text, share) for o in other_list):
            unique[f.text] = f
    return tuple(unique.values())


def sentences(text: str) -> list[str]:
    """An utterance cut into sentences at 。!?/.!? (one utterance may hold several)."""
    return [p.strip() for p in _SENTENCE_END.split(text) if p and p.strip()]
