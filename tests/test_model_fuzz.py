"""Generated input for every field of the model: accepted, or refused with ValidationError naming the field.

No other exception may escape. `make fuzz` runs 10,000 examples per target; `make test` a short run.
"""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

import vpnroute_widgets as vw
from vpnroute_widgets.model import CHECKERS

GOOD = dict(region_id="cn-hangzhou", vpn_gateway_id="vpn-bp1a3kqjiiq9legfx0000", route_dest="10.0.0.0/24",
            next_hop="vco-bp15oes1py4i66rmd0000", weight=100, publish_vpc=True)
ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(), st.binary(),
    st.text(alphabet="0123456789./ -:abcdefvpnco", max_size=30), st.lists(st.integers(), max_size=3),
    st.sampled_from(["0", "100", "true", "FALSE", "Ipsec", "10.0.0.0/8", "vpn-abc123", "vco-abc123", "http://x"]),
)
FIELDS = {"RegionId": "region_id", "VpnGatewayId": "vpn_gateway_id", "RouteDest": "route_dest",
          "NextHop": "next_hop", "Weight": "weight", "PublishVpc": "publish_vpc", "ClientToken": "client_token",
          "OverlayMode": "overlay_mode", "Description": "description"}


@given(name=st.sampled_from(sorted(FIELDS)), value=ANYTHING)
def test_every_field_accepts_or_names_itself(name, value):
    try:
        request = vw.RouteEntryRequest(**{**GOOD, FIELDS[name]: value})
    except vw.ValidationError as err:
        assert err.field == name
        assert str(err).startswith(f"{name}: ") and len(err.message) > 10
    else:
        # What was accepted is normalised and survives a round trip through the wire form.
        assert vw.RouteEntryRequest.from_params(request.to_params()) == request


@given(value=ANYTHING)
def test_field_checkers_are_idempotent(value):
    for name, check in CHECKERS.items():
        try:
            normalised = check(value)
        except vw.ValidationError as err:
            assert err.field == name
        else:
            assert check(normalised) == normalised


@given(address=st.ip_addresses(v=4), prefix=st.integers(min_value=0, max_value=32))
def test_route_dest_rules_agree_with_ipaddress(address, prefix):
    text = f"{address}/{prefix}"
    net = ipaddress.ip_network(text, strict=False)
    should_pass = (net.network_address == address and prefix > 0
                   and not net.overlaps(ipaddress.ip_network("100.64.0.0/10")))
    try:
        assert vw.RouteEntryRequest(**{**GOOD, "route_dest": text}).route_dest == str(net)
        assert should_pass
    except vw.ValidationError as err:
        assert not should_pass and err.field == "RouteDest"
        if net.network_address != address:
            assert f"did you mean {net}?" in str(err)


@given(params=st.dictionaries(st.sampled_from(sorted(FIELDS) + ["Extra"]), ANYTHING, max_size=10))
def test_from_params_never_raises_anything_else(params):
    try:
        vw.RouteEntryRequest.from_params(params)
    except vw.ValidationError as err:
        assert err.field in FIELDS
