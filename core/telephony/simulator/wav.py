"""Small real WAV files (recordings) and the length of a WAV prompt (``<Play>``)."""

from __future__ import annotations

import io
import wave

RECORDING_RATE = 8000  # Hz, 8-bit mono: 8 kB per second
MAX_RECORDING_BYTES_S = 120  # generated audio is capped; the header's length is the real one


def silent_wav(seconds: float, channels: int = 1) -> bytes:
    """A valid 8 kHz WAV of ``seconds`` of silence on ``channels`` channels (1, or 2 for a
    dual-channel call recording: caller left, other party right), capped at two minutes."""
    frames = int(RECORDING_RATE * max(0.0, min(seconds, MAX_RECORDING_BYTES_S)))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(1)
        w.setframerate(RECORDING_RATE)
        w.writeframes(b"\x80" * frames * channels)
    return buf.getvalue()


def wav_seconds(content: bytes) -> float | None:
    """Length of a WAV file from its header, or None when ``content`` is not a WAV."""
    if not content.startswith(b"RIFF"):
        return None
    try:
        with wave.open(io.BytesIO(content), "rb") as w:
            rate = w.getframerate()
            return w.getnframes() / rate if rate else None
    except (wave.Error, EOFError):
        return None
