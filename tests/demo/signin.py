"""Signing in as a demo account, as the demo's people do: the demo password, then the code their
authenticator shows for the demo's shared secret (demo/world.py, listed in the README)."""

from django.test import Client

from demo.world import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.otp import totp_code
from xueji.accounts.models import User


def demo_login(username: str, client: Client | None = None, *, new_password: str = "") -> Client:
    """A client signed in as the demo account: its password, then (for those asked) its code.
    When the password has outlived the bureau's limit (a test months after loading the demo), the
    user sets ``new_password`` on the page the login leads to, as the system asks."""
    client = client or Client()
    response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, (username, response.content.decode()[:500])
    if response["Location"] == "/login/otp/":
        code = totp_code(User.objects.get(username=username), secret=DEMO_TOTP_SECRET)
        response = client.post("/login/otp/", {"code": code})
        assert response.status_code == 302, (username, response.content.decode()[:500])
    if response["Location"] == "/password/" and new_password:
        response = client.post("/password/", {"old_password": DEMO_PASSWORD, "new_password1": new_password,
                                              "new_password2": new_password})
        assert (response.status_code, response["Location"]) == (302, "/password/done/"), (
            username, response.content.decode()[:1000])
        response = client.get("/")
        assert response.status_code == 200, username
        return client
    assert response["Location"] == "/", (username, response["Location"])
    return client
