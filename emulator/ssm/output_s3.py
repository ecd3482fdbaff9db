"""A command's whole output in S3, as SSM keeps it.

Systems Manager user guide, "Understanding command statuses" and the
GetCommandInvocation reference: GetCommandInvocation returns only the first
24,000 characters of stdout and 8,000 of stderr; with SendCommand's
OutputS3BucketName (and OutputS3KeyPrefix) the agent uploads the whole of each
to `<prefix>/<command id>/<instance id>/awsrunShellScript/0.awsrunShellScript/`
`stdout` and `stderr` once the invocation ends. A stream with nothing in it is not
uploaded. A bucket that does not exist gets nothing (the agent's upload fails; the
command's own status is not changed), the stricter reading of a case AWS does not
document beyond that.

Objects are written when the invocation ends: at its first terminal read in
API-only mode (GetCommandInvocation, ListCommandInvocations), when its machine
finished it in live mode, so a client never finds the output before the end.
"""

from __future__ import annotations

from typing import Any

PLUGIN_PATH = "awsrunShellScript/0.awsrunShellScript"
TERMINAL = ("Success", "Failed", "Cancelled", "TimedOut")


def key(prefix: str, command_id: str, instance_id: str, stream: str) -> str:
    head = prefix.strip("/")
    parts = [head] if head else []
    return "/".join([*parts, command_id, instance_id, PLUGIN_PATH, stream])


def keep(command: Any, instance_id: str, stdout: str, stderr: str) -> list[str]:
    """Uploads the invocation's whole output to the command's output bucket, once.
    Returns the keys written. Call with state.LOCK held."""
    bucket = getattr(command, "output_s3_bucket_name", "") or ""
    kept: set[str] = command.__dict__.setdefault("emu_output_kept", set())
    if not bucket or instance_id in kept:
        return []
    kept.add(instance_id)
    from moto.s3.models import s3_backends

    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        return []
    partition, account_id = owner
    backend = s3_backends[account_id][partition]
    written = []
    for stream, text in (("stdout", stdout), ("stderr", stderr)):
        if not text:
            continue
        name = key(getattr(command, "output_s3_key_prefix", "") or "", command.command_id, instance_id, stream)
        backend.put_object(bucket, name, text.encode())
        written.append(name)
    return written
