"""APScheduler 3 in the leader process only.

Every process that runs background services (``python app.py``, gunicorn workers started with
``create_app(start_background=True)``, or ``flask --app app scheduler run``) starts a
``SchedulerRunner``: a daemon thread that tries to take the leader lease every ``lease_s / 3``.
The holder starts a ``BackgroundScheduler`` whose job store is a ``SQLAlchemyJobStore`` on the
app's database (table ``scheduler_apscheduler_jobs``) with:

- ``hotline-tick`` — every ``scheduler.tick_s``: ``engine.tick`` (dial within pacing, reconcile,
  routing's ``dispatch_due``; the follow-up rules every ``scheduler.followups_every_s``);
- ``campaign-<id>`` — a date trigger (start time) or a cron trigger (recurrence) per scheduled
  campaign: ``engine.fire_campaign``; kept in step with the campaigns table by ``hotline-sync``.

A follower keeps trying; when the leader dies its lease lapses after ``lease_s`` and a follower
takes over (and the job store it reads is the same table). Each job opens its own app context and
session. Job functions are module-level so the job store can pickle references to them.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from flask import Flask
from sqlalchemy import select

from core.db import engine_of, session_scope, utcnow
from scheduler import engine
from scheduler import lease as leases
from scheduler.models import Campaign, CampaignStatus

log = logging.getLogger(__name__)

JOBS_TABLE = "scheduler_apscheduler_jobs"
TICK_JOB = "hotline-tick"
SYNC_JOB = "hotline-sync"
SYNC_EVERY_S = 10

_APPS: dict[str, Flask] = {}


def _app() -> Flask:
    return _APPS["app"]


def tick_job() -> None:
    """APScheduler job: one tick in a fresh app context (the follow-up rules only every
    ``scheduler.followups_every_s``: their deadlines are hours and days)."""
    app = _app()
    runner: SchedulerRunner | None = app.extensions.get("scheduler_runner")
    holder = runner.holder if runner else None
    realtime = runner.wall_clock if runner else True
    settings = app.config["HOTLINE"].scheduler
    now = time.monotonic()
    last = app.extensions.get("scheduler_last_followups")
    followups = last is None or now - last >= settings.followups_every_s
    if followups:
        app.extensions["scheduler_last_followups"] = now
    with app.app_context():
        engine.tick(app, holder=holder, horizon_s=settings.tick_s if realtime else 0.0,
                    sleep=time.sleep if realtime else None, followups=followups)


class QuietJobStore(SQLAlchemyJobStore):
    """The campaigns' job store, asked for due jobs only when its earliest job is due.

    APScheduler asks every store at each wake-up; only this process (the leader) changes the
    store, so the earliest run time is kept here and refreshed after each change."""

    _UNKNOWN = object()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._next: object = self._UNKNOWN

    def get_next_run_time(self):  # type: ignore[no-untyped-def]
        if self._next is self._UNKNOWN:
            self._next = super().get_next_run_time()
        return self._next

    def get_due_jobs(self, now):  # type: ignore[no-untyped-def]
        upcoming = self.get_next_run_time()
        if upcoming is None or upcoming > now:
            return []
        return super().get_due_jobs(now)

    def _changed(self) -> None:
        self._next = self._UNKNOWN

    def add_job(self, job):  # type: ignore[no-untyped-def]
        super().add_job(job)
        self._changed()

    def update_job(self, job):  # type: ignore[no-untyped-def]
        super().update_job(job)
        self._changed()

    def remove_job(self, job_id):  # type: ignore[no-untyped-def]
        super().remove_job(job_id)
        self._changed()

    def remove_all_jobs(self):  # type: ignore[no-untyped-def]
        super().remove_all_jobs()
        self._changed()


def campaign_job(campaign_id: int) -> None:
    """APScheduler job: a campaign's start time / cron fire."""
    app = _app()
    with app.app_context():
        engine.fire_campaign(app, campaign_id)


def sync_job() -> None:
    app = _app()
    runner: SchedulerRunner | None = app.extensions.get("scheduler_runner")
    if runner is not None:
        with app.app_context():
            runner.sync_campaign_jobs()


class SchedulerRunner:
    def __init__(self, app: Flask):
        self.app = app
        self.settings = app.config["HOTLINE"]
        self.holder = leases.new_holder_id()
        self.scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.is_leader = False
        self.leader_changes = 0
        sim = app.extensions.get("simulator")
        # On a virtual clock (tests, `simulate`) there is nothing to sleep for between slots.
        self.wall_clock = sim is None or getattr(sim, "clock_mode", "realtime") == "realtime"

    # -- lease loop -------------------------------------------------------------------------
    def start(self) -> None:
        _APPS["app"] = self.app
        self.app.extensions["scheduler_runner"] = self
        self._thread = threading.Thread(target=self._loop, name="scheduler-lease", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        every = self.settings.scheduler.lease_s / 3
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # noqa: BLE001 - a database hiccup: try again next round
                log.exception("scheduler lease step failed")
                self._become_follower()
            self._stop.wait(every)

    def step(self) -> bool:
        """Take/renew the lease once; start or stop APScheduler accordingly. True when leader."""
        with session_scope(self.app) as s:
            leader = leases.try_acquire(s, self.holder, self.settings.scheduler.lease_s, utcnow())
        if leader and not self.is_leader:
            log.info("scheduler %s is the leader", self.holder)
            self._become_leader()
        elif not leader and self.is_leader:
            log.warning("scheduler %s lost the lease", self.holder)
            self._become_follower()
        return leader

    def _become_leader(self) -> None:
        # One INFO line per tick run would drown the log: keep APScheduler's executor to warnings.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        self.is_leader = True
        self.leader_changes += 1
        store = QuietJobStore(engine=engine_of(self.app), tablename=JOBS_TABLE)
        # The tick and the campaign sync are added again by every new leader: kept in memory,
        # so their runs write nothing to the database.
        scheduler = BackgroundScheduler(jobstores={"default": store, "memory": MemoryJobStore()}, timezone=UTC,
                                        job_defaults={"coalesce": True, "max_instances": 1,
                                                      "misfire_grace_time": 60})
        scheduler.start()
        tick_s = self.settings.scheduler.tick_s
        scheduler.add_job(tick_job, "interval", seconds=tick_s, id=TICK_JOB, replace_existing=True,
                          next_run_time=datetime.now(UTC), jobstore="memory")
        scheduler.add_job(sync_job, "interval", seconds=SYNC_EVERY_S, id=SYNC_JOB, replace_existing=True,
                          next_run_time=datetime.now(UTC), jobstore="memory")
        self.scheduler = scheduler

    def _become_follower(self) -> None:
        self.is_leader = False
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None:
            try:
                scheduler.shutdown(wait=False)
            except Exception:  # noqa: BLE001
                log.debug("scheduler shutdown", exc_info=True)

    def stop(self, release: bool = True) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        was_leader = self.is_leader
        self._become_follower()
        if release and was_leader:
            try:
                with session_scope(self.app) as s:
                    leases.release(s, self.holder)
            except Exception:  # noqa: BLE001
                log.debug("lease release failed", exc_info=True)

    # -- campaign jobs ----------------------------------------------------------------------
    def sync_campaign_jobs(self) -> None:
        """One APScheduler job per scheduled campaign (date or cron trigger); stale ones removed."""
        scheduler = self.scheduler
        if scheduler is None:
            return
        wanted: dict[str, object] = {}
        with session_scope(self.app) as s:
            for campaign in s.scalars(select(Campaign).where(
                    Campaign.status.in_((CampaignStatus.SCHEDULED, CampaignStatus.RUNNING)),
                    Campaign.system_rule.is_(None))):
                job_id = f"campaign-{campaign.id}"
                if campaign.cron:
                    wanted[job_id] = CronTrigger.from_crontab(campaign.cron, timezone=campaign.timezone or "UTC")
                elif campaign.status == CampaignStatus.SCHEDULED and campaign.next_run_at is not None:
                    wanted[job_id] = DateTrigger(run_date=campaign.next_run_at.replace(tzinfo=UTC))
        for job in scheduler.get_jobs():
            if job.id.startswith("campaign-") and job.id not in wanted:
                job.remove()
        for job_id, trigger in wanted.items():
            existing = scheduler.get_job(job_id)
            if existing is not None and str(existing.trigger) == str(trigger):
                continue
            campaign_id = int(job_id.split("-", 1)[1])
            scheduler.add_job(campaign_job, trigger, args=[campaign_id], id=job_id, replace_existing=True)


def start_background(app: Flask) -> SchedulerRunner | None:
    """``python app.py`` / gunicorn: run the scheduler in-process (only the lease holder fires)."""
    if not app.config["HOTLINE"].scheduler.enabled or "scheduler_runner" in app.extensions:
        return app.extensions.get("scheduler_runner")
    runner = SchedulerRunner(app)
    runner.start()
    app.extensions.setdefault("hotline_stoppers", []).append(runner.stop)
    return runner
