"""What the console's recording proxy costs: a lead plays a two-minute dual-channel recording
through ``/console/recordings/<sid>.wav`` (database lookup, the H25 check, the audit row, the
server-side fetch with basic auth, streaming), beside the baseline of fetching the same media
straight from the simulator with the account credentials, in the same run (in-process, SQLite).

    python bench/recording_proxy.py [--plays 40] [--seconds 120]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._harness import simulator_app, stop_app  # noqa: E402
from core.db import session_scope  # noqa: E402
from core.models import Call  # noqa: E402
from core.users import create_user  # noqa: E402
from ivr.recording_models import Recording  # noqa: E402
from tests.console.helpers import login  # noqa: E402


def _timed(get, plays: int) -> list[float]:  # noqa: ANN001
    took = []
    for _ in range(plays):
        began = time.perf_counter()
        response = get()
        assert response.status_code == 200 and len(response.data) > 1000, response.status_code
        took.append((time.perf_counter() - began) * 1000)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plays", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        public = "https://hotline.example.com"
        app = simulator_app(Path(tmp), f"sqlite:///{tmp}/bench.db", server={"public_url": public})
        sim = app.extensions["simulator"]
        sid = "RE" + "d" * 32
        with sim.lock:  # a finished dual-channel recording, as the simulator keeps one
            sim.recordings[sid] = {"sid": sid, "call_sid": "CA1", "kind": "call", "status": "completed",
                                   "channels": 2, "duration": int(args.seconds), "start_t": 0.0,
                                   "end_t": args.seconds, "paused_t": None, "skipped_s": 0.0,
                                   "pause_behavior": "skip", "created_at": sim.start_time}
        media = f"{public}/simulator/2010-04-01/Accounts/{sim.account_sid}/Recordings/{sid}"
        with session_scope(app) as s:
            create_user(s, "lead", "lead", "password123")
            s.add(Call(call_sid="CA1", status="completed"))
            s.add(Recording(recording_sid=sid, call_sid="CA1", status="completed", channels=2,
                            duration_s=int(args.seconds), media_url=media))
        web = app.test_client()
        login(web, "lead")
        auth = (sim.account_sid, sim.auth_token)
        direct = _timed(lambda: app.test_client().get(media.removeprefix(public) + ".wav", auth=auth,
                                                      base_url=public), args.plays)
        proxied = _timed(lambda: web.get(f"/console/recordings/{sid}.wav"), args.plays)
        size = len(web.get(f"/console/recordings/{sid}.wav").data)
        stop_app(app)
    base, proxy = statistics.median(direct), statistics.median(proxied)
    print(f"{args.plays} plays of a {args.seconds:.0f}-s dual-channel WAV ({size / 1e6:.2f} MB)")
    print(f"baseline (simulator media, basic auth): median {base:.1f} ms, p90 {sorted(direct)[int(0.9 * len(direct))]:.1f} ms")
    print(f"console proxy (lookup, H25 check, audit, fetch, stream): median {proxy:.1f} ms, "
          f"p90 {sorted(proxied)[int(0.9 * len(proxied))]:.1f} ms")
    print(f"ratio proxy / baseline: {proxy / base:.2f}")


if __name__ == "__main__":
    main()
