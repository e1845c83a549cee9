"""Reading and planning a batch: columns, defaults, per-row messages, statuses, tokens; the plan as safe CSV."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_log_report import NASTY, NUMERIC_PLAN, assert_safe, nasty_frame, read_raw, unescape

import vpnroute_widgets as vw
from vpnroute_widgets.batch import (
    PLAN_COLUMNS,
    STATUSES,
    BatchInputError,
    derive_client_token,
    plan_batch,
    read_routes,
)

GW = "vpn-abcd1234"
HOP, HOP2 = "vco-hop00001", "vco-hop00002"
DEFAULTS = {"region_id": "cn-hangzhou", "VpnGatewayId": GW}


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def statuses(batch) -> dict:
    return dict(zip(batch.plan["row"].tolist(), batch.plan["status"].tolist(), strict=True))


# --- input ---


@pytest.mark.parametrize("header", ["RouteDest,NextHop,Weight,PublishVpc",
                                    "route_dest,next_hop,weight,publish_vpc",
                                    "ROUTE DEST,Next-Hop,WEIGHT,publishvpc"])
def test_columns_in_api_snake_or_any_case(header):
    batch = plan_batch(csv(header, f"10.0.0.0/24,{HOP},100,true"), defaults=DEFAULTS)
    assert batch.counts()["ready"] == 1
    assert batch.plan.loc[0, "route_dest"] == "10.0.0.0/24"
    assert batch.plan.loc[0, "weight"] == 100


def test_plan_frame_shape_and_row_numbers_are_file_lines():
    data = csv("RouteDest,NextHop,Weight,PublishVpc", f"10.0.0.0/24,{HOP},0,true", "",
               f"10.0.1.0/24,{HOP},0,TRUE")
    batch = plan_batch(data, defaults=DEFAULTS)
    assert tuple(batch.plan.columns) == PLAN_COLUMNS
    assert batch.plan["row"].tolist() == [2, 4]  # header is line 1; the blank line 3 is skipped
    assert batch.plan["publish_vpc"].tolist() == [True, True]
    assert any("blank" in note for note in batch.notes)


def test_quoted_multiline_cell_keeps_line_numbers():
    data = csv("RouteDest,NextHop,Weight,PublishVpc,Description",
               f'10.0.0.0/24,{HOP},0,true,"two\nlines"', f"10.0.1.0/24,{HOP},0,true,x")
    batch = plan_batch(data, defaults=DEFAULTS)
    assert batch.plan["row"].tolist() == [2, 4]


def test_dataframe_rows_are_index_labels_and_defaults_fill_missing_columns():
    frame = pd.DataFrame({"route_dest": ["10.0.0.0/24", "10.0.1.0/24"], "next_hop": [HOP, HOP],
                          "weight": [0, 100], "publish_vpc": [True, False]}, index=[10, 11])
    batch = plan_batch(frame, defaults=DEFAULTS)
    assert batch.plan["row"].tolist() == [10, 11]
    assert set(batch.plan["vpn_gateway_id"]) == {GW}
    assert batch.plan["weight"].tolist() == [0, 100]


def test_blank_cell_takes_the_default_and_cell_wins_over_default():
    data = csv("RouteDest,NextHop,Weight,PublishVpc,VpnGatewayId", f"10.0.0.0/24,{HOP},0,true,",
               f"10.0.1.0/24,{HOP},0,true,vpn-other0001")
    batch = plan_batch(data, defaults=DEFAULTS)
    assert batch.plan["vpn_gateway_id"].tolist() == [GW, "vpn-other0001"]


def test_semicolon_separated_and_bom():
    data = "\ufeffRouteDest;NextHop;Weight;PublishVpc\n10.0.0.0/24;vco-hop00001;0;true\n".encode()
    assert plan_batch(data, defaults=DEFAULTS).counts()["ready"] == 1


@pytest.mark.parametrize("data, field, words", [
    (b"", "CSV", "empty"),
    (b"  \n\n", "CSV", "empty"),
    (b"RouteDest,NextHop,Weight,PublishVpc\n", "CSV", "no routes"),
    (b"PK\x03\x04 excel", "CSV", "Excel"),
    (b"RouteDest,NextHop\n\xff\xfe\xfa,x\n", "CSV", "UTF-8"),
    (csv("Dest,Hop", "10.0.0.0/24,vco-hop00001"), "RouteDest", "required column"),
    (csv("RouteDest,route_dest,NextHop,Weight,PublishVpc", "a,b,c,0,true"), "RouteDest", "both mean"),
    (b'RouteDest,NextHop,Weight,PublishVpc\n"10.0.0.0/24,vco-x,0,true\n', "CSV", "quotes"),
])
def test_unusable_sources_raise_one_clear_error(data, field, words):
    with pytest.raises(BatchInputError) as info:
        plan_batch(data, defaults=DEFAULTS)
    assert info.value.field == field
    assert words in str(info.value)


def test_missing_file_and_directory_and_bad_default(tmp_path):
    with pytest.raises(BatchInputError, match="no such file"):
        read_routes(tmp_path / "nope.csv")
    with pytest.raises(BatchInputError, match="directory"):
        read_routes(tmp_path)
    with pytest.raises(BatchInputError) as info:
        read_routes(csv("RouteDest,NextHop", f"10.0.0.0/24,{HOP}"), {"Weight": 7})
    assert info.value.field == "Weight" and "default" in str(info.value)
    with pytest.raises(BatchInputError, match="not a route field"):
        read_routes(csv("RouteDest,NextHop", f"10.0.0.0/24,{HOP}"), {"colour": "red"})


def test_missing_columns_name_every_one_and_the_fix():
    with pytest.raises(BatchInputError) as info:
        plan_batch(csv("RouteDest,NextHop", f"10.0.0.0/24,{HOP}"))
    text = str(info.value)
    for name in ("RegionId", "VpnGatewayId", "Weight", "PublishVpc"):
        assert name in text
    assert "--gateway" in text and "defaults=" in text


def test_path_input(tmp_path):
    path = tmp_path / "routes.csv"
    path.write_bytes(csv("RouteDest,NextHop,Weight,PublishVpc", f"10.0.0.0/24,{HOP},0,true"))
    assert plan_batch(path, defaults=DEFAULTS).counts()["ready"] == 1
    assert plan_batch(str(path), defaults=DEFAULTS).counts()["ready"] == 1


# --- per-row validation ---


def test_bad_rows_get_messages_naming_every_bad_field():
    data = csv("RouteDest,NextHop,Weight,PublishVpc",
               f"10.0.0.1/24,{HOP},7,maybe",           # three bad fields
               "100.64.1.0/24,VCO-HOP00001,0,true",   # CGNAT and upper case
               f"10.0.2.0/24,{HOP},0,true,extra",      # a stray cell
               f"10.0.3.0/24,{HOP},0,true")
    batch = plan_batch(data, defaults=DEFAULTS)
    plan = batch.plan.set_index("row")
    assert plan.loc[2, "status"] == "invalid" and plan.loc[2, "field"] == "RouteDest"
    for words in ("RouteDest", "host bits", "Weight", "PublishVpc"):
        assert words in plan.loc[2, "message"]
    assert "100.64.0.0/10" in plan.loc[3, "message"] and "vco-hop00001" in plan.loc[3, "message"]
    assert "stray comma" in plan.loc[4, "message"]
    assert plan.loc[5, "status"] == "ready"
    assert batch.counts() == {"ready": 1, "invalid": 3, "duplicate": 0, "exists": 0, "conflict": 0}


def test_invalid_row_keeps_the_typed_text():
    batch = plan_batch(csv("RouteDest,NextHop,Weight,PublishVpc", f"=1+1,{HOP},0,true"), defaults=DEFAULTS)
    assert batch.plan.loc[0, "route_dest"] == "=1+1"
    text = batch.to_csv()
    assert "'=1+1" in text and ",=1+1" not in text


# --- statuses within the batch ---


def test_duplicate_and_conflicts_within_the_batch():
    data = csv("RouteDest,NextHop,Weight,PublishVpc,Description",
               f"10.0.0.0/24,{HOP},0,true,",      # 2 ready
               f"10.0.0.0/24,{HOP},0,true,",      # 3 duplicate of 2
               f"10.0.0.0/24,{HOP},0,false,",     # 4 same key, other PublishVpc: conflict
               f"10.0.1.0/24,{HOP},0,true,",      # 5 same dest+hop, other weight than 6: conflict
               f"10.0.1.0/24,{HOP},100,true,",    # 6 conflict
               f"10.0.2.0/24,{HOP},100,true,",    # 7 two active routes for one dest: conflict
               f"10.0.2.0/24,{HOP2},100,true,",   # 8 conflict
               f"10.0.3.0/24,{HOP},100,true,",    # 9 active/standby pair: both ready
               f"10.0.3.0/24,{HOP2},0,true,")     # 10
    batch = plan_batch(data, defaults=DEFAULTS)
    assert statuses(batch) == {2: "ready", 3: "duplicate", 4: "conflict", 5: "conflict", 6: "conflict",
                               7: "conflict", 8: "conflict", 9: "ready", 10: "ready"}
    messages = batch.plan.set_index("row")["message"]
    assert "row 2" in messages[3] and "row(s) 6" in messages[5] and "row(s) 8" in messages[7]
    assert set(batch.requests) == {0, 7, 8}


def test_overlaps_are_information_only():
    data = csv("RouteDest,NextHop,Weight,PublishVpc", f"10.0.0.0/16,{HOP},0,true", f"10.0.5.0/24,{HOP},0,true",
               f"192.168.0.0/24,{HOP},0,true")
    batch = plan_batch(data, defaults=DEFAULTS)
    assert batch.counts()["ready"] == 3
    info = batch.plan["info"].tolist()
    assert "10.0.5.0/24 (row 3)" in info[0] and "10.0.0.0/16 (row 2)" in info[1]
    assert pd.isna(info[2])


# --- identity ---


def test_batch_id_and_tokens_come_from_content():
    data = csv("RouteDest,NextHop,Weight,PublishVpc", f"10.0.0.0/24,{HOP},0,true", f"10.0.1.0/24,{HOP},0,true")
    first, again = plan_batch(data, defaults=DEFAULTS), plan_batch(data, defaults=DEFAULTS)
    assert first.batch_id == again.batch_id
    assert first.plan["client_token"].tolist() == again.plan["client_token"].tolist()
    reordered = csv("RouteDest,NextHop,Weight,PublishVpc", f"10.0.1.0/24,{HOP},0,true", f"10.0.0.0/24,{HOP},0,true")
    assert plan_batch(reordered, defaults=DEFAULTS).batch_id == first.batch_id
    other = plan_batch(data, defaults={**DEFAULTS, "VpnGatewayId": "vpn-other0001"})
    assert other.batch_id != first.batch_id
    tokens = first.plan["client_token"].tolist()
    assert len(set(tokens)) == 2 and all(len(t) <= 64 for t in tokens)
    named = plan_batch(data, defaults=DEFAULTS, batch_id="branch-7")
    assert named.batch_id == "branch-7" and named.plan["client_token"].str.contains("branch-7").all()
    assert derive_client_token("b", ("x",)) != derive_client_token("b", ("x",), "delete")


def test_user_client_token_column_is_kept_and_bad_batch_id_refused():
    data = csv("RouteDest,NextHop,Weight,PublishVpc,ClientToken", f"10.0.0.0/24,{HOP},0,true,my-token-1")
    assert plan_batch(data, defaults=DEFAULTS).plan.loc[0, "client_token"] == "my-token-1"
    with pytest.raises(BatchInputError):
        plan_batch(data, defaults=DEFAULTS, batch_id="no spaces please")


def test_public_names():
    assert vw.plan_batch is plan_batch
    assert vw.Batch.__module__.startswith("vpnroute_widgets.batch")
    assert set(STATUSES) == {"ready", "invalid", "duplicate", "exists", "conflict"}
    assert callable(vw.apply_batch) and callable(vw.rollback_batch) and callable(vw.resume_batch)


def test_two_thousand_rows_are_all_planned_ready():
    """How fast is tests/benchmarks/bench_plan.py's (target: 2,000 rows in under 10 s)."""
    frame = pd.DataFrame({"RouteDest": [f"10.{i // 256}.{i % 256}.0/24" for i in range(2000)],
                          "NextHop": HOP, "Weight": 0, "PublishVpc": True})
    batch = plan_batch(frame, defaults=DEFAULTS)
    assert batch.counts()["ready"] == 2000


# --- the plan as CSV: safe in a spreadsheet (the security audit, issue 8, promise 3) --------------


def test_batch_plan_csv_is_escaped_and_round_trips(sb, tmp_path):
    client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint)
    batch = vw.plan_batch(nasty_frame(sb), client, defaults={"RegionId": sb.region_id,
                                                                  "VpnGatewayId": sb.vpn_gateway_id})
    batch.to_csv(tmp_path / "plan.csv")
    text = read_raw(tmp_path / "plan.csv")
    assert text == batch.to_csv()
    rows = assert_safe(text, NUMERIC_PLAN)
    assert rows[0]["row"] == "-3"
    assert sum(row["route_dest"].startswith("'") for row in rows) >= len(NASTY)  # the typed formulas, quoted
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(back.columns) == list(PLAN_COLUMNS)
    for column in PLAN_COLUMNS:  # exact round trip: strip one quote from text cells
        original = ["" if pd.isna(v) else str(v).lower() if column == "publish_vpc" else str(v)
                    for v in batch.plan[column]]
        restored = [unescape(c) if column not in NUMERIC_PLAN + ("publish_vpc",) else c.lower() for c in back[column]]
        assert restored == original, column


CELLS = st.one_of(st.sampled_from(NASTY + ["", "ok", "10.0.0.0/24", "'", "''"]),
                  st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8))


@given(cells=st.lists(st.tuples(CELLS, CELLS, CELLS), min_size=1, max_size=5))
def test_fuzz_plan_export_never_starts_a_cell_with_a_trigger(cells):
    frame = pd.DataFrame([{"RouteDest": a, "NextHop": b, "Description": c, "Weight": 0, "PublishVpc": True}
                          for a, b, c in cells])
    batch = vw.plan_batch(frame, defaults={"RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-bp1a3kqjiiq9legfx0000"})
    text = batch.to_csv()
    rows = assert_safe(text, NUMERIC_PLAN)
    for row, (_, line) in zip(rows, batch.plan.iterrows(), strict=True):
        for column in ("route_dest", "next_hop", "description", "message"):
            value = line[column]
            assert unescape(row[column]) == ("" if pd.isna(value) else value)
