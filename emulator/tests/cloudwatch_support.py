"""Clients for the CloudWatch tests: one that speaks Smithy RPC v2 CBOR, as aws-sdk-cloudwatch does.

botocore 1.43 knows CloudWatch's RPC v2 CBOR protocol but prefers its JSON protocol
when a model offers both (botocore.utils.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS). The
client below is resolved with CBOR first, so every call it makes is
`POST /service/GraniteServiceVersion20100801/operation/<Op>` with a CBOR body.
"""

from __future__ import annotations

import datetime
import io
import struct
from typing import Any

import botocore.model
import botocore.session
from botocore.config import Config

CBOR = "smithy-rpc-v2-cbor"
REGION = "us-east-1"


def cbor_client(url: str, region: str = REGION) -> Any:
    original = botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
    botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = (CBOR,) + tuple(p for p in original if p != CBOR)
    try:
        client = botocore.session.get_session().create_client(
            "cloudwatch",
            region_name=region,
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        )
    finally:
        botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = original
    assert client.meta.service_model.resolved_protocol == CBOR
    return client


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def decode_cbor(data: bytes) -> Any:
    """A minimal CBOR reader for the tests' raw requests (definite lengths, tag 1)."""
    stream = io.BytesIO(data)

    def read_length(info: int) -> int:
        if info < 24:
            return info
        size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
        return int.from_bytes(stream.read(size), "big")

    def item() -> Any:
        initial = stream.read(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if major == 0:
            return read_length(info)
        if major == 1:
            return -1 - read_length(info)
        if major == 2:
            return stream.read(read_length(info))
        if major == 3:
            return stream.read(read_length(info)).decode()
        if major == 4:
            return [item() for _ in range(read_length(info))]
        if major == 5:
            return {item(): item() for _ in range(read_length(info))}
        if major == 6:
            return ("tag", read_length(info), item())
        if info == 20:
            return False
        if info == 21:
            return True
        if info in (22, 23):
            return None
        fmt, size = {25: (">e", 2), 26: (">f", 4), 27: (">d", 8)}[info]
        return struct.unpack(fmt, stream.read(size))[0]

    return item()
