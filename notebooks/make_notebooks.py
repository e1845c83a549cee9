"""Write the example notebooks (no outputs, no widget state) and ``data/routes.csv``.

    python notebooks/make_notebooks.py              # rewrite the files in notebooks/
    python notebooks/make_notebooks.py --out DIR    # write them elsewhere (the tests compare)

The notebooks are the front door of the toolkit, so their text lives here as plain Python
strings: short cells, narrated for someone who has never used the VPC API. Edit this file,
rerun it, and commit both this file and the notebooks it writes.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
METADATA = {
    "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
    "language_info": {"name": "python"},
}

BINDER_WARNING = (
    "> **Binder is public.** Never type or paste real Alibaba Cloud keys into a Binder session. "
    "Everything in this notebook runs against the local sandbox and needs no account."
)


def md(text: str) -> tuple[str, str]:
    return "md", text.strip("\n")


def code(text: str) -> tuple[str, str]:
    return "code", text.strip("\n")


# ------------------------------------------------------------------------------------------ data/routes.csv

ROUTES_HEADER = ("RegionId", "VpnGatewayId", "RouteDest", "NextHop", "Weight", "PublishVpc", "Description")


def routes_rows() -> list[tuple]:
    """Fifty rows for the sandbox's two demo gateways (seed 0): 46 good ones and four deliberate mistakes.

    Good rows: active (Weight 100) routes on each gateway's first IPsec connection, and standby (Weight 0)
    twins of some of them on the second connection. Mistakes: a CIDR that is not one (10.10.256.0/24),
    Weight 50 (only 0 and 100 exist), an exact duplicate of an earlier row, and 172.16.20.1/24 (host bits set).
    """
    from vpnroute_widgets.sandbox.world import build_world

    world = build_world(0)
    (gw1, gw2) = [g for g in world.gateways if g.kind == "healthy" and g.region_id == world.home_region][:2]
    region = world.home_region
    good = []
    for i in range(16):
        good.append((region, gw1.vpn_gateway_id, f"10.10.{i}.0/24", gw1.connections[0], 100, "true",
                     f"branch-{i + 1:02d}"))
    for i in range(8):
        good.append((region, gw1.vpn_gateway_id, f"10.10.{i}.0/24", gw1.connections[1], 0, "true",
                     f"branch-{i + 1:02d} standby"))
    for i in range(15):
        good.append((region, gw2.vpn_gateway_id, f"172.16.{i}.0/24", gw2.connections[0], 100,
                     "false" if i % 5 == 4 else "true", f"store-{i + 1:02d}"))
    for i in range(7):
        good.append((region, gw2.vpn_gateway_id, f"172.16.{i}.0/24", gw2.connections[1], 0, "true",
                     f"store-{i + 1:02d} standby"))
    mistakes = {
        5: (region, gw1.vpn_gateway_id, "10.10.256.0/24", gw1.connections[0], 100, "true", "bad CIDR"),
        17: (region, gw1.vpn_gateway_id, "10.10.20.0/24", gw1.connections[0], 50, "true", "weight 50"),
        29: good[3],
        41: (region, gw2.vpn_gateway_id, "172.16.20.1/24", gw2.connections[0], 100, "true", "host bits set"),
    }
    rows, good_rows = [], iter(good)
    for position in range(len(good) + len(mistakes)):
        rows.append(mistakes[position] if position in mistakes else next(good_rows))
    return rows


def routes_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ROUTES_HEADER)
    writer.writerows(routes_rows())
    return out.getvalue()


# ------------------------------------------------------------------------------------------ 01 quickstart

QUICKSTART = [
    md(f"""
# Quickstart: your first VPN route, in a sandbox

`vpnroute_widgets` creates **destination routes** on an Alibaba Cloud **VPN gateway**
(the `CreateVpnRouteEntry` API) from a notebook: a form checks every field as you type,
a thin client signs and sends the request, and every answer lands in a log you can read
as a pandas DataFrame.

This notebook needs **no account**: `vw.app()` starts an embedded *sandbox*, a local
emulator of the VPC API on `127.0.0.1`, with demo gateways and IPsec connections.

{BINDER_WARNING}
"""),
    md("""
## 1. Import the toolkit
"""),
    code("""
import vpnroute_widgets as vw
"""),
    md("""
## 2. Open the app

Run the next cell. The app has four tabs:

* **Connection**: where requests go. *Sandbox* is selected, so nothing leaves this machine.
* **Route**: the form for one route.
* **Batch**: many routes from a CSV file (see `02_batch_from_csv.ipynb`).
* **Log**: every request and its answer.

To create a route by hand: in the **Route** tab click **Use demo values** (it fills
RegionId, VpnGatewayId and NextHop with the sandbox's demo ids), type a RouteDest such as
`10.1.0.0/24`, and click **Create route**. Try `10.1.0.1/24` first: the form explains what is
wrong (host bits set) and keeps **Create route** disabled until it is fixed.
"""),
    code("""
app = vw.app()
app
"""),
    md("""
## 3. The same thing in code

The app's connection gives you the client it uses, already pointed at the sandbox and writing
to the same log. A `vw.RouteEntryRequest` is checked when it is built, so a bad value fails here,
before anything is sent.
"""),
    code("""
client = app.connection.client          # starts the sandbox on first use
picks = app.connection.quick_picks      # the sandbox's region, demo gateways and next hops
gateway = picks["gateways"][0]
gateway
"""),
    code("""
request = vw.RouteEntryRequest(
    region_id=picks["region_id"],
    vpn_gateway_id=gateway["vpn_gateway_id"],
    route_dest="10.0.0.0/24",
    next_hop=gateway["next_hops"][0],
    weight=100,                # 100: active, 0: standby
    publish_vpc=True,          # also publish the route to the VPC's route table
    description="quickstart",
)
entry = client.create_vpn_route_entry(request)
entry
"""),
    md("""
`entry` is a `vw.RouteEntry`: the fields the service answered with (`state`, `create_time`,
`request_id`, ...). The result is also in the **Log** tab above.

## 4. The log as a DataFrame

Every call, success or failure, is one row. `to_dataframe()` builds a typed pandas DataFrame.
"""),
    code("""
df = app.response_log.to_dataframe()
df[["timestamp", "operation", "outcome", "route_dest", "next_hop", "http_status", "request_id"]]
"""),
    md("""
## 5. Check what the gateway holds

`describe_vpn_route_entries` lists every route of a gateway (all pages). Describe is read-only.
"""),
    code("""
routes = client.describe_vpn_route_entries(picks["region_id"], gateway["vpn_gateway_id"])
[(r.route_dest, r.next_hop, r.weight, r.state) for r in routes]
"""),
    md("""
## Next

* `02_batch_from_csv.ipynb`: plan and apply fifty routes from a CSV file, with progress and a report.
* `03_errors_and_retries.ipynb`: every documented error, what it means, and safe retries.
* `04_reports.ipynb`: filter and pivot the log, export a CSV report, roll a batch back.
* `05_real_account.ipynb`: using a real account safely (on your own machine, not on Binder).

When you are done, `app.close()` stops the sandbox (restarting the kernel does too).
"""),
]


# ------------------------------------------------------------------------------------------ 02 batch

BATCH = [
    md(f"""
# Many routes from a CSV file: plan, apply with progress, export the report

`data/routes.csv` holds fifty routes for the sandbox's two demo gateways: active routes
(Weight 100) and standby twins (Weight 0) on a second IPsec connection. Four rows are wrong
on purpose, as real files are:

| CSV line | what is wrong |
|---|---|
| 7  | `10.10.256.0/24` is not a CIDR block |
| 19 | Weight `50`: only 0 (standby) and 100 (active) exist |
| 31 | an exact duplicate of line 5 |
| 43 | `172.16.20.1/24` has host bits set (did you mean `172.16.20.0/24`?) |

A batch is **planned** first (read-only: every row checked, the gateways' current routes read),
then **applied**: only rows marked `ready` are sent, one change at a time per gateway, and every row
ends up in the report.

{BINDER_WARNING}
"""),
    code("""
import pandas as pd
import vpnroute_widgets as vw

routes = pd.read_csv("data/routes.csv")
print(len(routes), "rows")
routes.head(8)
"""),
    md("""
## 1. With the Batch tab

The next cell opens the app on its **Batch** tab and plans the file. Read the plan (use **Show**
to see only `invalid` or `duplicate` rows), then:

* **Apply** creates the ready rows; the progress bar counts them.
* **Cancel** stops it: calls already in flight finish, the rest are reported as `cancelled`.
  Apply again later: each row's ClientToken comes from the file's content, so nothing is created twice.
* **Export report** gives a CSV download; **Roll back** deletes what the batch created.

You can also **Upload CSV** a file of your own.
"""),
    code("""
app = vw.app()
app.selected_index = 2          # the Batch tab
app.batch.set_source("data/routes.csv")
app
"""),
    md("""
## 2. The same in code

Scripts use the functions behind the tab. This part has a sandbox of its own, so it does not touch
the app above.
"""),
    code("""
sandbox = vw.Sandbox().start()
log = vw.ResponseLog()
client = vw.VpcClient(sandbox.credentials, endpoint=sandbox.endpoint, log=log)

batch = vw.plan_batch("data/routes.csv", client)
batch
"""),
    md("""
The plan has one row per CSV row. `row` is the line in the file (the header is line 1), so you can
find each problem in a spreadsheet. The rows that will not be sent, and why:
"""),
    code("""
batch.plan.loc[batch.plan["status"] != "ready", ["row", "route_dest", "weight", "status", "message"]]
"""),
    md("""
Apply it. `progress` is called as rows finish (from a worker thread: set widget values only);
here it moves a progress bar.
"""),
    code("""
import ipywidgets as widgets

bar = widgets.IntProgress(description="Applying", max=len(batch.ready))
label = widgets.Label()
display(widgets.HBox([bar, label]))

def show(progress):
    bar.max = max(progress.total, 1)
    bar.value = progress.done
    label.value = f"{progress.done}/{progress.total} done, {progress.ok} ok, {progress.errors} errors"

result = vw.apply_batch(batch, client, progress=show)
result
"""),
    md("""
## 3. The report

One record per CSV row, with its outcome: `ok`, `exists`, `error` (with the code and what to do),
`skipped` (invalid, duplicate or conflicting rows, never sent) or `cancelled`. Write it to a file:
reports go to `notebooks/reports/` (ignored by git). Cells a spreadsheet would run as a formula
are prefixed with `'`.
"""),
    code("""
from pathlib import Path

Path("reports").mkdir(exist_ok=True)
result.to_csv("reports/batch_report.csv")

report = pd.read_csv("reports/batch_report.csv")
report["outcome"].value_counts()
"""),
    code("""
report.loc[report["outcome"] != "ok", ["row", "route_dest", "outcome", "error_code", "error_message"]]
"""),
    md("""
## 4. Running it again creates nothing twice

Plan the same file again: the routes are on the gateways now, so those rows are `exists`.
"""),
    code("""
vw.plan_batch("data/routes.csv", client).counts()
"""),
    md("""
## From a terminal

The same plan, apply and report without Jupyter (`--sandbox` starts a sandbox of its own):

```bash
python -m vpnroute_widgets apply notebooks/data/routes.csv --report reports/batch_report.csv --sandbox
```

Next: `04_reports.ipynb` filters and pivots the log and rolls a batch back.
"""),
    code("""
sandbox.stop()
"""),
]


# ------------------------------------------------------------------------------------------ 03 errors

ERRORS = [
    md(f"""
# Errors and retries

Every error the `CreateVpnRouteEntry` reference documents, produced for real in the sandbox:
what you see, what it means and what to do. Then faults injected on purpose (server errors,
throttling, a dropped connection after the route was created) to show that retries are safe:
every retry carries the **same ClientToken**, so the service never creates a route twice.

{BINDER_WARNING}
"""),
    code("""
import pandas as pd
import vpnroute_widgets as vw

sandbox = vw.Sandbox(configuring_s=0.5).start()   # a gateway stays busy for 0.5 s after each change
log = vw.ResponseLog()
client = vw.VpcClient(sandbox.credentials, endpoint=sandbox.endpoint, log=log)

def route(route_dest, *, gateway=None, next_hop=None, **extra):
    \"\"\"A request for the sandbox's first demo gateway unless told otherwise.\"\"\"
    return vw.RouteEntryRequest(region_id=sandbox.region_id, vpn_gateway_id=gateway or sandbox.vpn_gateway_id,
                                route_dest=route_dest, next_hop=next_hop or sandbox.next_hop,
                                weight=100, publish_vpc=True, **extra)

def explain(err):
    \"\"\"What an error says, what it means, what to do (from the toolkit's catalogue).\"\"\"
    info = vw.error_info(err.code, err.http_status)
    return pd.Series({"code": err.code, "HTTP status": err.http_status, "message": err.message,
                      "request id": err.request_id, "means": info.meaning, "do": info.remedy,
                      "safe to retry": info.retryable})

seen = {}   # code -> explanation, for the summary at the end
"""),
    md("""
## 1. Documented errors

### `Forbidden.SubUser` (403)

The key belongs to a RAM user of another account that was not granted VPN permissions. (The
Chinese reference spells it `Forbbiden.SubUser`; the toolkit knows both.)
"""),
    code("""
subuser = vw.VpcClient(sandbox.subuser_credentials, endpoint=sandbox.endpoint, log=log)
try:
    subuser.create_vpn_route_entry(route("10.60.0.0/24"))
except vw.ApiError as err:
    seen[err.code] = explain(err)
seen["Forbidden.SubUser"]
"""),
    md("""
### `Forbidden` (403)

The user exists but may not call this API on this resource. Grant the permission (for example a
RAM policy allowing the VPN route actions) or use another key.
"""),
    code("""
nobody = vw.VpcClient(sandbox.forbidden_credentials, endpoint=sandbox.endpoint, log=log)
try:
    nobody.create_vpn_route_entry(route("10.60.0.0/24"))
except vw.ApiError as err:
    seen[err.code] = explain(err)
seen["Forbidden"]
"""),
    md("""
### `Resource.QuotaFull` (400)

Each gateway holds a limited number of routes. The sandbox has a demo gateway with a quota of
three: the fourth route is refused. Delete routes you no longer need, or ask for a larger quota.
"""),
    code("""
quota_hop = sandbox.quota_next_hops[0]
for i in range(3):
    client.create_vpn_route_entry(route(f"10.61.{i}.0/24", gateway=sandbox.quota_gateway_id, next_hop=quota_hop))
try:
    client.create_vpn_route_entry(route("10.61.3.0/24", gateway=sandbox.quota_gateway_id, next_hop=quota_hop))
except vw.ApiError as err:
    seen[err.code] = explain(err)
seen["Resource.QuotaFull"]
"""),
    md("""
### `InvalidVpnGatewayInstanceId.NotFound` (404)

A well-formed id that does not exist in this region: a typo, or the wrong region.
"""),
    code("""
try:
    client.create_vpn_route_entry(route("10.62.0.0/24", gateway="vpn-bp1doesnotexist00000"))
except vw.ApiError as err:
    seen[err.code] = explain(err)
seen["InvalidVpnGatewayInstanceId.NotFound"]
"""),
    md("""
### `VpnGateway.Configuring` (400)

A gateway applies one change at a time and is busy for a moment after each. This is **retryable**,
and the client retries it by itself (same ClientToken, after a short wait). To see the raw error, use a
client that does not retry and send two changes back to back to the second demo gateway:
"""),
    code("""
impatient = client.clone(max_attempts=1, retry_configuring=False)
second = sandbox.gateways[1]
impatient.create_vpn_route_entry(route("10.63.0.0/24", gateway=second["vpn_gateway_id"],
                                       next_hop=second["next_hops"][0]))
try:
    impatient.create_vpn_route_entry(route("10.63.1.0/24", gateway=second["vpn_gateway_id"],
                                           next_hop=second["next_hops"][0]))
except vw.ApiError as err:
    seen[err.code] = explain(err)
seen["VpnGateway.Configuring"]
"""),
    md("""
The default client waits and retries, so the same request simply succeeds:
"""),
    code("""
client.create_vpn_route_entry(route("10.63.1.0/24", gateway=second["vpn_gateway_id"],
                                    next_hop=second["next_hops"][0]))
"""),
    md("""
### `VpnGateway.FinancialLocked` (400)

The account has an overdue payment and the gateway is locked: no change is accepted until the bill is
settled. Not retryable.
"""),
    code("""
try:
    client.create_vpn_route_entry(route("10.64.0.0/24", gateway=sandbox.locked_gateway_id,
                                        next_hop=sandbox.locked_next_hop))
except vw.ApiError as err:
    seen[err.code] = explain(err)
seen["VpnGateway.FinancialLocked"]
"""),
    md("""
### Refused before sending

Bad values never reach the service: building the request raises `vw.ValidationError`, naming the
field and the fix.
"""),
    code("""
try:
    route("10.65.0.1/24")
except vw.ValidationError as err:
    print(f"{err.field}: {err.message}")
"""),
    md("""
### Summary
"""),
    code("""
pd.DataFrame(seen).T[["HTTP status", "safe to retry", "means", "do"]]
"""),
    md("""
## 2. Faults and retries

The sandbox can misbehave on request: `sandbox.faults.add(kind, ...)`. A gateway is also busy
(`updating`) for a moment after each change; `ready()` waits until it is `active` again, so that every
retry below is caused by the injected fault alone.
"""),
    code("""
import time

def ready(gateway_id=None, timeout_s=10):
    \"\"\"Wait until the gateway accepts changes again (DescribeVpnGateway says Status active).\"\"\"
    deadline = time.monotonic() + timeout_s
    while client.describe_vpn_gateway(sandbox.region_id, gateway_id or sandbox.vpn_gateway_id)["Status"] != "active":
        if time.monotonic() > deadline:
            raise TimeoutError("the gateway stayed busy")
        time.sleep(0.1)
"""),
    md("""
Two server errors in a row, then a normal answer:
"""),
    code("""
ready()
sandbox.faults.add("error", code="ServiceUnavailable", status=503, action="CreateVpnRouteEntry", times=2)
entry = client.create_vpn_route_entry(route("10.70.0.0/24"))
entry.route_dest, entry.state
"""),
    md("""
Three requests reached the sandbox for that one route, all with the same ClientToken (each with its own
nonce and signature):
"""),
    code("""
def attempts_for(route_dest):
    return pd.DataFrame([{"action": r["action"], "ClientToken": r["params"].get("ClientToken"),
                          "status": r["status"], "code": r["code"]}
                         for r in sandbox.requests
                         if r["action"] == "CreateVpnRouteEntry" and r["params"].get("RouteDest") == route_dest])

attempts_for("10.70.0.0/24")
"""),
    md("""
Throttling is retried the same way:
"""),
    code("""
ready()
sandbox.faults.add("error", code="Throttling.User", action="CreateVpnRouteEntry", times=1)
client.create_vpn_route_entry(route("10.71.0.0/24"))
attempts_for("10.71.0.0/24")
"""),
    md("""
### The hard case: created, but the answer was lost

`commit_then_drop` applies the request and then closes the connection without answering. The client
cannot know whether the route exists, so it retries **with the same ClientToken**, and the service
answers with the route it already created instead of making a second one.
"""),
    code("""
ready()
sandbox.faults.add("commit_then_drop", action="CreateVpnRouteEntry", times=1)
entry = client.create_vpn_route_entry(route("10.72.0.0/24", description="sent once, answered once"))
attempts_for("10.72.0.0/24")
"""),
    md("""
Describe confirms it: exactly one route for each destination, however many attempts it took.
"""),
    code("""
routes = client.describe_vpn_route_entries(sandbox.region_id, sandbox.vpn_gateway_id)
on_gateway = pd.Series([r.route_dest for r in routes]).value_counts()
on_gateway[["10.70.0.0/24", "10.71.0.0/24", "10.72.0.0/24"]]
"""),
    code("""
assert on_gateway.max() == 1, "a route was created twice"
"""),
    md("""
## 3. The log keeps it all

One record per logical call: the outcome, the error code and remedy, how many attempts it took.
"""),
    code("""
df = log.to_dataframe()
df[["operation", "route_dest", "outcome", "http_status", "error_code", "attempts"]]
"""),
    code("""
sandbox.stop()
"""),
]


# ------------------------------------------------------------------------------------------ 04 reports

REPORTS = [
    md(f"""
# Reports: filter and pivot the log, export CSV, roll a batch back

Every call made through a client with `log=` is one record of a `vw.ResponseLog`;
`to_dataframe()` turns the records into a typed pandas DataFrame (timestamps in UTC, nullable
integers), ready for the usual filtering and pivoting. This notebook makes some history in the sandbox
(a batch and a few failures), then asks it questions.

{BINDER_WARNING}
"""),
    code("""
from pathlib import Path

import pandas as pd
import vpnroute_widgets as vw

sandbox = vw.Sandbox().start()
log = vw.ResponseLog()
client = vw.VpcClient(sandbox.credentials, endpoint=sandbox.endpoint, log=log)
Path("reports").mkdir(exist_ok=True)
"""),
    md("""
## 1. Some history

The fifty rows of `data/routes.csv` (four of them wrong on purpose), a route on a financially locked
gateway, and one whose description a spreadsheet would read as a formula.
"""),
    code("""
result = vw.apply_batch("data/routes.csv", client, log=log)
result.to_csv("reports/batch_report.csv")
result
"""),
    code("""
def try_create(**fields):
    request = vw.RouteEntryRequest(region_id=sandbox.region_id, weight=100, publish_vpc=True, **fields)
    try:
        client.create_vpn_route_entry(request)
    except vw.ApiError as err:
        print(f"{err.code}: {err.message}")

try_create(vpn_gateway_id=sandbox.locked_gateway_id, next_hop=sandbox.locked_next_hop, route_dest="10.90.0.0/24")
try_create(vpn_gateway_id=sandbox.vpn_gateway_id, next_hop=sandbox.next_hop, route_dest="10.91.0.0/24",
           description='=HYPERLINK("http://example.invalid")')
"""),
    md("""
## 2. The DataFrame
"""),
    code("""
df = log.to_dataframe()
print(len(df), "records")
df[["timestamp", "operation", "route_dest", "outcome", "error_code", "batch_id", "row"]].tail()
"""),
    md("""
### Filter

Records that did not end `ok`, and the failures of one gateway:
"""),
    code("""
df.loc[df["outcome"] != "ok", ["operation", "vpn_gateway_id", "route_dest", "outcome", "error_code", "row"]]
"""),
    code("""
log.errors()[["vpn_gateway_id", "route_dest", "error_code", "remedy"]]
"""),
    md("""
### Pivot

Outcomes per gateway, and creates per gateway and weight (active versus standby):
"""),
    code("""
df.pivot_table(index="vpn_gateway_id", columns="outcome", values="operation", aggfunc="count", fill_value=0)
"""),
    code("""
created = df[(df["operation"] == "CreateVpnRouteEntry") & (df["outcome"] == "ok")]
pd.crosstab(created["vpn_gateway_id"], created["weight"].map({100: "active", 0: "standby"}))
"""),
    code("""
df.groupby("operation")["latency_ms"].describe()[["count", "mean", "50%", "max"]]
"""),
    md("""
The log has shortcuts for the usual questions: `log.summary()`, `log.by_code()`, `log.by_gateway()`.
"""),
    code("""
log.summary()
"""),
    md("""
## 3. Export a CSV report

`to_csv` writes every record atomically. A cell starting with `=`, `+`, `-` or `@` is prefixed with `'`
so a spreadsheet shows it as text instead of running it; `ResponseLog.from_csv` reads the exact records
back.
"""),
    code("""
log.to_csv("reports/all_calls.csv")
raw = pd.read_csv("reports/all_calls.csv")
raw.loc[raw["description"].notna(), ["route_dest", "description"]].tail(3)
"""),
    code("""
again = vw.ResponseLog.from_csv("reports/all_calls.csv")
assert again.to_dataframe().equals(log.to_dataframe())
len(again.records())
"""),
    md("""
A filtered export is plain pandas; `escape_cells` applies the same formula protection:
"""),
    code("""
from vpnroute_widgets.log.report import escape_cells

escape_cells(log.errors()).to_csv("reports/errors_only.csv", index=False)
pd.read_csv("reports/errors_only.csv")[["route_dest", "error_code"]]
"""),
    md("""
## 4. Roll the batch back

`rollback_batch` reads a report (a file, a DataFrame or the result) and deletes exactly the routes the
batch created, nothing else. It is safe to run twice.
"""),
    code("""
def count_routes():
    return sum(len(client.describe_vpn_route_entries(sandbox.region_id, g["vpn_gateway_id"]))
               for g in sandbox.gateways)

print("routes before:", count_routes())
undo = vw.rollback_batch("reports/batch_report.csv", client, log=log)
print("routes after: ", count_routes())
undo
"""),
    code("""
undo.to_csv("reports/rollback_report.csv")
undo.to_dataframe()["outcome"].value_counts()
"""),
    code("""
sandbox.stop()
"""),
]


# ------------------------------------------------------------------------------------------ app (Voila)

APP = [
    md(f"""
# VPN destination routes

Create routes on an Alibaba Cloud VPN gateway. This page runs against a local **sandbox**:
no account is needed and nothing leaves the server. In **Route**, click **Use demo values**,
type a RouteDest such as `10.1.0.0/24`, and click **Create route**; every answer is in **Log**.

{BINDER_WARNING}
"""),
    code("""
import vpnroute_widgets as vw

vw.app()
"""),
]


# ------------------------------------------------------------------------------------------ 05 real account

REAL_ACCOUNT = [
    md("""
# Using a real Alibaba Cloud account, safely

Everything so far ran against the sandbox. This notebook shows how to point the same tools at
your real account **without leaking keys and without surprises**. It is not run by the test
suite, and every cell that changes something is guarded by a switch you must turn on.

> **Never on Binder.** Binder sessions are public: do not type, paste or upload keys there.
> Run this notebook on your own machine (`make lab`).

The rules:

1. **Keys come from a profile or the environment**, never from a notebook cell. Use a RAM user
   (not the root account) allowed only the VPN route actions you need.
2. **Read before you write**: list the gateway's routes, and plan a batch before applying it.
3. **Keep the report**: every call is logged; export it, and you can roll the batch back.
"""),
    md("""
## 1. Credentials from a profile or the environment

`vw.Credentials.resolve()` looks in the same places as the `aliyun` CLI, in this order:

1. environment variables `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`
   (and `ALIBABA_CLOUD_SECURITY_TOKEN` for STS), set in your shell **before** starting Jupyter;
2. `~/.aliyun/config.json`, the file `aliyun configure` writes (pick a profile by name);
3. `~/.alibabacloud/credentials.ini` (or `~/.alibabacloud/credentials`).

The secret is never printed: the repr shows a masked key id and where it came from.
"""),
    code("""
import vpnroute_widgets as vw
from vpnroute_widgets.widgets.connection import on_binder

if on_binder():
    raise RuntimeError("This is a public Binder session: do not use real keys here. Run it on your own machine.")

PROFILE = None            # or the name of a profile in ~/.aliyun/config.json, e.g. "default"
REGION = "cn-hangzhou"    # the region of your VPN gateway
GATEWAY = "vpn-..."       # your VPN gateway id
NEXT_HOP = "vco-..."      # the IPsec connection the routes point to

credentials = vw.Credentials.resolve(PROFILE)
credentials
"""),
    md("""
## 2. A client that logs every call

Without `endpoint=`, requests go to `https://vpc.<region>.aliyuncs.com` over HTTPS with
certificate checks. The log keeps request ids, codes and timings, never keys or signatures.
"""),
    code("""
log = vw.ResponseLog()
client = vw.VpcClient(credentials, region_id=REGION, log=log)
client
"""),
    md("""
## 3. Read first: what does the gateway hold?

Describe is read-only. If this fails with `Forbidden.SubUser` or `Forbidden`, your RAM user lacks
permissions; `InvalidVpnGatewayInstanceId.NotFound` means a wrong gateway id or region.
"""),
    code("""
routes = client.describe_vpn_route_entries(REGION, GATEWAY)
[(r.route_dest, r.next_hop, r.weight, r.state) for r in routes]
"""),
    md("""
## 4. Plan a batch: still read-only

`plan_batch` checks every row and compares it with what the gateway already has (via Describe).
Nothing is created. Read the plan: rows marked `invalid`, `duplicate`, `exists` or `conflict`
will not be sent.
"""),
    code("""
batch = vw.plan_batch("data/my_routes.csv", client, defaults={"RegionId": REGION})
batch.plan
"""),
    md("""
## 5. Apply, only when you mean it

Turn the switch on, run the cell, and keep the report: `rollback_batch` deletes exactly what the
batch created. A retry after a timeout reuses each row's ClientToken, so nothing is created twice.
You can also use `vw.app()` and switch its **Connection** tab to *Alibaba Cloud*: it uses the same
profile chain, and the form's **Preview** shows what will be sent before you click.
"""),
    code("""
APPLY = False   # set to True to create the planned routes in your account

if APPLY:
    result = vw.apply_batch(batch, client)
    result.to_csv("reports/my_batch.csv")
    print(result)
else:
    print("Plan only: nothing was sent. Set APPLY = True to create the routes.")
"""),
    md("""
## 6. Roll back (if needed)

Deletes the routes the report says were created, and nothing else.
"""),
    code("""
ROLL_BACK = False

if ROLL_BACK:
    vw.rollback_batch("reports/my_batch.csv", client)
log.to_dataframe().tail()
"""),
    md("""
## Command line

The same plan/apply/rollback runs without Jupyter (credentials from the same chain):

```bash
python -m vpnroute_widgets apply my_routes.csv --region cn-hangzhou --report plan.csv --plan-only
python -m vpnroute_widgets apply my_routes.csv --region cn-hangzhou --report report.csv
python -m vpnroute_widgets rollback report.csv --report undo.csv
```

Run `python -m vpnroute_widgets --help` for every option.
"""),
]


NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_batch_from_csv.ipynb": BATCH,
    "03_errors_and_retries.ipynb": ERRORS,
    "04_reports.ipynb": REPORTS,
    "05_real_account.ipynb": REAL_ACCOUNT,
    "app.ipynb": APP,
}


def build(name: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook with stable cell ids (so regenerating changes nothing) and no outputs."""
    nb = new_notebook(metadata=METADATA)
    stem = name.split(".")[0].replace("_", "-")
    for index, (kind, source) in enumerate(cells):
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell.id = f"{stem}-{index:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory to write into (default: notebooks/)")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nbformat.write(build(name, cells), out / name)
    (out / "data").mkdir(exist_ok=True)
    (out / "data" / "routes.csv").write_text(routes_csv())


if __name__ == "__main__":
    main()
