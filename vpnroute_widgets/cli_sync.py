"""The ``export`` and ``sync`` commands: a gateway's route table as a file, and the gateway made to match it.

    python -m vpnroute_widgets export --region cn-hangzhou --output routes.csv
    python -m vpnroute_widgets sync routes.csv --report report.csv [--prune] [--plan-only]

:func:`add_commands` adds both to the main command line's sub-commands (:mod:`vpnroute_widgets.cli`
adds its client options, --sandbox/--endpoint/--rate/--concurrency/--quiet, to every command and
calls ``args.run(args, client, sandbox, out, err, raw_err)``). ``rollback REPORT.csv`` undoes a
sync report too (:func:`vpnroute_widgets.batch.rollback_batch` hands it to ``rollback_sync``).

Exit status of ``sync``: 0 when every step ended ok (``extra`` routes, left alone, do not count),
1 when a step failed, was skipped after a failure or cancelled, or a row was refused (invalid,
conflict, blocked); 2 when the file, the options or the report path are unusable (nothing sent).
"""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO

__all__ = ["EXPORT_EPILOG", "SYNC_EPILOG", "add_commands"]

SYNC_EPILOG = """\
what the file means
  The file is the whole custom route table of every gateway it names. Each row is one route,
  named by its gateway, RouteDest and NextHop; Weight and PublishVpc say how it should be.
  sync compares the file with the gateways and changes only what differs:
    create         in the file, not on the gateway
    modify_weight  on both, with another Weight
    publish        the file says PublishVpc true, the gateway does not advertise the route
    withdraw       the reverse
    none           already as the file says: nothing is sent
    extra          on the gateway but not in the file: left alone (see --prune)
    delete         on the gateway but not in the file, with --prune
    blocked        cannot be done safely; the message says why
  Gateways the file does not name are not looked at. BGP-learned routes are never changed.
  The columns are those of `apply` (an `export` file works as is; its extra columns are ignored).

--prune
  Without it, sync only adds and changes: routes on the gateway that the file does not list stay.
  With it, they are deleted, so the gateway ends with exactly the file's routes. A gateway for
  which the file has an invalid or conflicting row gets no deletes (a typo must not delete a
  route). Try --plan-only first: it lists every delete.

order and safety
  The API changes a route's weight only when its destination has no other route, so for an
  active/standby pair sync deletes one route, changes the other, and recreates the first (with
  the file's values). A destination never has two active (Weight 100) routes: a route is made
  active only after the old active one is deleted or made standby. A step after a failed one
  is not sent (skipped, naming it). Gateways run in parallel, one change at a time each.

report and re-runs
  One row per step: action, outcome (ok, error, skipped, cancelled), vpn_gateway_id, route_dest,
  next_hop, weight and old_weight, publish_vpc and old_publish_vpc, row (the file's line),
  request_id, error_code, remedy. The report path is checked before anything is sent. While the
  sync runs, REPORT.csv.journal keeps each step (fsync'd); if the run is killed, run the same
  command again: the steps it shows done are not sent again and the new report owns them.
  `rollback REPORT.csv` puts every changed route back as it was, in a safe order.
  --plan-only writes the plan (the drift between the file and the gateways) and changes nothing.

examples
  python -m vpnroute_widgets export --region cn-hangzhou --output routes.csv
  python -m vpnroute_widgets sync routes.csv --report report.csv --plan-only
  python -m vpnroute_widgets sync routes.csv --report report.csv --prune
  python -m vpnroute_widgets rollback report.csv --report undo.csv
"""

EXPORT_EPILOG = """\
output
  One row per route of every listed gateway (all gateways of the region without --gateway):
  RegionId, VpnGatewayId, RouteDest, NextHop, Weight, PublishVpc, Description (what apply and
  sync read), then State, CreateTime (UTC), RouteEntryType (custom or bgp), Source, AsPath and
  Community (read-only facts). BGP-learned routes are listed for the record; sync never changes
  them. The file feeds `sync` unchanged: edit it and sync it back.
"""


def add_commands(commands: Any) -> list[argparse.ArgumentParser]:
    """Add ``export`` and ``sync`` to ``commands`` (argparse sub-parsers); returns their parsers.

    The caller adds its client options (--sandbox, --endpoint, --rate, --concurrency, --quiet) to
    the returned parsers. Each sets ``run`` (the handler) and ``report`` (the path main checks).
    """
    raw = argparse.RawDescriptionHelpFormatter
    export = commands.add_parser("export", help="write the routes of gateways to a CSV file that sync reads back",
                                 description="Write every route of the gateways to a CSV file.",
                                 epilog=EXPORT_EPILOG, formatter_class=raw)
    export.add_argument("--region", metavar="R", help="the region (required unless --sandbox)")
    export.add_argument("--gateway", metavar="ID", action="append",
                        help="a gateway to export (repeat for several; default: every gateway of the region)")
    export.add_argument("--output", metavar="OUT.csv", required=True, help="where to write the CSV (atomically)")
    export.set_defaults(run=_export, report=None)
    sync = commands.add_parser("sync", help="make gateways hold exactly the routes of a CSV file (desired state)",
                               description="Make every gateway the file names hold exactly its routes.",
                               epilog=SYNC_EPILOG, formatter_class=raw)
    sync.add_argument("desired", metavar="DESIRED.csv", help="the whole route table of the gateways it names")
    sync.add_argument("--report", metavar="REPORT.csv", required=True,
                      help="where to write the report (with --plan-only: the plan); written atomically")
    sync.add_argument("--prune", action="store_true",
                      help="also delete the gateways' routes the file does not list (default: leave them)")
    sync.add_argument("--plan-only", action="store_true", help="only compare (the drift report); change nothing")
    sync.add_argument("--region", metavar="R", help="RegionId for rows without one")
    sync.set_defaults(run=_sync)
    return [export, sync]


def _export(args: argparse.Namespace, client: Any, sandbox: Any, out: Any, err: Any, raw_err: TextIO) -> int:
    from .batch.export import export_routes, write_csv
    from .errors import ValidationError
    from .log.report import check_writable

    check_writable(args.output)
    region = args.region or (sandbox.region_id if sandbox is not None else None)
    if not region:
        raise ValidationError("--region", "is required (the region of the gateways, e.g. cn-hangzhou).")
    frame = export_routes(client, region, args.gateway)
    write_csv(frame, args.output)
    kinds = frame["RouteEntryType"].fillna("custom").str.lower().value_counts()
    out.write(f"exported {len(frame)} route(s) of {frame['VpnGatewayId'].nunique()} gateway(s) "
              f"({int(kinds.get('custom', 0))} custom, {int(kinds.get('bgp', 0))} BGP-learned) to {args.output}\n")
    return 0


def _prior_batch_id(journal: str, out: Any) -> str | None:
    """The batch id of an interrupted sync whose journal is beside the report (so its tokens are reused)."""
    from .batch.journal import read_journal
    from .batch.sync_apply import JOURNAL_OPERATION

    if not os.path.exists(journal):
        return None
    for event, entry in read_journal(journal):
        if event == "start" and entry.get("operation") == JOURNAL_OPERATION:
            out.write(f"note: {journal} holds an interrupted sync ({entry.get('batch_id')}): steps it shows done "
                      "are not sent again\n")
            return str(entry.get("batch_id"))
    return None


def _show_plan(plan: Any, out: Any) -> None:
    counts = ", ".join(f"{k} {v}" for k, v in plan.counts().items()) or "nothing"
    out.write(f"plan {plan.batch_id}{' (prune)' if plan.prune else ''}: {counts}\n")
    for note in plan.notes:
        out.write(f"  note: {note}\n")
    for step in plan.refused()[:10]:
        where = f"row {step.row}" if step.row is not None else step.route_dest
        out.write(f"  {where}: {step.action}: {step.message}\n")
    summary = plan.summary()
    if len(summary):
        out.write(summary.to_string() + "\n")


def _sync(args: argparse.Namespace, client: Any, sandbox: Any, out: Any, err: Any, raw_err: TextIO) -> int:
    from .batch.export import write_csv
    from .batch.journal import journal_path
    from .batch.sync_apply import apply_sync
    from .batch.sync_plan import plan_sync
    from .cli import _run_batch

    defaults = {"RegionId": args.region}
    if sandbox is not None:
        defaults = {"RegionId": args.region or sandbox.region_id, "VpnGatewayId": sandbox.vpn_gateway_id}
    journal = journal_path(args.report)
    prior = None if args.plan_only else _prior_batch_id(journal, out)
    plan = plan_sync(args.desired, client, prune=args.prune, defaults=defaults, batch_id=prior)
    _show_plan(plan, out)
    if args.plan_only:
        write_csv(plan.to_dataframe(), args.report)
        out.write(f"plan written to {args.report} ({len(plan.changes())} change(s) to make; nothing sent)\n")
        return 0
    result = _run_batch(apply_sync, plan, client, args, journal, out, err, raw_err)
    return 0 if result.ok and not plan.refused() else 1
