"""How one forbidden entry's hits in an utterance become flags (HANDBOOK S1–S9).

A key phrase or the entry's whole wording is enough on its own; cues are weaker and count
only in pairs of two different cues on different words. Hits of one entry that lie close
together form one flag; far apart, they are separate flags.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Hit:
    """One pattern of an entry found at tokens [a, b) with its score; role: key | cue | text."""

    role: str
    pattern: int
    score: float
    a: int
    b: int


def clusters(hits: list[Hit], window: int) -> list[list[Hit]]:
    """Group one entry's hits that lie within ``window`` tokens of each other."""
    hits = sorted(hits, key=lambda h: (h.a, h.b))
    groups: list[list[Hit]] = []
    for h in hits:
        if groups and h.a - max(x.b for x in groups[-1]) <= window:
            groups[-1].append(h)
        else:
            groups.append([h])
    return groups


def cluster_score(cluster: list[Hit]) -> float:
    """A key phrase or the whole wording alone flags; cues need a second cue elsewhere in
    the utterance (two cues on the same words are one piece of evidence)."""
    strong = [h.score for h in cluster if h.role != "cue"]
    score = max(strong, default=0.0)
    cues = sorted((h for h in cluster if h.role == "cue"), key=lambda h: -h.score)
    pairs = [(x.score + y.score) / 2 for n, x in enumerate(cues) for y in cues[n + 1:]
             if x.pattern != y.pattern and (x.b <= y.a or y.b <= x.a)]
    if pairs:
        score = max(score, max(pairs) - 5.0)
    if score:
        score = min(100.0, score + 2.0 * (len({h.pattern for h in cluster}) - 1))
    return score
