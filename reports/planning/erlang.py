"""Erlang C and Erlang A: agents needed for a service level (pure functions, no database).

**Erlang C** (M/M/n, callers never give up). With offered load ``A = λ · AHT`` (Erlangs) and
``n`` agents, the probability that a caller waits is computed through the numerically stable
Erlang B recursion ``B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1))`` and
``C = n·B / (n − A·(1 − B))``; then ``P(wait ≤ t) = 1 − C·e^(−(n−A)·t/AHT)`` and
``ASA = C·AHT / (n − A)`` (see the Erlang-C worked example "360 calls per half hour, 4 min,
55 agents, 15 s" and Koole, *Call Center Optimization*, 2013, ch. 5).

**Erlang A** (M/M/n+M, Garnett, Mandelbaum & Reiman, *Designing a call center with impatient
customers*, MSOM 4(3), 2002): callers abandon after an exponential patience of mean ``1/θ``.
The number in the system is a birth–death chain (birth λ, death ``min(k, n)·μ + (k − n)⁺·θ``)
whose stationary law is summed until its tail is negligible. An arriving caller sees that law
(PASTA). ``P(abandon) = Σ π(n+j)·j·θ / λ``. The service level is the share of *all* callers
answered within ``t``: a caller with ``j`` waiting ahead moves up at rate ``nμ + iθ`` (``i``
ahead) and gives up at rate θ; the probability to reach an agent within ``t`` is computed by
uniformisation of that small chain for every ``j`` at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TAIL = 1e-12  # stationary probabilities below this (relative) are dropped
MAX_AGENTS = 2000


@dataclass(frozen=True)
class Performance:
    """What ``n`` agents achieve on one interval's traffic (rates 0–1, times in seconds)."""

    agents: int
    load: float  # Erlangs
    p_wait: float
    service_level: float  # answered within the target / all callers
    asa_s: float  # mean wait of answered callers
    p_abandon: float
    occupancy: float


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of the Erlang loss system (recursion, stable for large ``n``)."""
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """Probability that a caller has to wait (1 when ``load ≥ agents``: the line grows)."""
    if load <= 0:
        return 0.0
    if agents <= load:
        return 1.0
    b = erlang_b(agents, load)
    return agents * b / (agents - load * (1 - b))


def erlang_c_performance(agents: int, calls_per_s: float, aht_s: float, target_s: float) -> Performance:
    load = calls_per_s * aht_s
    c = erlang_c(agents, load)
    if agents <= load:
        return Performance(agents, load, 1.0, 0.0, math.inf, 0.0, 1.0 if agents else 0.0)
    sl = 1.0 - c * math.exp(-(agents - load) * target_s / aht_s)
    asa = c * aht_s / (agents - load)
    return Performance(agents, load, c, sl, asa, 0.0, load / agents if agents else 0.0)


def _stationary(agents: int, lam: float, mu: float, theta: float) -> list[float]:
    """Stationary law of the number in an M/M/n+M system (normalised)."""
    weights = [1.0]
    for k in range(1, agents + 1):
        weights.append(weights[-1] * lam / (k * mu))
        if weights[-1] > 1e250:  # rescale to stay finite
            weights = [w / 1e250 for w in weights]
    j = 0
    while True:
        j += 1
        weights.append(weights[-1] * lam / (agents * mu + j * theta))
        if weights[-1] < TAIL * max(weights) and agents * mu + j * theta > lam:
            break
    total = sum(weights)
    return [w / total for w in weights]


def _served_within(agents: int, mu: float, theta: float, ahead: list[float], target_s: float) -> float:
    """Σ_j ahead[j] · P(a caller with j waiting ahead reaches an agent within target_s)."""
    if not ahead or target_s <= 0:
        return 0.0
    size = len(ahead)
    rates = [agents * mu + i * theta for i in range(size)]  # moving up from i ahead
    top = max(rates) + theta
    steps_mean = top * target_s
    steps = int(steps_mean + 12 * math.sqrt(steps_mean) + 30)
    state = list(ahead)  # mass by how many are still ahead
    served = 0.0
    poisson = math.exp(-steps_mean)  # P(0 jumps)
    log_poisson = -steps_mean
    cumulative_served = 0.0
    for k in range(steps + 1):
        if k:
            log_poisson += math.log(steps_mean) - math.log(k)
            poisson = math.exp(log_poisson)
            new = [0.0] * size
            gained = state[0] * rates[0] / top
            for i in range(size):
                stay = 1 - (rates[i] + theta) / top
                new[i] += state[i] * stay
                if i:
                    new[i - 1] += state[i] * rates[i] / top
            state = new
            served += gained
        cumulative_served += poisson * served
    return cumulative_served


def erlang_a_performance(agents: int, calls_per_s: float, aht_s: float, patience_s: float,
                         target_s: float) -> Performance:
    """Erlang A figures for ``agents`` (``patience_s``: mean patience, from abandoned calls)."""
    lam, mu, theta = calls_per_s, 1.0 / aht_s, 1.0 / patience_s
    load = lam * aht_s
    if lam <= 0:
        return Performance(agents, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    if agents == 0:
        return Performance(0, load, 1.0, 0.0, math.inf, 1.0, 0.0)
    pi = _stationary(agents, lam, mu, theta)
    queued = pi[agents:]
    p_wait = sum(queued)
    p_abandon = sum(p * j * theta for j, p in enumerate(queued)) / lam
    sl = sum(pi[:agents]) + _served_within(agents, mu, theta, queued, target_s)
    mean_queue = sum(p * j for j, p in enumerate(queued))
    answered = 1 - p_abandon
    asa = (mean_queue / lam) / answered if answered > 0 else math.inf  # Little: E[W] = E[Q]/λ
    busy = sum(min(k, agents) * p for k, p in enumerate(pi))
    return Performance(agents, load, p_wait, sl, asa, p_abandon, busy / agents)


def agents_for(calls_per_s: float, aht_s: float, target_s: float, service_level: float,
               max_abandon: float | None = None, patience_s: float | None = None) -> int:
    """Fewest agents meeting the service level (and, for Erlang A, the abandonment cap).

    Erlang C when ``patience_s`` is None, else Erlang A. 0 calls need 0 agents.
    """
    if calls_per_s <= 0:
        return 0
    load = calls_per_s * aht_s
    start = max(1, math.floor(load) if patience_s is not None else math.floor(load) + 1)
    for n in range(start, MAX_AGENTS + 1):
        if patience_s is None:
            perf = erlang_c_performance(n, calls_per_s, aht_s, target_s)
        else:
            perf = erlang_a_performance(n, calls_per_s, aht_s, patience_s, target_s)
        if perf.service_level >= service_level and (max_abandon is None or perf.p_abandon <= max_abandon):
            return n
    return MAX_AGENTS


def with_shrinkage(agents: int, shrinkage: float) -> int:
    """Agents to roster so that ``agents`` are on the phones after breaks, training… (0 ≤ s < 1)."""
    if agents <= 0:
        return 0
    return math.ceil(agents / (1 - shrinkage) - 1e-9)
