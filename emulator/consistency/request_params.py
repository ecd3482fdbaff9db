"""The parameters of a query-protocol request (EC2, ELBv2, Auto Scaling, IAM)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

from emulator.request_info import read_form_body


def params(environ: dict[str, Any]) -> dict[str, list[str]]:
    """Query string and form body, the body's value first."""
    found = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    for key, values in read_form_body(environ).items():
        found.setdefault(key, values)
    return found


def values(found: dict[str, list[str]], name: str) -> list[str]:
    """A parameter's values: `Name`, `Name.N` (EC2 lists) or `Name.member.N` (query lists)."""
    pattern = re.compile(rf"^{re.escape(name)}(\.member)?\.(\d+)$")
    numbered = []
    for key, items in found.items():
        match = pattern.match(key)
        if match:
            numbered.append((int(match.group(2)), items[0]))
    out = [value for _, value in sorted(numbered)]
    if name in found:
        out.insert(0, found[name][0])
    return out


def filter_names(found: dict[str, list[str]]) -> list[str]:
    """The names of an EC2 request's filters (`Filter.N.Name`)."""
    pattern = re.compile(r"^Filter\.\d+\.Name$")
    return [items[0] for key, items in found.items() if pattern.match(key)]
