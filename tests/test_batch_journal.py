"""The crash journal: its format, torn lines, locking, and apply/resume/rollback of a run that died."""

from __future__ import annotations

import io
import json
import os

import pandas as pd
import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.batch import plan_batch
from vpnroute_widgets.batch.apply import CREATE
from vpnroute_widgets.batch.journal import (
    UNANSWERED,
    Journal,
    JournalError,
    journal_path,
    journal_records,
    read_journal,
)
from vpnroute_widgets.log import RecordError, ResponseLog

SANDBOX_OPTIONS = dict(seed=5, gateways=2, configuring_s=0.15)  # slow enough to die mid-batch


def record(row: int, outcome: str = "ok", **more) -> dict:
    return {"operation": CREATE, "batch_id": "b1", "row": row, "route_dest": f"10.0.{row}.0/24",
            "outcome": outcome, **more}


# --- the file ----------------------------------------------------------------------------------


def test_lines_are_json_with_a_header_and_the_records_read_back(tmp_path):
    path = tmp_path / "r.csv.journal"
    journal = Journal(path, batch_id="b1", operation=CREATE)
    journal.write("pending", [record(2, None), record(3, None)])
    journal.write("sent", [record(2, None, client_token="t2")])
    journal.write("done", [record(2, "ok", client_token="t2", attempts=1)])
    journal.close(finished=True)
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["journal"] == "vpnroute_widgets" and json.loads(lines[0])["batch_id"] == "b1"
    assert [json.loads(line).get("event") for line in lines[1:]] == ["pending", "pending", "sent", "done", "end"]
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    back = {r["row"]: r for r in journal_records(path)}
    assert back[2]["outcome"] == "ok" and back[2]["client_token"] == "t2"
    assert back[3]["outcome"] == "cancelled" and back[3]["attempts"] == 0  # never sent


def test_a_row_sent_without_an_answer_reads_as_unanswered(tmp_path):
    path = tmp_path / "j"
    with_journal = Journal(path, batch_id="b1", operation=CREATE)
    with_journal.write("sent", [record(4, None, client_token="t4")])
    with_journal.close()
    (back,) = journal_records(path)
    assert back["outcome"] == "cancelled" and back["state"] == UNANSWERED and back["attempts"] == 1
    assert "may have been made" in back["error_message"]
    assert ResponseLog([back]).counts() == {"cancelled": 1}  # a valid log record


@pytest.mark.parametrize("tail", [b'{"event":"done","record":{"row":9,"outc', b"{", b"\xff\xfe", b"garbage"])
def test_a_torn_last_line_is_ignored_and_cut_before_the_next_run_appends(tmp_path, tail):
    path = tmp_path / "j"
    journal = Journal(path, batch_id="b1", operation=CREATE)
    journal.write("done", [record(2)])
    journal.close()
    with open(path, "ab") as handle:
        handle.write(tail)  # what a kill in the middle of a write leaves
    assert [r["row"] for r in journal_records(path)] == [2]
    again = Journal(path, batch_id="b1", operation=CREATE)
    assert again.prior[2][0] == "done"
    again.write("done", [record(3)])
    again.close()
    assert [r["row"] for r in journal_records(path)] == [2, 3]
    assert all(json.loads(line) for line in path.read_bytes().split(b"\n")[:-1])  # every line whole
    assert path.read_bytes().endswith(b"\n")


def test_a_hand_edited_line_is_refused_with_the_line_number(tmp_path):
    path = tmp_path / "j"
    journal = Journal(path, batch_id="b1", operation=CREATE)
    journal.write("done", [record(2), record(3)])
    journal.close()
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = "not json\n"
    path.write_text("".join(lines))
    with pytest.raises(JournalError, match=r"line 3 is not a journal line.*Fix"):
        read_journal(path)
    with pytest.raises(JournalError, match="line 3"):
        Journal(path, batch_id="b1", operation=CREATE)


def test_one_run_at_a_time_and_no_other_batch_in_the_journal(tmp_path):
    path = tmp_path / "j"
    first = Journal(path, batch_id="b1", operation=CREATE)
    with pytest.raises(JournalError, match="another run is using"):
        Journal(path, batch_id="b1", operation=CREATE)
    first.write("done", [record(2)])
    first.close()
    with pytest.raises(JournalError, match="CreateVpnRouteEntry of batch b1"):
        Journal(path, batch_id="b2", operation=CREATE)  # its report could not own b1's routes
    with pytest.raises(JournalError, match="batch b1"):
        Journal(path, batch_id="b1", operation="DeleteVpnRouteEntry")


def test_records_are_checked_by_the_log_schema_so_no_secret_reaches_the_file(tmp_path):
    journal = Journal(tmp_path / "j", batch_id="b1", operation=CREATE)
    with pytest.raises(RecordError, match="credential"):
        journal.write("done", [{**record(2), "access_key_secret": "x"}])
    journal.close()
    assert "access_key_secret" not in (tmp_path / "j").read_text()


# --- batch runs with a journal ---------------------------------------------------------------------


@pytest.fixture
def client(sb):
    return vw.VpcClient(sb.credentials, endpoint=sb.endpoint, timeout=(1, 2))


def routes(sb, per_gateway: int = 4) -> pd.DataFrame:
    return pd.DataFrame([{"RouteDest": f"10.{g}.{i}.0/24", "NextHop": gw["next_hops"][0],
                          "VpnGatewayId": gw["vpn_gateway_id"], "Weight": 0, "PublishVpc": True,
                          "RegionId": sb.region_id}
                         for g, gw in enumerate(sb.gateways[:2]) for i in range(per_gateway)])


def on_gateways(sb) -> set[tuple]:
    return {(g["VpnGatewayId"], r["RouteDest"]) for g in sb.state()["gateways"] for r in g["Routes"]}


class Died(BaseException):
    """Stands for the kernel dying: nothing after it runs in the batch."""


def die_after(ok: int):
    def progress(p):
        if p.ok >= ok:
            raise Died
    return progress


def test_apply_again_after_a_dead_run_sends_nothing_twice_and_owns_its_routes(sb, client, tmp_path):
    journal = str(tmp_path / "run.journal")
    with pytest.raises(Died):
        vw.apply_batch(routes(sb), client, journal=journal, progress=die_after(3))
    made = on_gateways(sb)
    assert 3 <= len(made) < 8 and os.path.exists(journal)
    seen = len(sb.requests)
    result = vw.apply_batch(routes(sb), client, journal=journal)
    assert result.counts() == {"ok": 8}  # the dead run's routes are this result's, not "exists"
    sent_again = {(e["params"]["VpnGatewayId"], e["params"]["RouteDest"]) for e in list(sb.requests)[seen:]
                  if e["action"] == "CreateVpnRouteEntry"}
    assert sent_again and not sent_again & made  # rows the journal shows ok are not sent again
    assert os.path.exists(journal) and result.journal == journal
    result.to_csv(tmp_path / "report.csv")
    assert not os.path.exists(journal)  # the report owns the records now
    vw.rollback_batch(tmp_path / "report.csv", client)
    assert on_gateways(sb) == set()


def test_a_row_sent_but_never_answered_is_sent_again_with_its_token_and_rolled_back(sb, client, tmp_path):
    """What a SIGKILL between sending and recording leaves: a route and a "sent" line only."""
    batch = plan_batch(routes(sb, 2), client)
    journal = str(tmp_path / "run.journal")
    dead = Journal(journal, batch_id=batch.batch_id, operation=CREATE)
    req = batch.requests[0]
    line = {"operation": CREATE, "batch_id": batch.batch_id, "row": 0, "region_id": req.region_id,
            "vpn_gateway_id": req.vpn_gateway_id, "route_dest": req.route_dest, "next_hop": req.next_hop,
            "weight": req.weight, "publish_vpc": req.publish_vpc, "client_token": req.client_token}
    dead.write("sent", [line])
    client.create_vpn_route_entry(req)  # it reached the cloud; the answer was lost with the process
    dead.close()
    assert plan_batch(routes(sb, 2), client).plan["status"].tolist()[0] == "exists"
    result = vw.apply_batch(routes(sb, 2), client, journal=journal)
    assert result.counts() == {"ok": 4}
    first = result.to_dataframe().iloc[0]
    assert first["outcome"] == "ok" and first["client_token"] == req.client_token
    vw.rollback_batch(result, client)
    assert on_gateways(sb) == set()


def test_rollback_reads_the_journal_beside_a_report_that_was_never_written(sb, client, tmp_path):
    report = tmp_path / "report.csv"
    with pytest.raises(Died):
        vw.apply_batch(routes(sb), client, journal=journal_path(report), progress=die_after(2))
    assert not report.exists()
    made = len(on_gateways(sb))
    assert made >= 2
    undo = vw.rollback_batch(report, client)
    assert undo.counts()["ok"] == made and on_gateways(sb) == set()


def test_resume_from_the_journal_alone_finishes_every_row_of_the_batch(sb, client, tmp_path):
    report = tmp_path / "report.csv"
    with pytest.raises(Died):
        vw.apply_batch(routes(sb), client, journal=journal_path(report), progress=die_after(2))
    resumed = vw.resume_batch(str(report), client, journal=tmp_path / "again.csv.journal")
    assert resumed.counts() == {"ok": 8} and len(on_gateways(sb)) == 8
    assert len(resumed.log) == 8
    vw.rollback_batch(resumed, client)
    assert on_gateways(sb) == set()


def test_a_journal_path_itself_is_a_report_for_resume_and_rollback(sb, client, tmp_path):
    journal = str(tmp_path / "x.journal")
    with pytest.raises(Died):
        vw.apply_batch(routes(sb), client, journal=journal, progress=die_after(2))
    vw.rollback_batch(journal, client)
    assert on_gateways(sb) == set()
    with pytest.raises(FileNotFoundError):
        vw.rollback_batch(str(tmp_path / "missing.journal"), client)


def test_a_journal_of_another_batch_stops_the_run_before_anything_is_sent(sb, client, tmp_path):
    journal = str(tmp_path / "run.journal")
    with pytest.raises(Died):
        vw.apply_batch(routes(sb), client, journal=journal, progress=die_after(1))
    creates = sb.requests.count("CreateVpnRouteEntry")
    other = routes(sb).assign(Weight=100)
    with pytest.raises(JournalError, match="another batch"):
        vw.apply_batch(other, client, journal=journal)
    assert sb.requests.count("CreateVpnRouteEntry") == creates


@pytest.mark.parametrize("option, value", [("concurrency", 0), ("concurrency", 2.5), ("rate", 0),
                                           ("rate", float("nan")), ("burst", 0.5), ("max_failures", 0),
                                           ("busy_timeout", -1)])
def test_pacing_options_out_of_range_are_refused_by_name(sb, client, option, value):
    with pytest.raises(vw.ValidationError, match=f"^{option}: must be"):
        vw.apply_batch(routes(sb), client, **{option: value})
    assert sb.requests.count("CreateVpnRouteEntry") == 0


def test_the_journal_goes_only_when_the_report_is_written_to_a_file(sb, client, tmp_path):
    journal = tmp_path / "run.journal"
    result = vw.apply_batch(routes(sb, 1), client, journal=journal)
    assert [kind for kind, _ in read_journal(journal)][-1] == "end"  # finished: only the report is left
    result.to_csv()  # text only: the journal is still the only record on disk
    result.to_csv(io.StringIO())
    assert journal.exists()
    result.to_csv(tmp_path / "report.csv")
    assert not journal.exists() and result.journal is None
    assert ResponseLog.from_csv(tmp_path / "report.csv").records() == result.log.records()


def test_resume_into_the_same_report_uses_the_one_journal_and_then_removes_it(sb, client, tmp_path):
    report = tmp_path / "report.csv"
    journal = journal_path(report)
    with pytest.raises(Died):
        vw.apply_batch(routes(sb), client, journal=journal, progress=die_after(2))
    made = on_gateways(sb)
    seen = len(sb.requests)
    result = vw.resume_batch(report, client, journal=journal)  # reads the journal, then appends to it
    assert result.counts() == {"ok": 8}
    again = {(e["params"]["VpnGatewayId"], e["params"]["RouteDest"]) for e in list(sb.requests)[seen:]
             if e["action"] == "CreateVpnRouteEntry"}
    assert not again & made
    result.to_csv(report)
    assert not os.path.exists(journal)
    assert vw.rollback_batch(report, client).counts() == {"ok": 8} and on_gateways(sb) == set()
