"""Token encoding, a gram inverted index and local fuzzy alignment on rapidfuzz.

rapidfuzz compares strings; to compare *token* sequences (Chinese characters, English words)
every token is encoded as one character: a Chinese character stands for itself, an English
word gets a private-use code point. The inverted index (bigrams of those codes → patterns)
picks the few patterns worth scoring, so a 10,000-entry library costs about as much per call
as a small one.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

_VOCAB_BASE = 0xF0000  # Supplementary Private Use Area-A: library words
_UNKNOWN_BASE = 0x100000  # Supplementary Private Use Area-B: words only the query has


class Encoder:
    """Token → one character. Words learnt from the library get stable codes; a query's
    unknown words get codes of their own that match nothing in the library."""

    def __init__(self) -> None:
        self._vocab: dict[str, str] = {}

    def encode(self, tokens: Iterable[str], learn: bool = False) -> str:
        out: list[str] = []
        unknown: dict[str, str] = {}
        for tok in tokens:
            if len(tok) == 1:
                out.append(tok)
                continue
            code = self._vocab.get(tok)
            if code is None:
                if learn:
                    code = self._vocab[tok] = chr(_VOCAB_BASE + len(self._vocab))
                else:
                    code = unknown.setdefault(tok, chr(_UNKNOWN_BASE + len(unknown) % 0xFFFD))
            out.append(code)
        return "".join(out)


def grams(code: str) -> set[str]:
    """Bigrams of a code string (a one-token string is its own gram)."""
    if len(code) < 2:
        return {code} if code else set()
    return {code[i : i + 2] for i in range(len(code) - 1)}


class GramIndex:
    """Inverted index from grams to pattern ids.

    Grams carried by more than ``stop_share`` of the patterns (and more than 200 of them) are
    *stop grams*: like a search engine's stop words they are not counted, so a 10,000-entry
    library does not walk a posting list of thousands for «你好» on every keystroke. A
    pattern's required share is computed over its remaining grams.
    """

    def __init__(self, codes: Sequence[str], min_share: float = 0.5, limit: int = 120,
                 unigrams: bool = False, stop_share: float = 0.05):
        """``unigrams`` also indexes single tokens, for short patterns (caller triggers)
        whose bigrams a paraphrase easily breaks («was rude» in «was extremely rude»)."""
        self.codes = list(codes)
        self.min_share = min_share
        self.limit = limit
        self.unigrams = unigrams
        postings: dict[str, list[int]] = defaultdict(list)
        pattern_grams = []
        for pid, code in enumerate(self.codes):
            g = grams(code) | (set(code) if unigrams else set())
            pattern_grams.append(g)
            for x in g:
                postings[x].append(pid)
        cap = max(200, int(len(self.codes) * stop_share))
        self._stop = frozenset(x for x, p in postings.items() if len(p) > cap)
        self._postings = {x: tuple(p) for x, p in postings.items() if x not in self._stop}
        self._sizes = [max(1, len(g - self._stop)) for g in pattern_grams]
        #: grams a pattern must share when it is the smaller side (ceil(min(a, b)·s) = min(ceil(a·s), ceil(b·s)))
        self._needs = [math.ceil(size * min_share) for size in self._sizes]

    def candidates(self, query: str, qgrams: set[str] | None = None, limit: int | None = None) -> list[int]:
        """Patterns sharing at least ``min_share`` of the smaller gram set with ``query``
        (at most ``limit``, most shared first, ties by pattern id), in pattern order."""
        qg = qgrams if qgrams is not None else grams(query)
        keys = (qg | set(query)) - self._stop
        counts: Counter[int] = Counter()
        postings = self._postings
        for x in keys:
            p = postings.get(x)
            if p:
                counts.update(p)
        qsize = max(1, len(keys) if self.unigrams else len(qg - self._stop))
        needs, qneed = self._needs, math.ceil(qsize * self.min_share)
        found = [(c, pid) for pid, c in counts.items() if c >= qneed or c >= needs[pid]]
        limit = self.limit if limit is None else limit
        if len(found) > limit:
            found = heapq.nlargest(limit, found, key=lambda t: (t[0], -t[1]))
        return sorted(pid for _, pid in found)


def align(pattern: str, text: str, cutoff: float, strict: bool = False) -> tuple[float, int, int] | None:
    """Best local match of ``pattern`` inside ``text``: (score 0–100, start, end) in code
    positions, or None below ``cutoff``.

    A pattern at least as long as the text is compared whole (Indel ratio). A shorter one is
    placed with ``partial_ratio_alignment`` (a window of the pattern's length) and the window is
    then widened by up to two tokens (or narrowed by one, for patterns of six tokens or more),
    so an inserted or dropped word costs a little instead of a lot («我都忙死了» in «我都快忙死了»
    scores 91, not 80).

    ``strict`` (key phrases, cues, menu words): every token of the pattern must be there, in
    order, with at most two tokens inserted — a changed or missing token changes the meaning
    too easily («明天再打电话问» is not «明天再打电话也可以») — except that patterns of eight
    tokens or more may miss one token in eight.
    """
    m, n = len(pattern), len(text)
    if not m or not n:
        return None
    if m >= n:
        score = Indel.normalized_similarity(pattern, text) * 100
        if strict and not _keeps_tokens(pattern, text):
            return None
        return (score, 0, n) if score >= cutoff else None
    first = fuzz.partial_ratio_alignment(pattern, text, score_cutoff=max(0.0, cutoff - 25))
    if first is None:
        return None
    if first.score == 100 and first.dest_end - first.dest_start == m:
        return 100.0, first.dest_start, first.dest_end  # the pattern occurs as it is
    # partial_ratio also tries windows cut short at the text's edges; re-score on whole windows
    # so that a dropped token is tolerated only from eight tokens up («去投诉我» ≠ «的投诉我»)
    best = (0.0, 0, 0)
    s0 = first.dest_start
    for length in ((m - 1, m, m + 1, m + 2) if m >= 8 else (m, m + 1, m + 2)):
        if length > n:
            continue
        for start in range(max(0, s0 - 2), min(n - length, s0 + 2) + 1):
            window = text[start : start + length]
            score = Indel.normalized_similarity(pattern, window) * 100
            if score > best[0] and (not strict or _keeps_tokens(pattern, window)):
                best = (score, start, start + length)
    if best[0] < cutoff:
        return None
    score, a, b = best
    chars = set(pattern)
    while a < b - 1 and text[a] not in chars:
        a += 1
    while b > a + 1 and text[b - 1] not in chars:
        b -= 1
    return score, a, b


def _keeps_tokens(pattern: str, window: str) -> bool:
    """All of the pattern's tokens in order in ``window`` (one in eight may miss from 8 up)."""
    m = len(pattern)
    lcs = (m + len(window) - Indel.distance(pattern, window)) // 2
    return lcs >= m - m // 8
