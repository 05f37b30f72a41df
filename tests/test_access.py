"""Who may change what a shared app serves (rag/serve/access.py)."""

import pytest

from rag.serve.access import check_change, check_model_url
from rag.errors import NotAllowed, SettingsError
from rag.settings import Settings


def test_without_a_key_changes_are_allowed_on_loopback_only():
    open_settings = Settings()
    check_change(open_settings, None, "127.0.0.1")
    with pytest.raises(NotAllowed, match="RAG_ADMIN_KEY"):
        check_change(open_settings, None, "0.0.0.0")


@pytest.mark.parametrize("field", ["admin_key", "server_api_key"])
def test_with_a_key_every_change_needs_it(field):
    keyed = Settings(**{field: "k3y"})
    check_change(keyed, "k3y", "0.0.0.0")
    for wrong in (None, "", "K3Y", "k3y "):
        with pytest.raises(NotAllowed, match="admin key"):
            check_change(keyed, wrong, "127.0.0.1")


def test_model_urls_are_checked_before_use():
    check_model_url("http://127.0.0.1:8080/v1", allow_private=True)
    for bad in ("file:///etc/passwd", "gopher://x", "http://", "127.0.0.1:8080"):
        with pytest.raises(SettingsError, match="http"):
            check_model_url(bad, allow_private=True)
    for private in ("http://127.0.0.1:8080/v1", "http://10.1.2.3/v1", "http://169.254.169.254/latest",
                    "http://[::1]:11434/v1", "http://localhost:11434/v1"):
        with pytest.raises(SettingsError, match="RAG_ALLOW_PRIVATE_MODEL_URLS"):
            check_model_url(private, allow_private=False)
