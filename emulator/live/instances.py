"""Instances that are machines: each one's lifecycle runs in a worker thread of
its own, one operation at a time (boot, stop, start, reboot, snapshot,
terminate), and its EC2 state follows what really happens:

    launch     pending -> running once systemd inside says the boot is over
               (a failed boot: terminated, StateReason Server.InternalError)
    stop       stopping -> stopped once the machine powered off (disk kept)
    start      pending -> running (a failed boot: stopped)
    reboot     stays running; the machine powers off and boots again
    terminate  shutting-down -> terminated once machine, overlay and network
               namespace are gone

A machine can also go away by itself while `running` (the worker looks every
second when it has nothing to do):

    powered off from inside (nspawn exits 0): stopped, StateReason
               Client.InstanceInitiatedShutdown (EC2 User Guide, "Change the
               instance initiated shutdown behavior": the default is stop)
    crashed (nspawn killed or failed; POST /_emulator/live/crash): stays
               running, as a crashed instance does on AWS, but its status checks
               fail (ec2/status_checks.py: impaired) and its SSM agent is gone

Auto Scaling's health checks replace both (autoscaling/healing.py).

The emulator's global lock (state.LOCK) is taken only to write a state, never
while waiting on a machine. `proc_lock` guards the short steps that create or
kill something (mount, spawn, kill), so a reset can discard a machine at any
moment and nothing it was about to create survives.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
import traceback
from typing import Any

from moto.ec2.models.instances import StateReason

from emulator.ec2 import status_checks
from emulator.live import images, overlay, sweep, vpcnet
from emulator.live.machine import Machine
from emulator.state import LOCK

BOOT_TIMEOUT = 300.0
POWEROFF_TIMEOUT = 30.0
CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

_config: dict[str, Any] = {"live_dir": None}
_registry: dict[str, LiveInstance] = {}
_registry_lock = threading.Lock()


def configure(live_dir: str) -> None:
    from emulator import controls

    _config["live_dir"] = live_dir
    controls.ROUTES["/_emulator/live/crash"] = {"POST": crash_control}
    from emulator.cloudwatch import ec2_cpu

    ec2_cpu.start()  # AWS/EC2 CPUUtilization of the machines


def machines_dir() -> str:
    return os.path.join(_config["live_dir"], "machines")


def log(message: str) -> None:
    print(f"live: {message}", file=sys.stderr, flush=True)


def get(instance_id: str) -> LiveInstance | None:
    with _registry_lock:
        return _registry.get(instance_id)


def all_instances() -> list[LiveInstance]:
    with _registry_lock:
        return list(_registry.values())


def layers_in_use() -> set[str]:
    return {layer for li in all_instances() for layer in li.machine.layers}


class LiveInstance:
    def __init__(self, instance: Any, layers: list[str], vpc_cidr: str):
        self.instance = instance
        self.id: str = instance.id
        self.vpc_id: str = instance.vpc_id
        self.vpc_cidr = vpc_cidr
        self.private_ip: str = instance.private_ip
        self.region: str = instance.region_name
        name = vpcnet.netns_name(self.id)
        hostname = instance.private_dns_name.split(".")[0]
        self.machine = Machine(name, os.path.join(machines_dir(), self.id), layers, name, hostname)
        os.makedirs(self.machine.dir, exist_ok=True)
        with open(os.path.join(self.machine.dir, "vpc"), "w") as record:
            record.write(f"{self.vpc_id}\n")  # for the sweep after a crash
        self.booted = False  # the machine's boot is over (SSM agent can be Online)
        self.ever_booted = False
        self.discarded = False
        self.crashed = False  # killed through crash(): not an orderly power-off
        self.proc_lock = threading.Lock()
        self._ops: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name=f"live-{self.id}", daemon=True)
        with _registry_lock:
            _registry[self.id] = self
        self._thread.start()

    # -- requests (called under state.LOCK from moto hooks) -------------------
    def submit(self, *op: Any) -> None:
        self._ops.put(op)

    def set_state(self, name: str, reason: tuple[str, str] | None = None, expect: tuple[str, ...] = ()) -> None:
        """Sets the EC2 state; with `expect`, only if the state is one of those
        (a Stop or Terminate that came in meanwhile wins)."""
        with LOCK:
            if self.discarded or (expect and self.instance._state.name not in expect):
                return
            self.instance._state.name = name
            self.instance._state.code = CODES[name]
            if reason is not None:
                code, message = reason
                self.instance.state_reason = StateReason(f"{code}: {message}", code)
                self.instance._reason = message

    # -- the worker -----------------------------------------------------------
    def _work(self) -> None:
        while not self.discarded:
            try:
                op = self._ops.get(timeout=1.0)
            except queue.Empty:
                self._watch()
                continue
            if self.discarded:
                return
            try:
                done = getattr(self, "_op_" + op[0])(*op[1:])
            except Exception:
                log(f"{self.id}: {op[0]} failed:\n{traceback.format_exc()}")
                done = False
            if op[0] == "terminate" or (op[0] == "launch" and done is False):
                return

    def _watch(self) -> None:
        """Notices a booted machine that went away by itself (see the module
        docstring): an orderly power-off from inside stops the instance; a
        crash leaves it running with failed status checks."""
        if self.discarded or not self.booted or self.machine.running():
            return
        if self.instance.state != "running":
            return
        proc = self.machine.proc
        powered_off = proc is not None and proc.returncode == 0 and not self.crashed
        self.booted = False
        with self.proc_lock:
            if self.discarded:
                return
            self.machine.kill()  # whatever is left in its cgroups
            if powered_off:
                self.machine.unmount()
        if powered_off:
            log(f"{self.id}: the machine powered itself off; stopped")
            self.set_state(
                "stopped", ("Client.InstanceInitiatedShutdown", "Instance initiated shutdown"), expect=("running",)
            )
            return
        code = proc.returncode if proc is not None else None
        log(f"{self.id}: the machine died (nspawn exit {code}); its status checks fail")
        with LOCK:
            status_checks.mark_impaired(self.id)

    def _interrupted(self) -> bool:
        return self.discarded or not self._ops.empty()

    def _boot(self) -> str:
        with self.proc_lock:
            if self.discarded:
                return "aborted"
            if not os.path.exists(f"/run/netns/{self.machine.netns}"):
                vpcnet.attach(self.id, self.vpc_id, self.vpc_cidr, self.private_ip)
            self.machine.mount()
            self.machine.start()
        return self.machine.wait_booted(BOOT_TIMEOUT, self._interrupted)

    def _booted(self) -> None:
        self.booted = self.ever_booted = True

    def _op_launch(self) -> bool:
        try:
            outcome = self._boot()
        except Exception as err:
            outcome = f"failed: {err}"
        if outcome == "booted":
            self._booted()
            self.set_state("running", expect=("pending",))
            return True
        if outcome == "aborted":
            return True
        log(f"{self.id} did not boot ({outcome})\n{self.machine.console_tail()}")
        try:
            self._teardown(POWEROFF_TIMEOUT)
        finally:
            self.set_state("terminated", ("Server.InternalError", "Internal error on launch"))
        return False

    def _op_start(self) -> bool:
        try:
            outcome = self._boot()
        except Exception as err:
            outcome = f"failed: {err}"
        if outcome == "booted":
            self._booted()
            self.set_state("running", expect=("pending", "running"))
            return True
        if outcome == "aborted":
            return True
        log(f"{self.id} did not boot ({outcome})\n{self.machine.console_tail()}")
        try:
            self._power_off()
        finally:
            self.set_state("stopped", ("Server.InternalError", "Internal error on start"), expect=("pending", "running"))
        return False

    def _power_off(self) -> None:
        self.booted = False
        self.machine.poweroff(POWEROFF_TIMEOUT)

    def _op_stop(self) -> bool:
        try:
            self._power_off()
            with self.proc_lock:
                if not self.discarded:
                    self.machine.unmount()
        finally:
            self.set_state("stopped", expect=("stopping",))
        return True

    def _op_reboot(self) -> bool:
        if not self.machine.running():
            return True
        self._power_off()
        return self._op_start()

    def _op_snapshot(self, disk: images.Disk, no_reboot: bool) -> bool:
        restart = self.machine.running() and not no_reboot
        if restart:
            self._power_off()
        ok = True
        try:
            assert disk.own_layer is not None
            overlay.copy_layer(self.machine.upper, disk.own_layer)
        except Exception as err:
            ok = False
            log(f"{self.id}: copying the disk for {disk.image_id} failed: {err}")
        with LOCK:
            disk.ready = ok
            disk.ami.state = "available" if ok else "failed"
            if not ok:
                disk.ami.state_reason = {"Code": "Server.InternalError", "Message": "copying the disk failed"}
        if self.discarded:  # a reset came in while copying: the image is gone
            assert disk.own_layer is not None
            overlay.remove_tree(os.path.dirname(disk.own_layer))
            return False
        if disk.deregistered:  # deregistered while it was being copied
            images.collect(layers_in_use())
        if restart and not self.discarded and self._ops.empty():
            self._op_start()
        return ok

    def _op_drain(self, seconds: float) -> bool:
        """Keeps the machine running while its load balancer targets drain:
        an Auto Scaling group (and AWS for any terminated target) lets the
        deregistration delay pass before the instance goes, so requests in
        flight finish."""
        deadline = time.monotonic() + seconds
        while not self.discarded and time.monotonic() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        return True

    def _op_terminate(self) -> bool:
        try:
            self._teardown(POWEROFF_TIMEOUT)
        finally:
            self.set_state("terminated")
        images.collect(layers_in_use())
        return True

    def _teardown(self, grace: float) -> None:
        """Powers off (at most `grace` seconds, then kills) and removes the
        overlay, the machine directory and the network namespace."""
        self.booted = False
        if grace > 0:
            self.machine.poweroff(grace)
        with self.proc_lock:
            self.machine.kill()
            self.machine.unmount()
            if not overlay.remove_tree(self.machine.dir):
                log(f"{self.id}: {self.machine.dir} is still mounted; left in place")
            vpcnet.detach(self.id)
        with _registry_lock:
            _registry.pop(self.id, None)
            vpc_in_use = any(li.vpc_id == self.vpc_id for li in _registry.values())
        if not vpc_in_use:
            sweep.remove_bridge_if_unused(self.vpc_id)

    def crash(self) -> bool:
        """Kills the machine outright, as a host failure would; False if it
        was not running."""
        with self.proc_lock:
            if self.discarded or not self.machine.running():
                return False
            self.crashed = True
            self.machine.kill()
        return True

    # -- reset / shutdown -------------------------------------------------------
    def discard(self) -> None:
        """Kills the machine at once and removes everything it had."""
        with self.proc_lock:
            self.discarded = True
        self._teardown(0)


def crash_control(body: Any) -> tuple[int, Any]:
    """POST /_emulator/live/crash {"instance_id": "i-..."}: kills the instance's
    machine outright (every process of it, at once)."""
    if not isinstance(body, dict) or not isinstance(body.get("instance_id"), str):
        raise ValueError('the body must be {"instance_id": "i-..."}')
    instance_id = body["instance_id"]
    live = get(instance_id)
    if live is None:
        return 404, {"error": f"no machine for {instance_id}"}
    if not live.crash():
        return 400, {"error": f"the machine of {instance_id} is not running"}
    log(f"{instance_id}: crashed on request")
    return 200, {"instance_id": instance_id, "crashed": True}


def discard_all() -> list[str]:
    """Kills every machine and removes its overlay and namespace (reset, exit)."""
    found = all_instances()
    threads = [threading.Thread(target=li.discard, daemon=True) for li in found]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))
    if _config["live_dir"] and not any(t.is_alive() for t in threads):
        overlay.remove_tree(machines_dir())
    return [li.id for li in found]
