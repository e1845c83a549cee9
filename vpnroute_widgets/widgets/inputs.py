"""The route form's inputs: one widget per API parameter, labelled with its API name.

Kept apart from :mod:`.form` (the behaviour) so the form module stays small; the help text
and examples come from the API reference, never from here.
"""

from __future__ import annotations

import ipywidgets as widgets

from .common import INPUT_WIDTH, labelled_style

__all__ = ["REGIONS", "input_for"]

REGIONS = ("cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "cn-hongkong", "ap-southeast-1",
           "ap-southeast-5", "ap-northeast-1", "eu-central-1", "us-west-1", "us-east-1")


def input_for(doc) -> widgets.ValueWidget:
    """The input widget of one API parameter, labelled with its API name, help as tooltip."""
    common = {"description": doc.name, "tooltip": doc.description, "style": labelled_style(),
              "layout": widgets.Layout(width=INPUT_WIDTH, max_width="100%")}  # shrinks in a narrow window
    if doc.name == "Weight":
        return widgets.Dropdown(options=[("100 (active)", 100), ("0 (standby)", 0)], value=100, **common)
    if doc.name == "PublishVpc":
        return widgets.Checkbox(value=True, indent=True, **common)
    if doc.name == "OverlayMode":
        return widgets.Dropdown(options=[("(empty)", ""), ("Ipsec", "Ipsec")], value="", **common)
    if doc.name in ("RegionId", "VpnGatewayId", "NextHop"):
        options = REGIONS if doc.name == "RegionId" else ()
        return widgets.Combobox(options=options, ensure_option=False, placeholder=f"e.g. {doc.example}", **common)
    hint = {"ClientToken": "empty: a new UUID is generated when sent",
            "Description": "optional, 1-100 characters"}.get(doc.name, f"e.g. {doc.example}")
    return widgets.Text(placeholder=hint, **common)
