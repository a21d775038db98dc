"""Typed settings: a YAML file (``HOTLINE_CONFIG``) plus environment overrides.

Every number the handbooks give is a setting here with the handbook's value as default
(rule ids in the field comments). A missing or invalid setting raises ``ConfigError``
whose message names the setting; ``app.py`` prints it as one line and exits.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import date, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class ConfigError(click.ClickException):
    """A setting is missing or invalid; the message names it.

    A ``ClickException``, so under any ``flask …`` command it is one line on stderr and exit
    code 2, as ``python app.py`` reports it.
    """

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"hotline: {self.format_message()}", file=file or sys.stderr)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(5000, ge=0, le=65535)
    # Base URL Twilio (or anyone signing requests) sees; default http://host:port.
    public_url: str | None = None
    secret_key: str | None = None  # generated and stored on first start when empty
    # Where runtime files live (SQLite database, generated recordings).
    data_dir: str = "instance"
    # Number of trusted proxies in front (load balancer, nginx) whose X-Forwarded-For/-Proto/
    # -Host headers are believed (werkzeug ProxyFix); 0 = none (direct exposure).
    proxy_fix: int = Field(0, ge=0, le=5)
    # Largest request body accepted (bytes); bigger ones get 413 before anything reads them.
    max_body_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    # Deepest JSON nesting accepted in a request body; deeper gets 400 before parsing.
    max_json_depth: int = Field(32, ge=2, le=200)

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", value):
            raise ValueError("must be an http(s) URL such as https://hotline.example.com")
        return value.rstrip("/")


class DatabaseSettings(_Section):
    url: str | None = None  # default: sqlite:///<data_dir>/hotline.db

    @field_validator("url")
    @classmethod
    def _dialect(cls, value: str | None) -> str | None:
        if value and not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError("must start with sqlite:// or postgresql://")
        if value and value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value[len("postgresql://"):]
        return value or None


class TelephonySettings(_Section):
    # auto: twilio when account_sid and auth_token are both set, else simulator.
    mode: Literal["auto", "simulator", "twilio"] = "auto"
    account_sid: str | None = None
    auth_token: str | None = None
    caller_id: str = "+8675512345678"  # the hotline's own number (E.164)
    # Simulator clock for the running server: realtime for a person at the console.
    simulator_clock: Literal["realtime", "manual", "auto"] = "realtime"
    simulator_calls_per_second: float = Field(1.0, gt=0)  # Twilio's default account limit

    @field_validator("account_sid")
    @classmethod
    def _sid(cls, value: str | None) -> str | None:
        if value and not re.match(r"^AC[0-9a-fA-F]{32}$", value):
            raise ValueError("must look like AC followed by 32 hex digits")
        return value or None


class CompanySettings(_Section):
    name: str = "SCC顺创"  # H1: greet by naming company and department
    department: str = "客服部"
    name_en: str = "SCC Shunchuang"
    department_en: str = "Customer Service"
    default_locale: Literal["zh-CN", "en"] = "zh-CN"


class VoiceSettings(_Section):
    """Say/Gather language pairs (Twilio's documentation: Gather cmn-Hans-CN, Say cmn-CN)."""

    say_language: str
    say_voice: str | None = None
    gather_language: str


def _default_voices() -> dict[str, VoiceSettings]:
    return {
        "zh-CN": VoiceSettings(say_language="cmn-CN", say_voice="Google.cmn-CN-Standard-A",
                               gather_language="cmn-Hans-CN"),
        "en": VoiceSettings(say_language="en-US", say_voice="Polly.Joanna", gather_language="en-US"),
    }


class HoursSettings(_Section):
    timezone: str = "Asia/Shanghai"
    # H4: one site answers 9:30-17:50; "00:00-24:00" means always open.
    open: str = "09:30-17:50"
    open_weekdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4, 5, 6])
    closed_dates: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("open")
    @classmethod
    def _open(cls, value: str) -> str:
        parse_open_hours(value)
        return value

    @field_validator("open_weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(d < 0 or d > 6 for d in value):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def window(self) -> tuple[time, time | None]:
        return parse_open_hours(self.open)


class AnswerSettings(_Section):
    ring_s: float = Field(3, gt=0)  # H2: one ring is about 3 s
    max_rings: int = Field(3, ge=1)  # H2: answer within three rings

    @property
    def threshold_s(self) -> float:
        """Service-level threshold: answered within this many seconds (H2: 3 rings ≈ 9 s)."""
        return self.ring_s * self.max_rings


class QueueSettings(_Section):
    name: str = Field("hotline", max_length=60)  # Twilio queue names are <= 64 characters
    reassure_every_s: float = Field(30, gt=0, le=600)  # H3: reassure every 30 seconds
    max_size: int = Field(100, ge=1, le=5000)  # Twilio: default 1000 (older pages 100), max 5000
    short_abandon_s: float = Field(10, ge=0)  # hang-ups after longer waits get a recovery call-back
    default_handle_s: float = Field(180, gt=0)  # expected handle time before there is history (H7)
    callback_offer: bool = True  # H9: offer a call-back while waiting
    # A WAV file the app serves at /media/hold.wav and plays between reassurances (its real
    # length, read from the WAV header, counts towards reassure_every_s). Relative paths are
    # under server.data_dir.
    hold_audio_file: str | None = None
    # Seconds the wait loop listens for "1" / "call me back" after each reassurance.
    wait_input_timeout_s: int = Field(3, ge=1, le=20)
    # Estimated text-to-speech speed (characters per second) used to size the wait loop so the
    # next reassurance starts within reassure_every_s (H3); Twilio does not tell the real length.
    speech_chars_per_s: dict[str, float] = Field(default_factory=lambda: {"zh-CN": 4.0, "en": 14.0})


class RoutingSettings(_Section):
    strategy: Literal["longest-idle", "round-robin", "fewest-calls"] = "longest-idle"
    agent_answer_timeout_s: int = Field(15, ge=5, le=600)  # then the agent is set away
    wrap_up_s: float = Field(30, ge=0)  # wrap-up after each call
    transfer_answer_timeout_s: int = Field(20, ge=5, le=600)  # a transfer target who does not answer: H11 fallback
    menu_reprompts: int = Field(2, ge=0, le=5)  # no match / timeout → reprompt twice, then an agent
    gather_timeout_s: int = Field(5, ge=1, le=60)
    emergency_priority: int = Field(10, ge=1)  # H5: urgent callers are served first
    speech_min_score: float = Field(70, ge=0, le=100)  # spoken menu answers below this reprompt


class CallbackSettings(_Section):
    """H9: call-backs keep the caller's place in line; abandoned callers are called back too."""

    max_attempts: int = Field(3, ge=1, le=10)  # then the call-back becomes a case
    retry_backoff_s: float = Field(300, ge=0)  # wait between attempts
    ring_timeout_s: int = Field(30, ge=5, le=600)  # let the customer's phone ring this long


class CallSettings(_Section):
    target_s: float = Field(180, gt=0)  # H7: a call should take under 3 minutes
    max_s: float = Field(300, gt=0)  # H7: never more than 5


class CaseSettings(_Section):
    reply_within_h: float = Field(24, gt=0)  # H14: tell the caller within 1 day at most
    repair_escalate_after_h: float = Field(48, gt=0)  # H15: repair open > 2 days → supervisor
    complaint_reply_hours: int = Field(24, gt=0)  # S8/S9: "在XX小时内给您答复"
    # H13: dispatch to the responsible department; each has its list in the console.
    departments: list[str] = Field(default_factory=lambda: [
        "工程部(维修) Engineering", "客服部 Customer service", "财务部 Finance", "保安部 Security",
        "环境部(保洁) Cleaning"], min_length=1)


class FollowUpSettings(_Section):
    repair_callback_delay_days: int = Field(1, ge=0)  # H16: the day after the work order returns
    repair_callback_rate_target: float = Field(0.95, ge=0, le=1)  # H16: at least 95 %
    survey_return_target: float = Field(0.70, ge=0, le=1)  # H18: return rate at least 70 %
    # H19: answers that count as satisfied.
    satisfied_answers: list[str] = Field(default_factory=lambda: ["很满意", "满意", "基本满意"])
    complaint_callback_after_h: float = Field(24, gt=0)  # H17: next call-back while not satisfied
    complaint_max_callbacks: int = Field(5, ge=1)  # H17: then the lead decides


class CampaignSettings(_Section):
    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        if isinstance(data, dict) and "dispositions" in data:
            raise ValueError("campaigns.dispositions moved to wrapup.dispositions (one list for every call; "
                             "mark a code for campaign calls only with use: campaigns)")
        return data

    calls_per_second: float = Field(1.0, gt=0)  # Twilio's default account limit
    max_concurrent: int = Field(5, ge=1)
    max_attempts: int = Field(3, ge=1)
    retry_backoff_s: float = Field(1800, ge=0)
    default_region: str = "CN"  # phonenumbers region for numbers without +country
    retry_backoff_factor: float = Field(2.0, ge=1, le=10)  # each further retry waits this much longer
    ring_timeout_s: int = Field(30, ge=5, le=600)  # let the contact's phone ring this long
    max_csv_rows: int = Field(100_000, ge=1)  # contacts per upload
    # Predictive dialing: abandoned calls (answered, no agent free) at most this share of the
    # day's answered calls (the common regulatory figure is 3 %); at the cap it dials progressively.
    abandon_cap: float = Field(0.03, ge=0, le=1)
    predictive_max_ratio: float = Field(3.0, ge=1, le=10)  # at most this many calls per free agent
    predictive_min_calls: int = Field(20, ge=1)  # finished calls measured before trusting the rate
    predictive_answer_rate: float = Field(0.5, gt=0, le=1)  # assumed until enough calls are measured
    # A call placed ahead may add at most this multiple of the cap's unused share in abandons per
    # answered call (the cap's unused share: 1 - today's abandon rate / abandon_cap).
    predictive_risk_factor: float = Field(0.5, ge=0, le=100)
    # Attempts one number may get from all campaigns together (0: no cap): rolling 24 h and 7 days.
    number_daily_cap: int = Field(0, ge=0)
    number_weekly_cap: int = Field(0, ge=0)


class LibrarySettings(_Section):
    dir: str | None = None  # default: the library shipped in scripts_library/data
    check_min_score: float = Field(72, ge=0, le=100)
    suggest_min_score: float = Field(40, ge=0, le=100)
    max_text_chars: int = Field(5000, ge=1)
    learned: bool = True  # the learned layer beside the key phrases (docs/library.md)
    learned_min_prob: float = Field(0.95, gt=0, le=1)  # a clause window at this probability is flagged
    learned_min_examples: int = Field(100, ge=1)  # clean training sentences a locale needs for a model
    learned_cache: bool = True  # keep the trained model beside the library (.learned-<hash>.npz)
    learned_vectors: bool = True  # the learned layer also reads static word vectors (scripts_library/wordvec.npz)


class SchedulerSettings(_Section):
    enabled: bool = True  # python app.py runs the scheduler in-process
    lease_s: float = Field(30, ge=5)  # leader lease; another process takes over after it lapses
    # How often the leader ticks: dials the next tick_s of due slots (sleeping until each, so
    # pacing does not depend on it), places due call-backs, clears stuck offers.
    tick_s: float = Field(5.0, gt=0, le=60)
    followups_every_s: float = Field(60, gt=0, le=3600)  # how often the follow-up rules (H14–H17) run
    reconcile_after_s: float = Field(60, ge=5)  # an attempt with no news this long is checked with Twilio
    lost_after_s: float = Field(3600, ge=60)  # an attempt Twilio cannot tell us about is given up then


class OpsSettings(_Section):
    """Operations: time boxes, fault spool, sign-in rate limit, logs, metrics."""

    # Database waits inside one webhook stop after this (SQLite busy_timeout, PostgreSQL
    # statement/lock timeouts), so a locked or stuck database is answered with the safe
    # fallback well inside Twilio's 15-second response limit.
    webhook_db_budget_s: float = Field(5, gt=0, le=12)
    db_connect_timeout_s: int = Field(3, ge=1, le=30)  # PostgreSQL connect_timeout
    rest_timeout_s: float = Field(5, gt=0, le=60)  # HTTP timeout of the Twilio REST client
    spool_replay_every_s: float = Field(10, gt=0)  # fault spool → database retry period
    login_window_s: float = Field(900, gt=0)  # sign-in rate limit: sliding window
    login_max_failures_per_name: int = Field(5, ge=1)  # failed sign-ins per name in the window
    login_max_failures_per_ip: int = Field(20, ge=1)  # failed sign-ins per client address
    log_format: Literal["json", "text"] = "json"  # structured logs carry call_sid
    metrics_token: str | None = None  # when set, /metrics needs "Authorization: Bearer <token>"


class ConsoleSettings(_Section):
    ring_volume: float = Field(0.6, ge=0, le=1)  # the desk's ring for an incoming call (0 = silent)
    ring_notification: bool = True  # a browser notification while the desk page is hidden


class WallboardSettings(_Section):
    service_level_target: float = Field(0.8, ge=0, le=1)  # green at or above (answered within H2)
    service_level_warning: float = Field(0.7, ge=0, le=1)  # amber at or above, red below

    @model_validator(mode="after")
    def _warning_below_target(self) -> WallboardSettings:
        if self.service_level_warning > self.service_level_target:
            raise ValueError("service_level_warning must not be above service_level_target")
        return self


class EmailSettings(_Section):
    enabled: bool = False  # send the daily summary and the monthly report by e-mail
    smtp_host: str = "localhost"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout_s: float = Field(10, gt=0, le=120)
    sender: str = "hotline@localhost"
    recipients: list[str] = Field(default_factory=list)
    daily_at: str = "08:00"  # local time: yesterday's summary
    monthly_day: int = Field(1, ge=1, le=28)  # at daily_at: last month's report (H23)

    @field_validator("daily_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError(f"expected HH:MM such as 08:00, got {value!r}")
        return value


class ShiftSettings(_Section):
    name: str
    start: str  # HH:MM local time
    end: str  # may pass midnight (H24: 16:00-1:00)


def _default_shifts() -> list[ShiftSettings]:
    return [ShiftSettings(name="day", start="08:00", end="17:30"),
            ShiftSettings(name="evening", start="16:00", end="01:00")]


class PlanningSettings(_Section):
    """Workforce planning: forecast, Erlang C/A staffing, roster and what-if replay."""

    service_level: float = Field(0.80, gt=0, lt=1)  # H2: this share answered within answer.threshold_s
    max_abandon: float = Field(0.05, ge=0, le=1)  # Erlang A: at most this share of callers give up
    shrinkage: float = Field(0.30, ge=0, lt=1)  # breaks, training, meetings: paid but off the phones
    interval_min: Literal[15, 30, 60] = 30  # planning interval
    history_weeks: int = Field(8, ge=1, le=52)  # weeks of history the forecast averages
    recent_weight: float = Field(0.7, gt=0, le=1)  # weight of week k back = recent_weight ** (k - 1)
    default_patience_s: float = Field(120, gt=0)  # mean patience before there are abandons to estimate it
    break_min: int = Field(30, ge=0, le=120)  # H24: one break per rostered shift (minutes)
    gap_warning_h: float = Field(24, ge=0)  # warn of an understaffed interval this many hours ahead
    replay_agent_answer_s: float = Field(3, ge=0, le=60)  # replay: an agent answers after one ring
    replay_connect_s: float = Field(3, ge=0, le=30)  # "connecting you to agent N" before the bridge
    replay_step_s: float = Field(5, gt=0, le=60)  # replay: the periodic dispatch job's period


class QualitySettings(_Section):
    """Automatic quality review of every call and the team lead's spot-checks (docs/quality.md)."""

    spot_checks_per_agent: int = Field(2, ge=1, le=100)  # random calls per agent per day (at least one: nobody left out)
    sample_seed: str = "hotline"  # with the day, fixes the random sample (same seed and day: same calls)
    score_after_s: float = Field(120, ge=0)  # score a call this long after it ended (wrap-up, late transcripts)
    opening_sentences: int = Field(3, ge=1, le=20)  # H1/H2: the greeting or apology is in the agent's first ones
    closing_sentences: int = Field(3, ge=1, le=20)  # H10: the closing is in the agent's last ones
    phrase_match: float = Field(0.75, gt=0, le=1)  # share of a library phrase's wording that must be said


class RecordingSettings(_Section):
    """Call recordings (Twilio "start call recording" once the caller meets the agent)."""

    enabled: bool = False  # record bridged calls; off until the centre decides to (H25: confidential)
    channels: Literal["dual", "mono"] = "dual"  # dual: caller and agent on separate channels
    retention_days: int = Field(90, ge=1, le=3650)  # recordings older than this are deleted at Twilio
    disclosure: bool = True  # tell the caller "this call may be recorded" before the agent joins
    pause_behavior: Literal["skip", "silence"] = "skip"  # a paused stretch is left out / kept as silence


class EmergencyNumber(_Section):
    label: str
    number: str


class Disposition(_Section):
    """One wrap-up code: its label in each language and the calls it is offered for
    (``all``; ``calls``: inbound calls and call-backs; ``campaigns``: campaign calls)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    zh_CN: str = Field(alias="zh-CN", min_length=1, max_length=40)
    en: str = Field(min_length=1, max_length=40)
    use: Literal["all", "calls", "campaigns"] = "all"

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def label(self, locale: str) -> str:
        return self.zh_CN if locale == "zh-CN" else self.en


def _d(code: str, zh: str, en: str, use: str = "all") -> Disposition:
    return Disposition.model_validate({"code": code, "zh-CN": zh, "en": en, "use": use})


def _default_dispositions() -> list[Disposition]:
    return [_d("resolved", "已解决", "Resolved"), _d("case_opened", "已登记工单", "Case opened", "calls"),
            _d("callback_promised", "已承诺回电", "Call-back promised", "calls"),
            _d("transferred", "已转接", "Transferred", "calls"), _d("complaint", "投诉", "Complaint", "calls"),
            _d("wrong_number", "打错电话", "Wrong number"),
            _d("callback_requested", "客户要求回电", "Call-back requested", "campaigns"),
            _d("not_interested", "不感兴趣", "Not interested", "campaigns"),
            _d("do_not_call", "勿再致电", "Do not call", "campaigns"),
            _d("voicemail_left", "已留言", "Voicemail left", "campaigns"),
            _d("no_answer", "无人接听", "No answer", "campaigns"), _d("other", "其他", "Other")]


class WrapUpSettings(_Section):
    """The disposition codes of an agent's wrap-up: one list for inbound calls, call-backs and
    campaign calls (``do_not_call`` on a campaign call also adds the number to the DNC list)."""

    dispositions: list[Disposition] = Field(default_factory=_default_dispositions, min_length=1)
    # true: after a call the agent cannot become available (by hand, or when routing.wrap_up_s
    # is over) until the call has a disposition
    require_disposition: bool = False

    @field_validator("dispositions")
    @classmethod
    def _unique(cls, value: list[Disposition]) -> list[Disposition]:
        codes = [d.code for d in value]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"codes listed twice: {', '.join(twice)}")
        return value

    def codes_for(self, kind: Literal["calls", "campaigns"]) -> list[Disposition]:
        """The codes offered for an inbound call / call-back (``calls``) or a campaign call."""
        return [d for d in self.dispositions if d.use in ("all", kind)]


class Settings(_Section):
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    telephony: TelephonySettings = TelephonySettings()
    company: CompanySettings = CompanySettings()
    voices: dict[str, VoiceSettings] = Field(default_factory=_default_voices)
    hours: HoursSettings = HoursSettings()
    answer: AnswerSettings = AnswerSettings()
    queue: QueueSettings = QueueSettings()
    routing: RoutingSettings = RoutingSettings()
    callbacks: CallbackSettings = CallbackSettings()
    calls: CallSettings = CallSettings()
    cases: CaseSettings = CaseSettings()
    followup: FollowUpSettings = FollowUpSettings()
    campaigns: CampaignSettings = CampaignSettings()
    library: LibrarySettings = LibrarySettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    ops: OpsSettings = OpsSettings()
    console: ConsoleSettings = ConsoleSettings()
    wallboard: WallboardSettings = WallboardSettings()
    email: EmailSettings = EmailSettings()
    shifts: list[ShiftSettings] = Field(default_factory=_default_shifts)
    planning: PlanningSettings = PlanningSettings()
    quality: QualitySettings = QualitySettings()
    recording: RecordingSettings = RecordingSettings()
    wrapup: WrapUpSettings = WrapUpSettings()
    # H5: emergency list kept at the front desk, read to urgent callers when configured.
    emergency_numbers: list[EmergencyNumber] = Field(default_factory=lambda: [
        EmergencyNumber(label="火警 Fire", number="119"),
        EmergencyNumber(label="报警 Police", number="110"),
        EmergencyNumber(label="急救 Ambulance", number="120"),
    ])

    @model_validator(mode="after")
    def _voices_cover_locales(self) -> Settings:
        for locale in ("zh-CN", "en"):
            if locale not in self.voices:
                raise ValueError(f"voices.{locale} is missing")
        return self

    @property
    def telephony_mode(self) -> Literal["simulator", "twilio"]:
        t = self.telephony
        if t.mode != "auto":
            return t.mode
        return "twilio" if t.account_sid and t.auth_token else "simulator"

    @property
    def public_url(self) -> str:
        if self.server.public_url:
            return self.server.public_url
        host = self.server.host if self.server.host not in ("0.0.0.0", "::") else "127.0.0.1"  # noqa: S104
        return f"http://{host}:{self.server.port}"


def parse_open_hours(value: str) -> tuple[time, time | None]:
    """Parse ``HH:MM-HH:MM``; an end of ``24:00`` is returned as None (end of day)."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value or "")
    if not match:
        raise ValueError(f"expected HH:MM-HH:MM such as 09:30-17:50, got {value!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"not a time range: {value!r}")
    start = time(h1, m1)
    end = None if h2 == 24 else time(h2, m2)
    if end is not None and end <= start:
        raise ValueError(f"end must be after start in {value!r} (use 00:00-24:00 for always open)")
    return start, end


# Environment overrides: variable → dotted setting.
ENV_OVERRIDES: dict[str, str] = {
    "HOTLINE_HOST": "server.host",
    "HOTLINE_PORT": "server.port",
    "HOTLINE_PUBLIC_URL": "server.public_url",
    "HOTLINE_DATABASE_URL": "database.url",
    "HOTLINE_TELEPHONY": "telephony.mode",
    "HOTLINE_TIMEZONE": "hours.timezone",
    "HOTLINE_OPEN_HOURS": "hours.open",
    "TWILIO_ACCOUNT_SID": "telephony.account_sid",
    "TWILIO_AUTH_TOKEN": "telephony.auth_token",
    "TWILIO_CALLER_ID": "telephony.caller_id",
}


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    node = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"HOTLINE_CONFIG: file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"HOTLINE_CONFIG: cannot read {path}: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"HOTLINE_CONFIG: {path}{where} is not valid YAML") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"HOTLINE_CONFIG: {path} must hold a mapping of sections")
    return data


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(environ: dict[str, str] | None = None,
                  overrides: dict[str, Any] | None = None) -> Settings:
    """Build the settings from ``HOTLINE_CONFIG``, the environment and ``overrides``."""
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    config_path = env.get("HOTLINE_CONFIG")
    if config_path is not None:
        if not config_path.strip():
            raise ConfigError("HOTLINE_CONFIG: is set but empty")
        data = _read_yaml(Path(config_path))
    for variable, dotted in ENV_OVERRIDES.items():
        if variable in env:
            _set_dotted(data, dotted, env[variable])
    if overrides:
        data = _deep_merge(data, overrides)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


#: Settings that did nothing and were removed: a config file that still sets one is told what
#: to do instead (the file is refused like any unknown setting, so nothing is silently ignored).
RETIRED_SETTINGS: dict[str, str] = {
    "hours.service_day_hours": "removed: the service day is hours.open",
    "queue.hold_audio_url": "removed: use queue.hold_audio_file (the app serves it and knows its length)",
    "followup.survey_every_months": "removed: survey campaigns are started by a lead, not on a timer",
    "routing.handoff_retries": "removed: the caller is brought into the agent's conference as soon as the agent answers",
}


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    dotted = ".".join(str(p) for p in error["loc"]) or "config"
    env_name = next((v for v, d in ENV_OVERRIDES.items() if d == dotted), None)
    label = f"{dotted} ({env_name})" if env_name else dotted
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = RETIRED_SETTINGS.get(dotted, "unknown setting")
    message = message.removeprefix("Value error, ")
    value = error.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float) and error["type"] != "missing" else ""
    if repr(value) in message:  # the validator's message already quotes the value
        shown = ""
    return f"invalid setting {label}: {message}{shown}"
