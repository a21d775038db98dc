"""The learned layer beside the aligner: n-gram features and a linear (softmax) model.

Key phrases catch the wordings someone listed; the learned layer generalizes from examples.
Each locale gets two multinomial logistic-regression models over sparse n-gram features of
the matcher's normalised, synonym-folded tokens (one token per Chinese character, one per
English word):

* the **agent** model labels a clause window ``none`` or a forbidden situation S1–S9
  (``check``); trained from the library's forbidden/approved texts, variants, key phrases,
  triggers and tuning examples (``learned_data``);
* the **caller** model gives each situation S1–S9 a probability for an utterance (``suggest``).

Features: token 1–3-grams, for English also 4-character pieces of words, and a negation scope
(the three tokens after «not / never / no…», the two characters after 不/没/别/无/未 are also
seen as «¬token»), so «I'll transfer you» and «I can't transfer you» look different; beside
them, ``VECTOR_WEIGHT`` × the sentence's static word vector (``wordvec.py``), so wordings that
share no n-gram with the training sentences but mean the same land near them.

Training is deterministic (fixed seed for augmentation, full-batch L-BFGS from a zero start,
``learned_fit``), so the same library gives the same model and the same flags. Where a trained
model is kept (shipped for the default library, cached beside any other) is ``learned_store``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse

from .learned_data import NONE, agent_sentences, caller_sentences
from .learned_fit import Design, fit
from .model import Library
from .wordvec import WordVectors

#: bump when features or training change: old caches are then ignored
VERSION = "3"
#: how much the word vector (unit length) counts beside the n-grams (chosen by cross-validation)
VECTOR_WEIGHT = 3.0
SEED = 20
_NEG_EN = frozenset({"not", "no", "never", "nobody", "nothing", "none", "nowhere", "neither"})
_NEG_ZH = frozenset("不没别无未")
L2 = 1e-4

Tokenize = Callable[[str, str], list[str]]


def features(tokens: Sequence[str]) -> list[str]:
    """Distinct n-gram features of a token sequence (see the module docstring)."""
    out: set[str] = set()
    n = len(tokens)
    for i in range(n):
        for k in (1, 2, 3):
            if i + k <= n:
                out.add(" ".join(tokens[i : i + k]))
        tok = tokens[i]
        if len(tok) > 4 and tok.isascii():
            out.update(f"~{tok[j : j + 4]}" for j in range(len(tok) - 3))
        if tok in _NEG_EN or tok in _NEG_ZH:
            reach = 3 if tok in _NEG_EN else 2
            out.update(f"¬{t}" for t in tokens[i + 1 : i + 1 + reach])
    return sorted(out)


class LinearModel:
    """Softmax over ``labels`` of a sum of per-feature weight rows (unknown features count 0)."""

    def __init__(self, vocab: list[str], weights: np.ndarray, bias: np.ndarray, labels: list[str],
                 dense: np.ndarray | None = None):
        self.vocab = vocab
        self.index = {f: i for i, f in enumerate(vocab)}
        self.weights = weights
        self.bias = bias
        self.labels = labels
        self.dense = dense  # weights of the word-vector dimensions (None: n-grams alone)

    def probabilities(self, feature_lists: Sequence[Sequence[str]], vectors: np.ndarray | None = None) -> np.ndarray:
        """One row of label probabilities per feature list (and its text's word vector)."""
        get = self.index.get
        cols: list[int] = []
        starts: list[int] = []
        scale = np.zeros(len(feature_lists))
        for r, feats in enumerate(feature_lists):
            starts.append(len(cols))
            cols += [i for f in feats if (i := get(f)) is not None]
            if feats and len(cols) > starts[-1]:
                scale[r] = 1.0 / np.sqrt(len(feats))
        z = np.tile(self.bias, (len(feature_lists), 1))
        if cols:  # one gather and one segmented sum for every row (rows without known features add 0)
            gathered = np.vstack([self.weights[cols], np.zeros((1, len(self.labels)), self.weights.dtype)])
            sums = np.add.reduceat(gathered, starts, axis=0)  # the zero row keeps every start a valid index
            z += sums * scale[:, None]
        if self.dense is not None and vectors is not None:
            z += (VECTOR_WEIGHT * vectors) @ self.dense
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)


def train(rows: list[tuple[list[str], str, float]], labels: list[str], vectors: np.ndarray | None = None,
          cancelled: Callable[[], bool] | None = None) -> LinearModel:
    """Fit weights on (features, label, weight) rows (and one word vector per row):
    weighted cross-entropy, L2, L-BFGS (``learned_fit``)."""
    vocab = sorted({f for feats, _, _ in rows for f in feats})
    index = {f: i for i, f in enumerate(vocab)}
    data, cols, ptr = [], [], [0]
    for feats, _, _ in rows:
        cols += [index[f] for f in feats]
        data += [1.0 / np.sqrt(len(feats))] * len(feats)
        ptr.append(len(cols))
    x = sparse.csr_matrix((data, cols, ptr), shape=(len(rows), len(vocab)))
    design = Design(x, None if vectors is None else VECTOR_WEIGHT * vectors.astype(np.float64))
    label_at = {lab: i for i, lab in enumerate(labels)}
    y = np.array([label_at[lab] for _, lab, _ in rows])
    counts = np.bincount(y, minlength=len(labels)).astype(float)
    balance = np.sqrt(counts.sum() / np.maximum(counts, 1.0) / len(labels))
    w = np.array([wt for _, _, wt in rows]) * balance[y]
    w /= w.sum()
    f, c = design.width, len(labels)
    theta = fit(design, y, w, c, L2, cancelled)
    w_all = theta[: f * c].reshape(f, c).astype(np.float32)
    dense = w_all[len(vocab) :] if vectors is not None else None
    return LinearModel(vocab, w_all[: len(vocab)], theta[f * c :], labels, dense)


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    """Each row scaled to unit length (rows of zeros stay zeros)."""
    norms = np.sqrt((rows * rows).sum(axis=1, keepdims=True))
    return np.divide(rows, norms, out=rows.copy(), where=norms > 0)


class LearnedLayer:
    """The agent and caller models of every locale of one library."""

    def __init__(self, agent: dict[str, LinearModel], caller: dict[str, LinearModel],
                 vectors: WordVectors | None = None):
        self.agent = agent
        self.caller = caller
        self.vectors = vectors

    def vector_rows(self, texts: Sequence[str], locale: str) -> np.ndarray | None:
        """The word vector of each text (None without a word-vector table)."""
        if self.vectors is None:
            return None
        table = self.vectors
        rows = [table.words(t, locale) for t in texts]
        out = np.zeros((len(texts), table.size), np.float32)
        filled = [i for i, r in enumerate(rows) if r]
        if filled:  # WordVectors.vector for every text at once: one gather, one segmented sum (and max)
            starts = np.cumsum([0] + [len(rows[i]) for i in filled[:-1]])
            words = [x for i in filled for x in rows[i]]
            out[filled, :table.dims] = _unit_rows(np.add.reduceat(table.vectors[words], starts, axis=0))
            if table.pool_max:
                out[filled, table.dims:] = _unit_rows(np.maximum.reduceat(table.unit[words], starts, axis=0))
        return out

    @classmethod
    def _train(cls, lib: Library, tokenize: Tokenize, min_examples: int,
               vectors: WordVectors | None = None, cancelled: Callable[[], bool] | None = None) -> LearnedLayer:
        layer = cls({}, {}, vectors)
        agent_rows = agent_sentences(lib, SEED)
        caller_rows = caller_sentences(lib, SEED)
        sits = sorted({e.situation for e in lib.entries if e.kind == "forbidden"}, key=lambda s: int(s[1:]))
        for loc in sorted({e.locale for e in lib.entries}):
            texts, rows = layer._rows(agent_rows, loc, tokenize)
            present = {lab for _, lab, _ in rows}
            if sum(lab == NONE for _, lab, _ in rows) >= min_examples and len(present) > 1:
                layer.agent[loc] = train(rows, [NONE, *[s for s in sits if s in present]],
                                         layer.vector_rows(texts, loc), cancelled)
            texts, rows = layer._rows(caller_rows, loc, tokenize)
            present = {lab for _, lab, _ in rows}
            if len(rows) >= min_examples and len(present) > 1:
                layer.caller[loc] = train(rows, sorted(present, key=lambda s: int(s[1:])),
                                          layer.vector_rows(texts, loc), cancelled)
        return layer

    @staticmethod
    def _rows(sentences: list[tuple[str, str, str, float]], loc: str,
              tokenize: Tokenize) -> tuple[list[str], list[tuple[list[str], str, float]]]:
        """The texts and (features, label, weight) rows of one locale's sentences with features."""
        texts, rows = [], []
        for lc, t, lab, w in sentences:
            feats = features(tokenize(t, loc)) if lc == loc else []
            if feats:
                texts.append(t)
                rows.append((feats, lab, w))
        return texts, rows
