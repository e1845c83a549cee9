"""pytest fixtures for your own tests: a real sandbox on 127.0.0.1 per test.

Installed with the package (a ``pytest11`` entry point), so any test can ask for it::

    def test_my_script(vpc_sandbox):
        client = vw.VpcClient(vpc_sandbox.credentials, endpoint=vpc_sandbox.endpoint)
        ...

``vpc_sandbox`` is function-scoped: started before the test (seed 0, gateways leave
``updating`` after 0.05 s), stopped after it. Fixture names are prefixed ``vpc_`` so
they do not clash with yours.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def vpc_sandbox():
    """A started :class:`vpnroute_widgets.sandbox.Sandbox` (seed 0), stopped after the test."""
    from vpnroute_widgets.sandbox import Sandbox

    with Sandbox(seed=0, configuring_s=0.05) as sandbox:
        yield sandbox
