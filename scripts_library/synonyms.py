"""Word families folded to one form before matching (``data/<locale>/synonyms.yaml``).

Agents paraphrase: «管理人员/领导/主管» all mean the manager, «我不清楚/我不知道» are the
same brush-off, «ring/phone/dial» are all «call». Folding both the library and the utterance
to the first word of each family lets one key phrase cover all of them. The folded tokens keep
the original character span of the word they replace, so flags still point into the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .normalize import NormText, normalize


class Folder:
    """Replaces, longest first, every variant of a family by the family's first member."""

    def __init__(self, groups: Iterable[Sequence[str]] = ()):
        self._map: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for group in groups:
            members = [tuple(normalize(w).tokens) for w in group]
            members = [m for m in members if m]
            if not members:
                continue
            canon = members[0]
            for variant in members:  # the canonical form maps to itself, so «嘴巴» never becomes «嘴巴巴»
                self._map.setdefault(variant[0], []).append((variant, canon))
        for options in self._map.values():
            options.sort(key=lambda vc: -len(vc[0]))

    def __bool__(self) -> bool:
        return bool(self._map)

    def fold(self, norm: NormText) -> NormText:
        if not self._map:
            return norm
        toks, n = norm.tokens, len(norm.tokens)
        out = NormText()
        i = 0
        while i < n:
            for variant, canon in self._map.get(toks[i], ()):
                k = len(variant)
                if tuple(toks[i : i + k]) == variant:
                    start, end, clause = norm.starts[i], norm.ends[i + k - 1], norm.clauses[i]
                    for tok in canon:
                        out.add(tok, start, end, clause)
                    i += k
                    break
            else:
                out.add(toks[i], norm.starts[i], norm.ends[i], norm.clauses[i])
                i += 1
        return out
