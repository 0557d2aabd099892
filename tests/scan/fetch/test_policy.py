"""The fetcher's URL and address policy, over tables of addresses and URLs."""

from __future__ import annotations

import ipaddress

import pytest

from soundproof.errors import FetchError
from soundproof.scan.fetch.policy import (
    AddressPolicy,
    address_problem,
    check_url,
    parse_networks,
)

REFUSED = [
    ("10.0.0.1", "private"),
    ("10.255.255.254", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.1", "private"),
    ("192.168.1.10", "private"),
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("169.254.169.254", "link-local"),  # the cloud metadata service
    ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("100.64.0.1", "not publicly routable"),  # carrier-grade NAT
    ("192.0.2.1", "private"),  # documentation range
    ("240.0.0.1", "private"),  # reserved for future use
    ("255.255.255.255", "private"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("ff02::1", "multicast"),
    ("2001:db8::1", "private"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.1.2.3", "private"),
    ("::ffff:169.254.169.254", "link-local"),
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
    ("2002:c0a8:0101::1", "private"),  # 6to4 of 192.168.1.1
]

ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "172.32.0.1",  # just outside 172.16.0.0/12
    "2001:4860:4860::8888",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
]


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    problem = address_problem(ipaddress.ip_address(address))
    assert problem is not None and kind in problem
    with pytest.raises(FetchError, match="refused") as caught:
        AddressPolicy().check(address, [ipaddress.ip_address(address)])
    assert "--allow-private-urls" in str(caught.value)


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None
    AddressPolicy().check(address, [ipaddress.ip_address(address)])


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_allow_private_lifts_the_check(address: str, kind: str) -> None:
    assert AddressPolicy(allow_private=True).problem(ipaddress.ip_address(address)) is None


def test_allowed_networks_lift_the_check_only_for_themselves() -> None:
    policy = AddressPolicy(allowed_networks=parse_networks(["10.20.0.0/16", "fd00::1"]))
    assert policy.problem(ipaddress.ip_address("10.20.3.4")) is None
    assert policy.problem(ipaddress.ip_address("fd00::1")) is None
    assert policy.problem(ipaddress.ip_address("10.21.0.1")) == "a private address"
    assert policy.problem(ipaddress.ip_address("127.0.0.1")) == "a loopback address"


def test_a_host_is_refused_if_any_of_its_addresses_is() -> None:
    addresses = [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("10.0.0.5")]
    with pytest.raises(FetchError, match=r"cdn\.example resolves to 10\.0\.0\.5, a private"):
        AddressPolicy().check("cdn.example", addresses)


def test_unparsable_network_is_reported() -> None:
    with pytest.raises(FetchError, match="not a network address block"):
        parse_networks(["10.0.0.0/33"])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///etc/passwd", "not 'file:'"),
        ("ftp://example.org/a.mp3", "not 'ftp:'"),
        ("gopher://example.org/", "not 'gopher:'"),
        ("data:audio/wav;base64,UklGRg==", "not 'data:'"),
        ("javascript:alert(1)", "not 'javascript:'"),
        ("example.org/a.mp3", "without a scheme"),
        ("http:///no-host", "no host"),
    ],
)
def test_only_http_and_https_urls_are_accepted(url: str, expected: str) -> None:
    with pytest.raises(FetchError, match=r"only http and https|no host|not a valid") as caught:
        check_url(url)
    assert expected in str(caught.value)


@pytest.mark.parametrize("url", ["http://example.org/a.mp3", "HTTPS://Example.org:8443/x?y=1"])
def test_http_and_https_urls_pass(url: str) -> None:
    assert check_url(url).scheme in ("http", "https")
