"""Audit (issue 8, promise 1), the batch CSV reader as a target: any bytes, any cells.

Whatever a colleague's file holds, ``plan_batch`` either refuses the file as a whole with
``BatchInputError`` (a ValidationError naming the column or "CSV") or plans it: one plan row per
input route, each ``ready`` or with a status, the field and a message. No other exception escapes.
Only ready rows ever reach the sandbox. `make fuzz` runs 10,000 examples per test.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vpnroute_widgets as vw
from vpnroute_widgets.batch import STATUSES, BatchInputError
from vpnroute_widgets.batch.reader import FIELDS

HEADERS = [*FIELDS, "route_dest", "ROUTE DEST", "next hop", "Colour", "", "AccessKeySecret", "weight"]
CELL = st.one_of(
    st.sampled_from(["10.0.0.0/24", "10.0.0.1/24", "0.0.0.0/0", "100.64.0.0/10", "cn-hangzhou", "CN-HANGZHOU",
                     "vpn-bp1a3kqjiiq9legfx0000", "vco-bp15oes1py4i66rmd0000", "0", "100", "50", "true", "FALSE",
                     "Ipsec", "", " ", "=1+1", "-2", "@SUM(A1)", "\"", "'", "NA", "nan", "None"]),
    st.text(st.characters(codec=None, categories=None), max_size=10),
)
SEPARATORS = st.sampled_from([",", ";", "\t"])


@st.composite
def csv_texts(draw) -> str:
    sep = draw(SEPARATORS)
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=0, max_size=8))
    rows = draw(st.lists(st.lists(CELL, max_size=len(header) + 2), max_size=6))
    lines = [sep.join(header)] + [sep.join(row) for row in rows]
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    return draw(st.sampled_from(["", "\ufeff"])) + text


RAW_SOURCES = st.one_of(
    st.binary(max_size=300),
    csv_texts().map(lambda t: t.encode("utf-8", errors="surrogatepass")),
    csv_texts().map(lambda t: t.encode("utf-16", errors="surrogatepass")),
    st.builds(lambda b, t: b + t.encode("utf-8", errors="surrogatepass"),
              st.sampled_from([b"PK\x03\x04", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\x00"]), csv_texts()),
)


def check_plan(batch: vw.Batch, expected_rows: int | None = None) -> None:
    plan = batch.plan
    if expected_rows is not None:
        assert len(plan) == expected_rows
    assert set(plan["status"]) <= set(STATUSES)
    for line in plan.itertuples():
        if line.status == "invalid":
            assert isinstance(line.field, str) and line.field and isinstance(line.message, str) and line.message
    assert set(batch.requests) == {i for i, s in enumerate(plan["status"]) if s == "ready"}
    text = batch.to_csv()  # the plan export never fails either
    assert text.count("\r\n") >= 1


@given(source=RAW_SOURCES, defaults=st.sampled_from([{}, {"RegionId": "cn-hangzhou", "Weight": 0,
                                                           "PublishVpc": True}]))
def test_fuzz_any_bytes_are_planned_or_refused_with_batch_input_error(source, defaults):
    try:
        batch = vw.plan_batch(source, defaults=defaults)
    except BatchInputError as err:
        assert isinstance(err, vw.ValidationError) and err.field and str(err).startswith(f"{err.field}: ")
        return
    check_plan(batch)


@given(text=csv_texts())
def test_fuzz_every_parsed_route_gets_one_plan_row(text):
    """When the file is read, every non-blank line under the header is one plan row, in order."""
    try:
        batch = vw.plan_batch(text.encode("utf-8", errors="surrogatepass"),
                              defaults={"RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-bp1a3kqjiiq9legfx0000",
                                        "Weight": 0, "PublishVpc": True, "NextHop": "vco-bp15oes1py4i66rmd0000"})
    except BatchInputError:
        return
    expected = None
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""),
                               delimiter=_delimiter(text.lstrip("\ufeff"))))
        non_blank = [r for r in rows if any(c.strip() for c in r)]
        expected = len(non_blank) - 1
    except (csv.Error, UnicodeError):
        pass
    check_plan(batch, expected)


def _delimiter(text: str) -> str:
    first = text.lstrip("\r\n").split("\n", 1)[0]
    if "," in first:
        return ","
    return ";" if ";" in first else "\t" if "\t" in first else ","


@given(frame=st.lists(st.fixed_dictionaries({name: st.one_of(CELL, st.none(), st.integers(), st.floats(),
                                                               st.booleans())
                                              for name in ("RouteDest", "NextHop", "Weight", "PublishVpc",
                                                           "Description", "OverlayMode")}),
                      min_size=1, max_size=5))
def test_fuzz_dataframe_cells_of_any_type(frame):
    try:
        batch = vw.plan_batch(pd.DataFrame(frame), defaults={"RegionId": "cn-hangzhou",
                                                             "VpnGatewayId": "vpn-bp1a3kqjiiq9legfx0000"})
    except BatchInputError as err:
        assert err.field
        return
    check_plan(batch, len(frame))


# --- only ready rows reach the network ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox():
    with vw.Sandbox(seed=9, configuring_s=0.0) as sb:
        yield sb


ROUTE_CELL = st.one_of(st.sampled_from(["10.1.0.0/24", "10.1.0.0/24", "10.2.0.0/16", "10.1.0.1/24", "0.0.0.0/0",
                                        "=cmd|' /C calc'!A0", "", "192.168.0.0/24"]), CELL)


@given(rows=st.lists(st.tuples(ROUTE_CELL, st.sampled_from(["0", "100", "7", "", "=1"]),
                               st.sampled_from(["", "x", "=HYPERLINK(\"http://e\")", "a\x00b"]),
                               st.integers(0, 2)),
                     min_size=1, max_size=6))
def test_fuzz_only_ready_rows_reach_the_sandbox(sandbox, rows):
    sandbox.reset()
    hops = [*sandbox.next_hops, "vco-notaconnection0000"]
    frame = pd.DataFrame([{"RouteDest": d, "Weight": w, "Description": desc, "NextHop": hops[h]}
                          for d, w, desc, h in rows])
    client = vw.VpcClient(sandbox.credentials, endpoint=sandbox.endpoint, timeout=(2, 5))
    defaults = {"RegionId": sandbox.region_id, "VpnGatewayId": sandbox.vpn_gateway_id, "PublishVpc": True}
    batch = vw.plan_batch(frame, client, defaults=defaults)
    sandbox.requests.clear()
    result = vw.apply_batch(batch, client)
    sent = [(e["params"]["RouteDest"], e["params"]["NextHop"]) for e in sandbox.requests
            if e["action"] == "CreateVpnRouteEntry"]
    ready = [(r.route_dest, r.next_hop) for r in batch.requests.values()]
    assert sorted(set(sent)) == sorted(ready)  # every ready row was sent, nothing else was
    report = result.to_dataframe()
    assert sorted(report["row"].tolist()) == list(range(len(rows)))  # one record per input row
    assert (report["outcome"] == "skipped").sum() == len(rows) - len(ready) - batch.counts()["exists"]
