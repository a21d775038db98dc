"""What a waiting caller is told and when (H3): the wait announced for a place in line, the
length of spoken text, the hold audio, and how one waitUrl document fills the time up to the
next reassurance (``queue.reassure_every_s``)."""

from __future__ import annotations

import math
import re
import wave
from dataclasses import dataclass
from pathlib import Path

from core.config import Settings
from core.paths import data_dir

CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")  # as the simulator counts


def expected_wait_s(settings: Settings, position: int, free_agents: int, staffed_agents: int) -> float:
    """The wait announced to the caller at ``position`` in the service order (H3).

    ``0`` when a free agent is there for this caller (``free_agents >= position``): the caller
    hears "connecting you now", not a number of minutes. Otherwise the callers who cannot be
    served at once — ``position - free_agents`` of them, this caller included — are served by
    the agents signed in, each taking one call per expected handle time::

        wait = (position - free_agents) × queue.default_handle_s / max(1, staffed_agents)

    It depends only on the position and the agents' presence, never on how long this caller
    has waited or on Twilio's ``AvgQueueTime``, so it stays the same while the position does.
    """
    if free_agents >= position:
        return 0.0
    return (position - free_agents) * settings.queue.default_handle_s / max(1, staffed_agents)


def announced_minutes(wait_s: float) -> int:
    """Whole minutes, rounded up; 0 only when the wait is 0 (connecting now)."""
    return 0 if wait_s <= 0 else max(1, math.ceil(wait_s / 60))


def speech_seconds(settings: Settings, text: str, locale: str) -> float:
    """Estimated TTS length (Twilio does not tell): CJK characters at the zh-CN rate, all
    other characters at the en rate (``queue.speech_chars_per_s``), at least 1 s."""
    rates = settings.queue.speech_chars_per_s
    zh_rate = rates.get("zh-CN", 4.0)
    en_rate = rates.get("en", 14.0)
    cjk = len(CJK.findall(text))
    other = len(text.strip()) - cjk
    return max(1.0, cjk / zh_rate + other / en_rate)


@dataclass(frozen=True)
class WaitPlan:
    """How one waitUrl document fills the time up to the next reassurance."""

    speech_s: float
    input_timeout_s: int
    play_loops: int
    play_s: float
    pause_s: int

    @property
    def total_s(self) -> float:
        return self.speech_s + self.input_timeout_s + self.play_loops * self.play_s + self.pause_s


def wait_plan(settings: Settings, speech_s: float, hold_s: float | None) -> WaitPlan:
    """Size hold audio and pause so the next waitUrl fetch (= next reassurance, H3) starts no
    later than ``queue.reassure_every_s`` and within about a second of it."""
    every = settings.queue.reassure_every_s
    listen = settings.queue.wait_input_timeout_s
    budget = every - speech_s - listen
    loops = 0
    if hold_s and hold_s > 0 and budget >= hold_s:
        loops = int(budget // hold_s)
        budget -= loops * hold_s
    pause = max(0, math.floor(budget + 1e-9))
    return WaitPlan(speech_s, listen, loops, hold_s or 0.0, pause)


def hold_audio_path(settings: Settings) -> Path | None:
    name = settings.queue.hold_audio_file
    if not name:
        return None
    path = Path(name)
    if not path.is_absolute():
        path = data_dir(settings) / path
    return path if path.is_file() else None


def wav_seconds(path: Path) -> float | None:
    """The real length of a WAV file from its header (None if it is not a readable WAV)."""
    try:
        with wave.open(str(path), "rb") as wav:
            rate = wav.getframerate()
            return wav.getnframes() / rate if rate else None
    except (OSError, wave.Error, EOFError):
        return None
