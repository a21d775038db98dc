"""Where the learned layer comes from: the shipped model of the default library (up to date,
used by any copy of it without training), the cache beside other libraries (keyed by content and
model code), and training in the background while the aligner serves at once."""

from __future__ import annotations

import logging
import shutil
import threading

import numpy as np
import pytest
from flask import Flask

from scripts_library import learned_store, service
from scripts_library.learned import LearnedLayer
from scripts_library.loader import DEFAULT_DIR, load_library
from scripts_library.matcher import Matcher
from scripts_library.retrain import Retrainer
from scripts_library.settings import MatchSettings

TINY = """situation: S9
locale: en
triggers: [goodbye, see you, bye now]
entries:
  - {id: a1, kind: approved, text: Thank you for calling and have a good day.}
  - {id: a2, kind: approved, text: Is there anything else I can help you with today?}
  - {id: a3, kind: approved, text: Your repair is booked for Monday morning.}
  - {id: a4, kind: approved, text: I have noted your phone number and will call you back.}
  - {id: f1, kind: forbidden, text: Just hang up already., key_phrases: [hang up already], alternatives: [a1]}
"""
NEW_ENTRY = "  - {id: f2, kind: forbidden, text: Stop wasting my time., key_phrases: [wasting my time], alternatives: [a1]}\n"


def test_the_shipped_model_is_up_to_date():
    lib, problems = load_library()
    assert problems == []
    st = MatchSettings()
    key = learned_store.model_key(lib, st.learned_min_examples, st.learned_vectors)
    assert learned_store.shipped_key() == key, (
        f"scripts_library/{learned_store.SHIPPED.name} was trained for other library data or model code: "
        f"run `{learned_store.REBUILD}` and commit the file")


def test_a_fresh_copy_of_the_default_library_starts_from_the_shipped_model(tmp_path):
    copy = tmp_path / "library"
    shutil.copytree(DEFAULT_DIR, copy, ignore=shutil.ignore_patterns(".learned-*"))
    lib, _ = load_library(copy)
    matcher = Matcher(lib)
    assert list(copy.glob(".learned-*")) == []  # nothing trained, so nothing cached
    with np.load(learned_store.SHIPPED) as z:
        assert np.array_equal(matcher.learned.agent["zh-CN"].weights, z["agent|zh-CN|w"])
    assert [f["situation"] for f in matcher.check("我入职才一个礼拜,好多不会", "zh-CN")] == ["S3"]


def test_a_model_is_only_used_for_its_own_key(tmp_path):
    (tmp_path / "s9.yaml").write_text(TINY, encoding="utf-8")
    lib, problems = load_library(tmp_path)
    assert problems == []
    settings = MatchSettings(learned_min_examples=3, learned_vectors=False)
    layer = learned_store.build(lib, Matcher(lib, settings, train=False).tokens, True, 3, False)
    assert layer.agent["en"].labels == ["none", "S9"]
    cached = list(tmp_path.glob(".learned-*.npz"))
    assert [p.name for p in cached] == [f".learned-{learned_store.model_key(lib, 3, False)}.npz"]
    assert learned_store.cached(lib, True, 3, False) is not None
    # other settings or other content: another key, so the cached model is not theirs
    assert learned_store.cached(lib, True, 4, False) is None
    with (tmp_path / "s9.yaml").open("a", encoding="utf-8") as fh:
        fh.write(NEW_ENTRY)
    edited, _ = load_library(tmp_path)
    assert learned_store.model_key(edited, 3, False) != learned_store.model_key(lib, 3, False)
    assert learned_store.cached(edited, True, 3, False) is None
    with pytest.raises(ValueError, match="another library"):
        learned_store.load(cached[0], None, "0" * 16)
    # a broken file is not a model either
    cached[0].write_bytes(b"not a model")
    assert learned_store.cached(lib, True, 3, False) is None


@pytest.fixture
def background():
    """The web app's mode, on a tiny library's settings, in an app of its own."""
    app = Flask("library-in-the-background")
    with app.app_context():
        service.learn_in_background(True, app=app)
        service.configure({"learned_min_examples": 3, "learned_vectors": False}, None, app=app)
        yield


def test_a_library_without_its_model_is_served_at_once_and_trains_in_the_background(tmp_path, background, caplog):
    (tmp_path / "s9.yaml").write_text(TINY, encoding="utf-8")
    caplog.set_level(logging.WARNING, logger="scripts_library.service")
    served = service.get_matcher(tmp_path)
    assert served.learned is None  # the aligner alone answered at once
    assert served.check("Just hang up already.", "en")[0]["situation"] == "S9"
    assert service.wait_for_learning(tmp_path, timeout=120)
    assert service.learning(tmp_path).state == "ready"
    trained = service.get_matcher(tmp_path)
    assert trained is not served and isinstance(trained.learned, LearnedLayer)
    assert trained.learned.agent["en"].labels == ["none", "S9"]
    assert len(list(tmp_path.glob(".learned-*.npz"))) == 1

    # a save: the new entry applies at once, the previous model serves until the new one is ready
    with (tmp_path / "s9.yaml").open("a", encoding="utf-8") as fh:
        fh.write(NEW_ENTRY)
    reloaded = service.reload(tmp_path)
    assert reloaded.learned is trained.learned
    assert [f["entry_id"] for f in reloaded.check("You are wasting my time.", "en")] == ["f2"]
    assert service.wait_for_learning(tmp_path, timeout=120)
    assert service.get_matcher(tmp_path).learned is not trained.learned
    warnings = [r for r in caplog.records if "no trained model" in r.getMessage()]
    assert len(warnings) == 1  # logged once per library, not per load


def test_one_training_at_a_time_and_the_newest_library_wins():
    worker = Retrainer()
    started, release = threading.Event(), threading.Event()
    installed: list[object] = []
    saw_cancel: list[bool] = []

    def first(cancelled):
        started.set()
        release.wait(10)
        saw_cancel.append(cancelled())
        return "first"

    worker.submit("lib", first, installed.append)
    assert started.wait(10)
    status = worker.status("lib")
    assert status.state == "retraining" and status.since is not None
    worker.submit("lib", lambda cancelled: "second", installed.append)  # replaced before it starts
    worker.submit("other", lambda cancelled: "other", installed.append)  # waits for its turn
    worker.submit("lib", lambda cancelled: "third", installed.append)
    assert worker.status("lib").since == status.since  # retraining since the first save
    assert installed == []  # one at a time: nothing else ran while the first trains
    release.set()
    assert worker.wait("lib", 10) and worker.wait("other", 10)
    assert saw_cancel == [True]  # the running job was told its library is outdated
    assert sorted(installed) == ["other", "third"]  # the first and second were never installed
    assert worker.status("lib").state == "ready"


def test_a_failed_training_is_reported_and_the_worker_goes_on():
    worker = Retrainer()

    def broken(cancelled):
        raise RuntimeError("out of memory")

    installed: list[object] = []
    worker.submit("lib", broken, installed.append)
    assert worker.wait("lib", 10)
    status = worker.status("lib")
    assert status.state == "failed" and "out of memory" in status.error
    worker.submit("lib", lambda cancelled: "ok", installed.append)
    assert worker.wait("lib", 10) and installed == ["ok"] and worker.status("lib").state == "ready"
