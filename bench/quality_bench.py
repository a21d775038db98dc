"""Benchmark of the quality scorecard beside the library check the live transcript already ran.

Builds synthetic calls (both locales, agent and caller sentences, some with forbidden phrasing),
then times, per call and in one run: scoring the call (``reports.quality.scorecard.score`` with
the library's phrasebook) and, as the baseline, the live check of the same call's agent sentences
(``scripts_library.service.check``, one per sentence, as ``agent_console.transcripts`` does during
the call). The scorecard runs once per call after it ended, so it should cost about what the call's
live checks cost, not more.

    python bench/quality_bench.py [--calls 200] [--sentences 16]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reports.quality import scorecard as sc  # noqa: E402
from reports.quality.phrases import build  # noqa: E402
from scripts_library import service  # noqa: E402

AGENT = {
    "zh-CN": ["非常抱歉,今天咨询的客户比较多,非常感谢您的耐心等候。", "您好!SCC顺创客服部,请问有什么可以帮到你?",
              "请问您贵姓?请问王先生目前在哪个城区?", "我跟您确认一下,您反映的是厨房水管漏水,对吗?",
              "好的,我们会尽快安排师傅上门。", "维修费用按标准收取。", "我也没办法,刚才线路忙啊!", "谢谢,再见!",
              "请您留下联系电话。", "工程部会跟进处理。"],
    "en": ["I'm very sorry, we have a lot of callers today.", "Hello! SCC Shunchuang Customer Service, how can I help you?",
           "May I have your surname, please? And which district are you in, Mr Wang?",
           "Let me confirm: you are reporting a leaking pipe, is that right?", "We will send a technician soon.",
           "The usual repair fee applies.", "It's not my problem, call another number.", "Thank you, goodbye!",
           "Please leave your phone number.", "Engineering will follow up."],
}
CALLER = {"zh-CN": ["你好,我家厨房水管漏水了", "我姓王,在南山区", "对的", "好的谢谢"],
          "en": ["Hello, my kitchen pipe is leaking", "Wang, Nanshan district", "Yes", "OK thanks"]}
NAMES = {"zh-CN": {"company": "SCC顺创", "department": "客服部"},
         "en": {"company": "SCC Shunchuang", "department": "Customer Service"}}


def make_call(rng: random.Random, sentences: int) -> tuple[str, list[tuple[str, str, float]]]:
    locale = rng.choice(("zh-CN", "en"))
    lines = []
    for n in range(sentences):
        speaker = "agent" if n % 2 == 0 else "caller"
        lines.append((speaker, rng.choice(AGENT[locale] if speaker == "agent" else CALLER[locale]), n * 6.0))
    return locale, lines


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def row(name: str, samples: list[tuple[float, float]]) -> str:
    walls = sorted(w for w, _ in samples)
    cpus = sorted(c for _, c in samples)
    p99 = walls[min(len(walls) - 1, int(len(walls) * 0.99))]
    return (f"{name:<42}{len(samples):>6}{statistics.median(walls):>9.2f}{p99:>9.2f}{statistics.mean(walls):>9.2f}"
            f"{statistics.median(cpus):>9.2f}{statistics.mean(cpus):>9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--sentences", type=int, default=16)
    args = parser.parse_args()
    rng = random.Random(7)
    limits = sc.Limits()
    books = {loc: build(loc, NAMES[loc], limits.share) for loc in NAMES}  # built once per library load
    service.check("预热", "zh-CN")
    calls = [make_call(rng, args.sentences) for _ in range(args.calls)]
    stored = [(loc, [(sp, text, at, service.check(text, loc) if sp == "agent" else []) for sp, text, at in lines])
              for loc, lines in calls]
    scored, checked = [], []
    for (loc, lines), (_, raw) in zip(stored, calls, strict=True):
        facts = sc.CallFacts(locale=loc, lines=sc.lines_of(lines), wait_s=14, talk_s=150, menu_option="repair")
        scored.append(timed(lambda f=facts, b=books[loc]: sc.score(f, b, limits)))
        checked.append(timed(lambda r=raw, lc=loc: [service.check(t, lc) for sp, t, _ in r if sp == "agent"]))
    print(f"{args.calls} calls of {args.sentences} sentences (half the agent's), zh-CN and en")
    print(f"{'per call':<42}{'calls':>6}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'cpu p50':>9}{'cpu mean':>9}")
    print(row("scorecard (every item, from stored flags)", scored))
    print(row("baseline: the call's live checks", checked))
    ratio = statistics.mean(w for w, _ in scored) / statistics.mean(w for w, _ in checked)
    cpu_ratio = statistics.mean(c for _, c in scored) / max(1e-9, statistics.mean(c for _, c in checked))
    print(f"scorecard / live checks: {ratio:.2f}× wall-clock mean, {cpu_ratio:.2f}× CPU mean")


if __name__ == "__main__":
    main()
