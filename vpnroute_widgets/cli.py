"""The command line: plan, apply, resume and roll back a batch of VPN routes from a CSV file.

    python -m vpnroute_widgets apply routes.csv --report report.csv --sandbox
    python -m vpnroute_widgets rollback report.csv --endpoint http://127.0.0.1:PORT

``export`` and ``sync`` (a gateway's route table as a file, and the gateway made to match it) come
from :mod:`vpnroute_widgets.cli_sync`; every command gets the client options and the checks here.

Exit status: 0 when every row that was sent ended ok or exists (or, for rollback, was deleted);
1 when some row ended error or cancelled; 2 when the input, the options, the report path or the
credentials are unusable (nothing was sent); 130 when interrupted twice.

Every text printed that came from a file or a server goes through :func:`clean_text` (one
helper, applied by the stream wrapper :class:`_Clean`), so a hostile cell or answer cannot
send terminal escapes (ESC, CSI, other C0/C1 controls, bidi overrides) to the user's terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TextIO

from .cli_sync import add_commands
from .errors import CredentialsError, VpnRouteError

__all__ = ["clean_text", "main"]

# C0 controls but tab and newline, DEL, C1 controls, and the bidi marks and overrides (Trojan Source).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

_EPILOG = """\
input columns
  RouteDest and NextHop are required columns; RegionId, VpnGatewayId, Weight and PublishVpc are
  required per row but may come from --region / --gateway / --weight / --publish-vpc instead
  (an empty cell takes the option's value too). Optional: OverlayMode, Description, ClientToken.
  Column names may be written as the API (RouteDest), in snake_case (route_dest) or in any case
  (ROUTE DEST); other columns are ignored. UTF-8 CSV; ',' ';' or tab separated.

plan statuses
  ready      will be created          exists     already on the gateway: nothing to do
  invalid    a field is wrong         duplicate  the same route earlier in the file
  conflict   same RouteDest and NextHop with another Weight, or a second active (Weight 100)
             route for one RouteDest (in the file or on the gateway)
  Only ready rows are sent. Overlapping prefixes are shown as information.

report and journal
  The report path is checked before anything is sent (a missing directory is exit 2). While a
  batch runs, each row's record is appended to REPORT.csv.journal (fsync'd); at the end the report
  is written atomically from the records and the journal removed. If the run is killed, the
  journal says what was done: apply the same file again with the same --report (rows it shows ok
  are not sent again, and the new report owns them), or resume/rollback REPORT.csv (the journal
  beside it is read too, even when the report itself was never written).
  One row per input row (row = the line of the CSV; the header is line 1), with the outcome:
  ok, exists, error (error_code, remedy), skipped (invalid, duplicate, conflict) or cancelled,
  and the ClientToken, request id and number of attempts. Cells that a spreadsheet would run as
  a formula are prefixed with '. Each row's ClientToken comes from the batch id and the row's
  content (the batch id from the whole file's content), so running the same file again after a
  crash creates nothing twice; `resume` re-applies only the error and cancelled rows of a report.

pacing
  One change in flight per VPN gateway (a gateway accepts one change at a time), gateways in
  parallel, at most --rate calls per second in all (default: 1/s, the documented quota of
  the sibling route APIs; 100/s against a local sandbox). Ctrl-C cancels: calls in flight
  finish, the rest are reported as cancelled, and the report is written. A second Ctrl-C quits.

credentials
  From the environment (ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET / _SECURITY_TOKEN), then the
  aliyun CLI profile, then ~/.alibabacloud/credentials.ini; never from the command line.
  --sandbox starts a local sandbox with its own keys (its region and first gateway become the
  defaults). To use a sandbox started separately (python -m vpnroute_widgets.sandbox), pass
  --endpoint with its URL and export its keys as ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET.

examples
  python -m vpnroute_widgets apply routes.csv --report report.csv --sandbox
  python -m vpnroute_widgets apply routes.csv --report plan.csv --plan-only --region cn-hangzhou
  python -m vpnroute_widgets resume report.csv --report report2.csv --endpoint http://127.0.0.1:8080
  python -m vpnroute_widgets rollback report.csv --report undo.csv --endpoint http://127.0.0.1:8080
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m vpnroute_widgets",
        description="Plan, apply, resume and roll back many Alibaba Cloud VPN destination routes "
                    "(CreateVpnRouteEntry) from a CSV file, as fast as the cloud allows and never twice.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="{apply,resume,rollback,export,sync}")
    apply = commands.add_parser("apply", help="plan a CSV of routes against the gateways and create the ready ones",
                                epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    apply.add_argument("routes", metavar="ROUTES.csv", help="the routes to create, one per row")
    apply.add_argument("--report", metavar="REPORT.csv", required=True,
                       help="where to write the report (with --plan-only: the plan); written atomically")
    apply.add_argument("--plan-only", action="store_true", help="only plan: read the gateways, send no change")
    apply.add_argument("--region", metavar="R", help="RegionId for rows without one (e.g. cn-hangzhou)")
    apply.add_argument("--gateway", metavar="ID", help="VpnGatewayId for rows without one (vpn-...)")
    apply.add_argument("--weight", metavar="W", type=_weight,
                       help="Weight for rows without one: 0 (standby) or 100 (active)")
    apply.add_argument("--publish-vpc", metavar="BOOL", help="PublishVpc for rows without one: true or false")
    apply.add_argument("--batch-id", metavar="ID", help="name the batch (default: derived from the file's content)")
    resume = commands.add_parser("resume", help="re-apply only the error and cancelled rows of a report")
    resume.add_argument("previous", metavar="REPORT.csv", help="a report written by apply or resume")
    resume.add_argument("--report", metavar="OUT.csv", required=True, help="where to write the new report")
    rollback = commands.add_parser("rollback", help="delete the routes a batch created (its ok rows)")
    rollback.add_argument("previous", metavar="REPORT.csv", help="the report of the batch to undo")
    rollback.add_argument("--report", metavar="OUT.csv", help="where to write the rollback report (optional)")
    apply.set_defaults(run=_apply)
    resume.set_defaults(run=_again)
    rollback.set_defaults(run=_again)
    for sub in (apply, resume, rollback, *add_commands(commands)):  # export and sync: cli_sync.py
        where = sub.add_mutually_exclusive_group()
        where.add_argument("--sandbox", action="store_true", help="start an embedded local sandbox and use it")
        where.add_argument("--endpoint", metavar="URL",
                           help="send to URL (https://..., or http://127.0.0.1:PORT for a local sandbox); "
                                "default https://vpc.<region>.aliyuncs.com")
        sub.add_argument("--rate", metavar="N", type=_rate,
                         help="calls per second in all, {:g} to {:g} (default: see pacing)".format(*_limits("rate")))
        sub.add_argument("--concurrency", metavar="N", type=_concurrency, default=16,
                         help="calls in flight at most, {} to {} (16)".format(*_limits("concurrency")))
        sub.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _limits(option: str) -> tuple[float, float]:
    """The range the batch accepts for a pacing option (one definition: batch.pacing.PACING_LIMITS)."""
    from .batch.pacing import PACING_LIMITS

    low, high, _whole = PACING_LIMITS[option]
    return low, high


def _shown(text: str) -> str:
    return repr(clean_text(text)[:40])


def _rate(text: str) -> float:
    low, high = _limits("rate")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise argparse.ArgumentTypeError(f"must be a number of calls per second from {low:g} to {high:g}; "
                                         f"got {_shown(text)}")
    return value


def _concurrency(text: str) -> int:
    low, high = _limits("concurrency")
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}; got {_shown(text)}")
    return value


def _weight(text: str) -> str:
    if text.strip() not in ("0", "100"):
        raise argparse.ArgumentTypeError(f"must be 0 (standby) or 100 (active); got {_shown(text)}")
    return text.strip()


class _Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


def clean_text(text: object) -> str:
    """``text`` without terminal controls: C0 (but tab and newline), DEL, C1, bidi overrides."""
    return _CONTROLS.sub("", str(text))


class _Clean:
    """A text stream that writes everything through :func:`clean_text` (our own escapes use the raw one)."""

    def __init__(self, stream: TextIO):
        self.raw = stream

    def write(self, text: str) -> int:
        return self.raw.write(clean_text(text))

    def flush(self) -> None:
        self.raw.flush()


class _Bar:
    """A one-line text progress bar on a terminal; a line every few seconds otherwise."""

    def __init__(self, stream: TextIO, quiet: bool):
        self.stream, self.quiet = stream, quiet
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last_line = -10.0

    def __call__(self, p: Any) -> None:
        if self.quiet:
            return
        share = p.done / p.total if p.total else 1.0
        eta = "" if p.eta_s is None else f" ETA {p.eta_s:5.1f}s"
        text = (f"{p.done}/{p.total} ok {p.ok} errors {p.errors} cancelled {p.counts.get('cancelled', 0)} "
                f"{p.rate:6.1f}/s{eta}")
        if self.tty:
            filled = int(share * 30)
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {text}\x1b[K")
            if p.finished:
                self.stream.write("\n")
        elif p.finished or p.elapsed_s - self.last_line >= 5:
            self.last_line = p.elapsed_s
            self.stream.write(text + "\n")
        self.stream.flush()


def _client(args: argparse.Namespace, stack: contextlib.ExitStack) -> tuple[Any, Any]:
    from .client import VpcClient
    from .credentials import Credentials

    if args.sandbox:
        from .sandbox import Sandbox

        sandbox = stack.enter_context(Sandbox())
        return VpcClient(sandbox.credentials, endpoint=sandbox.endpoint), sandbox
    return VpcClient(Credentials.resolve(), endpoint=args.endpoint), None


def _run_in_thread(work: Callable[[threading.Event], Any], err: _Writer) -> Any:
    """Run ``work(cancel)`` in a thread; the first Ctrl-C sets cancel, the second gives up."""
    cancel = threading.Event()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = work(cancel)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="vw-cli", daemon=True)
    worker.start()
    while worker.is_alive():
        try:
            worker.join(0.2)
        except KeyboardInterrupt:
            if cancel.is_set():
                raise
            cancel.set()
            err.write("\ncancelling: calls in flight finish, the rest are reported as cancelled "
                      "(Ctrl-C again to quit now)\n")
    if "error" in box:
        raise box["error"]
    return box["result"]


def _run_batch(operation: Callable[..., Any], source: Any, client: Any, args: argparse.Namespace, journal: Any,
               out: _Writer, err: _Writer, raw_err: TextIO) -> Any:
    """Run a batch operation (apply, resume, rollback, sync) in a worker that Ctrl-C cancels, then write
    its report (atomically; the journal goes) and print the summary. Every command runs through here."""
    result = _run_in_thread(lambda cancel: operation(
        source, client, rate=args.rate, concurrency=args.concurrency, cancel=cancel,
        progress=_Bar(raw_err, args.quiet), journal=journal), err)
    if args.report:
        result.to_csv(args.report)
    _summary(result, out)
    if args.report:
        out.write(f"report written to {args.report}\n")
    return result


def _summary(result: Any, out: _Writer) -> None:
    counts = ", ".join(f"{k} {v}" for k, v in result.counts().items())
    out.write(f"{result.operation} {result.batch_id}: {counts} in {result.elapsed_s:.2f} s "
              f"({result.calls} calls){' (cancelled)' if result.cancelled else ''}\n")
    explained = _calls_explained(result)
    if explained:
        out.write(f"  {explained}\n")
    frame = result.to_dataframe()
    errors = frame[frame["outcome"] == "error"]
    for code, group in errors.groupby("error_code", dropna=False):
        out.write(f"  error {code}: {len(group)} row(s), e.g. row {group['row'].iloc[0]}; "
                  f"{group['remedy'].iloc[0]}\n")


def _calls_explained(result: Any) -> str:
    """Why a run made more write calls than rows it sent, in words (empty when it made one per row)."""
    frame = result.to_dataframe()
    sent = int((frame["attempts"].fillna(0) > 0).sum()) if "attempts" in frame else 0
    extra = result.calls - sent
    reads = getattr(result, "probes", 0)
    parts = []
    if extra > 0:
        parts.append(f"{extra} write call(s) beyond one per row sent: a gateway was still applying the previous "
                     "change, the service asked to slow down, or an answer was lost; each was sent again with the "
                     "same ClientToken, so nothing was made twice")
    if reads:
        parts.append(f"{reads} status read(s) (DescribeVpnGateway) to learn when each gateway was free, "
                     "instead of spending writes")
    return "; ".join(parts) + ("." if parts else "")


def _estimate(batch: Any, rate: float) -> str:
    """The least time a batch can take: the quota over all rows, and one change at a time per gateway."""
    ready = batch.ready
    if ready.empty:
        return ""
    per_gateway = ready.groupby("vpn_gateway_id").size()
    busiest, most = str(per_gateway.idxmax()), int(per_gateway.max())
    return (f"estimate: {len(ready)} row(s) at {rate:g} call(s)/s take at least {len(ready) / rate:.1f} s; "
            f"{busiest} has the most ({most}) and a gateway applies one change at a time, so expect at least "
            f"{most} x its update time (a few seconds each in the cloud); the ETA learns it as the batch runs")


def _journal_of(report: str | None, out: _Writer) -> str | None:
    """The journal beside ``report``; says so when one from an interrupted run is there."""
    from .batch.journal import journal_path

    if not report:
        return None
    journal = journal_path(report)
    if os.path.exists(journal):
        out.write(f"note: {journal} holds an interrupted run: rows it shows ok are not sent again\n")
    return journal


def _apply(args: argparse.Namespace, client: Any, sandbox: Any, out: _Writer, err: _Writer, raw_err: TextIO) -> int:
    from .batch import apply_batch, plan_batch

    defaults = {"RegionId": args.region, "VpnGatewayId": args.gateway, "Weight": args.weight,
                "PublishVpc": args.publish_vpc}
    if sandbox is not None:
        defaults["RegionId"] = defaults["RegionId"] or sandbox.region_id
        defaults["VpnGatewayId"] = defaults["VpnGatewayId"] or sandbox.vpn_gateway_id
    batch = plan_batch(args.routes, client, defaults=defaults, batch_id=args.batch_id)
    counts = ", ".join(f"{k} {v}" for k, v in batch.counts().items() if v)
    out.write(f"plan {batch.batch_id}: {len(batch)} rows: {counts}\n")
    for note in batch.notes:
        out.write(f"  note: {note}\n")
    for line in batch.plan[batch.plan["status"] != "ready"].head(10).itertuples():
        out.write(f"  row {line.row}: {line.status}: {line.message}\n")
    if args.plan_only:
        batch.to_csv(args.report)
        out.write(f"plan written to {args.report}\n")
        return 0
    from .batch.pacing import default_rate

    estimate = _estimate(batch, args.rate or default_rate(client))
    if estimate:
        out.write(estimate + "\n")
    result = _run_batch(apply_batch, batch, client, args, _journal_of(args.report, out), out, err, raw_err)
    return 0 if result.ok else 1


def _again(args: argparse.Namespace, client: Any, sandbox: Any, out: _Writer, err: _Writer, raw_err: TextIO) -> int:
    from .batch import resume_batch, rollback_batch

    if args.command == "rollback" and args.sandbox:
        err.write("note: an embedded sandbox starts empty, so there is nothing of this batch to delete; "
                  "use --endpoint with the sandbox the batch was applied to.\n")
    run = resume_batch if args.command == "resume" else rollback_batch
    result = _run_batch(run, args.previous, client, args, _journal_of(args.report, out), out, err, raw_err)
    return 0 if result.ok else 1


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    from .log.report import check_writable

    raw_out, raw_err = stdout or sys.stdout, stderr or sys.stderr
    out, err = _Clean(raw_out), _Clean(raw_err)
    args = _parser().parse_args(argv)
    try:
        if args.report:
            check_writable(args.report)  # before anything is sent
        with contextlib.ExitStack() as stack:
            client, sandbox = _client(args, stack)
            return args.run(args, client, sandbox, out, err, raw_err)
    except CredentialsError as exc:
        err.write(f"error: {exc}\n(or use --sandbox to try without an account)\n")
        return 2
    except (VpnRouteError, OSError) as exc:
        err.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        kept = f"; {args.report}.journal keeps what was done (apply again or resume)" if args.report else ""
        err.write(f"interrupted: no report written{kept}\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
