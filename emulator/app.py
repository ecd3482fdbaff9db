"""The WSGI application: moto's dispatcher wrapped with the emulator's front door.

Order for an AWS request: identify service/action -> count the call -> fail it if a
fault matches -> answer "not found" if it names a resource not yet visible
(consistency.py) -> retry group launches that waited for an instance profile
(iam_propagation.py) -> otherwise hand it to moto under the global lock. `/_emulator/...`
goes to the controls; `/moto-api/...` goes to moto, and a reset also clears the
extension's own state. CloudWatch's RPC v2 CBOR requests are translated to its JSON
protocol and back around that path (cloudwatch/rpc_v2_cbor.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from emulator import calls
from emulator import consistency
from emulator import controls
from emulator import faults
from emulator.cloudwatch import rpc_v2_cbor
from emulator.iam import propagation as iam_propagation
from emulator.live import lb_live
from emulator.request_info import identify
from emulator.state import LOCK, reset_all


class EmulatorApp:
    def __init__(self, moto_app: Callable[..., Iterable[bytes]]):
        self.moto_app = moto_app

    def _call_moto(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with LOCK:
            result = self.moto_app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_emulator/"):
            return controls.handle(environ, start_response)
        if path.startswith("/moto-api"):
            body = self._call_moto(environ, start_response)
            if path.rstrip("/") == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
                reset_all()
            return body
        if rpc_v2_cbor.is_rpc_v2_cbor(environ):  # CloudWatch's protocol: re-sent below as JSON
            return rpc_v2_cbor.serve(environ, start_response, self._serve_aws)
        return self._serve_aws(environ, start_response)

    def _serve_aws(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        info = identify(environ)
        if info.service is not None:
            calls.record(info.key)
        fault = faults.take(info)
        if fault is not None:
            status, headers, data = faults.render(fault, info)
            start_response(status, headers)
            return [data]
        hidden = consistency.intercept(info, environ)  # not yet visible (eventual consistency)
        if hidden is not None:
            status, headers, data = hidden
            start_response(status, headers)
            return [data]
        iam_propagation.retry_failed_launches()
        # A tag-filtered list leaves young resources out (eventual consistency).
        body = consistency.answer_listing(info, environ, start_response, self._call_moto, consistency.window())
        lb_live.after_request(info)  # live load balancers follow the change at once
        return body
