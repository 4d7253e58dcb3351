"""The egress rule on its own: every range it refuses, checked by calling the rule (no
test ever sends traffic to an address outside 127.0.0.0/8 or ::1)."""

from __future__ import annotations

import ipaddress

import pytest

from bot.config import ConfigError, load_settings
from bot.net.egress import EgressRule, classify, described


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("0.1.2.3", "reserved"),
        ("192.0.2.10", "not public (a special-purpose range)"),  # documentation
        ("198.18.0.1", "not public (a special-purpose range)"),  # benchmarking
        ("::ffff:127.0.0.1", "loopback, wrapped in IPv6"),
        ("::ffff:169.254.169.254", "link-local, wrapped in IPv6"),
        ("::ffff:10.0.0.1", "private, wrapped in IPv6"),
        ("::10.0.0.1", "private, wrapped in IPv6"),  # IPv4-compatible
        ("2002:a00:1::", "private, wrapped in IPv6"),  # 6to4 of 10.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local, wrapped in IPv6"),  # NAT64 of 169.254.169.254
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private, wrapped in IPv6"),  # Teredo, 10.0.0.1
    ],
)
def test_addresses_inside_the_network_are_refused(address: str, reason: str) -> None:
    assert classify(ipaddress.ip_address(address)) == reason
    refusal = EgressRule().refusal(address, ipaddress.ip_address(address))
    assert refusal is not None and f" {described(reason)}, inside the network" in refusal
    assert "INCIDENTBOT_FETCH_ALLOW=" in refusal


@pytest.mark.parametrize(
    ("host", "address", "said"),
    [
        ("0.0.0.0", "0.0.0.0", "0.0.0.0 is the unspecified address, inside the network;"),
        ("10.1.2.3", "10.1.2.3", "10.1.2.3 is a private address, inside the network;"),
        ("192.0.2.10", "192.0.2.10", "is an address in a special-purpose range, inside"),
        (
            "db.internal",
            "::ffff:10.0.0.1",
            "db.internal resolves to a private address wrapped in IPv6, inside the network;",
        ),
        ("cache", "100.64.0.1", "cache resolves to a shared (carrier-grade NAT) address,"),
    ],
)
def test_a_refusal_reads_as_a_sentence(host: str, address: str, said: str) -> None:
    refusal = EgressRule().refusal(host, ipaddress.ip_address(address))
    assert refusal is not None and said in refusal, refusal
    assert " a unspecified" not in refusal and " a not public" not in refusal


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "151.101.1.69", "2606:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str) -> None:
    assert classify(ipaddress.ip_address(address)) is None
    assert EgressRule().refusal("data.example.com", ipaddress.ip_address(address)) is None


def test_a_team_allows_its_own_ranges_and_hosts() -> None:
    rule = EgressRule.parse("10.20.0.0/16, datalake.internal, .corp.example, fd00::/8")
    lake = ipaddress.ip_address("10.20.3.4")
    assert rule.refusal("10.20.3.4", lake) is None
    assert rule.refusal("10.21.0.1", ipaddress.ip_address("10.21.0.1")) is not None
    assert rule.refusal("datalake.internal", ipaddress.ip_address("10.9.9.9")) is None
    assert rule.refusal("s3.corp.example", ipaddress.ip_address("192.168.0.5")) is None
    assert rule.refusal("corp.example.evil.com", ipaddress.ip_address("192.168.0.5")) is not None
    assert rule.refusal("x", ipaddress.ip_address("fd00::5")) is None
    # A name's address is not shown (refusals must not map the internal DNS).
    said = EgressRule().refusal("db.internal", ipaddress.ip_address("10.1.1.1"))
    assert said is not None and "10.1.1.1" not in said and "ALLOW=db.internal" in said


def test_a_bad_allow_list_stops_the_bot_at_start_up() -> None:
    with pytest.raises(ConfigError, match="neither a CIDR"):
        load_settings({"INCIDENTBOT_FETCH_ALLOW": "10.0.0.0/8, not a host!"})
    for name, value in (
        ("INCIDENTBOT_DRIFT_MAX_BYTES", "lots"),
        ("INCIDENTBOT_DRIFT_MAX_MEMORY", "0"),
        ("INCIDENTBOT_DRIFT_MAX_COLUMNS", "-3"),
        ("INCIDENTBOT_FETCH_TIMEOUT", "1m"),
        ("INCIDENTBOT_DRIFT_QUEUE", "x"),
    ):
        with pytest.raises(ConfigError, match=name):
            load_settings({name: value})
    limits = load_settings(
        {"INCIDENTBOT_DRIFT_MAX_BYTES": "500MB", "INCIDENTBOT_DRIFT_MAX_MEMORY": "2GB"}
    ).drift_limits
    assert (limits.max_bytes, limits.max_memory) == (500 * 1024**2, 2 * 1024**3)


@pytest.mark.parametrize(
    "url", ["http://0177.0.0.1:9/data.csv", "http://127.000.000.001:9/", "http://[::1/x.csv"]
)
def test_an_address_the_rule_cannot_read_is_refused_with_a_reason(url: str) -> None:
    """httpx refuses to parse these (an IPv4 in octal, zero-padded, a broken IPv6): that is
    a refusal that says why, not a failure of the analysis. No connection is tried."""
    from bot.net import egress

    with (
        pytest.raises(egress.EgressRefused, match="its address cannot be read"),
        egress.get(url, EgressRule.parse(None), 1.0),
    ):
        pass
