"""CBOR bodies of CloudWatch's Smithy RPC v2 CBOR protocol, read and written by the service model.

The protocol (smithy.io, "RPC v2 CBOR protocol") carries each operation's input and
output structure as one CBOR map (RFC 8949). Timestamps are tag 1 around epoch
seconds, an integer or a float; blobs are byte strings; absent members are left out.

botocore carries CloudWatch's service model and a CBOR reader (for responses) and
writer (for requests); here they are used the other way round: the reader decodes
a client's request, the writer encodes the emulator's answer.
"""

from __future__ import annotations

import datetime
import io
import math
import struct
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import ResponseParserError, RpcV2CBORParser
from botocore.serialize import CBORSerializer

SERVICE_NAME = "cloudwatch"


class CborBodyError(ValueError):
    """A request body that is not the CBOR of the operation's input."""


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model(SERVICE_NAME)


def operation_model(name: str) -> OperationModel | None:
    model = service_model()
    if name not in model.operation_names:
        return None
    return model.operation_model(name)


class _RequestReader(RpcV2CBORParser):
    """botocore's CBOR reader applied to a request: shape-guided, tags kept as timestamps."""

    def __init__(self) -> None:
        super().__init__(timestamp_parser=_epoch_to_datetime)

    def read(self, body: bytes, shape: Shape | None) -> dict[str, Any]:
        if shape is None or body == b"":
            return {}
        stream = io.BufferedReader(io.BytesIO(body))
        try:
            raw = self.parse_data_item(stream)
            trailing = stream.read(1)
        except (ResponseParserError, UnicodeDecodeError, struct.error) as err:
            raise CborBodyError(f"the body is not valid CBOR: {err}") from None
        if trailing:
            raise CborBodyError("the body holds more than one CBOR data item")
        if not isinstance(raw, dict):
            raise CborBodyError("the body must be a CBOR map (the operation's input structure)")
        parsed = self._parse_shape(shape, raw)
        return parsed if isinstance(parsed, dict) else {}

    def _handle_timestamp(self, shape: Shape, value: Any) -> datetime.datetime:
        # Tag 1 was already turned into a datetime; a bare number is epoch seconds too.
        if isinstance(value, datetime.datetime):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _epoch_to_datetime(value)
        raise CborBodyError(f"{shape.name}: a timestamp must be tag 1 around epoch seconds")


def _epoch_to_datetime(value: Any) -> datetime.datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CborBodyError(f"invalid epoch-seconds timestamp {value!r}")
    return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)


class _ResponseWriter(CBORSerializer):
    """botocore's CBOR writer applied to an answer; timestamps keep their milliseconds."""

    def write(self, value: dict[str, Any], shape: Shape) -> bytes:
        body = bytearray()
        self._serialize_data_item(body, value, shape)
        return bytes(body)

    def _serialize_type_timestamp(self, serialized: bytearray, value: Any, shape: Shape, key: Any) -> None:
        seconds = _epoch_seconds(value)
        serialized.extend(self._get_initial_byte(self.TAG_MAJOR_TYPE, 1))
        if seconds == int(seconds):
            self._serialize_type_integer(serialized, int(seconds), shape, key)
        else:
            self._serialize_type_double(serialized, seconds, shape, key)

    def _serialize_type_double(self, serialized: bytearray, value: Any, shape: Shape, key: Any) -> None:
        super()._serialize_type_double(serialized, float(value), shape, key)

    def _serialize_type_float(self, serialized: bytearray, value: Any, shape: Shape, key: Any) -> None:
        super()._serialize_type_double(serialized, float(value), shape, key)

    def _serialize_type_integer(self, serialized: bytearray, value: Any, shape: Shape, key: Any) -> None:
        super()._serialize_type_integer(serialized, int(value), shape, key)


def _epoch_seconds(value: Any) -> float:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        # Millisecond precision, as the protocol's epoch-seconds format keeps.
        return round(value.timestamp(), 3)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"not a timestamp: {value!r}")


def decode_input(operation: OperationModel, body: bytes) -> dict[str, Any]:
    """The operation's input parameters from a request's CBOR body (empty body: no members)."""
    return _RequestReader().read(body, operation.input_shape)


def encode_structure(shape: Shape, value: dict[str, Any]) -> bytes:
    """The CBOR map of a structure shape (members absent or None are left out)."""
    members = {name: item for name, item in value.items() if name in shape.members and item is not None}
    return _ResponseWriter().write(members, shape)


def encode_map(value: dict[str, str]) -> bytes:
    """A small CBOR map of text strings (error bodies: `__type`, `message`)."""
    if len(value) >= 24:
        raise ValueError("a small map has fewer than 24 members")
    writer = _ResponseWriter()
    body = bytearray(writer._get_initial_byte(writer.MAP_MAJOR_TYPE, len(value)))
    for name, item in value.items():
        writer._serialize_type_string(body, name, None, None)
        writer._serialize_type_string(body, item, None, None)
    return bytes(body)
