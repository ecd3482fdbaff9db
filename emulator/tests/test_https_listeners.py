"""HTTPS listeners need a certificate that exists; HTTP ones have no policy (elbv2/https_listeners.py)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from emulator.tests.aws_stack import two_subnets

FIXED = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain"}}]


def _self_signed() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    body = cert.public_bytes(serialization.Encoding.PEM).decode()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return body, private


def _server_certificate(iam: Any) -> str:
    body, key = _self_signed()
    return iam.upload_server_certificate(
        ServerCertificateName="example", CertificateBody=body, PrivateKey=key
    )["ServerCertificateMetadata"]["Arn"]


def _load_balancer(emu: Any) -> tuple[Any, str]:
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = [s["SubnetId"] for s in two_subnets(ec2)]
    arn = elbv2.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    return elbv2, arn


def _code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_an_https_listener_without_a_certificate_is_refused(emu):
    elbv2, lb = _load_balancer(emu)
    with pytest.raises(ClientError) as excinfo:
        elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=443, DefaultActions=FIXED)
    assert _code(excinfo) == "InvalidConfigurationRequest"
    assert elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"] == []


def test_a_certificate_that_does_not_exist_is_refused(emu):
    elbv2, lb = _load_balancer(emu)
    missing = "arn:aws:iam::123456789012:server-certificate/nowhere"
    with pytest.raises(ClientError) as excinfo:
        elbv2.create_listener(
            LoadBalancerArn=lb,
            Protocol="HTTPS",
            Port=443,
            Certificates=[{"CertificateArn": missing}],
            DefaultActions=FIXED,
        )
    assert _code(excinfo) == "CertificateNotFound"


def test_an_https_listener_with_a_server_certificate_has_it_and_a_policy(emu):
    elbv2, lb = _load_balancer(emu)
    certificate = _server_certificate(emu.client("iam"))
    elbv2.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": certificate}],
        DefaultActions=FIXED,
    )
    [listener] = elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"]
    assert listener["Certificates"][0]["CertificateArn"] == certificate
    assert listener["SslPolicy"] == "ELBSecurityPolicy-2016-08"


def test_an_http_listener_has_no_policy_also_after_leaving_https(emu):
    elbv2, lb = _load_balancer(emu)
    plain = elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=FIXED)["Listeners"][0]
    assert "SslPolicy" not in plain
    [listener] = elbv2.describe_listeners(ListenerArns=[plain["ListenerArn"]])["Listeners"]
    assert "SslPolicy" not in listener

    certificate = _server_certificate(emu.client("iam"))
    secured = elbv2.modify_listener(
        ListenerArn=plain["ListenerArn"], Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": certificate}]
    )["Listeners"][0]
    assert secured["SslPolicy"] == "ELBSecurityPolicy-2016-08"
    back = elbv2.modify_listener(ListenerArn=plain["ListenerArn"], Protocol="HTTP", Port=80)["Listeners"][0]
    assert "SslPolicy" not in back and not back.get("Certificates")
