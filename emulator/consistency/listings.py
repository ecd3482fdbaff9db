"""Tag-filtered lists leave out resources that are still young.

AWS, EC2 API reference, "Eventual consistency in the Amazon EC2 API": describe calls
with filters may not list resources that were just created. The emulator applies that
to DescribeInstances, DescribeSecurityGroups and DescribeImages whose filters include a
tag filter (`tag:<key>`, `tag-key`, `tag-value`): moto answers, then the young
resources are taken out of its answer (an instance's reservation goes too when none of
its instances is left). Lists without a tag filter still show every resource.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import Any

from emulator.consistency.registry import is_young
from emulator.consistency.request_params import filter_names, params
from emulator.request_info import RequestInfo

TAG_FILTERS = {"tag-key", "tag-value"}
LISTS = {"DescribeInstances", "DescribeSecurityGroups", "DescribeImages"}

StartResponse = Callable[..., Any]
CallMoto = Callable[[dict[str, Any], StartResponse], list[bytes]]


def filters_by_tag(environ: dict[str, Any]) -> bool:
    return any(name.startswith("tag:") or name in TAG_FILTERS for name in filter_names(params(environ)))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: ET.Element, name: str) -> str:
    child = _child(element, name)
    return (child.text or "") if child is not None else ""


def _drop_young(container: ET.Element | None, id_field: str, young: Callable[[str], bool]) -> int:
    """Removes the `<item>`s of `container` whose id is young; how many are left."""
    if container is None:
        return 0
    for item in list(container):
        if young(_text(item, id_field)):
            container.remove(item)
    return len(container)


def _filter_answer(action: str, body: bytes, young: Callable[[str, str], bool]) -> bytes:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return body
    if action == "DescribeInstances":
        reservations = _child(root, "reservationSet")
        for reservation in list(reservations if reservations is not None else []):
            left = _drop_young(_child(reservation, "instancesSet"), "instanceId", lambda i: young("instance", i))
            if left == 0 and reservations is not None:
                reservations.remove(reservation)
    elif action == "DescribeSecurityGroups":
        _drop_young(_child(root, "securityGroupInfo"), "groupId", lambda g: young("sg", g))
    elif action == "DescribeImages":
        _drop_young(_child(root, "imagesSet"), "imageId", lambda i: young("image", i))
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if namespace:
        ET.register_namespace("", namespace)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def answer(
    info: RequestInfo,
    environ: dict[str, Any],
    start_response: StartResponse,
    call_moto: CallMoto,
    window: float,
) -> Iterable[bytes]:
    """moto's answer, without the young resources when the request is a tag-filtered list."""
    if window <= 0 or info.service != "ec2" or info.action not in LISTS or not filters_by_tag(environ):
        return call_moto(environ, start_response)
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        captured["status"], captured["headers"] = status, headers
        return lambda _data: None

    body = b"".join(call_moto(environ, capture))
    status: str = captured.get("status", "500 Internal Server Error")
    headers: list[tuple[str, str]] = list(captured.get("headers", []))
    if status.startswith("200"):
        body = _filter_answer(info.action, body, lambda kind, key: is_young(kind, info.region, key, window))
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
    start_response(status, headers)
    return [body]
