"""The guardian's progress page in the scoping matrix (tests/test_scoping_matrix.py):
``/track/<code>/`` (xueji/approvals/tracking_views.py) is public, the same for every user signed
in or not: the question without the answer (JSON: 401), R1's progress after R1's answer with its
pupil's name masked and nothing of another request (R2's code still asks its own answer), and a
404 (audited) for a code that names no request. The three admins reach no business page: this
one answers them 403 like the rest (tests/xueji/accounts/admin_checks.py)."""

from django.test import Client

from xueji.approvals.tracking import tracking_code_for


def check_track(m):
    r1, r2 = m.world.requests["r1"], m.world.requests["r2"]
    code, other = tracking_code_for(r1), tracking_code_for(r2)
    pupil = r1.pupil
    client = m.client
    response = client.get(f"/track/{code}/")
    m.check("track", "r1 asks first", (200, False), (response.status_code, "张*明" in response.content.decode()))
    m.check("track", "r1 JSON asks first", 401, client.get(f"/track/{code}/", HTTP_ACCEPT="application/json").status_code)
    response = client.post(f"/track/{code}/", {"answer": pupil.id_number[-6:]})
    html = response.content.decode()
    m.check("track", "r1 after the answer", (200, True, False, False),
            (response.status_code, "张*明" in html, pupil.name in html, pupil.id_number in html))
    response = client.get(f"/track/{other}/")
    html = response.content.decode()
    m.check("track", "r2 not opened by r1's answer", (200, False), (response.status_code, "赵*生" in html))
    m.check("track", "unknown code", 404, client.get("/track/ZZZZZZZZZZZZ/").status_code)
    # Nothing of the session's: a fresh client is asked too.
    m.check("track", "a fresh client asks first", False, "张*明" in Client().get(f"/track/{code}/").content.decode())


TRACKING_ENDPOINTS = {"approvals:track": check_track}
