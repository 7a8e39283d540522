"""Webhook URLs that point at link-local addresses: refused unless allowed.

169.254.0.0/16 and fe80::/10 are where cloud metadata services answer (169.254.169.254 hands
out the machine's credentials on AWS, GCP, Azure, Alibaba Cloud, Tencent Cloud...). A webhook
URL is often pasted from a chat or kept in a variable many people can set; posting a digest
there, from a machine in the cloud, is a server-side request forgery. Loopback (127.0.0.0/8,
::1) stays allowed: local relays and tests use it.

Pure functions, no network: ``check_webhook_url`` looks at the URL's host as written (dotted,
bracketed IPv6, and the legacy IPv4 forms ``2852039166``, ``0xa9fea9fe``, ``169.254.43518``
that resolvers accept). Names are resolved at send time (salessheet.notify.addresses), where
the address connected to is the one checked.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOW_KEY = "allow_link_local"  # notifications.allow_link_local: true
ALLOW_FLAG = "--allow-link-local-webhooks"
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LEGACY_IPV4 = re.compile(r"[0-9a-fx.]+", re.IGNORECASE)


def literal_address(host: str) -> IPAddress | None:
    """The IP address ``host`` spells, if it is one (no DNS)."""
    text = unquote(host).strip().strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def is_link_local(address: IPAddress | str) -> bool:
    """169.254.0.0/16 or fe80::/10, also written as an IPv4-mapped, -compatible or NAT64
    IPv6 address (``::ffff:169.254.169.254``)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0]) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped
        if embedded is None and (int(ip) >> 32 == 0 or ip in _NAT64):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and embedded.is_link_local:
            return True
    return ip.is_link_local


def link_local_problem(host: str, address: IPAddress | str) -> str:
    shown = f"{host} ({address})" if str(address) != host else host
    return (
        f"{shown} is a link-local address (169.254.0.0/16, fe80::/10), where cloud metadata "
        f"services answer; a webhook there is refused unless notifications.{ALLOW_KEY}: true "
        f"or {ALLOW_FLAG} says it is meant"
    )


def check_webhook_url(url: str, allow_link_local: bool = False) -> str | None:
    """What is wrong with posting to ``url`` (its host a link-local address), or None.

    Only the host is named in the text: the rest of a webhook URL is a secret."""
    if allow_link_local:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:  # a malformed [IPv6] host: the URL check reports it
        return None
    if not host:
        return None
    address = literal_address(host)
    if address is not None and is_link_local(address):
        return link_local_problem(host, address)
    return None


def webhook_url_problems(raw: Any, where: str) -> list[str]:
    """Problems of the ``notifications:`` mapping ``raw`` (as read from the profile): each
    ``webhooks[i].url`` on a link-local address, unless ``allow_link_local: true``."""
    if not isinstance(raw, Mapping) or raw.get(ALLOW_KEY) is True:
        return []
    hooks = raw.get("webhooks")
    if not isinstance(hooks, list):
        return []
    problems = []
    for i, item in enumerate(hooks):
        url = item.get("url") if isinstance(item, Mapping) else None
        problem = check_webhook_url(url) if isinstance(url, str) else None
        if problem:
            problems.append(f"{where}: notifications.webhooks[{i}].url: {problem}")
    return problems
