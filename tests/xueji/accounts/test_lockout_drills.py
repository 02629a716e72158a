"""The lockouts under load (issue 12's drills): 50 parallel bad logins across 50 usernames from
one address lock the address; the username counter stays exact under parallel attempts; the
client address comes from a trusted proxy's header only."""

import threading
from datetime import timedelta

import time_machine
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from tests.conftest import build_world, transactional
from tests.factories import PASSWORD, UserFactory
from xueji.accounts.audit import client_ip
from xueji.accounts.models import AddressThrottle, AuditEntry

WRONG = "Wrong#password1"


@transactional
def test_fifty_parallel_bad_logins_across_fifty_usernames_lock_the_address():
    build_world()
    usernames = [f"probe{n:02d}" for n in range(50)]
    for name in usernames[:25]:
        UserFactory(username=name)  # half exist, half do not: the address counts both
    barrier = threading.Barrier(50)
    answers: list[str] = []

    def attempt(name: str):
        try:
            barrier.wait()
            body = Client(REMOTE_ADDR="10.9.8.7").post("/login/", {"username": name, "password": WRONG}).content.decode()
            answers.append("address" if "本机登录失败次数过多" in body else "wrong" if "用户名或密码不正确" in body else body[:200])
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(name,)) for name in usernames]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    # The address row is locked for every check: exactly 20 failures are counted, the other 30
    # attempts are refused without looking at their passwords.
    assert sorted(set(answers)) == ["address", "wrong"], answers[:3]
    assert answers.count("wrong") == 20 and answers.count("address") == 30
    row = AddressThrottle.objects.get(address="10.9.8.7")
    assert row.failures == 20 and row.locked_until > timezone.now()
    # Every username, even one with the right password, is refused from that address ...
    locked = Client(REMOTE_ADDR="10.9.8.7").post("/login/", {"username": "registrar_a1", "password": PASSWORD})
    assert "本机登录失败次数过多" in locked.content.decode()
    # ... and not from another.
    assert Client(REMOTE_ADDR="10.9.8.8").post("/login/", {"username": "registrar_a1", "password": PASSWORD}).status_code == 302
    assert AuditEntry.objects.filter(action="login.address_locked").count() == 1


def test_address_failures_count_within_fifteen_minutes_only(client, world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(19):
            Client(REMOTE_ADDR="10.1.1.1").post("/login/", {"username": f"nobody{n}", "password": WRONG})
        clock.shift(timedelta(minutes=16))
        answer = Client(REMOTE_ADDR="10.1.1.1").post("/login/", {"username": "nobody99", "password": WRONG})
        assert "用户名或密码不正确" in answer.content.decode()
        assert AddressThrottle.objects.get(address="10.1.1.1").failures == 1


def test_address_lock_runs_out_after_fifteen_minutes(world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(20):
            Client(REMOTE_ADDR="10.2.2.2").post("/login/", {"username": f"nobody{n}", "password": WRONG})
        answer = Client(REMOTE_ADDR="10.2.2.2").post("/login/", {"username": "registrar_a1", "password": PASSWORD})
        assert "本机登录失败次数过多" in answer.content.decode()
        clock.shift(timedelta(minutes=16))
        assert Client(REMOTE_ADDR="10.2.2.2").post("/login/", {"username": "registrar_a1", "password": PASSWORD}).status_code == 302


def test_the_api_token_endpoint_counts_toward_the_address_lock(world):
    from rest_framework.test import APIClient

    for n in range(20):
        APIClient(REMOTE_ADDR="10.3.3.3").post("/api/v1/auth/token/", {"username": f"x{n}", "password": WRONG}, format="json")
    answer = APIClient(REMOTE_ADDR="10.3.3.3").post("/api/v1/auth/token/", {"username": "teacher_a1", "password": PASSWORD}, format="json")
    assert answer.status_code in (400, 429) and "token" not in answer.json()


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(settings):
    factory = RequestFactory()
    direct = factory.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert client_ip(direct) == "203.0.113.5"  # no proxy named: the header is ignored
    settings.TRUSTED_PROXIES = ["192.168.1.10"]
    proxied = factory.get("/", REMOTE_ADDR="192.168.1.10", HTTP_X_FORWARDED_FOR="1.2.3.4, 172.16.0.9")
    assert client_ip(proxied) == "172.16.0.9"  # the rightmost hop the proxy saw; the left is the client's own word
    spoofed = factory.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="172.16.0.9")
    assert client_ip(spoofed) == "203.0.113.5"
    garbage = factory.get("/", REMOTE_ADDR="192.168.1.10", HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_ip(garbage) == "192.168.1.10"
