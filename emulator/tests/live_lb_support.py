"""Helpers for the live load balancer tests and benchmark: an emulator started with
`--live-lb`, and HTTP targets without machines (an API-only instance whose
private IP is given to a network namespace by vpcnet, with a small Python HTTP
server in it).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from emulator.tests.conftest import SERVER, Emulator, _drain, _wait_ready

from emulator.live import vpcnet  # noqa: E402

# Answers every GET with its name; `/slow?seconds=N` first sleeps N seconds;
# `/headers` lists the X-Forwarded-* headers it got.
TARGET_SERVER = r"""
import http.server, socketserver, sys, time
name, ip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(float(self.path.split("seconds=", 1)[1]))
        body = (name + "\n").encode()
        if self.path == "/headers":
            body = "\n".join(f"{k}: {v}" for k, v in self.headers.items() if k.lower().startswith("x-forwarded")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class Server(socketserver.ThreadingTCPServer):  # no reverse DNS lookup on bind, unlike HTTPServer
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
Server((ip, port), Handler).serve_forever()
"""

# A target that takes the connection and then fails the request: `reset` resets
# the connection (RST: SO_LINGER 0) once the request arrived, `close` closes it
# without answering; `second` answers the first request of each connection
# (200 "first dropped=N", N the requests dropped so far; kept alive) and closes
# the connection without answering the second, as a server does whose idle
# keep-alive connection times out just as a request comes in.
MISBEHAVING_SERVER = r"""
import socket, struct, sys, threading
mode, ip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
dropped = 0
def serve(conn):
    global dropped
    if mode == "second" and conn.recv(65536):
        body = b"first dropped=%d\n" % dropped
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    if conn.recv(65536) and mode == "second":
        dropped += 1
    if mode == "reset":
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((ip, port))
listener.listen(64)
while True:
    threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()
"""


def skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "live load balancer tests need root (network namespaces)"
    if shutil.which("haproxy") is None:
        return "live load balancer tests need haproxy (apt-get install haproxy)"
    if shutil.which("ip") is None:
        return "live load balancer tests need iproute2"
    return None


def exclusive_run(timeout: float = 600.0) -> Any:
    """An exclusive lock held by one live test run or benchmark at a time (close() frees it)."""
    os.makedirs("/run/roundrobin-emulator", exist_ok=True)
    handle = open("/run/roundrobin-emulator/live-tests.lock", "w")
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                raise RuntimeError("another live load balancer test run holds the lock") from None
            time.sleep(0.2)


class LiveEmulator:
    """server.py --live-lb on a free loopback port, with its own run directory."""

    def __init__(self, base: str, scale: float = 0.05):
        self.base = base
        self.scale = scale
        self.proc: subprocess.Popen[str] | None = None
        self.log = tempfile.TemporaryFile(mode="w+")
        self.emu: Emulator | None = None

    def start(self) -> Emulator:
        self.proc = subprocess.Popen(
            [*SERVER, "--port", "0", "--live-lb", "--lb-run-dir", self.base,
             "--health-check-time-scale", str(self.scale)],
            stdout=subprocess.PIPE, stderr=self.log, text=True,
        )
        try:
            url = _wait_ready(self.proc)
        except RuntimeError:
            self.log.seek(0)
            raise RuntimeError("emulator failed to start:\n" + self.log.read()[-4000:]) from None
        threading.Thread(target=_drain, args=(self.proc.stdout,), daemon=True).start()
        self.emu = Emulator(url)
        return self.emu

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read()


def wait_port(ip: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((ip, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{ip}:{port} did not start listening")
            time.sleep(0.05)


def _end(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@dataclass
class Target:
    instance_id: str
    ip: str
    netns: str
    port: int = 8080
    proc: subprocess.Popen[bytes] | None = None
    extra: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str | None = None) -> None:
        _end(self.proc)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.netns, sys.executable, "-c", TARGET_SERVER,
             name or self.instance_id, self.ip, str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_port(self.ip, self.port)

    def misbehave(self, mode: str, port: int) -> None:
        """Also listens on `port` and fails every request there (MISBEHAVING_SERVER)."""
        proc = subprocess.Popen(
            ["ip", "netns", "exec", self.netns, sys.executable, "-c", MISBEHAVING_SERVER, mode, self.ip, str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.extra.append(proc)
        wait_port(self.ip, port)

    def stop(self) -> None:
        for proc in [self.proc, *self.extra]:
            _end(proc)
        self.proc = None
        self.extra = []


@dataclass
class Targets:
    """Instances made reachable: namespaces, bridges and servers, all removed by close()."""

    targets: list[Target] = field(default_factory=list)
    bridges: set[str] = field(default_factory=set)

    def wire(self, ec2: Any, instance_id: str, port: int = 8080, name: str | None = None, serve: bool = True) -> Target:
        instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
        vpc_id, ip = instance["VpcId"], instance["PrivateIpAddress"]
        cidr = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["CidrBlock"]
        bridge = vpcnet.bridge_name(vpc_id)
        if not os.path.exists(f"/sys/class/net/{bridge}"):
            self.bridges.add(bridge)
        netns = vpcnet.attach(instance_id, vpc_id, cidr, ip)
        target = Target(instance_id, ip, netns, port)
        self.targets.append(target)
        if serve:
            target.start(name)
        return target

    def launch(self, ec2: Any, image_id: str, subnet_id: str, name: str, port: int = 8080) -> Target:
        instance_id = ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, SubnetId=subnet_id)[
            "Instances"
        ][0]["InstanceId"]
        return self.wire(ec2, instance_id, port, name)

    def close(self) -> None:
        for target in self.targets:
            target.stop()
            vpcnet.detach(target.instance_id)
        for bridge in self.bridges:
            subprocess.run(["ip", "link", "del", bridge], capture_output=True, timeout=10)
        self.targets.clear()
        self.bridges.clear()


def get(url: str, timeout: float = 10.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode().strip()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace").strip()


def lb_url(emu: Emulator, dns_or_arn: str, port: int = 80) -> str:
    listing = emu.ok("GET", "/_emulator/load-balancers")["load_balancers"]
    return listing[dns_or_arn]["listeners"][str(port)]


def haproxy_pids(directory: str) -> list[int]:
    from emulator.live.lb_process import haproxy_pids as pids

    return pids(directory)
