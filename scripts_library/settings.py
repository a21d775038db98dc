"""Matcher thresholds and limits (the app's ``library:`` config section may override them)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Scores are 0–100.

    ``check_min_score``: a forbidden flag is reported at or above this score.
    ``suggest_min_score``: a suggestion is returned at or above this score.
    ``phrase_min_score``: a key phrase, cue or trigger counts as present in the text at or above
    this local-alignment score (85 lets a 3-character phrase take one inserted character and a
    7-character one a changed character, but never changes a 2-character phrase).
    ``cue_window``: two cues count together only this many tokens apart or closer.
    ``learned``: run the learned layer beside the aligner (off: the aligner alone).
    ``learned_min_prob``: a sentence the classifier gives a forbidden situation at least this
    probability is flagged (see ``learned.py``).
    ``learned_vectors``: the learned layer also reads each sentence's static word vector
    (``wordvec.py``), not only its n-grams.
    ``learned_min_examples``: a locale needs this many clean training sentences for a model.
    ``learned_cache``: keep the trained model in ``.learned-<key>.npz`` beside the library.
    ``max_text_chars``: longer texts are refused by the API (400) and the CLI (exit 2).
    """

    dir: str | None = None
    check_min_score: float = 72.0
    suggest_min_score: float = 40.0
    phrase_min_score: float = 85.0
    cue_window: int = 16
    max_text_chars: int = 5000
    default_k: int = 3
    learned: bool = True
    learned_min_prob: float = 0.95
    learned_cache: bool = True
    learned_vectors: bool = True
    learned_min_examples: int = 100

    @classmethod
    def from_object(cls, obj: Any | None) -> MatchSettings:
        """Build from any object or mapping with some of these names (e.g. ``core.config.LibrarySettings``)."""
        if obj is None:
            return cls()
        if isinstance(obj, MatchSettings):
            return obj
        names = {f.name for f in fields(cls)}
        if isinstance(obj, dict):
            values = {k: v for k, v in obj.items() if k in names}
        else:
            values = {n: getattr(obj, n) for n in names if hasattr(obj, n)}
        return replace(cls(), **values)
