"""Where a webhook POST may connect: never to a link-local address unless allowed.

The URL's host is checked when the settings are read (salessheet.core.linklocal); a host *name*
can only be judged when it is resolved, and a name may resolve to one address when checked and
to another a moment later (DNS rebinding). So the connection itself resolves the name once,
refuses if any answer is link-local, and connects to the addresses it checked - never to a
second lookup. ``resolver`` has the signature of ``socket.getaddrinfo`` (the default).

Through an HTTP(S) proxy (``HTTPS_PROXY``) the proxy's own address is what is checked and
connected to; the proxy resolves the webhook's host.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from salessheet.core.linklocal import check_webhook_url, is_link_local, link_local_problem

Resolver = Callable[..., Sequence[tuple[Any, ...]]]


class LinkLocalRefused(OSError):
    """The webhook's host resolved to a link-local address and that is not allowed."""


def option_problems(targets: Sequence[Any], allow_link_local: bool) -> list[str]:
    """Problems of ``--webhook`` targets (WebhookTarget) whose URL has a link-local host."""
    problems = []
    for target in targets:
        problem = check_webhook_url(target.url, allow_link_local) if target.url else None
        if problem:
            problems.append(f"command line: --webhook: {problem}")
    return problems


def _connector(allow_link_local: bool, resolver: Resolver) -> Callable[..., socket.socket]:
    """A replacement for ``socket.create_connection`` that checks what it connects to."""

    def connect(
        address: tuple[str, int], timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        host, port = address
        answers = list(resolver(host, port, 0, socket.SOCK_STREAM))
        if not allow_link_local:
            for *_, sockaddr in answers:
                if is_link_local(str(sockaddr[0])):
                    raise LinkLocalRefused(link_local_problem(host, sockaddr[0]))
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in answers:
            sock = socket.socket(family, kind, proto)
            try:
                if isinstance(timeout, (int, float)):
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                error = exc
                sock.close()
        raise error or OSError(f"{host}: the name resolved to no address")

    return connect


def _pinned(
    base: type[http.client.HTTPConnection], connect: Callable[..., socket.socket]
) -> type[http.client.HTTPConnection]:
    class Pinned(base):  # type: ignore[misc, valid-type]  # a class made for each base
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = connect  # http.client's hook for opening the socket

    return Pinned


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, connect: Callable[..., socket.socket]) -> None:
        super().__init__()
        self._conn_class = _pinned(http.client.HTTPConnection, connect)

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(self._conn_class, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(
        self, connect: Callable[..., socket.socket], context: ssl.SSLContext | None = None
    ) -> None:
        super().__init__(context=context)
        self._tls_context = context  # None: the default context (the system's trust store)
        self._conn_class = _pinned(http.client.HTTPSConnection, connect)

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(self._conn_class, req, context=self._tls_context)


def opener(
    *, allow_link_local: bool = False, resolver: Resolver = socket.getaddrinfo
) -> urllib.request.OpenerDirector:
    """A urllib opener whose connections go only where the guard allows."""
    connect = _connector(allow_link_local, resolver)
    return urllib.request.build_opener(_HTTPHandler(connect), _HTTPSHandler(connect))
