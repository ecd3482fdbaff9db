"""Injected faults: the next matching requests fail with an AWS-shaped error.

A fault matches on the signing service and the operation name. Its error is rendered
in the protocol of that service, the way AWS renders errors:

* EC2 (query):   <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
* Auto Scaling, ELBv2, IAM, STS (query):
                 <ErrorResponse><Error><Type>Sender|Receiver</Type><Code/><Message/></Error>
                 <RequestId/></ErrorResponse>
* SSM (JSON 1.1): {"__type": code, "message": ...} with the x-amzn-ErrorType header
* S3 (REST-XML): <Error><Code/><Message/><RequestId/><HostId/></Error>
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from emulator.request_info import JSON_PROTOCOL, RequestInfo
from emulator.state import LOCK, on_reset

SERVICES = {"ec2", "autoscaling", "elasticloadbalancing", "iam", "ssm", "s3", "sts", "monitoring"}

_QUERY_NAMESPACES = {
    "autoscaling": "http://autoscaling.amazonaws.com/doc/2011-01-01/",
    "elasticloadbalancing": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    # CloudWatch: its CBOR clients get the fault in CBOR (cloudwatch/rpc_v2_cbor.py).
    "monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/",
}

_STATUS_TEXT = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass
class Fault:
    service: str
    action: str | None  # None or "*": every operation of the service
    error_code: str
    message: str
    http_status: int
    times: int  # remaining; -1 = unlimited

    def matches(self, info: RequestInfo) -> bool:
        if info.service != self.service:
            return False
        return self.action in (None, "*") or self.action == info.action

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "action": self.action,
            "error_code": self.error_code,
            "message": self.message,
            "http_status": self.http_status,
            "times": self.times,
        }


_faults: list[Fault] = []


def parse_fault(body: dict[str, Any]) -> Fault:
    """Build a Fault from a control request body; raises ValueError on bad input."""
    service = body.get("service")
    if service not in SERVICES:
        raise ValueError(f"service must be one of {sorted(SERVICES)}")
    action = body.get("action")
    if action is not None and not isinstance(action, str):
        raise ValueError("action must be a string")
    code = body.get("error_code", "InternalError")
    if not isinstance(code, str) or not code:
        raise ValueError("error_code must be a non-empty string")
    message = body.get("message", "injected fault")
    if not isinstance(message, str):
        raise ValueError("message must be a string")
    status = body.get("http_status", 500 if code in ("InternalError", "InternalFailure") else 400)
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError("http_status must be an integer from 400 to 599")
    times = body.get("times", 1)
    if isinstance(times, bool) or not isinstance(times, int) or (times < 1 and times != -1):
        raise ValueError("times must be a positive integer or -1")
    return Fault(service, action, code, message, status, times)


def add(fault: Fault) -> None:
    with LOCK:
        _faults.append(fault)


def listing() -> list[dict[str, Any]]:
    with LOCK:
        return [f.as_dict() for f in _faults]


@on_reset
def clear() -> None:
    _faults.clear()


def take(info: RequestInfo) -> Fault | None:
    """Return the first fault matching this request and use up one of its times."""
    with LOCK:
        for fault in _faults:
            if fault.matches(info):
                if fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        _faults.remove(fault)
                return fault
    return None


def render(fault: Fault, info: RequestInfo) -> tuple[str, list[tuple[str, str]], bytes]:
    """The HTTP status line, headers and body of the error in the service's protocol."""
    request_id = str(uuid.uuid4())
    status = f"{fault.http_status} {_STATUS_TEXT.get(fault.http_status, 'Error')}"
    code = escape(fault.error_code)
    message = escape(fault.message)
    headers = [("x-amzn-RequestId", request_id)]
    if fault.service in JSON_PROTOCOL:
        body = json.dumps({"__type": fault.error_code, "message": fault.message})
        headers += [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-ErrorType", fault.error_code),
        ]
    elif fault.service == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        headers.append(("Content-Type", "text/xml;charset=UTF-8"))
    elif fault.service == "s3":
        host_id = uuid.uuid4().hex
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>{host_id}</HostId></Error>"
        )
        headers += [
            ("Content-Type", "application/xml"),
            ("x-amz-request-id", request_id),
            ("x-amz-id-2", host_id),
        ]
        if info.method == "HEAD":
            body = ""
    else:
        kind = "Sender" if fault.http_status < 500 else "Receiver"
        namespace = _QUERY_NAMESPACES.get(fault.service)
        opening = f'<ErrorResponse xmlns="{namespace}">' if namespace else "<ErrorResponse>"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"{opening}<Error><Type>{kind}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        headers.append(("Content-Type", "text/xml"))
    data = body.encode("utf-8")
    headers.append(("Content-Length", str(len(data))))
    return status, headers, data
