"""``suggest``: approved replies ranked for what the caller or the agent just said.

A mixin of ``Matcher`` (which owns the indexes, the aligner and the learned layer): caller
triggers, forbidden phrasing and the learned caller model point at a situation; an agent's
draft also points at the approved texts it resembles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .index import align, grams
from .learned import features
from .locales import canonical_locale
from .placeholders import fill

if TYPE_CHECKING:
    from .matcher import Matcher

#: situations first in handbook order, then the handbook rules (ties of equal scores)
ORDER = {f"S{i}": i for i in range(1, 10)} | {f"H{i}": 100 + i for i in range(1, 27)}
_ORDER = ORDER


class Suggesting:
    """``suggest`` and its scoring, for ``Matcher``."""

    def suggest(self: Matcher, text: str, locale: str = "zh-CN", k: int | None = None,
                context: Mapping[str, Any] | None = None, kinds: Sequence[str] = ("approved",)) -> list[dict[str, Any]]:
        """Approved replies ranked for what was just said (caller or agent); ties by situation
        then library order, so the result is deterministic."""
        loc = canonical_locale(locale)
        k = self.settings.default_k if k is None else k
        if not text or not text.strip() or k <= 0:
            return []
        code = self._encoder.encode(self._norm(text, loc).tokens)
        if not code:
            return []
        qgrams = grams(code)
        situation = self._situation_scores(loc, text, code, qgrams)
        own = self._own_scores(loc, code, qgrams)
        ranked = self._rank(loc, kinds, situation, own, k)
        out = []
        for neg, _, _, i in ranked:
            e = self.entries[i]
            filled = fill(e.text, loc, context)
            if context and filled != fill(e.text, loc) and self.check(filled, loc):
                continue  # a context value turned it into forbidden phrasing: never suggest that
            out.append({"id": e.id, "situation": e.situation, "text": filled, "score": round(-neg, 1),
                        "kind": e.kind, "locale": e.locale})
            if len(out) == k:
                break
        return out

    def _rank(self: Matcher, loc: str, kinds: Sequence[str], situation: Mapping[str, float], own: Mapping[int, float],
              k: int) -> list[tuple[float, float, int, int]]:
        """Sorted (−score, −own score, situation order, index). An entry without an own score
        gets its situation's score; within a situation those tie, so library order decides and
        only the first few of each situation can make the top k (a big library stays fast)."""
        scores: dict[int, tuple[float, float]] = {}
        for i, o in own.items():
            e = self.entries[i]
            if e.locale == loc and e.kind in kinds:
                scores[i] = (max(situation.get(e.situation, 0.0), o), o)
        for sit, value in situation.items():
            for kind in kinds:
                taken = 0
                for i in self._by_situation.get((loc, kind, sit), ()):
                    if taken > k:
                        break
                    if i not in scores and not self.is_unsafe(i):
                        scores[i] = (value, 0.0)
                        taken += 1
        floor = self.settings.suggest_min_score
        return sorted((-v, -o, _ORDER.get(self.entries[i].situation, 999), i) for i, (v, o) in scores.items()
                      if v >= floor and not self.is_unsafe(i))

    def _situation_scores(self: Matcher, loc: str, text: str, code: str, qgrams: set[str]) -> dict[str, float]:
        """Caller triggers and forbidden phrasing both point at a situation."""
        hits: dict[str, list[float]] = {}
        group = self._triggers.get(loc)
        if group:
            for _, p in group.candidates(code, qgrams):
                found = self._align(p.code, code, self.settings.suggest_min_score)
                if found:
                    # a one-word keyword («rude», «经理») says less than a caller's whole phrase
                    weight = min(1.0, 0.78 + 0.08 * len(p.code))
                    hits.setdefault(self._trigger_situations[p.owner], []).append(found[0] * weight)
        scores = {sit: min(100.0, max(v) + 2.0 * (len(v) - 1)) for sit, v in hits.items()}
        model = self.learned.caller.get(loc) if self.learned is not None else None
        if model is not None:  # the caller model: situations said in words no trigger lists
            row = model.probabilities([features(self._norm(text, loc).tokens)],
                                      self.learned.vector_rows([text], loc))[0]
            for sit, p in zip(model.labels, row, strict=True):
                scores[sit] = max(scores.get(sit, 0.0), 100.0 * float(p))
        if loc in self._forbidden:
            for sit, s in self.situations_flagged(loc, code, qgrams).items():
                scores[sit] = max(scores.get(sit, 0.0), s)
        return scores

    def _own_scores(self: Matcher, loc: str, code: str, qgrams: set[str]) -> dict[int, float]:
        """How close the utterance is to an approved text itself (an agent's draft): the
        local alignment, scaled down for drafts of under six tokens («抱歉» alone says little)."""
        best: dict[int, float] = {}
        group = self._approved.get(loc)
        if group is None:
            return best
        n = len(code)
        for _, p in group.candidates(code, qgrams, limit=40):
            if len(p.code) >= n:  # the draft inside the reply (insertions allowed), scaled by length
                found = align(code, p.code, 0.0)
                score = found[0] * min(1.0, n / 6) if found else 0.0
            else:
                found = align(p.code, code, 0.0)
                score = found[0] if found else 0.0
            if score > best.get(p.owner, 0.0):
                best[p.owner] = score
        return best
