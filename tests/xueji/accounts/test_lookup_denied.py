"""A refused scoped lookup (NotInScope, raised by the get_*_for_user helpers) is a 404 like any
other, recorded once in the audit log as "lookup.denied" by the page middleware and by the API's
handler; a 404 for an address that does not exist is not recorded."""

import re

from django.http import Http404

from xueji.accounts.audit import scrub
from xueji.accounts.models import AuditEntry
from xueji.accounts.permissions import audit_lookup_denied
from xueji.accounts.scoping import NotInScope, get_school_for_user
from xueji.pupils.scoping import get_pupil_for_user

NO_SUCH_ID = 2**62


def without_token(response) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]*', "", response.content.decode())


def denied():
    return AuditEntry.objects.filter(action="lookup.denied")


def test_not_in_scope_is_a_404(world):
    assert issubclass(NotInScope, Http404)
    try:
        get_pupil_for_user(world.user("registrar_b1"), world.pupils["a1"].pk)
    except NotInScope as refusal:
        assert (refusal.what, refusal.object_id) == ("pupil", str(world.pupils["a1"].pk))
    else:
        raise AssertionError("registrar_b1 sees a pupil of county A")


def test_a_page_audits_the_refused_lookup_once(world, login):
    pupil = world.pupils["a1"]
    client = login(world.user("registrar_b1"))
    response = client.get(f"/pupils/{pupil.pk}/")
    assert response.status_code == 404 and pupil.name not in response.content.decode()
    [entry] = denied()
    assert (entry.username, entry.result, entry.unit, entry.object_type, entry.object_id) == (
        "registrar_b1", AuditEntry.Result.DENIED, world.units["b1"], "pupil", str(pupil.pk))
    assert f"/pupils/{pupil.pk}/" in entry.detail


def test_a_pupil_of_another_county_answers_as_one_that_does_not_exist(world, login):
    client = login(world.user("registrar_b1"))
    outside = client.get(f"/pupils/{world.pupils['a1'].pk}/")
    missing = client.get(f"/pupils/{NO_SUCH_ID}/")
    assert outside.status_code == missing.status_code == 404
    assert without_token(outside) == without_token(missing)
    assert denied().count() == 2


def test_the_api_audits_the_refused_lookup_once(world, api_as):
    pupil = world.pupils["a1"]
    response = api_as("officer_b").get(f"/api/v1/pupils/{pupil.pk}/")
    assert response.status_code == 404
    assert response.json()["detail"] == "没有找到这名学生，或您无权查看。"
    [entry] = denied()
    assert (entry.username, entry.object_type, entry.object_id) == ("officer_b", "pupil", str(pupil.pk))
    assert entry.result == AuditEntry.Result.DENIED


def test_requests_and_classes_and_schools_are_audited_too(world, api_as, login):
    client = login(world.user("registrar_b1"))
    assert client.get(f"/requests/{NO_SUCH_ID}/").status_code == 404
    assert api_as("registrar_b1").get(f"/api/v1/requests/{NO_SUCH_ID}/").status_code == 404
    assert sorted(denied().values_list("object_type", flat=True)) == ["changerequest", "changerequest"]
    try:
        get_school_for_user(world.user("registrar_b1"), world.units["a1"].pk)
    except NotInScope as refusal:
        assert refusal.what == "unit"


def test_an_address_that_does_not_exist_is_not_audited(world, login, api_as):
    assert login(world.user("registrar_b1")).get("/no-such-page/").status_code == 404
    assert api_as("registrar_b1").get("/api/v1/no-such-endpoint/").status_code == 404
    assert not AuditEntry.objects.filter(result=AuditEntry.Result.DENIED).exists()


def test_a_refusal_seen_by_both_layers_is_recorded_once(world):
    refusal = NotInScope("没有找到这名学生，或您无权查看。", what="pupil", object_id=1)
    audit_lookup_denied(refusal)
    audit_lookup_denied(refusal)
    assert denied().count() == 1


def test_scrub_masks_student_numbers_that_carry_an_id_number():
    assert scrub("学籍号G220122201803141234，") == "学籍号G220***********1234，"
    assert "201803" not in scrub("L220122201803140012 与 J22012220180314001X")
