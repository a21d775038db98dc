"""Where in an utterance the learned layer fires, and the negated-instruction rule.

The agent model scores *clause windows* — one to three consecutive clauses (split at any
punctuation) — so a flag always covers whole clauses of the original text: the exact words
the classifier fired on. Smaller windows win over the larger ones that contain them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .learned import NONE, LinearModel, features
from .normalize import NormText

#: the most clauses one window joins
MAX_WINDOW = 3
#: «you don't need to …» / «您不用…»: what follows is what the agent is *not* asking the caller
#: to do, so a fault named there is the opposite of the fault (HANDBOOK S7: «不用挂断重拨,我现在就
#: 帮您转接» is the approved reply said loosely)
RELEASES = {
    "zh-CN": ("不用", "不需要", "无需", "不必", "用不着", "没必要", "不要挂"),
    "en": ("you don't need to", "no need to", "you don't have to", "you won't have to", "you won't need to",
           "you needn't", "you do not need to", "you do not have to", "please don't hang up"),
}


def clause_windows(norm: NormText) -> list[tuple[int, int]]:
    """Token ranges [a, b) of every window of 1…MAX_WINDOW consecutive clauses."""
    bounds: list[tuple[int, int]] = []
    for i, c in enumerate(norm.clauses):
        if bounds and norm.clauses[bounds[-1][0]] == c:
            bounds[-1] = (bounds[-1][0], i + 1)
        else:
            bounds.append((i, i + 1))
    return [(bounds[i][0], bounds[j][1]) for i in range(len(bounds))
            for j in range(i, min(len(bounds), i + MAX_WINDOW))]


def learned_flags(model: LinearModel, norm: NormText, min_prob: float,
                  vectors: Callable[[list[tuple[int, int]]], np.ndarray | None] | None = None,
                  ) -> list[tuple[float, int, int, str]]:
    """(probability, token start, token end, situation) of the windows the model flags, the
    smallest windows first, none overlapping another. ``vectors`` gives the word vectors of
    the windows' texts."""
    windows = clause_windows(norm)
    if not windows:
        return []
    probs = model.probabilities([features(norm.tokens[a:b]) for a, b in windows],
                                vectors(windows) if vectors is not None else None)
    none = model.labels.index(NONE)
    found = []
    for (a, b), row in zip(windows, probs, strict=True):
        row = row.copy()
        row[none] = -1.0
        best = int(row.argmax())
        if row[best] >= min_prob:
            found.append((float(row[best]), a, b, model.labels[best]))
    found.sort(key=lambda f: (f[2] - f[1], -f[0], f[1]))
    accepted: list[tuple[float, int, int, str]] = []
    for f in found:
        if not any(f[1] < o[2] and o[1] < f[2] for o in accepted):
            accepted.append(f)
    return sorted(accepted, key=lambda f: f[1])


class Releases:
    """Finds a release phrase («you don't need to») before a flag in the flag's clause."""

    def __init__(self, tokenize: Callable[[str, str], list[str]]):
        self._phrases = {loc: [tuple(tokenize(p, loc)) for p in phrases] for loc, phrases in RELEASES.items()}

    def releases(self, norm: NormText, a: int, b: int, locale: str) -> bool:
        """True when a release phrase heads the clause of flag ``[a, b)`` and starts inside
        the flag or before it."""
        toks, clauses = norm.tokens, norm.clauses
        if a >= len(toks):
            return False
        start = a
        while start > 0 and clauses[start - 1] == clauses[a]:
            start -= 1
        for phrase in self._phrases.get(locale, ()):
            k = len(phrase)
            # at the head of the clause (after at most one word: «您不用…»), so «there's no
            # need to swear at me» (a brush-off, S2) is not a release
            for i in range(start, min(b, start + 2, len(toks) - k + 1)):
                if tuple(toks[i : i + k]) == phrase:
                    return True
        return False
