"""Suite-wide settings: hypothesis profiles (short in `make test`, long with `make fuzz`)."""

from __future__ import annotations

import os

import pytest
import requests
from hypothesis import HealthCheck, settings

import vpnroute_widgets as vw

settings.register_profile("default", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=10_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("VW_HYPOTHESIS_PROFILE", "default"))


def pytest_collection_modifyitems(config, items):
    """Run notebook executions, then real-browser tests, after everything else.

    Playwright's sync API leaves an asyncio loop marked as running in the main thread once
    it has started; the widget tests drive their own loop there, so they must run first.
    """

    def rank(item) -> int:
        if item.get_closest_marker("browser"):
            return 2
        if item.get_closest_marker("notebooks"):
            return 1
        return 0

    items.sort(key=rank)  # stable: the order within each group is kept


@pytest.fixture(scope="module")
def sandbox(request):
    """One sandbox per test module; a module may set ``SANDBOX_OPTIONS`` (default: seed 0, no update time)."""
    options = getattr(request.module, "SANDBOX_OPTIONS", {"seed": 0, "configuring_s": 0})
    with vw.Sandbox(**options) as started:
        yield started


@pytest.fixture
def sb(sandbox):
    """The module's sandbox, emptied (routes, faults, request log) and with its update time restored."""
    configuring_s = sandbox.configuring_s
    sandbox.reset()
    yield sandbox
    sandbox.reset()
    sandbox.configuring_s = configuring_s


@pytest.fixture
def http():
    """A plain requests session that ignores proxy settings (everything here is 127.0.0.1)."""
    with requests.Session() as session:
        session.trust_env = False
        yield session
