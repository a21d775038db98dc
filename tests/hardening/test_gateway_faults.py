"""Twilio REST faults through the one gateway, against the simulator's REST API.

429 → bounded retries (nothing was dialed); 5xx → retried only on requests safe to repeat,
never on ``calls.create`` (no double dial); a timed-out request surfaces as ``GatewayError``
and a timed-out create is not repeated."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from core.telephony.gateway import GatewayError, TelephonyGateway, get_gateway

AGENT = "client:hardening"


def quick(app: Any) -> TelephonyGateway:
    gateway = get_gateway(app)
    gateway._sleep = lambda _s: None  # no real back-off waits in tests  # noqa: SLF001
    return gateway


def creates(sim: Any) -> int:
    return len(sim.created_calls())


def test_429_is_retried_and_dials_once(app, sim):
    gateway = quick(app)
    sim.inject_rest_failures(2, status=429, code=20429)
    sid = gateway.place_call(AGENT, "https://hotline.test/ivr/agent/answer")
    assert sid.startswith("CA")
    assert creates(sim) == 1


def test_429_retries_are_bounded(app, sim):
    gateway = quick(app)
    sim.inject_rest_failures(gateway.retries + 1, status=429, code=20429)
    with pytest.raises(GatewayError) as error:
        gateway.place_call(AGENT, "https://hotline.test/ivr/agent/answer")
    assert error.value.status == 429
    assert creates(sim) == 0
    assert not sim.rest_failures  # exactly retries + 1 attempts were made


def test_5xx_on_create_is_not_retried_no_double_dial(app, sim):
    gateway = quick(app)
    sim.inject_rest_failures(1, status=500, code=20500)
    with pytest.raises(GatewayError) as error:
        gateway.place_call(AGENT, "https://hotline.test/ivr/agent/answer")
    assert error.value.status == 500
    assert creates(sim) == 0


def test_5xx_on_a_safe_request_is_retried(app, sim):
    gateway = quick(app)
    sid = gateway.place_call(AGENT, "https://hotline.test/ivr/agent/answer")
    sim.inject_rest_failures(2, status=503, code=20503)
    assert gateway.fetch_call(sid).sid == sid


class TimeoutOnce:
    """The transport times out on the first ``count`` requests (as requests' client would)."""

    def __init__(self, inner: Any, count: int = 1):
        self.inner, self.count, self.seen = inner, count, 0

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self.seen += 1
        if self.seen <= self.count:
            raise requests.exceptions.ReadTimeout("read timed out (injected)")
        return self.inner.request(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_timed_out_create_surfaces_as_gateway_error_and_is_not_repeated(app, sim):
    gateway = quick(app)
    client = gateway.client
    injected = TimeoutOnce(client.http_client)
    client.http_client = injected
    try:
        with pytest.raises(GatewayError):
            gateway.place_call(AGENT, "https://hotline.test/ivr/agent/answer")
        assert injected.seen == 1  # not retried: Twilio may have dialed
    finally:
        client.http_client = injected.inner


def test_timed_out_safe_request_is_retried(app, sim):
    gateway = quick(app)
    sid = gateway.place_call(AGENT, "https://hotline.test/ivr/agent/answer")
    client = gateway.client
    injected = TimeoutOnce(client.http_client)
    client.http_client = injected
    try:
        assert gateway.fetch_call(sid).sid == sid
        assert injected.seen == 2
    finally:
        client.http_client = injected.inner
