"""open_case: references are unique even when two webhooks open cases at the same moment."""

import threading

import pytest
from sqlalchemy import func, select

from core.cases import CaseError, local_day, next_ref, open_case
from core.db import session_scope, utcnow
from core.models import Case


def test_reference_is_the_days_running_number(app, db):
    with session_scope(app) as s:
        first = open_case(s, app.config["HOTLINE"], kind="repair", description="漏水")
        second = open_case(s, app.config["HOTLINE"], kind="inquiry")
        refs = (first.ref, second.ref)
    prefix = f"C{local_day(app.config['HOTLINE'], utcnow(app)):%Y%m%d}-"  # the day in hours.timezone
    assert refs == (prefix + "0001", prefix + "0002")


def test_a_taken_reference_is_skipped_not_lost(app, db):
    """The number another transaction took first: the case is still stored, with the next one."""
    settings = app.config["HOTLINE"]
    with session_scope(app) as s:
        taken = next_ref(s, local_day(settings, utcnow(app)))
    with session_scope(app) as s:  # opened concurrently: it chose the same number
        open_case(s, settings, kind="repair")
    with session_scope(app) as s:
        late = Case(ref=taken, kind="inquiry", description="")
        s.add(late)
        with pytest.raises(Exception):  # noqa: B017 - the database's unique constraint
            s.flush()
        s.rollback()
        case = open_case(s, settings, kind="complaint")
        assert case.ref != taken
    assert db.scalar(select(func.count()).select_from(Case)) == 2


def test_concurrent_cases_all_get_stored(app, db):
    settings = app.config["HOTLINE"]
    errors: list[BaseException] = []

    def open_some() -> None:
        try:
            for _ in range(10):
                with session_scope(app) as s:
                    open_case(s, settings, kind="recovery", description="caller gave up")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=open_some) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    refs = db.scalars(select(Case.ref)).all()
    assert len(refs) == 40 and len(set(refs)) == 40


def test_unknown_kind_is_named(app):
    with session_scope(app) as s, pytest.raises(CaseError, match="kind"):
        open_case(s, app.config["HOTLINE"], kind="gossip")
