"""Where a trained learned layer comes from: the shipped model, the cache beside the library, or
training.

A model is identified by its **key**: a hash of the library's content (``Library.digest``), the
model code (the bytes of the modules that turn a library into weights: ``MODEL_CODE``), the
word-vector table and the training settings. So any change to the library data or to the
feature, augmentation or solver code gives a new key, and a model with another key is never
used for it.

* ``scripts_library/learned_model.npz`` — the model of the **default library**, shipped in the
  repository so that a fresh clone (and CI) starts without training. Any library whose key
  equals its key (a copy of the default library, e.g. ``library.dir`` on first start) uses it.
  Rebuilt by ``python -m scripts_library.learned_ship``; ``test_the_shipped_model_is_up_to_date``
  fails, naming that command, when the library data or the model code changed without it.
* ``.learned-<key>.npz`` beside the library — the cache of every other library (and of the
  default one when the shipped model is stale): written after training, reused until the key
  changes, the older ones deleted.

Files are ``np.savez_compressed`` archives: per model its float32 weight rows, biases and
word-vector weights, and one JSON block with the key, vocabularies and labels. numpy alone
reads them (no scipy at start-up).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import learned, learned_data, learned_fit, normalize, synonyms, wordvec
from .learned import SEED, VERSION, LearnedLayer, LinearModel, Tokenize
from .model import Library
from .wordvec import WordVectors, shipped

log = logging.getLogger(__name__)

#: the modules whose code decides the trained weights (tokens, features, training data, solver)
MODEL_CODE = (learned, learned_data, learned_fit, normalize, synonyms, wordvec)
SHIPPED = Path(__file__).resolve().parent / "learned_model.npz"
REBUILD = "python -m scripts_library.learned_ship"


@lru_cache(maxsize=1)
def code_digest() -> str:
    """Hash of the model code's source files (line endings ignored)."""
    h = hashlib.sha256()
    for module in MODEL_CODE:
        path = Path(module.__file__ or "")
        h.update(path.name.encode() + b"\0" + path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return h.hexdigest()


def model_key(lib: Library, min_examples: int = 100, use_vectors: bool = True) -> str:
    """The key of the model this library trains to with these settings (see the module docstring)."""
    vectors = shipped() if use_vectors else None
    table = vectors.digest if vectors is not None else "-"
    parts = (lib.digest, VERSION, SEED, learned.L2, min_examples, table, code_digest())
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


def cache_path(lib: Library, key: str) -> Path | None:
    """The model cache beside the library (None for a library without a directory)."""
    return Path(lib.root) / f".learned-{key}.npz" if lib.root and lib.digest else None


def shipped_key(path: Path = SHIPPED) -> str | None:
    """The key the shipped model was trained for (None when it is missing or unreadable)."""
    try:
        with np.load(path) as z:
            return str(json.loads(z["meta"].tobytes().decode())["key"])
    except (OSError, ValueError, KeyError):
        return None


def cached(lib: Library, cache: bool = True, min_examples: int = 100, use_vectors: bool = True) -> LearnedLayer | None:
    """The trained layer of this library without training: the shipped model when its key is
    this library's, else the cache beside the library; None when neither exists, or when
    ``cache`` is off (``learned_cache: false``: always train)."""
    if not cache:
        return None
    key = model_key(lib, min_examples, use_vectors)
    vectors = shipped() if use_vectors else None
    for path in (SHIPPED, cache_path(lib, key)):
        if path is None or not path.is_file():
            continue
        try:
            return load(path, vectors, key)
        except (OSError, ValueError, KeyError):
            continue  # another library's, stale or broken: next
    return None


def build(lib: Library, tokenize: Tokenize, cache: bool = True, min_examples: int = 100, use_vectors: bool = True,
          cancelled: Callable[[], bool] | None = None) -> LearnedLayer:
    """The cached layer (``cached``) or a newly trained one, then cached beside the library.
    A locale with fewer than ``min_examples`` clean sentences (caller side: sentences) gets no
    model: a handful of texts teaches nothing but to flag everything."""
    found = cached(lib, cache, min_examples, use_vectors)
    if found is not None:
        return found
    vectors = shipped() if use_vectors else None
    layer = LearnedLayer._train(lib, tokenize, min_examples, vectors, cancelled)
    key = model_key(lib, min_examples, use_vectors)
    path = cache_path(lib, key) if cache else None
    if path is not None:
        try:
            save(layer, path, key)
            for old in path.parent.glob(".learned-*.npz"):
                if old != path:  # the model of an earlier version of the library
                    old.unlink(missing_ok=True)
        except OSError as exc:  # a read-only library directory is trained again at the next start
            log.warning("cannot cache the learned layer in %s: %s", path.parent, exc)
    return layer


def save(layer: LearnedLayer, path: Path, key: str) -> None:
    """Write ``layer`` for ``key`` to ``path`` atomically (a temporary file, then renamed)."""
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, object] = {"key": key}
    for role, models in (("agent", layer.agent), ("caller", layer.caller)):
        for loc, m in sorted(models.items()):
            name = f"{role}|{loc}"
            arrays[f"{name}|w"], arrays[f"{name}|b"] = m.weights, m.bias
            if m.dense is not None:
                arrays[f"{name}|d"] = m.dense
            meta[name] = {"vocab": m.vocab, "labels": m.labels}
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".learned-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def load(path: Path, vectors: WordVectors | None, key: str) -> LearnedLayer:
    """The layer saved in ``path``; ``ValueError`` when it was trained for another key."""
    with np.load(path) as z:
        meta = json.loads(z["meta"].tobytes().decode())
        if meta.pop("key", None) != key:
            raise ValueError(f"{path.name}: trained for another library or model version")
        roles: dict[str, dict[str, LinearModel]] = {"agent": {}, "caller": {}}
        for name, m in meta.items():
            role, loc = name.split("|")
            dense = z[f"{name}|d"] if f"{name}|d" in z.files else None
            roles[role][loc] = LinearModel(m["vocab"], z[f"{name}|w"], z[f"{name}|b"], m["labels"], dense)
    return LearnedLayer(roles["agent"], roles["caller"], vectors)
