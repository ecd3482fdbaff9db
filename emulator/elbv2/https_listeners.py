"""HTTPS listeners need a certificate that exists; HTTP listeners have no security policy.

AWS (Elastic Load Balancing API reference, CreateListener: `Certificates` — "[HTTPS and
TLS listeners] The default certificate for the listener. You must provide exactly one
certificate"; errors `CertificateNotFound` — "The specified certificate does not exist";
`SslPolicy` — "[HTTPS and TLS listeners] The security policy"):

* CreateListener with Protocol HTTPS and no certificate is refused
  (`InvalidConfigurationRequest`, the message ModifyListener gives for the same mistake);
* a certificate ARN that is neither an ACM certificate nor an IAM server certificate of
  the account is refused with `CertificateNotFound` (moto checked ACM ARNs only on create,
  and took any IAM ARN);
* an HTTP listener reports no `SslPolicy` (moto gave every listener
  `ELBSecurityPolicy-2016-08`, which DescribeListeners on AWS shows only for HTTPS and
  TLS listeners).
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend

_installed = False
# The policy CreateListener gives an HTTPS listener when none is named (moto's default).
DEFAULT_POLICY = "ELBSecurityPolicy-2016-08"


def _check(backend: ELBv2Backend, protocol: str | None, certificate: str | None) -> None:
    if protocol == "HTTPS" and not certificate:
        raise ELBClientError(
            "InvalidConfigurationRequest",
            "You must provide a list containing exactly one certificate if the listener protocol is HTTPS.",
        )
    if certificate and not backend._certificate_exists(certificate_arn=certificate):
        raise ELBClientError("CertificateNotFound", f"Certificate '{certificate}' not found")


def install() -> None:
    """Wrap moto's CreateListener and ModifyListener (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    original_create = ELBv2Backend.create_listener
    original_modify = ELBv2Backend.modify_listener

    def create_listener(self: ELBv2Backend, *args: Any, **kwargs: Any) -> Any:
        protocol = kwargs.get("protocol")
        _check(self, protocol, kwargs.get("certificate"))
        listener = original_create(self, *args, **kwargs)
        if protocol not in ("HTTPS", "TLS"):
            listener.ssl_policy = None
        return listener

    def modify_listener(self: ELBv2Backend, *args: Any, **kwargs: Any) -> Any:
        listener = original_modify(self, *args, **kwargs)
        if listener.protocol in ("HTTPS", "TLS") and not listener.ssl_policy:
            # Became HTTPS without a policy named: the default CreateListener gives.
            listener.ssl_policy = DEFAULT_POLICY
        if listener.protocol not in ("HTTPS", "TLS"):
            listener.ssl_policy = None
            listener.certificate = None
            listener.certificates = []
        return listener

    create_listener.__wrapped__ = original_create  # type: ignore[attr-defined]
    modify_listener.__wrapped__ = original_modify  # type: ignore[attr-defined]
    ELBv2Backend.create_listener = create_listener  # type: ignore[method-assign]
    ELBv2Backend.modify_listener = modify_listener  # type: ignore[method-assign]
