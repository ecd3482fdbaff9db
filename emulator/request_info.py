"""Which AWS service and operation an incoming request is for.

* service: the signing name in the SigV4 credential scope
  (`Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ec2/aws4_request, ...`,
  or the `X-Amz-Credential` query parameter of a presigned URL);
* action: `Action=` of the form body or query string for the query protocols
  (EC2, Auto Scaling, ELBv2, IAM, STS), the part after the dot of `X-Amz-Target`
  for the JSON protocols (SSM), and the method plus path for S3 (REST-XML).

Reading a form body consumes `wsgi.input`; it is put back so moto sees it unchanged.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

QUERY_PROTOCOL = {"ec2", "autoscaling", "elasticloadbalancing", "iam", "sts"}
JSON_PROTOCOL = {"ssm"}


@dataclass
class RequestInfo:
    service: str | None
    action: str | None
    region: str | None
    method: str

    @property
    def key(self) -> str:
        return f"{self.service or 'unknown'}:{self.action or 'Unknown'}"


def _credential_scope(environ: dict[str, Any]) -> list[str] | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    credential = None
    if "Credential=" in auth:
        credential = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
    else:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if "X-Amz-Credential" in query:
            credential = query["X-Amz-Credential"][0]
    if not credential:
        return None
    parts = credential.split("/")
    # AKID / date / region / service / aws4_request
    return parts if len(parts) >= 5 else None


def read_form_body(environ: dict[str, Any]) -> dict[str, list[str]]:
    """Parse an x-www-form-urlencoded body and restore wsgi.input."""
    content_type = environ.get("CONTENT_TYPE", "") or ""
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return {}
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return {}
    if length <= 0:
        return {}
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return parse_qs(body.decode("utf-8", errors="replace"))


_S3_BUCKET_SUBRESOURCES = {
    "tagging": "BucketTagging",
    "versioning": "BucketVersioning",
    "policy": "BucketPolicy",
    "acl": "BucketAcl",
    "encryption": "BucketEncryption",
    "lifecycle": "BucketLifecycleConfiguration",
    "location": "BucketLocation",
    "cors": "BucketCors",
    "website": "BucketWebsite",
    "publicAccessBlock": "PublicAccessBlock",
    "ownershipControls": "BucketOwnershipControls",
}
_S3_OBJECT_SUBRESOURCES = {"tagging": "ObjectTagging", "acl": "ObjectAcl"}
_VERB = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}


def s3_action(method: str, path: str, query: dict[str, list[str]], environ: dict[str, Any]) -> str:
    """Name the S3 operation of a path-style request."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "ListBuckets"
    if len(parts) == 1:  # bucket level
        if method == "POST" and "delete" in query:
            return "DeleteObjects"
        for sub, name in _S3_BUCKET_SUBRESOURCES.items():
            if sub in query and method in _VERB:
                return _VERB[method] + name
        if "uploads" in query:
            return "ListMultipartUploads"
        if "versions" in query:
            return "ListObjectVersions"
        return {
            "PUT": "CreateBucket",
            "DELETE": "DeleteBucket",
            "HEAD": "HeadBucket",
            "GET": "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects",
        }.get(method, "Unknown")
    # object level
    for sub, name in _S3_OBJECT_SUBRESOURCES.items():
        if sub in query and method in _VERB:
            return _VERB[method] + name
    if method == "POST" and "uploads" in query:
        return "CreateMultipartUpload"
    if method == "POST" and "uploadId" in query:
        return "CompleteMultipartUpload"
    if method == "PUT" and "uploadId" in query:
        return "UploadPart"
    if method == "DELETE" and "uploadId" in query:
        return "AbortMultipartUpload"
    if method == "PUT" and environ.get("HTTP_X_AMZ_COPY_SOURCE"):
        return "CopyObject"
    return {
        "PUT": "PutObject",
        "GET": "GetObject",
        "HEAD": "HeadObject",
        "DELETE": "DeleteObject",
    }.get(method, "Unknown")


def identify(environ: dict[str, Any]) -> RequestInfo:
    method = environ.get("REQUEST_METHOD", "GET").upper()
    scope = _credential_scope(environ)
    service = scope[3].lower() if scope else None
    region = scope[2] if scope else None
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    action = None

    target = environ.get("HTTP_X_AMZ_TARGET")
    if target and "." in target:
        action = target.split(".", 1)[1]
        if service is None and target.startswith("AmazonSSM."):
            service = "ssm"
    elif service == "s3":
        action = s3_action(method, environ.get("PATH_INFO", "/"), query, environ)
    else:
        if "Action" in query:
            action = query["Action"][0]
        else:
            form = read_form_body(environ)
            if "Action" in form:
                action = form["Action"][0]
    return RequestInfo(service=service, action=action, region=region, method=method)
