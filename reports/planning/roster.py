"""The roster: agents on shifts (templates from ``shifts``, H24: 8:00–17:30 and 16:00–1:00)
per local day, each with one break of ``planning.break_min`` minutes; staffed against required
per interval; gaps ahead; who is rostered now (for the wallboard and routing).

*Staffed* in an interval = agents on shift in it (a part of the interval counts as that
fraction); breaks are part of shrinkage, so staffed is compared with *to roster* (the Erlang
figure divided by ``1 − planning.shrinkage``). *On the phones* (used by a replay of the
roster) leaves out the agents on their break.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings, ShiftSettings
from core.models import User
from reports.periods import to_utc
from reports.planning.days import day_bounds, interval_s, intervals_per_day, label
from reports.planning.models import RosterShift
from reports.planning.staffing import IntervalStaffing

OVER_MARGIN = 1.0  # more than this many agents above "to roster" is shown as overstaffed


class RosterError(ValueError):
    """A roster change that cannot be made; the message says why (``field: reason``)."""


def template(settings: Settings, name: str) -> ShiftSettings:
    for shift in settings.shifts:
        if shift.name == name:
            return shift
    raise RosterError(f"shift: unknown shift {name[:40]!r} (known: {', '.join(s.name for s in settings.shifts)})")


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours) % 24, int(minutes))


def shift_bounds(settings: Settings, shift: ShiftSettings, day: date) -> tuple[datetime, datetime]:
    """UTC start and end of ``shift`` starting on local ``day`` (an end not after the start is the next day)."""
    zone = settings.hours.zone
    start_t, end_t = _hhmm(shift.start), _hhmm(shift.end)
    start = to_utc(datetime.combine(day, start_t), zone)
    end_day = day + timedelta(days=1) if (end_t <= start_t or shift.end.startswith("24")) else day
    return start, to_utc(datetime.combine(end_day, end_t), zone)


def assign(s: Session, settings: Settings, day: date, user: User, shift_name: str, *,
           break_at: time | None = None, by: User | None = None) -> RosterShift:
    """Put ``user`` on ``shift_name`` on ``day``; the break defaults to the middle of the shift."""
    shift = template(settings, shift_name)
    start, end = shift_bounds(settings, shift, day)
    minutes = settings.planning.break_min
    if break_at is None:
        middle = start + (end - start) / 2
        brk = middle - timedelta(minutes=minutes / 2)
        brk = brk.replace(second=0, microsecond=0) - timedelta(minutes=brk.minute % 5)
    else:
        brk = to_utc(datetime.combine(day, break_at), settings.hours.zone)
        if brk < start:
            brk += timedelta(days=1)
        if not start <= brk <= end - timedelta(minutes=minutes):
            raise RosterError(f"break_at: the break must lie within the shift {shift.start}–{shift.end}")
    exists = s.scalar(select(RosterShift.id).where(RosterShift.day == day, RosterShift.user_id == user.id,
                                                   RosterShift.shift_name == shift.name))
    if exists is not None:
        raise RosterError(f"user: {user.name} is already on the {shift.name} shift on {day}")
    row = RosterShift(day=day, user_id=user.id, shift_name=shift.name, starts_at=start, ends_at=end,
                      break_at=brk if minutes else None, break_min=minutes, created_by_id=by.id if by else None)
    s.add(row)
    s.flush()
    return row


def shifts_overlapping(s: Session, start: datetime, end: datetime) -> list[RosterShift]:
    return list(s.scalars(select(RosterShift).where(RosterShift.starts_at < end, RosterShift.ends_at > start)
                          .order_by(RosterShift.starts_at, RosterShift.id)))


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)).total_seconds())


def heads(settings: Settings, day: date, shifts: list[RosterShift], *, on_phones: bool = False) -> list[float]:
    """Agents on shift per interval of ``day`` (fractions for part intervals); ``on_phones``
    leaves out breaks."""
    start, _ = day_bounds(settings, day)
    width = interval_s(settings)
    out = []
    for index in range(intervals_per_day(settings)):
        lo = start + timedelta(seconds=index * width)
        hi = lo + timedelta(seconds=width)
        total = 0.0
        for shift in shifts:
            seconds = _overlap(shift.starts_at, shift.ends_at, lo, hi)
            if on_phones and shift.break_at is not None and shift.break_min:
                seconds -= _overlap(shift.break_at, shift.break_at + timedelta(minutes=shift.break_min), lo, hi)
            total += seconds / width
        out.append(round(total, 3))
    return out


@dataclass(frozen=True)
class Coverage:
    index: int
    label: str
    required: int  # to roster (Erlang A with shrinkage)
    staffed: float
    difference: float
    status: str  # under | ok | over


def coverage(settings: Settings, staffed: list[float], plan: list[IntervalStaffing]) -> list[Coverage]:
    out = []
    for index, (have, need) in enumerate(zip(staffed, plan, strict=True)):
        diff = round(have - need.to_roster, 2)
        status = "under" if diff < 0 else "over" if diff > OVER_MARGIN else "ok"
        out.append(Coverage(index, label(settings, index), need.to_roster, have, diff, status))
    return out


def rostered_user_ids(s: Session, now: datetime) -> dict[int, str]:
    """Agents on a rostered shift at ``now``: user id → ``on_shift`` or ``on_break``."""
    out: dict[int, str] = {}
    for shift in shifts_overlapping(s, now, now + timedelta(seconds=1)):
        on_break = (shift.break_at is not None and
                    shift.break_at <= now < shift.break_at + timedelta(minutes=shift.break_min))
        if out.get(shift.user_id) != "on_shift":
            out[shift.user_id] = "on_break" if on_break else "on_shift"
    return out


def is_rostered(s: Session, user_id: int, now: datetime) -> bool:
    """Is the agent on a rostered shift now, not on a break? (For routing: prefer them.)"""
    return rostered_user_ids(s, now).get(user_id) == "on_shift"


def prefer_rostered(s: Session, agents: list[User], now: datetime) -> list[User]:
    """Routing: agents on a rostered shift (not on their break) first, keeping the strategy's
    order within each group. Without a roster for now the order is unchanged."""
    if len(agents) < 2:
        return agents
    rostered = rostered_user_ids(s, now)
    if not rostered:
        return agents
    return sorted(agents, key=lambda a: rostered.get(a.id) != "on_shift")
