"""Matching a spoken answer to one option of a choice list (IVR menu H13/H5, survey answers H19)."""

from __future__ import annotations

from .index import Encoder, align
from .locales import canonical_locale
from .model import Library
from .normalize import normalize


class ChoiceIndex:
    """Synonyms of every choice list, normalised and encoded once."""

    def __init__(self, library: Library, min_score: float = 85.0):
        self.min_score = min_score
        self._encoder = Encoder()
        self._lists: dict[tuple[str, str], list[tuple[str, list[str]]]] = {}
        self._raw: dict[tuple[str, str], dict[str, list[str]]] = {}
        for c in library.choices:
            encoded = [(opt, [self._encoder.encode(normalize(s).tokens, learn=True) for s in syns])
                       for opt, syns in c.options.items()]
            self._lists[(c.name, c.locale)] = encoded
            self._raw[(c.name, c.locale)] = {opt: list(syns) for opt, syns in c.options.items()}

    def options(self, name: str, locale: str) -> dict[str, list[str]]:
        """``{option: [synonyms]}`` of a list, in file order (empty if there is none)."""
        raw = self._raw.get((name, canonical_locale(locale)), {})
        return {k: list(v) for k, v in raw.items()}

    def match(self, name: str, text: str, locale: str) -> tuple[str, float] | None:
        """Best option for ``text``: highest score, then the longest synonym (so «很不满意»
        beats «不满意» beats «满意»), then file order (so emergency beats repair, H5)."""
        entries = self._lists.get((name, canonical_locale(locale)))
        if not entries or not text or not text.strip():
            return None
        code = self._encoder.encode(normalize(text).tokens)
        if not code:
            return None
        best: tuple[float, int, int, str] | None = None
        for order, (option, synonyms) in enumerate(entries):
            for syn in synonyms:
                found = align(syn, code, self.min_score, strict=True)
                if found is None:
                    continue
                key = (found[0], len(syn), -order, option)
                if best is None or key[:3] > best[:3]:
                    best = key
        return (best[3], round(best[0], 1)) if best else None
