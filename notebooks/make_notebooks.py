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
python -m vpnroute_widgets apply data/my_routes.csv --region cn-hangzhou --plan-only
```

Run `python -m vpnroute_widgets --help` for every option.
"""),
]


NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01_quickstart.ipynb": QUICKSTART,
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


if __name__ == "__main__":
    main()
