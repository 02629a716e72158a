"""Signing in as a demo account, as the demo's people do: the demo password, then the code their
authenticator shows for the demo's shared secret (demo/world.py, listed in the README)."""

from django.test import Client

from demo.world import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.otp import totp_code
from xueji.accounts.models import User


def demo_login(username: str, client: Client | None = None) -> Client:
    """A client signed in as the demo account: its password, then (for those asked) its code."""
    client = client or Client()
    response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, (username, response.content.decode()[:500])
    if response["Location"].startswith("/login/otp/"):
        code = totp_code(User.objects.get(username=username), secret=DEMO_TOTP_SECRET)
        response = client.post("/login/otp/", {"code": code})
        assert response.status_code == 302, (username, response.content.decode()[:500])
    assert not response["Location"].startswith("/login"), (username, response["Location"])
    return client
