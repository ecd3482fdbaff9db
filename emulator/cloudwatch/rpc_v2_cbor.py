"""CloudWatch over Smithy RPC v2 CBOR, the protocol of current AWS SDKs (aws-sdk-cloudwatch, botocore).

smithy.io, "RPC v2 CBOR protocol":
* a request is `POST /service/GraniteServiceVersion20100801/operation/<Operation>` with
  the header `smithy-protocol: rpc-v2-cbor`, `Content-Type: application/cbor` when it
  has a body, and the operation's input structure as a CBOR map;
* an answer carries `smithy-protocol: rpc-v2-cbor`; its body is the output structure as
  a CBOR map, none for an operation without output;
* an error is a CBOR map with `__type` (the error's shape id) and `message`, with the
  error's HTTP status; CloudWatch is `awsQueryCompatible`, so the answer also names the
  query protocol's error code in `x-amzn-query-error: Code;Sender|Receiver`, which SDKs
  report as the error's code.

moto 5.2.1 answers CloudWatch only in the query and JSON protocols. Each CBOR request
is checked against the service model (required members and constraints: the
CloudWatch API reference's "Common Errors" MissingParameter and ValidationError),
re-sent down the emulator's usual path as the same operation in the JSON protocol
(so faults, call counts and the global lock apply), and moto's answer is turned back
into CBOR.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import uuid
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from botocore.model import OperationModel
from botocore.parsers import JSONParser, ResponseParserError
from botocore.serialize import JSONSerializer
from botocore.validate import ParamValidator

from emulator.cloudwatch import cbor_codec

SERVICE_TARGET = "GraniteServiceVersion20100801"
PATH_PREFIX = f"/service/{SERVICE_TARGET}/operation/"
PROTOCOL_HEADER = "rpc-v2-cbor"
CBOR_CONTENT_TYPE = "application/cbor"
SHAPE_NAMESPACE = "com.amazonaws.cloudwatch"

App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_STATUS_TEXT = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


def is_rpc_v2_cbor(environ: dict[str, Any]) -> bool:
    """A request on CloudWatch's RPC v2 path (its headers are checked by `serve`)."""
    return str(environ.get("PATH_INFO", "")).startswith(PATH_PREFIX)


class _Refusal(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def serve(environ: dict[str, Any], start_response: Callable[..., Any], app: App) -> list[bytes]:
    """Answer one RPC v2 CBOR request through `app` (the emulator's JSON-protocol path)."""
    try:
        operation = _operation(environ)
        params = _read_params(environ, operation)
    except _Refusal as refusal:
        return _error(start_response, refusal.status, refusal.code, refusal.message, None)
    json_request = JSONSerializer().serialize_to_request(params, operation)
    inner = _json_environ(environ, json_request)
    status, headers, body = _call(app, inner)
    request_id = headers.get("x-amzn-requestid") or str(uuid.uuid4())
    if 200 <= status < 300:
        return _success(start_response, operation, status, headers, body, request_id)
    code, message = _error_code_and_message(headers, body)
    return _error(start_response, status, code, message, request_id)


def _operation(environ: dict[str, Any]) -> OperationModel:
    path = str(environ.get("PATH_INFO", ""))
    name = path[len(PATH_PREFIX):]
    if environ.get("REQUEST_METHOD", "GET").upper() != "POST":
        raise _Refusal(405, "MethodNotAllowed", "RPC v2 CBOR requests use POST")
    operation = cbor_codec.operation_model(name) if re.fullmatch(r"[A-Za-z0-9]+", name) else None
    if operation is None:
        raise _Refusal(404, "UnknownOperationException", f"CloudWatch has no operation {name!r}")
    if str(environ.get("HTTP_SMITHY_PROTOCOL", "")).strip() != PROTOCOL_HEADER:
        raise _Refusal(400, "InvalidRequest", "the header smithy-protocol: rpc-v2-cbor is required")
    return operation


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    # aws-sdk-cloudwatch gzips large PutMetricData bodies (the model's requestCompression).
    encoding = str(environ.get("HTTP_CONTENT_ENCODING", "")).strip().lower()
    if encoding == "gzip" and body:
        try:
            return gzip.decompress(body)
        except (OSError, EOFError, zlib.error):
            raise _Refusal(400, "SerializationException", "the gzip body cannot be decompressed") from None
    if encoding not in ("", "identity", "gzip"):
        raise _Refusal(400, "SerializationException", f"unsupported Content-Encoding {encoding!r}")
    return body


def _read_params(environ: dict[str, Any], operation: OperationModel) -> dict[str, Any]:
    body = _read_body(environ)
    content_type = str(environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()
    if body and content_type != CBOR_CONTENT_TYPE:
        raise _Refusal(400, "SerializationException", f"Content-Type must be {CBOR_CONTENT_TYPE}")
    try:
        params = cbor_codec.decode_input(operation, body)
    except cbor_codec.CborBodyError as err:
        raise _Refusal(400, "SerializationException", str(err)) from None
    if operation.input_shape is not None:
        report = ParamValidator().validate(params, operation.input_shape)
        if report.has_errors():
            missing = [e for e in report._errors if e[0] == "missing required field"]
            code = "MissingParameter" if missing else "ValidationError"
            raise _Refusal(400, code, report.generate_report())
        bad = _enum_violation(params, operation.input_shape, "")
        if bad:
            raise _Refusal(400, "ValidationError", bad)
    return params


def _enum_violation(value: Any, shape: Any, where: str) -> str | None:
    """The first string outside its enum (botocore's validator does not check enums)."""
    if shape.type_name == "string" and getattr(shape, "enum", None) and isinstance(value, str):
        if value not in shape.enum:
            return (
                f"1 validation error detected: Value '{value}' at '{where.lstrip('.')}' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(shape.enum)}]"
            )
    elif shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                found = _enum_violation(value[name], member, f"{where}.{name}")
                if found:
                    return found
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value, start=1):
            found = _enum_violation(item, shape.member, f"{where}.{index}")
            if found:
                return found
    return None


def _json_environ(environ: dict[str, Any], json_request: dict[str, Any]) -> dict[str, Any]:
    body: bytes = json_request["body"]
    inner = dict(environ)
    inner["PATH_INFO"] = "/"
    inner["RAW_URI"] = "/"
    inner["REQUEST_URI"] = "/"
    inner["QUERY_STRING"] = ""
    inner["CONTENT_TYPE"] = json_request["headers"]["Content-Type"]
    inner["CONTENT_LENGTH"] = str(len(body))
    inner["HTTP_X_AMZ_TARGET"] = json_request["headers"]["X-Amz-Target"]
    inner.pop("HTTP_CONTENT_ENCODING", None)
    inner.pop("HTTP_SMITHY_PROTOCOL", None)
    inner["wsgi.input"] = io.BytesIO(body)
    return inner


def _call(app: App, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        captured["status"] = status
        captured["headers"] = headers
        return lambda _data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status = int(str(captured.get("status", "500")).split(" ", 1)[0])
    headers = {name.lower(): value for name, value in captured.get("headers", [])}
    return status, headers, body


def _success(
    start_response: Callable[..., Any],
    operation: OperationModel,
    status: int,
    headers: dict[str, str],
    body: bytes,
    request_id: str,
) -> list[bytes]:
    shape = operation.output_shape
    if shape is None:
        data = b""
    else:
        try:
            parsed = JSONParser().parse({"body": body, "headers": headers, "status_code": status}, shape)
        except ResponseParserError as err:
            return _error(start_response, 500, "InternalServiceError", f"unreadable answer: {err}", request_id)
        parsed.pop("ResponseMetadata", None)
        data = cbor_codec.encode_structure(shape, parsed)
    response_headers = [("smithy-protocol", PROTOCOL_HEADER), ("x-amzn-RequestId", request_id)]
    if shape is not None:
        response_headers.append(("Content-Type", CBOR_CONTENT_TYPE))
    response_headers.append(("Content-Length", str(len(data))))
    start_response(f"{status} {_STATUS_TEXT.get(status, 'OK')}", response_headers)
    return [data]


def _error_code_and_message(headers: dict[str, str], body: bytes) -> tuple[str, str]:
    """moto's error in the JSON protocol, or a fault's in the query protocol's XML."""
    query_error = headers.get("x-amzn-query-error", "")
    text = body.decode("utf-8", errors="replace")
    code = ""
    message = ""
    try:
        document = json.loads(text) if text.strip() else {}
    except ValueError:
        document = None
    if isinstance(document, dict):
        code = str(document.get("__type") or document.get("code") or document.get("Code") or "")
        message = str(document.get("message") or document.get("Message") or "")
    else:
        found = re.search(r"<Code>([^<]*)</Code>", text)
        code = found.group(1) if found else ""
        found = re.search(r"<Message>([^<]*)</Message>", text)
        message = found.group(1) if found else text.strip()[:500]
    if query_error and ";" in query_error:
        code = query_error.split(";", 1)[0]
    code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    return code or "InternalServiceError", message


def _error_shape(code: str) -> tuple[str, bool | None]:
    """The modeled error for a query error code or shape name: (shape name, sender fault)."""
    shapes = cbor_codec.service_model().error_shapes
    by_name = {shape.name: shape for shape in shapes}
    shape = by_name.get(code)
    if shape is None:
        for candidate in shapes:
            if candidate.metadata.get("error", {}).get("code") == code:
                shape = candidate
                if candidate.name == code:
                    break
    if shape is None:
        return code, None
    return shape.name, shape.metadata.get("error", {}).get("senderFault")


def _query_code(shape_name: str, fallback: str) -> str:
    for shape in cbor_codec.service_model().error_shapes:
        if shape.name == shape_name:
            return str(shape.metadata.get("error", {}).get("code") or shape_name)
    return fallback


def _error(
    start_response: Callable[..., Any], status: int, code: str, message: str, request_id: str | None
) -> list[bytes]:
    shape_name, sender_fault = _error_shape(code)
    if sender_fault is None:
        sender_fault = status < 500
    query_code = _query_code(shape_name, code)
    data = cbor_codec.encode_map({"__type": f"{SHAPE_NAMESPACE}#{shape_name}", "message": message})
    headers = [
        ("smithy-protocol", PROTOCOL_HEADER),
        ("Content-Type", CBOR_CONTENT_TYPE),
        ("x-amzn-RequestId", request_id or str(uuid.uuid4())),
        ("x-amzn-query-error", f"{query_code};{'Sender' if sender_fault else 'Receiver'}"),
        ("Content-Length", str(len(data))),
    ]
    start_response(f"{status} {_STATUS_TEXT.get(status, 'Error')}", headers)
    return [data]
