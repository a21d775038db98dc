"""Sentences a team lead confirmed as forbidden phrasing are always flagged.

The review loop (the library page's candidates) appends a sentence a lead marked "should have
been flagged" to the tuning examples with ``confirmed: true``. The learned layer retrains on it,
but a statistical model may still score that very sentence below its threshold; a lead who has
just confirmed a sentence expects it to be caught from then on. So a clause window — or the
whole utterance — whose text equals a confirmed example (ignoring case, spacing and
punctuation) is flagged as the example's situation, with the usual span and alternatives.
"""

from __future__ import annotations

import re

from .learned_check import clause_windows
from .locales import canonical_locale
from .model import Library
from .normalize import NormText

_NOT_WORD = re.compile(r"[\W_]+")


def sentence_key(text: str) -> str:
    """The text without case, spacing or punctuation."""
    return _NOT_WORD.sub("", text.casefold())


class Confirmed:
    """The confirmed forbidden examples of a library, by locale."""

    def __init__(self, library: Library):
        self.by_locale: dict[str, dict[str, str]] = {}
        for x in library.examples:
            if x.confirmed and x.flag and x.flag != "none":
                self.by_locale.setdefault(canonical_locale(x.locale), {})[sentence_key(x.text)] = x.flag

    def windows(self, loc: str, text: str, norm: NormText) -> list[tuple[int, int, str]]:
        """Token ranges ``[a, b)`` of the windows that are a confirmed sentence, with its situation."""
        known = self.by_locale.get(loc)
        if not known or not norm.tokens:
            return []
        found = []
        for a, b in [(0, len(norm.tokens)), *clause_windows(norm)]:
            start, end = norm.span(a, b)
            situation = known.get(sentence_key(text[start:end]))
            if situation and not any(a < fb and fa < b for fa, fb, _ in found):
                found.append((a, b, situation))
        return found
