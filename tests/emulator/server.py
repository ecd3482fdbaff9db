"""Start moto's server with the emulator extension installed.

    python3 tests/emulator/server.py --port PORT [--host 127.0.0.1]

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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def install() -> None:
    """Patch moto's models and response classes. Idempotent per process."""
    import asg_health
    import asg_launch
    import ec2_profiles
    import iam_policy_cache
    import refresh_api
    import ssm
    import ssm_commands
    import target_health

    for module in (iam_policy_cache, target_health, asg_launch, asg_health, ec2_profiles, refresh_api, ssm, ssm_commands):
        module.install()


def make_app() -> object:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from app import EmulatorApp

    return EmulatorApp(DomainDispatcherApplication(create_backend_app))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, required=True, help="port to bind (0: any free port)")
    parser.add_argument("--log-requests", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if not args.log_requests:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ.setdefault("MOTO_PORT", str(args.port))

    from werkzeug.serving import make_server

    import instance_refresh

    install()
    server = make_server(args.host, args.port, make_app(), threaded=True)
    server.daemon_threads = True  # do not wait for idle keep-alive connections on exit
    server.block_on_close = False
    stop_ticker = instance_refresh.start_ticker()

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    host, port = server.server_address[:2]
    print(f"emulator ready on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop_ticker.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # skip tearing down moto's large in-memory state
