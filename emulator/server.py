"""Start moto's server with the emulator extension installed.

    python3 -m emulator --port PORT [--host 127.0.0.1]
    python3 -m emulator --port 0 --machines nspawn [--base-rootfs PATH] [--live-dir DIR]
    python3 -m emulator --port 0 --live-lb [--health-check-time-scale 0.1]

Prints `emulator ready on http://HOST:PORT` once it accepts connections. Stops on
SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from types import FrameType

# Must be set before moto is imported: loads the AWS managed policies
# (AmazonSSMManagedInstanceCore, ...) into IAM.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"



def install() -> None:
    """Patch moto's models and response classes. Idempotent per process."""
    from emulator.autoscaling import health as asg_health
    from emulator.autoscaling import launch as asg_launch
    from emulator.ec2 import block_devices
    from emulator.ec2 import profiles as ec2_profiles
    from emulator.ec2 import spot as ec2_spot
    from emulator.ec2 import snapshot_release
    from emulator.iam import policy_cache as iam_policy_cache
    from emulator.ec2 import image_copy
    from emulator.ec2 import image_deprecation
    from emulator.ec2 import image_attributes
    from emulator.ec2 import launch_options
    from emulator.autoscaling import refresh_api
    from emulator.ssm import agents as ssm
    from emulator.ssm import commands as ssm_commands
    from emulator.elbv2 import target_health
    from emulator.elbv2 import idempotent_creates as elbv2_idempotent_creates
    from emulator.autoscaling import unique_names as asg_unique_names
    from emulator.ec2 import launch_template_tags
    from emulator.elbv2 import https_listeners

    for module in (
        iam_policy_cache,
        target_health,
        elbv2_idempotent_creates,
        asg_launch,
        asg_health,
        ec2_profiles,
        ec2_spot,
        snapshot_release,
        image_copy,
        image_deprecation,
        image_attributes,
        # After ec2_spot: refuses a launch before a spot request is made.
        launch_options,
        # After image_copy: it wraps the image mappings that module reports.
        block_devices,
        refresh_api,
        ssm,
        ssm_commands,
        asg_unique_names,
        launch_template_tags,
        https_listeners,
    ):
        module.install()

    from emulator.cloudwatch import alarm_api as cloudwatch_alarm_api
    from emulator.cloudwatch import metric_api as cloudwatch_metric_api

    cloudwatch_metric_api.install()  # GetMetricStatistics / GetMetricData / PutMetricData
    cloudwatch_alarm_api.install()  # PutMetricAlarm's rules, alarm states, DescribeAlarms filters

    from emulator.autoscaling import scaling_api

    scaling_api.install()  # target tracking scaling policies and their alarms

    from emulator import consistency
    from emulator.iam import propagation as iam_propagation

    # Last: they wrap what asg_launch and ec2_profiles installed.
    consistency.install()
    iam_propagation.install()


def make_app() -> object:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from emulator.app import EmulatorApp

    return EmulatorApp(DomainDispatcherApplication(create_backend_app))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, required=True, help="port to bind (0: any free port)")
    parser.add_argument("--log-requests", action="store_true", help="log every request to stderr")
    parser.add_argument(
        "--realism",
        action="store_true",
        help="start with the realistic profile (eventual consistency, IAM propagation, ...; see realism.py)",
    )
    parser.add_argument(
        "--live-lb", action="store_true", help="application load balancers really serve (HAProxy; needs root)"
    )
    parser.add_argument(
        "--health-check-time-scale", type=float, default=None,
        help="factor for health check intervals/timeouts and deregistration delays (default 1.0)",
    )
    parser.add_argument("--lb-run-dir", default="/run/roundrobin-emulator/lb", help="live load balancer files")
    parser.add_argument(
        "--machines", choices=("api", "nspawn"), default="api",
        help="api: instances are records (default); nspawn: instances are systemd-nspawn machines (root)",
    )
    parser.add_argument(
        "--live-dir", default="/var/lib/roundrobin-emulator",
        help="with --machines nspawn: where machine overlays and image disks live",
    )
    parser.add_argument(
        "--base-rootfs", default=None,
        help="with --machines nspawn: the base image's Debian rootfs (default: the shared cache, "
        "built with debootstrap when missing; see live/rootfs.py)",
    )
    args = parser.parse_args(argv)
    if not args.log_requests:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ.setdefault("MOTO_PORT", str(args.port))

    from werkzeug.serving import make_server

    from emulator.autoscaling import instance_refresh

    install()
    from emulator import state
    from emulator.live import lb_live

    machines = None
    if args.machines == "nspawn":
        from emulator.live import mode as machines

        try:
            for line in machines.enable(os.path.abspath(args.live_dir), args.base_rootfs):
                print(line, file=sys.stderr, flush=True)
        except machines.LiveError as err:
            print(f"emulator: --machines nspawn refused: {err}", file=sys.stderr, flush=True)
            return 2

    if args.health_check_time_scale is not None:
        state.set_timing({"health_check_time_scale": args.health_check_time_scale})
        state.DEFAULT_TIMING["health_check_time_scale"] = args.health_check_time_scale  # also after a reset
    if args.live_lb or getattr(args, "machines", None) == "nspawn":
        lb_live.enable(args.lb_run_dir)
    if args.realism:
        from emulator import realism

        realism.enable_at_start()
    server = make_server(args.host, args.port, make_app(), threaded=True)
    server.daemon_threads = True  # do not wait for idle keep-alive connections on exit
    server.block_on_close = False
    stop_ticker = instance_refresh.start_ticker()
    from emulator.autoscaling import healing

    stop_healing = healing.start_ticker()  # Auto Scaling replaces unhealthy instances
    from emulator.cloudwatch import alarm_ticker

    stop_alarms = alarm_ticker.start_ticker()  # CloudWatch evaluates alarms each period

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)  # also when started with SIGINT ignored (a background job)
    host, port = server.server_address[:2]
    try:  # a stop right after the ready line must still clean up
        print(f"emulator ready on http://{host}:{port}", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second signal must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        stop_ticker.set()
        stop_healing.set()
        stop_alarms.set()
        server.server_close()
        lb_live.shutdown()  # no HAProxy process or file outlives the emulator
        if machines is not None:
            machines.shutdown()  # no machine, overlay or namespace outlives the emulator
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # skip tearing down moto's large in-memory state
