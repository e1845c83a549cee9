"""A gateway's route table as a DataFrame: the inventory that a sync file starts from.

    frame = vw.export_routes(client, "cn-hangzhou")              # every gateway of the region
    frame = vw.export_routes(client, "cn-hangzhou", ["vpn-..."]) # some gateways
    write_csv(frame, "routes.csv")                               # formula cells escaped, atomic

One row per route, every page of every gateway. The first columns are the ones
:func:`~vpnroute_widgets.batch.plan_batch` and :func:`~vpnroute_widgets.batch.plan_sync` read
(RegionId, VpnGatewayId, RouteDest, NextHop, Weight, PublishVpc, Description), so the file goes
back in unchanged; the others are read-only facts the reader ignores: State, CreateTime (UTC),
RouteEntryType (``custom`` or ``bgp``), Source, AsPath, Community. BGP-learned routes are listed
for the record; a sync recognises them on the gateway and never changes them.

PublishVpc comes from the route's ``State``: ``published`` means advertised to the VPC.
Reads are not logged (a large inventory would bury the changes in the log).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import pandas as pd

__all__ = ["EXPORT_COLUMNS", "READ_ONLY_COLUMNS", "export_routes", "route_sort_key", "write_csv"]

#: The columns a batch or a sync reads, in the reader's names.
ROUTE_COLUMNS = ("RegionId", "VpnGatewayId", "RouteDest", "NextHop", "Weight", "PublishVpc", "Description")
#: Facts about each route that a batch or a sync ignores.
READ_ONLY_COLUMNS = ("State", "CreateTime", "RouteEntryType", "Source", "AsPath", "Community")
EXPORT_COLUMNS = ROUTE_COLUMNS + READ_ONLY_COLUMNS
_DTYPES = {"Weight": "Int64", "PublishVpc": "boolean"}


def route_sort_key(route_dest: str | None) -> tuple:
    """Order destinations by address, then prefix length (text that is no prefix goes last)."""
    try:
        address, _, length = str(route_dest).partition("/")
        return (0, *(int(part) for part in address.split(".")), int(length or 32))
    except ValueError:
        return (1, str(route_dest))


def _reader(client: Any) -> Any:
    """The client without its log and call hook: inventory reads are not changes."""
    return client.clone(log=None, on_call=None) if hasattr(client, "clone") else client


def _gateway_ids(reader: Any, region_id: str, vpn_gateway_ids: Iterable[str] | str | None) -> list[str]:
    if isinstance(vpn_gateway_ids, str):
        return [vpn_gateway_ids]
    if vpn_gateway_ids is not None:
        return list(dict.fromkeys(vpn_gateway_ids))
    return [g.vpn_gateway_id for g in reader.describe_vpn_gateways(region_id) if g.vpn_gateway_id]


def _row(region_id: str, gateway_id: str, entry: Any) -> tuple:
    published = entry.published if hasattr(entry, "published") else None
    return (region_id, gateway_id, entry.route_dest, entry.next_hop, entry.weight, published, entry.description,
            entry.state, entry.create_time, entry.route_entry_type, getattr(entry, "source", None),
            getattr(entry, "as_path", None), getattr(entry, "community", None))


def export_routes(client: Any, region_id: str, vpn_gateway_ids: Iterable[str] | str | None = None) -> pd.DataFrame:
    """Every route of the listed gateways (all gateways of ``region_id`` when None) as a DataFrame.

    Columns: :data:`EXPORT_COLUMNS`. Rows are sorted by gateway (in the order given, or the
    region's), then destination address, then next hop. Raises the client's error when a
    gateway cannot be read: an inventory with a gateway missing would read as "no routes".
    """
    reader = _reader(client)
    rows: list[tuple] = []
    for gateway_id in _gateway_ids(reader, region_id, vpn_gateway_ids):
        entries = reader.describe_vpn_route_entries(region_id, gateway_id)
        entries = sorted(entries, key=lambda e: (route_sort_key(e.route_dest), e.next_hop or ""))
        rows.extend(_row(region_id, gateway_id, entry) for entry in entries)
    return _frame(rows)


def _frame(rows: list[tuple]) -> pd.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(EXPORT_COLUMNS)
    data: dict[str, Any] = {}
    for name, values in zip(EXPORT_COLUMNS, columns, strict=True):
        if name == "CreateTime":
            data[name] = pd.to_datetime(pd.array(values, dtype="Int64"), unit="ms", utc=True)
        else:
            data[name] = pd.array(values, dtype=_DTYPES.get(name, "str"))
    return pd.DataFrame(data, columns=list(EXPORT_COLUMNS))


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write an export as UTF-8 CSV, atomically; text cells a spreadsheet would run as a formula get a ``'``.

    Route fields the API accepts never start with such a character, so the file reads back unchanged.
    """
    from ..log.report import frame_to_csv

    frame_to_csv(frame, path)
