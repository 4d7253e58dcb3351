"""The egress rule: what a URL supplied by a user or an alert may reach.

The bot runs inside a company network, next to databases and cloud metadata
services. Anyone who can type ``/incident``, and any alert sender, can hand it
a URL. So every fetch they steer goes through :func:`client`, which:

- resolves the host itself and refuses loopback, private (RFC 1918, unique
  local), link-local, shared (CGNAT), multicast, reserved, unspecified and
  other non-global addresses, including IPv4 addresses wrapped in IPv6
  (``::ffff:127.0.0.1``, 6to4, Teredo, NAT64);
- connects to the very address it checked (there is no second lookup, so a
  DNS answer that changes between check and use changes nothing);
- never follows a redirect on its own: :func:`get` follows at most
  ``MAX_REDIRECTS``, and every hop passes the same check;
- holds one deadline for the whole fetch, lookups and slow reads included.

``INCIDENTBOT_FETCH_ALLOW`` (CIDRs and host names) lets a team reach its own
data lake. Addresses an operator configures (the Slack API, integrations) are
trusted configuration and do not come through here.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import time
import typing
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

MAX_REDIRECTS = 5
ALLOW_SETTING = "INCIDENTBOT_FETCH_ALLOW"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Ranges named in refusals, most specific first. Anything else that is not globally
# routable (documentation, benchmarking, protocol assignments) is "not public".
_NAMED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("unspecified", ("0.0.0.0/32", "::/128")),
    ("loopback", ("127.0.0.0/8", "::1/128")),
    ("link-local", ("169.254.0.0/16", "fe80::/10")),
    ("private", ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")),
    ("shared (carrier-grade NAT)", ("100.64.0.0/10",)),
    ("multicast", ("224.0.0.0/4", "ff00::/8")),
    ("reserved", ("0.0.0.0/8", "240.0.0.0/4", "255.255.255.255/32")),
)
_RANGES = [(name, ipaddress.ip_network(cidr)) for name, cidrs in _NAMED for cidr in cidrs]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class EgressRefused(Exception):
    """The rule refused an address; the message names the rule and how to allow it."""


class FetchDeadline(Exception):
    """The whole fetch ran out of time (lookups, connecting and reading together)."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries, for the forms that route to it."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (int(address) >> 32 == 0 and int(address) > 1):
        # NAT64's well-known prefix, and the deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def classify(address: IPAddress) -> str | None:
    """Why ``address`` is not a public one, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            reason = classify(inner)
            return f"{reason}, wrapped in IPv6" if reason else None
    for name, network in _RANGES:
        if address.version == network.version and address in network:
            return name
    if not address.is_global:
        return "not public (a special-purpose range)"
    return None


_PHRASES = {
    "unspecified": "the unspecified address",
    "not public (a special-purpose range)": "an address in a special-purpose range",
}
_WRAPPED = ", wrapped in IPv6"


def described(reason: str) -> str:
    """A reason from classify() as a phrase with its own article: ``a private address``,
    ``the unspecified address``, ``a loopback address wrapped in IPv6``."""
    if reason.endswith(_WRAPPED):
        return described(reason.removesuffix(_WRAPPED)) + " wrapped in IPv6"
    return _PHRASES.get(reason) or f"a {reason} address"


@dataclass(frozen=True)
class EgressRule:
    """Which non-public destinations a team has allowed; public ones always pass."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: tuple[str, ...] = ()  # exact names, or ".example.com" for its subdomains

    @classmethod
    def parse(cls, text: str | None) -> EgressRule:
        """``10.20.0.0/16,datalake.internal,.corp.example`` -> a rule; ValueError names
        the entry that is neither."""
        networks: list[IPNetwork] = []
        hosts: list[str] = []
        for entry in filter(None, (p.strip() for p in (text or "").split(","))):
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            name = entry.lower().rstrip(".")
            label = name.removeprefix("*.").removeprefix(".")
            if not label or not all(
                part and len(part) <= 63 and part.replace("-", "").isalnum()
                for part in label.split(".")
            ):
                raise ValueError(entry)
            hosts.append("." + label if name.startswith(("*.", ".")) else label)
        return cls(tuple(networks), tuple(hosts))

    def allows_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(
            host == allowed or (allowed.startswith(".") and host.endswith(allowed))
            for allowed in self.hosts
        )

    def refusal(self, host: str, address: IPAddress) -> str | None:
        """None when ``host`` may be reached at ``address``; else the sentence why not."""
        reason = classify(address)
        if reason is None or self.allows_host(host):
            return None
        if any(address.version == n.version and address in n for n in self.networks):
            return None
        # A name's address is not shown: refusals must not map the internal DNS.
        literal = host.strip("[]") == str(address)
        what = f"{host} is" if literal else f"{host} resolves to"
        allow = f"{address}/{address.max_prefixlen}" if literal else host
        return (
            f"{what} {described(reason)}, inside the network; the bot does not fetch from "
            f"there. An operator can allow it with {ALLOW_SETTING}={allow}."
        )


class Deadline:
    """One clock for a whole fetch."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0:
            raise FetchDeadline(f"it took longer than {self.seconds:g} s in all")
        return left

    def bound(self, timeout: float | None) -> float:
        left = self.remaining()
        return left if timeout is None else min(timeout, left)


_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="resolve")


def _resolve(host: str, port: int, deadline: Deadline) -> list[IPAddress]:
    """getaddrinfo has no timeout of its own; wait for it no longer than the deadline."""
    future = _resolver.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=deadline.remaining())
    except FutureTimeout:
        raise FetchDeadline(f"looking up {host} took longer than the deadline") from None
    except socket.gaierror:
        raise httpcore.ConnectError(f"{host} could not be resolved") from None
    seen: dict[IPAddress, None] = {}
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone
        seen[ipaddress.ip_address(text)] = None
    return list(seen)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every wait ends by the fetch's deadline, however slowly bytes come."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner, self._deadline = inner, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.bound(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.bound(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: typing.Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        upgraded = self._inner.start_tls(
            ssl_context, server_hostname, self._deadline.bound(timeout)
        )
        return _DeadlineStream(upgraded, self._deadline)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _CheckedBackend(httpcore.NetworkBackend):
    """Resolves, checks every address against the rule, connects to one it passed."""

    def __init__(self, rule: EgressRule, deadline: Deadline) -> None:
        self._rule, self._deadline = rule, deadline
        self._sync = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = _resolve(host, port, self._deadline)
        refusals = [self._rule.refusal(host, a) for a in addresses]
        allowed = [a for a, no in zip(addresses, refusals, strict=True) if no is None]
        if not allowed:
            raise EgressRefused(next(r for r in refusals if r) if refusals else host)
        last: Exception | None = None
        for address in allowed:  # the checked address itself: no second lookup
            try:
                stream = self._sync.connect_tcp(
                    str(address),
                    port,
                    timeout=self._deadline.bound(timeout),
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        assert last is not None
        raise last

    def connect_unix_socket(self, *args: typing.Any, **kwargs: typing.Any) -> typing.NoReturn:
        raise EgressRefused("Unix sockets are never reached from a supplied URL.")

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, self._deadline.remaining()))


class _CheckedTransport(httpx.HTTPTransport):
    def __init__(self, rule: EgressRule, deadline: Deadline) -> None:
        super().__init__(trust_env=False)  # proxies from the environment would bypass the rule
        # httpx builds its pool without a way to pass a network backend; swap in ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=_CheckedBackend(rule, deadline),
            max_connections=2,
        )


@contextlib.contextmanager
def get(url: str, rule: EgressRule, seconds: float) -> Iterator[httpx.Response]:
    """``GET url`` under the rule and one deadline; the answer is streamed (not yet read).

    Redirects are followed here, at most ``MAX_REDIRECTS`` and only to http(s), each hop
    checked like the first. Raises :class:`EgressRefused`, :class:`FetchDeadline`, or
    ``httpx.HTTPError`` for the network's own failures.
    """
    deadline = Deadline(seconds)
    timeout = httpx.Timeout(seconds, connect=min(seconds, 10.0))
    with httpx.Client(
        transport=_CheckedTransport(rule, deadline),
        trust_env=False,
        follow_redirects=False,
        timeout=timeout,
    ) as client:
        for _ in range(MAX_REDIRECTS + 1):
            # Encoded answers would arrive as their raw bytes; ask for the data as it is.
            try:
                request = client.build_request("GET", url, headers={"Accept-Encoding": "identity"})
            except httpx.InvalidURL as unreadable:  # e.g. 0177.0.0.1, an IPv4 in octal
                raise EgressRefused(f"its address cannot be read ({unreadable}).") from None
            answer = client.send(request, stream=True)
            location = answer.headers.get("location")
            if answer.is_redirect and location:
                answer.close()
                url = urljoin(str(request.url), location)
                if urlsplit(url).scheme not in ("http", "https"):
                    raise EgressRefused("it redirects to an address that is not http(s).")
                continue
            try:
                yield answer
            finally:
                answer.close()
            return
        raise EgressRefused(f"it redirects more than {MAX_REDIRECTS} times.")
