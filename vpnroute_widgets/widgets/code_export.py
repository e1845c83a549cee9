"""Code export: the same CreateVpnRouteEntry call as a command or a script people can keep.

Three targets: the ``aliyun`` CLI, the official ``alibabacloud-vpc20160428`` SDK, and
vpnroute_widgets itself. Input is the request's API parameters (``to_params()``), so the
snippet matches the preview exactly. Credentials are always placeholders
(``<ACCESS_KEY_ID>``/``<ACCESS_KEY_SECRET>``) or a lookup: a snippet is meant to be pasted
into chats and tickets, so it never carries a key.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from urllib.parse import urlsplit

from ..reference import field_doc

__all__ = ["EXPORTERS", "aliyun_cli", "sdk_python", "vpnroute_python"]

KEY_ID = "<ACCESS_KEY_ID>"
SECRET = "<ACCESS_KEY_SECRET>"  # noqa: S105 - a placeholder, never a key


def _python_value(name: str, value: str) -> str:
    """A wire string as a Python literal of the parameter's reference type."""
    kind = field_doc(name).type
    if kind == "Boolean":
        return "True" if value == "true" else "False"
    if kind == "Integer":
        return str(int(value))
    return repr(value)


def _host(endpoint: str | None) -> str | None:
    return urlsplit(endpoint).netloc if endpoint else None


def aliyun_cli(params: Mapping[str, str], endpoint: str | None = None) -> str:
    """``aliyun vpc CreateVpnRouteEntry --Name value ...`` (credentials from ``aliyun configure``)."""
    lines = ["# credentials: `aliyun configure` (or add --access-key-id <ACCESS_KEY_ID> "
             "--access-key-secret <ACCESS_KEY_SECRET>)",
             "aliyun vpc CreateVpnRouteEntry \\"]
    args = [f"  --{name} {shlex.quote(value)}" for name, value in params.items()]
    host = _host(endpoint)
    if host:
        args.append(f"  --endpoint {shlex.quote(host)}")
    return "\n".join(lines + [" \\\n".join(args)])


def sdk_python(params: Mapping[str, str], endpoint: str | None = None) -> str:
    """The call with alibabacloud-vpc20160428 (the official tea SDK), keys as placeholders."""
    region = params.get("RegionId", "cn-hangzhou")
    host = _host(endpoint) or f"vpc.{region}.aliyuncs.com"
    protocol = "HTTP" if endpoint and endpoint.startswith("http://") else "HTTPS"
    kwargs = "".join(f"    {field_doc(name).attr}={_python_value(name, value)},\n" for name, value in params.items())
    return (
        "# pip install alibabacloud-vpc20160428\n"
        "from alibabacloud_tea_openapi import models as open_api_models\n"
        "from alibabacloud_tea_util import models as util_models\n"
        "from alibabacloud_vpc20160428 import models as vpc_models\n"
        "from alibabacloud_vpc20160428.client import Client\n\n"
        "config = open_api_models.Config(\n"
        f"    access_key_id={KEY_ID!r},  # better: read from the environment or a profile\n"
        f"    access_key_secret={SECRET!r},\n"
        f"    endpoint={host!r},\n"
        f"    protocol={protocol!r},\n"
        ")\n"
        "client = Client(config)\n"
        "request = vpc_models.CreateVpnRouteEntryRequest(\n"
        f"{kwargs})\n"
        "response = client.create_vpn_route_entry_with_options(request, util_models.RuntimeOptions())\n"
        "print(response.body.to_map())\n"
    )


def vpnroute_python(params: Mapping[str, str], endpoint: str | None = None, *, sandbox: bool = False) -> str:
    """The call with vpnroute_widgets: credentials from the usual chain, or (``sandbox=True``) the
    app's running sandbox, found by its endpoint, so the snippet runs as it is in the same notebook."""
    kwargs = "".join(f"    {field_doc(name).attr}={_python_value(name, value)},\n" for name, value in params.items())
    where = f", endpoint={endpoint!r}" if endpoint else ""
    if sandbox and endpoint:
        connect = ("# the sandbox vw.app() runs in this notebook (its demo keys work only there)\n"
                   f"sb = vw.ConnectionPanel.sandbox_at({endpoint!r})\n"
                   "client = vw.VpcClient(sb.credentials, endpoint=sb.endpoint, log=vw.ResponseLog())\n")
    else:
        connect = (f"creds = vw.Credentials.resolve()  # or vw.Credentials({KEY_ID!r}, {SECRET!r})\n"
                   f"client = vw.VpcClient(creds{where}, log=vw.ResponseLog())\n")
    return (
        "import vpnroute_widgets as vw\n\n"
        f"{connect}"
        "request = vw.RouteEntryRequest(\n"
        f"{kwargs})\n"
        "entry = client.create_vpn_route_entry(request)\n"
        "print(entry)\n"
    )


# label shown in the form -> exporter
EXPORTERS = {
    "aliyun CLI": aliyun_cli,
    "Python SDK (alibabacloud-vpc20160428)": sdk_python,
    "vpnroute_widgets": vpnroute_python,
}
