"""pytest fixtures for your own tests: a real sandbox on 127.0.0.1 per test.

Installed with the package (a ``pytest11`` entry point), so any test can ask for it::

    def test_my_script(vpc_sandbox):
        client = vw.VpcClient(vpc_sandbox.credentials, endpoint=vpc_sandbox.endpoint)
        ...

    @pytest.mark.vpc_sandbox(routes_per_gateway=20, seed=3)   # any vw.Sandbox keyword
    def test_with_existing_routes(vpc_sandbox):
        ...

``vpc_sandbox`` is function-scoped: started before the test (seed 0, gateways leave
``updating`` after 0.05 s, unless the ``vpc_sandbox`` mark says otherwise), stopped after it.
Fixture names are prefixed ``vpc_`` so they do not clash with yours.
"""

from __future__ import annotations

import pytest


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "vpc_sandbox(**options): vw.Sandbox keywords for the vpc_sandbox fixture "
                                       "(e.g. routes_per_gateway=20, seed=3)")


@pytest.fixture
def vpc_sandbox(request):
    """A started :class:`vpnroute_widgets.sandbox.Sandbox` (seed 0, or the mark's options), stopped after the test."""
    from vpnroute_widgets.sandbox import Sandbox

    marker = request.node.get_closest_marker("vpc_sandbox")
    options = {"seed": 0, "configuring_s": 0.05, **(marker.kwargs if marker else {})}
    with Sandbox(**options) as sandbox:
        yield sandbox
