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

Training is deterministic (fixed seed for augmentation, full-batch L-BFGS from a zero start),
so the same library gives the same model and the same flags. The trained weights are cached
beside the library in ``.learned-<hash>.npz`` (hash of the library files, this code's version
and the training settings); numpy alone runs the model, scipy is imported only to train.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .learned_data import NONE, agent_sentences, caller_sentences
from .model import Library
from .wordvec import WordVectors, shipped

#: bump when features or training change: old caches are then ignored
VERSION = "3"
#: how much the word vector (unit length) counts beside the n-grams (chosen by cross-validation)
VECTOR_WEIGHT = 3.0
SEED = 20
_NEG_EN = frozenset({"not", "no", "never", "nobody", "nothing", "none", "nowhere", "neither"})
_NEG_ZH = frozenset("不没别无未")
_L2 = 1e-4

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
        index = self.index
        cols: list[int] = []
        starts: list[int] = []
        scale = np.zeros(len(feature_lists))
        for r, feats in enumerate(feature_lists):
            starts.append(len(cols))
            cols += [index[f] for f in feats if f in index]
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


def train(rows: list[tuple[list[str], str, float]], labels: list[str], vectors: np.ndarray | None = None) -> LinearModel:
    """Fit weights on (features, label, weight) rows (and one word vector per row):
    weighted cross-entropy, L2, L-BFGS."""
    from scipy import sparse

    vocab = sorted({f for feats, _, _ in rows for f in feats})
    index = {f: i for i, f in enumerate(vocab)}
    data, cols, ptr = [], [], [0]
    for feats, _, _ in rows:
        cols += [index[f] for f in feats]
        data += [1.0 / np.sqrt(len(feats))] * len(feats)
        ptr.append(len(cols))
    x = sparse.csr_matrix((data, cols, ptr), shape=(len(rows), len(vocab)))
    if vectors is not None:
        x = sparse.hstack([x, sparse.csr_matrix(VECTOR_WEIGHT * vectors)]).tocsr()
    label_at = {lab: i for i, lab in enumerate(labels)}
    y = np.array([label_at[lab] for _, lab, _ in rows])
    counts = np.bincount(y, minlength=len(labels)).astype(float)
    balance = np.sqrt(counts.sum() / np.maximum(counts, 1.0) / len(labels))
    w = np.array([wt for _, _, wt in rows]) * balance[y]
    w /= w.sum()
    onehot = np.zeros((len(rows), len(labels)))
    onehot[np.arange(len(rows)), y] = 1.0
    f, c = x.shape[1], len(labels)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        wt, b = theta[: f * c].reshape(f, c), theta[f * c :]
        z = x @ wt + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -(w * (onehot * logp).sum(axis=1)).sum() + 0.5 * _L2 * (wt * wt).sum()
        g = (np.exp(logp) - onehot) * w[:, None]
        grad = np.concatenate([(x.T @ g + _L2 * wt).ravel(), g.sum(axis=0)])
        return value, grad

    theta = lbfgs(loss, np.zeros(f * c + c))
    w_all = theta[: f * c].reshape(f, c).astype(np.float32)
    dense = w_all[len(vocab) :] if vectors is not None else None
    return LinearModel(vocab, w_all[: len(vocab)], theta[f * c :], labels, dense)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product without BLAS (whose threads stall on a busy machine for vectors this size)."""
    return float(np.multiply(a, b).sum())


def lbfgs(fun: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray, iterations: int = 150,
          memory: int = 8, tol: float = 1e-6) -> np.ndarray:
    """Minimise a smooth convex ``fun`` (value, gradient) by limited-memory BFGS with Armijo
    backtracking: plain numpy, deterministic (no randomness, fixed iteration order)."""
    value, grad = fun(x)
    history: list[tuple[np.ndarray, np.ndarray, float]] = []
    for _ in range(iterations):
        q = grad.copy()
        alphas = []
        for s, y, rho in reversed(history):
            a = rho * _dot(s, q)
            alphas.append(a)
            q -= a * y
        if history:
            s, y, _ = history[-1]
            q *= _dot(s, y) / _dot(y, y)
        for (s, y, rho), a in zip(history, reversed(alphas), strict=True):
            q += s * (a - rho * _dot(y, q))
        step, slope = 1.0, -_dot(grad, q)
        if slope >= 0:
            q, slope, history = grad.copy(), -_dot(grad, grad), []
        while True:
            new_x = x - step * q
            new_value, new_grad = fun(new_x)
            if new_value <= value + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s, y = new_x - x, new_grad - grad
        if _dot(s, y) > 1e-12:
            history = [*history[-(memory - 1):], (s, y, 1.0 / _dot(s, y))]
        x, grad, done = new_x, new_grad, abs(value - new_value) < tol * max(1.0, abs(value))
        value = new_value
        if done or np.abs(grad).max() < tol:
            break
    return x


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
        return np.array([self.vectors.vector(t, locale) for t in texts], np.float32).reshape(len(texts), -1)

    @classmethod
    def build(cls, lib: Library, tokenize: Tokenize, cache: bool = True, min_examples: int = 100,
              use_vectors: bool = True) -> LearnedLayer:
        """Load the cached models of this library or train (and cache) them. A locale with
        fewer than ``min_examples`` clean sentences (caller side: sentences) gets no model:
        a handful of texts teaches nothing but to flag everything."""
        vectors = shipped() if use_vectors else None
        table = vectors.digest if vectors is not None else "-"
        key = hashlib.sha256(f"{lib.digest}|{VERSION}|{SEED}|{_L2}|{min_examples}|{table}".encode()).hexdigest()[:16]
        path = Path(lib.root) / f".learned-{key}.npz" if cache and lib.root and lib.digest else None
        if path is not None and path.is_file():
            try:
                return cls._load(path, vectors)
            except (OSError, ValueError, KeyError):
                pass  # a broken cache is rebuilt
        layer = cls._train(lib, tokenize, min_examples, vectors)
        if path is not None:
            layer._save(path)
        return layer

    @classmethod
    def _train(cls, lib: Library, tokenize: Tokenize, min_examples: int,
               vectors: WordVectors | None = None) -> LearnedLayer:
        layer = cls({}, {}, vectors)
        agent_rows = agent_sentences(lib, SEED)
        caller_rows = caller_sentences(lib, SEED)
        sits = sorted({e.situation for e in lib.entries if e.kind == "forbidden"}, key=lambda s: int(s[1:]))
        for loc in sorted({e.locale for e in lib.entries}):
            texts, rows = layer._rows(agent_rows, loc, tokenize)
            present = {lab for _, lab, _ in rows}
            if sum(lab == NONE for _, lab, _ in rows) >= min_examples and len(present) > 1:
                layer.agent[loc] = train(rows, [NONE, *[s for s in sits if s in present]], layer.vector_rows(texts, loc))
            texts, rows = layer._rows(caller_rows, loc, tokenize)
            present = {lab for _, lab, _ in rows}
            if len(rows) >= min_examples and len(present) > 1:
                layer.caller[loc] = train(rows, sorted(present, key=lambda s: int(s[1:])), layer.vector_rows(texts, loc))
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

    def _save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {}
        meta = {}
        for role, models in (("agent", self.agent), ("caller", self.caller)):
            for loc, m in models.items():
                name = f"{role}|{loc}"
                arrays[f"{name}|w"], arrays[f"{name}|b"] = m.weights, m.bias
                if m.dense is not None:
                    arrays[f"{name}|d"] = m.dense
                meta[name] = {"vocab": m.vocab, "labels": m.labels}
        arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".learned-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)
            os.replace(tmp, path)
            for old in path.parent.glob(".learned-*.npz"):
                if old != path:  # the model of an earlier version of the library
                    old.unlink(missing_ok=True)
        except OSError:
            return  # a read-only library directory is trained again at the next start

    @classmethod
    def _load(cls, path: Path, vectors: WordVectors | None = None) -> LearnedLayer:
        with np.load(path) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            roles: dict[str, dict[str, LinearModel]] = {"agent": {}, "caller": {}}
            for name, m in meta.items():
                role, loc = name.split("|")
                dense = z[f"{name}|d"] if f"{name}|d" in z.files else None
                roles[role][loc] = LinearModel(m["vocab"], z[f"{name}|w"], z[f"{name}|b"], m["labels"], dense)
        return cls(roles["agent"], roles["caller"], vectors)
