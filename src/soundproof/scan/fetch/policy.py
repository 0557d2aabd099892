"""Which URLs and which network addresses the fetcher may reach (DESIGN.md, Security defaults).

Two checks, both pure functions so that they are easy to test over a table:

* :func:`check_url`: only ``http`` and ``https`` URLs with a host are downloaded. A
  ``file://`` URL would read a local file through the back door, and the other schemes
  (``ftp:``, ``gopher:``, ``data:``...) are not audio sources worth the attack surface.
* :class:`AddressPolicy`: a playlist is untrusted input, so a URL in it must not make a
  scanner inside a company network probe that network (server-side request forgery):
  private, loopback, link-local, multicast, unspecified, reserved and other
  not-publicly-routable addresses are refused unless the operator allows them. IPv6
  addresses that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, NAT64
  ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo) are judged by the IPv4 address inside,
  since that is where the packets end up.

The policy judges *addresses*, never host names: the network layer
(:mod:`soundproof.scan.fetch.network`) resolves each host itself, checks every address
it resolves to, and connects only to a checked one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from soundproof.errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")

ALLOW_HINT = "--allow-private-urls or SOUNDPROOF_FETCH_ALLOW_PRIVATE=1 allows them"
"""How a refusal tells the user to lift it: the CLI flag, or the setting for the API."""

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def check_url(url: str) -> httpx.URL:
    """Parse ``url`` and refuse anything but an http(s) URL with a host.

    Returns the parsed URL. Raises :class:`~soundproof.errors.FetchError` with a message
    for the user (the row's ``error``).
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(f"not a valid URL: {exc}") from None
    scheme = parsed.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = f"'{scheme}:'" if scheme else "a URL without a scheme"
        raise FetchError(f"only http and https URLs are downloaded, not {shown}")
    if not parsed.host:
        raise FetchError("malformed URL (no host)")
    return parsed


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4, Teredo), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # (server, client): packets go to the client
    return None


def address_problem(address: IPAddress) -> str | None:
    """Why ``address`` is not a public unicast target (a few words), or None if it is.

    The words name the kind of address ("a loopback address") for the error row.
    """
    inner = embedded_ipv4(address)
    if inner is not None:
        problem = address_problem(inner)
        return None if problem is None else f"{problem} (embedded in {address})"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "an address that is not publicly routable"
    return None


def parse_networks(specs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Parse CIDR blocks (``10.20.0.0/16``, ``fd00::/8``, or single addresses).

    Raises :class:`~soundproof.errors.FetchError` naming a block that does not parse.
    """
    networks: list[IPNetwork] = []
    for spec in specs:
        try:
            networks.append(ipaddress.ip_network(spec.strip(), strict=False))
        except ValueError:
            raise FetchError(f"not a network address block: {spec!r}") from None
    return tuple(networks)


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which resolved addresses the fetcher may connect to.

    ``allow_private`` lifts the address check altogether (the operator's explicit choice,
    for a lab or a trusted internal media server); ``allowed_networks`` lifts it only
    for the listed blocks (e.g. one internal CDN) and keeps it for everything else.
    """

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def problem(self, address: IPAddress) -> str | None:
        """Why a connection to ``address`` is refused, or None if it is allowed."""
        if self.allow_private:
            return None
        if any(address.version == net.version and address in net for net in self.allowed_networks):
            return None
        return address_problem(address)

    def check(self, host: str, addresses: Iterable[IPAddress]) -> None:
        """Refuse ``host`` if *any* of its addresses is refused.

        Checking every address (not just the first) matters: a host that resolves to a
        public and a private address would otherwise reach the private one whenever the
        connection falls back to it.
        """
        for address in addresses:
            problem = self.problem(address)
            if problem is not None:
                what = (
                    f"{address} is {problem}"
                    if host.strip("[]") == str(address)
                    else f"{host} resolves to {address}, {problem}"
                )
                raise FetchError(
                    f"refused: {what}; private, loopback and other non-public "
                    f"addresses are not fetched ({ALLOW_HINT})"
                )


__all__ = [
    "ALLOWED_SCHEMES",
    "ALLOW_HINT",
    "AddressPolicy",
    "IPAddress",
    "IPNetwork",
    "address_problem",
    "check_url",
    "embedded_ipv4",
    "parse_networks",
]
