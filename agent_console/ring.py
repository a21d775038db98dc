"""The desk's ring: a short two-tone WAV built in memory (no file to ship, nothing downloaded).

The page loops it while a call rings for the agent, at ``console.ring_volume``.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from functools import lru_cache

RATE = 8000  # samples per second: enough for a telephone ring
TONES_HZ = (440.0, 480.0)  # the North American ring-back pair: recognisably "a phone ringing"
BURST_S = 0.8
GAP_S = 0.4
FADE_S = 0.02


def _sample(n: int) -> int:
    t = n / RATE
    if t >= BURST_S:
        return 0
    fade = min(1.0, t / FADE_S, (BURST_S - t) / FADE_S)
    value = sum(math.sin(2 * math.pi * f * t) for f in TONES_HZ) / len(TONES_HZ)
    return int(value * fade * 0.8 * 32767)


@lru_cache(maxsize=1)
def ring_wav() -> bytes:
    """Mono 16-bit PCM: one burst of the two tones, then silence (the page loops it)."""
    frames = b"".join(struct.pack("<h", _sample(n)) for n in range(int(RATE * (BURST_S + GAP_S))))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(frames)
    return out.getvalue()
