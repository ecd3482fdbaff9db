"""Benchmark of the live load balancer (not a test): what HAProxy adds to a request.

    sudo python3 -m emulator.tests.bench_live_lb [--rate 200] [--seconds 5] [--workers 8]

Starts `server.py --live-lb`, wires two API-only instances into network
namespaces with a small Python HTTP server each (live_lb_support), puts them
behind an application load balancer and measures:

* latency p50/p99 of requests paced at --rate per second, through the load
  balancer and directly to a target (alternating between the two), and the
  difference (the latency the load balancer adds);
* the maximum requests/s with --workers closed-loop clients, through the load
  balancer and directly. The Python targets and client bound these figures: the
  direct figure is the ceiling the load balancer figure can reach.

Each client keeps its connection alive; HAProxy pools and reuses its
connections to the targets (the figures include how many it opened and reused).
The added p99 latency is printed beside its goal (--goal-p99-ms, 2 ms); the
run exits 1 when it is missed, 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit


from emulator.tests.aws_stack import al2023_images  # noqa: E402
from emulator.tests.conftest import wait_for  # noqa: E402
from emulator.tests.live_lb_support import LiveEmulator, Targets, exclusive_run, lb_url, skip_reason  # noqa: E402


class Client:
    """One keep-alive connection per (host, port), reopened when the server closes it."""

    def __init__(self) -> None:
        self.conns: dict[tuple[str, int], http.client.HTTPConnection] = {}

    def get(self, host: str, port: int, path: str = "/") -> float:
        conn = self.conns.get((host, port))
        if conn is None:
            conn = self.conns[(host, port)] = http.client.HTTPConnection(host, port, timeout=10)
        start = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            del self.conns[(host, port)]
            return self.get(host, port, path)
        elapsed = time.perf_counter() - start
        if response.status != 200:
            raise RuntimeError(f"{host}:{port} answered {response.status}")
        return elapsed


def paced(addresses: list[tuple[str, int]], rate: float, seconds: float) -> list[float]:
    """Latencies of requests sent at `rate` per second (round-robin over addresses)."""
    client = Client()
    latencies = []
    interval = 1.0 / rate
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        due = start + n * interval
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        host, port = addresses[n % len(addresses)]
        latencies.append(client.get(host, port))
    return latencies


def saturate(addresses: list[tuple[str, int]], workers: int, seconds: float) -> float:
    """Requests per second of `workers` closed-loop clients."""
    counts = [0] * workers
    stop = time.perf_counter() + seconds

    def work(index: int) -> None:
        client = Client()
        n = index
        while time.perf_counter() < stop:
            host, port = addresses[n % len(addresses)]
            client.get(host, port)
            counts[index] += 1
            n += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def reuse_figures(base: str, emulator_pid: int) -> str:
    """How many requests HAProxy sent over a reused target connection (`show stat`)."""
    from emulator.live.lb_process import show_stat

    run_dir = os.path.join(base, f"rr-{emulator_pid}")
    sockets = [os.path.join(run_dir, f) for f in os.listdir(run_dir) if f.endswith(".sock")]
    connect = reuse = 0
    for row in show_stat(sockets[0]).values():
        connect += int(row.get("connect") or 0)
        reuse += int(row.get("reuse") or 0)
    return f"{connect} opened, {reuse} reused"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument(
        "--goal-p99-ms", type=float, default=2.0,
        help="the most the load balancer may add to the p99 latency (default 2 ms); missed: exit 1",
    )
    args = parser.parse_args()
    reason = skip_reason()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2

    lock = exclusive_run()
    base = f"/run/roundrobin-emulator/lb-bench-{os.getpid()}"
    server = LiveEmulator(base, scale=0.05)
    targets = Targets()
    try:
        emu = server.start()
        ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
        octet = random.randint(16, 250)
        vpc = ec2.create_vpc(CidrBlock=f"10.{octet}.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{octet}.{16 * i}.0/20", AvailabilityZone=zone)["Subnet"]
            for i, zone in enumerate(("us-east-1a", "us-east-1b"))
        ]
        image = al2023_images(ec2)[0]
        wired = [targets.launch(ec2, image, subnets[i]["SubnetId"], f"t{i}") for i in range(2)]
        arn = elbv2.create_target_group(
            Name="bench", Protocol="HTTP", Port=8080, VpcId=vpc, HealthCheckPath="/health",
            HealthCheckIntervalSeconds=5, HealthyThresholdCount=2,
        )["TargetGroups"][0]["TargetGroupArn"]
        lb = elbv2.create_load_balancer(Name="bench", Subnets=[s["SubnetId"] for s in subnets])["LoadBalancers"][0]
        elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}])
        elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": t.instance_id} for t in wired])
        wait_for(lambda: {d["TargetHealth"]["State"] for d in elbv2.describe_target_health(
            TargetGroupArn=arn)["TargetHealthDescriptions"]} == {"healthy"}, timeout=15)
        url = urlsplit(lb_url(emu, lb["DNSName"]))
        through = [(url.hostname, url.port)]
        direct = [(t.ip, t.port) for t in wired]

        paced(through + direct, 50, 1)  # warm up
        via_lb = paced(through, args.rate, args.seconds)
        straight = paced(direct, args.rate, args.seconds)
        print(f"paced at {args.rate:.0f} req/s for {args.seconds:.0f} s ({len(via_lb)} requests each)")
        print(f"{'':24}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
        for name, values in (("through load balancer", via_lb), ("direct to target", straight)):
            print(f"{name:24}{percentile(values, 50) * 1e3:10.3f}{percentile(values, 99) * 1e3:10.3f}"
                  f"{statistics.mean(values) * 1e3:10.3f}")
        added_p99_ms = (percentile(via_lb, 99) - percentile(straight, 99)) * 1e3
        print(f"{'added by load balancer':24}"
              f"{(percentile(via_lb, 50) - percentile(straight, 50)) * 1e3:10.3f}"
              f"{added_p99_ms:10.3f}"
              f"{(statistics.mean(via_lb) - statistics.mean(straight)) * 1e3:10.3f}")
        met = added_p99_ms <= args.goal_p99_ms
        print(f"  {'load balancer added latency p99 at ' + format(args.rate, '.0f') + ' req/s':52}"
              f"{added_p99_ms:9.3f} ms   goal ≤ {args.goal_p99_ms:g} ms   {'ok' if met else 'MISSED'}")
        print(f"connections to targets: {reuse_figures(base, server.proc.pid)}")
        seconds = max(2.0, args.seconds / 2)
        max_lb = saturate(through, args.workers, seconds)
        max_direct = saturate(direct, args.workers, seconds)
        print(f"max throughput ({args.workers} clients, {seconds:.0f} s): "
              f"through load balancer {max_lb:.0f} req/s, direct {max_direct:.0f} req/s")
    finally:
        targets.close()
        server.stop()
        import shutil

        shutil.rmtree(base, ignore_errors=True)
        lock.close()
    if not met:
        print(f"goal missed: the load balancer added {added_p99_ms:.3f} ms to the p99 latency "
              f"(goal ≤ {args.goal_p99_ms:g} ms)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
