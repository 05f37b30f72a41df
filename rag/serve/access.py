"""Who may change what a shared app serves, and which model servers a visitor may point it at.

Reading (asking questions) is open. A change that other users would see (uploads, removals, rebuilds,
the backend or model server, running the eval) needs the admin key once one is set; with no key it is
allowed only while the app listens on loopback, where every visitor is the machine's own user.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from urllib.parse import urlparse

from ..errors import NotAllowed, SettingsError
from ..settings import Settings

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def admin_key(settings: Settings) -> str | None:
    """The key that protects changes: RAG_ADMIN_KEY, else RAG_SERVER_API_KEY."""
    return settings.admin_key or settings.server_api_key


def check_change(settings: Settings, given_key: str | None, listening_on: str) -> None:
    """Raise NotAllowed unless a change may be made with ``given_key`` by an app listening on ``listening_on``."""
    key = admin_key(settings)
    if key:
        if not (given_key and secrets.compare_digest(given_key.encode(), key.encode())):
            raise NotAllowed("this change needs the admin key (RAG_ADMIN_KEY, or RAG_SERVER_API_KEY): "
                             "enter it in the 'Admin key' field")
    elif listening_on not in LOOPBACK_HOSTS:
        raise NotAllowed(f"the app listens on {listening_on} without an admin key, so nobody may change the "
                         "corpus or the model server: set RAG_ADMIN_KEY to allow it")


def check_model_url(url: str, allow_private: bool) -> None:
    """Refuse a model-server URL that is not http(s), or (unless ``allow_private``) that resolves to a
    loopback, private, link-local or reserved address: the server would send requests there for a visitor."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise SettingsError(f"the model server URL must be http:// or https:// with a host, not {url!r}")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise SettingsError(f"the model server host {parsed.hostname!r} does not resolve ({exc})") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise SettingsError(
                f"the model server {parsed.hostname!r} is at a non-public address ({address}); "
                "set RAG_ALLOW_PRIVATE_MODEL_URLS=true to allow local and private model servers")
