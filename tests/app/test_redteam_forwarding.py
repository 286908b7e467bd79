"""Red team, client addresses on the scaled layout: the per-address limits (Checks, log-in attempts) count the
address uvicorn puts in the request, read from X-Forwarded-For. The replicas trust that header from any peer
(compose.yaml FORWARDED_ALLOW_IPS "*"), and then uvicorn takes its FIRST entry; so the shipped proxy must set the
header to the client's own address, never append to one the client sent (a client could name a new address per
request and hold every Check place)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

REPO = Path(__file__).resolve().parents[2]
CLIENT, PROXY, SPOOFED = "198.51.100.7", "172.18.0.5", "203.0.113.66"


def forwarded_for(config: str, client_header: str | None) -> str:
    """The X-Forwarded-For nginx sends upstream for a client at CLIENT that sent `client_header`, per the config."""
    values = re.findall(r"proxy_set_header\s+X-Forwarded-For\s+(\S+);", config, flags=re.IGNORECASE)
    assert values, "the proxy config sets X-Forwarded-For"
    assert len(set(values)) == 1, values
    if values[0] == "$remote_addr":
        return CLIENT
    assert values[0] == "$proxy_add_x_forwarded_for", values[0]
    return f"{client_header}, {CLIENT}" if client_header else CLIENT


def address_seen(trusted: str, header: str) -> str:
    """The client address the app reads behind uvicorn's ProxyHeadersMiddleware trusting `trusted`."""
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["client"] = scope["client"][0]

    scope = {"type": "http", "client": (PROXY, 40000), "headers": [(b"x-forwarded-for", header.encode())]}
    asyncio.run(ProxyHeadersMiddleware(app, trusted_hosts=trusted)(scope, None, None))  # type: ignore[arg-type]
    return str(seen["client"])


def compose_trust() -> str:
    found = re.search(r'FORWARDED_ALLOW_IPS:\s*"([^"]*)"', (REPO / "compose.yaml").read_text())
    assert found, "compose.yaml says which proxies the replicas trust"
    return found.group(1)


def test_a_client_cannot_choose_the_address_the_replicas_count() -> None:
    config = (REPO / "deploy" / "nginx.conf").read_text()
    for sent in (SPOOFED, f"{SPOOFED}, 10.0.0.1", None):
        assert address_seen(compose_trust(), forwarded_for(config, sent)) == CLIENT


def test_the_documented_proxy_config_forwards_the_clients_own_address() -> None:
    docs = (REPO / "docs" / "deployment.md").read_text()
    snippets = re.findall(r"```nginx\n(.*?)```", docs, flags=re.DOTALL)
    assert snippets
    for snippet in snippets:
        if "X-Forwarded-For" in snippet:
            assert address_seen("*", forwarded_for(snippet, SPOOFED)) == CLIENT
