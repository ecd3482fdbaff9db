"""AWS/EC2 CPUUtilization of live machines, from their cgroup's CPU time.

EC2 user guide, "List the available CloudWatch metrics for your instances":
CPUUtilization is "the percentage of physical CPU time that Amazon EC2 uses to run
the EC2 instance", in Percent, with the dimensions InstanceId and (for instances of
a group) AutoScalingGroupName. "Basic monitoring: data is available automatically
in 5-minute periods"; "Detailed monitoring: data is available in 1-minute periods"
(Monitoring.Enabled of RunInstances or of the launch template).

Each running machine's share is the CPU time its cgroup used (`cpu.stat`
usage_usec) over the period, divided by the period and by the instance type's
vCPUs. Periods last 60 s or 300 s x `metric_time_scale`. The AutoScalingGroupName
datapoint leaves out instances still warming up (Auto Scaling user guide, "Set
the default instance warmup": "Until its specified warm-up time has expired, an
instance is not counted toward the aggregated metrics of the Auto Scaling group").
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from emulator import state
from emulator.cloudwatch import timescale
from emulator.cloudwatch.publish import publish

DETAILED_PERIOD = 60
BASIC_PERIOD = 300
CGROUP_PARENT = "roundrobin-emulator"


@dataclass
class _Last:
    at: float
    usage_usec: int


def usage_usec(machine_name: str) -> int | None:
    """CPU time used by a machine's cgroup, microseconds (cgroup v2 cpu.stat)."""
    from emulator.live import host

    for root in host.cgroup_roots():
        path = os.path.join(root, CGROUP_PARENT, machine_name, "cpu.stat")
        try:
            with open(path) as stat:
                for line in stat:
                    key, _, value = line.partition(" ")
                    if key == "usage_usec":
                        return int(value)
        except (OSError, ValueError):
            continue
    return None


def vcpus(instance_type: str) -> int:
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    info = (INSTANCE_TYPES.get(instance_type) or {}).get("VCpuInfo") or {}
    return max(1, int(info.get("DefaultVCpus") or 1))


def detailed(instance: Any) -> bool:
    """Detailed monitoring: RunInstances' Monitoring.Enabled, or the launch template
    version a group launched the instance from says Monitoring.Enabled."""
    if getattr(instance, "monitoring_state", "disabled") == "enabled":
        return True
    group = getattr(instance, "autoscaling_group", None)
    member = next((st for st in getattr(group, "instance_states", []) if st.instance is instance), None)
    spec = getattr(member, "emu_launch_template", None)
    template = getattr(group, "ec2_launch_template", None)
    if not spec or template is None or template.id != spec.get("LaunchTemplateId"):
        return False
    try:
        data = template.get_version(str(spec["Version"])).data
    except Exception:  # a deleted version: basic monitoring
        return False
    return bool((data.get("Monitoring") or {}).get("Enabled"))


def percent(used_usec: int, seconds: float, cpus: int) -> float:
    if seconds <= 0:
        return 0.0
    return max(0.0, min(100.0, used_usec / (seconds * 1_000_000 * cpus) * 100.0))


class CpuSampler:
    def __init__(self) -> None:
        self._last: dict[str, _Last] = {}
        self._stop = threading.Event()

    def sample(self) -> None:
        from emulator.autoscaling import scaling_actions
        from emulator.live import instances

        now = time.time()
        machines = []
        with state.LOCK:  # moto's objects are read under the lock only
            for live in instances.all_instances():
                instance = live.instance
                if getattr(instance, "state", None) != "running" or live.discarded:
                    continue
                group = getattr(instance, "autoscaling_group", None)
                member = group is not None and any(
                    st.instance.id == live.id and st.lifecycle_state == "InService" for st in group.instance_states
                )
                counted_in = group.name if member and not scaling_actions.warming_up(group, instance) else None
                period = DETAILED_PERIOD if detailed(instance) else BASIC_PERIOD
                machines.append(
                    (live.id, live.machine.name, period, vcpus(instance.instance_type), instance.owner_id,
                     instance.region_name, counted_in)
                )
        seen = set()
        for instance_id, machine, period, cpus, account, region, group_name in machines:
            used = usage_usec(machine)
            if used is None:
                continue
            seen.add(instance_id)
            last = self._last.get(instance_id)
            if last is None or used < last.usage_usec:
                self._last[instance_id] = _Last(now, used)
                continue
            if now - last.at < timescale.real_seconds(period):
                continue
            value = percent(used - last.usage_usec, now - last.at, cpus)
            self._last[instance_id] = _Last(now, used)
            publish(account, region, "AWS/EC2", "CPUUtilization", {"InstanceId": instance_id}, [value], "Percent")
            if group_name is not None:
                publish(account, region, "AWS/EC2", "CPUUtilization", {"AutoScalingGroupName": group_name}, [value], "Percent")
        for gone in set(self._last) - seen:
            del self._last[gone]

    def run(self) -> None:
        while not self._stop.wait(max(0.2, timescale.real_seconds(DETAILED_PERIOD) / 6)):
            try:
                self.sample()
            except Exception as err:  # keep sampling; say why
                print(f"ec2-cpu: {type(err).__name__}: {err}", file=sys.stderr, flush=True)


_sampler: CpuSampler | None = None


def start() -> None:
    """Samples every live machine's CPU from now on (once per process)."""
    global _sampler
    if _sampler is None:
        _sampler = CpuSampler()
        threading.Thread(target=_sampler.run, name="ec2-cpu", daemon=True).start()
