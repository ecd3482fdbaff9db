"""Helpers for the metrics tests: CloudWatch read over its query protocol (what
moto serves under the emulator whatever the SDK speaks), and a target server
that answers the status it is asked for.
"""

from __future__ import annotations

import datetime
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any

_NS = "{http://monitoring.amazonaws.com/doc/2010-08-01/}"
_AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/monitoring/aws4_request, "
    "SignedHeaders=host, Signature=0"
)

# `/status/NNN` answers NNN, `/sleep/MS` answers 200 after MS milliseconds,
# `/health` answers 200; keep-alive, one thread per connection.
STATUS_SERVER = r"""
import http.server, socketserver, sys, time
ip, port = sys.argv[1], int(sys.argv[2])
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        status = 200
        if self.path.startswith("/status/"):
            status = int(self.path.rsplit("/", 1)[1])
        elif self.path.startswith("/sleep/"):
            time.sleep(int(self.path.rsplit("/", 1)[1]) / 1000.0)
        body = b"ok\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
Server((ip, port), Handler).serve_forever()
"""


def query(url: str, params: dict[str, str], region: str = "us-east-1") -> ET.Element:
    data = urllib.parse.urlencode({**params, "Version": "2010-08-01"}).encode()
    request = urllib.request.Request(
        url.rstrip("/") + "/",
        data=data,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": _AUTH.format(region=region)},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return ET.fromstring(response.read())
    except urllib.error.HTTPError as err:
        raise AssertionError(f"{params.get('Action')}: {err.code} {err.read().decode(errors='replace')}") from None


def statistics(
    url: str, namespace: str, metric: str, dimensions: dict[str, str], minutes: int = 60
) -> dict[str, float] | None:
    """Sum, SampleCount, Minimum, Maximum and Average of one metric (exactly these
    dimensions, GetMetricData) over the last `minutes`, or None without datapoints."""
    now = datetime.datetime.now(datetime.timezone.utc)
    params = {
        "Action": "GetMetricData",
        "StartTime": (now - datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "EndTime": (now + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    stats = ("Sum", "SampleCount", "Minimum", "Maximum")
    for n, stat in enumerate(stats, start=1):
        prefix = f"MetricDataQueries.member.{n}"
        params[f"{prefix}.Id"] = f"q{n}"
        params[f"{prefix}.MetricStat.Metric.Namespace"] = namespace
        params[f"{prefix}.MetricStat.Metric.MetricName"] = metric
        for d, (name, value) in enumerate(sorted(dimensions.items()), start=1):
            params[f"{prefix}.MetricStat.Metric.Dimensions.member.{d}.Name"] = name
            params[f"{prefix}.MetricStat.Metric.Dimensions.member.{d}.Value"] = value
        params[f"{prefix}.MetricStat.Period"] = str(60 * (minutes + 1))
        params[f"{prefix}.MetricStat.Stat"] = stat
    root = query(url, params)
    values: dict[str, list[float]] = {}
    for result in root.findall(f".//{_NS}MetricDataResults/{_NS}member"):
        n = int((result.findtext(f"{_NS}Id") or "q0")[1:])
        values[stats[n - 1]] = [float(v.text or 0) for v in result.findall(f"{_NS}Values/{_NS}member")]
    if not values.get("SampleCount"):
        return None
    out = {
        "Sum": sum(values.get("Sum", [])),
        "SampleCount": sum(values["SampleCount"]),
        "Minimum": min(values.get("Minimum") or [0.0]),
        "Maximum": max(values.get("Maximum") or [0.0]),
    }
    out["Average"] = out["Sum"] / out["SampleCount"] if out["SampleCount"] else 0.0
    return out


def extended(url: str, namespace: str, metric: str, dimensions: dict[str, str], stat: str, minutes: int = 60) -> list[float]:
    """The values of one statistic (e.g. `p99`) of one metric over the last `minutes` (GetMetricData)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    prefix = "MetricDataQueries.member.1"
    params = {
        "Action": "GetMetricData",
        "StartTime": (now - datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "EndTime": (now + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        f"{prefix}.Id": "q1",
        f"{prefix}.MetricStat.Metric.Namespace": namespace,
        f"{prefix}.MetricStat.Metric.MetricName": metric,
        f"{prefix}.MetricStat.Period": str(60 * (minutes + 1)),
        f"{prefix}.MetricStat.Stat": stat,
    }
    for d, (name, value) in enumerate(sorted(dimensions.items()), start=1):
        params[f"{prefix}.MetricStat.Metric.Dimensions.member.{d}.Name"] = name
        params[f"{prefix}.MetricStat.Metric.Dimensions.member.{d}.Value"] = value
    root = query(url, params)
    return [float(v.text or 0) for v in root.findall(f".//{_NS}MetricDataResults/{_NS}member/{_NS}Values/{_NS}member")]


def metric_names(url: str, namespace: str) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """(metric name, sorted dimensions) of every metric ListMetrics shows in `namespace`."""
    root = query(url, {"Action": "ListMetrics", "Namespace": namespace})
    out = set()
    for member in root.findall(f".//{_NS}Metrics/{_NS}member"):
        name = member.findtext(f"{_NS}MetricName") or ""
        dims = tuple(
            sorted(
                (d.findtext(f"{_NS}Name") or "", d.findtext(f"{_NS}Value") or "")
                for d in member.findall(f"{_NS}Dimensions/{_NS}member")
            )
        )
        out.add((name, dims))
    return out


def total(url: str, namespace: str, metric: str, dimensions: dict[str, str], stat: str = "Sum") -> float:
    found: Any = statistics(url, namespace, metric, dimensions)
    return 0.0 if found is None else float(found[stat])
