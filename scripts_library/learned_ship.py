"""``python -m scripts_library.learned_ship``: train the learned layer of the default library and
write it to ``scripts_library/learned_model.npz`` (the shipped model, see ``learned_store``).

Run it after changing the default library's data (``scripts_library/data``) or the model code
(features, training data, solver, normalisation); ``test_the_shipped_model_is_up_to_date``
asks for it. About 10–20 s of CPU; the output is the same for the same library and code.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from . import learned_store
from .learned import LearnedLayer
from .loader import load_library
from .matcher import Matcher
from .settings import MatchSettings
from .wordvec import shipped


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only say whether the shipped model is up to date (exit 1 if not)")
    args = ap.parse_args(argv)
    lib, problems = load_library()
    if problems:
        print(f"the default library does not load: {problems[0]}", file=sys.stderr)
        return 2
    st = MatchSettings()
    key = learned_store.model_key(lib, st.learned_min_examples, st.learned_vectors)
    if learned_store.shipped_key() == key:
        print(f"{learned_store.SHIPPED.name} is up to date (key {key})")
        return 0
    if args.check:
        print(f"{learned_store.SHIPPED.name} is stale: run {learned_store.REBUILD}")
        return 1
    aligner = Matcher(lib, st, train=False)
    cpu = time.process_time()
    layer = LearnedLayer._train(lib, aligner.tokens, st.learned_min_examples, shipped() if st.learned_vectors else None)
    cpu = time.process_time() - cpu
    learned_store.save(layer, learned_store.SHIPPED, key)
    size = learned_store.SHIPPED.stat().st_size
    print(f"wrote {learned_store.SHIPPED.name} (key {key}, {size / 1e6:.1f} MB) after {cpu:.1f} s of CPU training")
    return 0


if __name__ == "__main__":
    sys.exit(main())
