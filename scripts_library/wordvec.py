"""Static word vectors: what a sentence means, in words the library never listed.

``wordvec.npz`` (built by ``wordvec_distill``) holds, per locale, the most frequent words with a
128-dimensional vector each, distilled from the multilingual sentence encoder
multilingual-e5-small (each word embedded alone, then fitted so that a sentence's mean comes
close to what the encoder makes of the whole sentence; PCA, int8). A text's vector is the
frequency-weighted mean of its words' vectors followed by their elementwise maximum — «I only
started last week» lands near «I'm new here» although they share no word. Chinese text is split into words by forward
maximum matching against the table's words (single characters are words too).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from .normalize import is_cjk, to_simplified

TABLE = Path(__file__).resolve().parent / "wordvec.npz"
#: a text's vector is its words' mean *and* their elementwise maximum (chosen by cross-validation:
#: the maximum keeps the one telling word a long sentence's mean dilutes)
POOL_MAX = True
_EN_WORD = re.compile(r"[a-z]+")
_MAX_ZH_WORD = 4


class WordVectors:
    """The table, per locale: word → row, and the vector of a text (see the module docstring)."""

    def __init__(self, path: Path = TABLE, pool_max: bool = False):
        self.digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        with np.load(path) as z:
            words = [str(w) for w in z["words"]]
            vectors = z["vectors"].astype(np.float32) * z["scale"][:, None]
        self.dims = vectors.shape[1]
        self.rows: dict[str, dict[str, int]] = {}
        rank: dict[str, int] = {}
        weights = np.zeros(len(words), np.float32)
        for i, item in enumerate(words):
            loc, word = item.split("\t", 1)
            r = rank.get(loc, 0)
            rank[loc] = r + 1
            self.rows.setdefault(loc, {})[word] = i
            weights[i] = np.log(2.0 + r)  # rarer words say more (a Zipf weight)
        self.vectors = vectors * weights[:, None]
        self.unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        self.pool_max = pool_max
        #: the length of a text's vector
        self.size = self.dims * (2 if pool_max else 1)

    def words(self, text: str, locale: str) -> list[int]:
        """Rows of the known words of ``text``."""
        table = self.rows.get(locale)
        if not table:
            return []
        if locale != "zh-CN":
            return [table[w] for w in _EN_WORD.findall(text.lower()) if w in table]
        out: list[int] = []
        text = to_simplified(text)
        i, n = 0, len(text)
        while i < n:
            if not is_cjk(text[i]):
                i += 1
                continue
            for k in range(min(_MAX_ZH_WORD, n - i), 0, -1):
                row = table.get(text[i : i + k])
                if row is not None:
                    out.append(row)
                    i += k
                    break
            else:
                i += 1
        return out

    def vector(self, text: str, locale: str) -> np.ndarray:
        """Unit-length mean vector of the text's words (zeros when none is known); with
        ``pool_max``, followed by the unit-length elementwise maximum of its words' vectors."""
        rows = self.words(text, locale)
        if not rows:
            return np.zeros(self.size, np.float32)
        v = self.vectors[rows].sum(axis=0)
        norm = float(np.sqrt((v * v).sum()))
        v = v / norm if norm else v
        if not self.pool_max:
            return v
        m = self.unit[rows].max(axis=0)
        norm = float(np.sqrt((m * m).sum()))
        return np.concatenate([v, m / norm if norm else m])


@lru_cache(maxsize=1)
def shipped() -> WordVectors | None:
    """The shipped table, or None when it is missing (the learned layer then uses n-grams alone)."""
    try:
        return WordVectors(TABLE, pool_max=POOL_MAX)
    except (OSError, KeyError, ValueError):
        return None
