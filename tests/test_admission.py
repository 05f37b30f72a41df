"""One client address gets its share of the questions in flight; the machine itself is not bounded."""

import pytest

from rag.serve.admission import PerClient


def test_an_address_at_its_bound_is_refused_until_its_question_is_done():
    clients = PerClient(1)
    first = clients.admit("203.0.113.5")
    assert first is not None
    assert clients.admit("203.0.113.5") is None  # a second question from the same address
    other = clients.admit("198.51.100.7")  # another visitor is not affected
    assert other is not None
    first()
    first()  # released twice (a stream closed after its end) counts once
    again = clients.admit("203.0.113.5")
    assert again is not None and clients.admit("203.0.113.5") is None
    again()
    other()


def test_loopback_unknown_addresses_and_a_bound_of_zero_are_not_counted():
    clients = PerClient(1)
    assert all(clients.admit("127.0.0.1") for _ in range(5))
    assert all(clients.admit("::1") for _ in range(5))
    assert all(clients.admit(None) for _ in range(5))
    unbounded = PerClient(0)
    assert all(unbounded.admit("203.0.113.5") for _ in range(5))
    assert "RAG_MAX_QUESTIONS_PER_CLIENT" in clients.busy_message()


def test_trusted_proxies_are_addresses_or_networks():
    from rag import Settings, SettingsError

    assert Settings.from_env({"RAG_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.5,::1"}).trusted_proxies == (
        "10.0.0.0/8", "192.168.1.5", "::1")
    assert Settings.from_env({"RAG_TRUSTED_PROXIES": "*"}).trusted_proxies == ("*",)
    with pytest.raises(SettingsError, match="RAG_TRUSTED_PROXIES"):
        Settings.from_env({"RAG_TRUSTED_PROXIES": "proxy.internal"})
