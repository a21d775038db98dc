"""Real processes: ``flask --app app scheduler run`` workers against the test database (SQLite file,
or PostgreSQL with HOTLINE_TEST_BACKEND=postgresql), each with its own simulator in real time.

- a worker is killed with SIGKILL mid-campaign and restarted: every contact was dialed exactly once
  (one attempt with a CallSid; the unique idempotency key is the guard, these tests prove it);
- two workers run at once: only the lease holder dials; when it is killed the other takes over.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from core.db import REPO_ROOT, session_scope
from scheduler import campaigns as svc
from scheduler import contacts as contacts_svc
from scheduler.models import Attempt, Contact

from .conftest import NUMBERS, csv_of

# the workers are real processes on the real clock: on a loaded machine (CI runs two suites
# side by side) they get little CPU, so the waits are generous; what is asserted is who dialed
# and that nobody was dialed twice, never how fast
pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

FINAL_CONTACT = {"completed", "failed"}


@pytest.fixture
def app_overrides():
    return {"campaigns": {"calls_per_second": 10}}


@pytest.fixture
def worker_config(tmp_path: Path, database_url: str) -> Path:
    config = {
        "server": {"public_url": "https://hotline.test", "data_dir": str(tmp_path / "data"), "secret_key": "k"},
        "database": {"url": database_url},
        "telephony": {"mode": "simulator", "simulator_clock": "realtime", "simulator_calls_per_second": 1000},
        "hours": {"open": "00:00-24:00"},
        "scheduler": {"lease_s": 5, "tick_s": 0.2, "reconcile_after_s": 5},
        "campaigns": {"calls_per_second": 10},
    }
    path = tmp_path / "worker.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


class Worker:
    def __init__(self, config: Path, name: str):
        self.log = config.parent / f"{name}.out"
        env = {**os.environ, "HOTLINE_CONFIG": str(config)}
        for key in ("HOTLINE_DATABASE_URL", "HOTLINE_TELEPHONY", "HOTLINE_OPEN_HOURS", "HOTLINE_PUBLIC_URL"):
            env.pop(key, None)
        self.out = self.log.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "scheduler", "run"],
                                     cwd=REPO_ROOT, env=env, stdout=self.out, stderr=subprocess.STDOUT)
        self.holder = self._holder()

    def _holder(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for line in self.log.read_text().splitlines():
                if line.startswith("{") and '"holder"' in line:
                    return json.loads(line)["holder"]
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"worker did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.out.close()


@pytest.fixture
def workers(worker_config: Path):
    started: list[Worker] = []

    def start(name: str) -> Worker:
        worker = Worker(worker_config, name)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def new_campaign(app, numbers: list[str], name: str) -> int:
    settings = app.config["HOTLINE"]
    with session_scope(app) as s:
        campaign = svc.create_campaign(s, settings, {
            "name": name, "purpose": "outage_notice", "calls_per_second": 5, "max_concurrent": 100,
            "machine_detection": False, "max_attempts": 3, "retry_backoff_s": 1,
            "script": [{"id": "notice", "kind": "close", "text": "Water is off tomorrow."}], "locale": "en"})
        contacts_svc.import_csv(s, settings, campaign, csv_of(numbers))
        svc.start_campaign(s, campaign, settings=settings)
        return campaign.id


def state(app, campaign_id: int) -> tuple[list[Attempt], list[Contact]]:
    with session_scope(app) as s:
        made = list(s.scalars(select(Attempt).where(Attempt.campaign_id == campaign_id).order_by(Attempt.id)))
        people = list(s.scalars(select(Contact).where(Contact.campaign_id == campaign_id)))
        s.expunge_all()
    return made, people


def wait_for(predicate, timeout: float, what: str, detail=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {detail()}")


def assert_dialed_exactly_once(made: list[Attempt], people: list[Contact]) -> None:
    assert all(c.status in FINAL_CONTACT for c in people), Counter(c.status for c in people)
    with_sid = Counter(a.contact_id for a in made if a.call_sid)
    assert set(with_sid) == {c.id for c in people}, "a contact was never dialed"
    assert max(with_sid.values()) == 1, [k for k, v in with_sid.items() if v > 1]
    assert len({a.idempotency_key for a in made}) == len(made)
    assert len({a.call_sid for a in made if a.call_sid}) == len(with_sid)


def test_sigkill_mid_campaign_then_restart_dials_every_contact_exactly_once(app, workers):
    numbers = NUMBERS[:30]
    first = workers("first")
    cid = new_campaign(app, numbers, "kill test")
    wait_for(lambda: len(state(app, cid)[0]) >= 8, 40, "the first dials")
    first.kill()  # SIGKILL: no clean-up, the lease is not released, calls die with its simulator
    made_before, _ = state(app, cid)
    assert 8 <= len(made_before) < 30 and {a.holder for a in made_before} == {first.holder}
    second = workers("second")
    wait_for(lambda: all(c.status in FINAL_CONTACT for c in state(app, cid)[1]), 90, "all contacts settled",
             lambda: Counter(c.status for c in state(app, cid)[1]))
    made, people = state(app, cid)
    assert_dialed_exactly_once(made, people)
    after = [a for a in made if a.id not in {b.id for b in made_before}]
    assert after and {a.holder for a in after} == {second.holder}
    # in-flight calls of the killed process were reconciled, never redialed
    lost = [a for a in made_before if a.call_sid and a.status not in ("completed",)]
    for attempt in lost:
        final = next(a for a in made if a.id == attempt.id)
        assert final.status in ("lost", "completed"), final.status


def test_two_scheduler_processes_only_the_leader_dials_and_the_other_takes_over(app, workers):
    one, two = workers("one"), workers("two")
    cid = new_campaign(app, NUMBERS[:20], "two workers")
    wait_for(lambda: all(c.status in FINAL_CONTACT for c in state(app, cid)[1]), 150, "first campaign done",
             lambda: Counter(c.status for c in state(app, cid)[1]))
    made, people = state(app, cid)
    assert_dialed_exactly_once(made, people)
    holders = {a.holder for a in made}
    assert len(holders) == 1 and holders <= {one.holder, two.holder}
    leader, follower = (one, two) if holders == {one.holder} else (two, one)
    leader.kill()
    cid2 = new_campaign(app, NUMBERS[100:110], "after fail-over")
    wait_for(lambda: all(c.status in FINAL_CONTACT for c in state(app, cid2)[1]), 150, "second campaign done",
             lambda: Counter(c.status for c in state(app, cid2)[1]))
    made2, people2 = state(app, cid2)
    assert_dialed_exactly_once(made2, people2)
    assert {a.holder for a in made2} == {follower.holder}
