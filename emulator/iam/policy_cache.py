"""Faster IAM backend start with MOTO_IAM_LOAD_MANAGED_POLICIES=true.

moto parses its ~1,500 AWS managed policies from JSON for every IAM backend it
creates (one per partition, again after every reset), which costs about 0.7 s per
account. The parsed data is the same every time, so parse it once and build fresh
policy objects from it: same policies, same fields, a fraction of the time.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from moto.iam import models as iam_models
from moto.iam.aws_managed_policies import aws_managed_policies_data

_cache: list[tuple[str, dict[str, Any]]] = []


def _policy_arguments() -> list[tuple[str, dict[str, Any]]]:
    if not _cache:
        for name, data in json.loads(aws_managed_policies_data).items():
            _cache.append(
                (
                    name,
                    {
                        "default_version_id": data.get("DefaultVersionId"),
                        "path": data.get("Path"),
                        "document": json.dumps(data.get("Document")),
                        "create_date": datetime.fromisoformat(data["CreateDate"]),
                        "update_date": datetime.fromisoformat(data["UpdateDate"]),
                    },
                )
            )
    return _cache


def _init_aws_policies(self: iam_models.IAMBackend) -> list[iam_models.ManagedPolicy]:
    if not iam_models.load_iam_aws_managed_policies():
        return []
    return [
        iam_models.AWSManagedPolicy(name, account_id=self.account_id, region=self.region_name, **arguments)
        for name, arguments in _policy_arguments()
    ]


def install() -> None:
    iam_models.IAMBackend._init_aws_policies = _init_aws_policies  # type: ignore[method-assign]
