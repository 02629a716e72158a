"""学籍核查 through /api/v1/rollcalls/ and /api/v1/rollcall-entries/: the same rules and scope as the
pages; and every endpoint of the paper archive and the audit in the schema without warnings."""

from archives.rollcall.models import RollCall, RollCallEntry
from tests.archives.rollcall.helpers import AFTER, IN_WINDOW, frozen, semester
from tests.archives.rollcall.test_rollcall import finished_with_every_outcome


def test_head_teacher_calls_the_roll_through_the_api(world, api_as):
    semester(world)
    with frozen(IN_WINDOW):
        client = api_as("teacher_a1")
        response = client.post("/api/v1/rollcalls/", {"school_class": world.classes["a1_3_1"].pk}, format="json")
        assert response.status_code == 201
        body = response.json()
        assert body["roll_status"] == "open" and [e["name"] for e in body["entries"]] == ["张小明"]
        entry_id, call_id = body["entries"][0]["id"], body["id"]

        response = client.patch(f"/api/v1/rollcall-entries/{entry_id}/", {"present": False}, format="json")
        assert response.status_code == 400 and "请选择缺席原因" in str(response.json())
        response = client.patch(f"/api/v1/rollcall-entries/{entry_id}/", {"present": False, "reason": "unknown"}, format="json")
        assert response.status_code == 200 and response.json()["reason_label"] == "无故缺席（原因不明）"

        added = client.post("/api/v1/rollcall-entries/", {"roll_call": call_id, "name": "王小虎"}, format="json")
        assert added.status_code == 201 and added.json()["kind"] == "unlisted"
        wrong = client.post("/api/v1/rollcall-entries/", {"roll_call": call_id, "name": "错登"}, format="json").json()
        assert client.delete(f"/api/v1/rollcall-entries/{wrong['id']}/").status_code == 204
        assert client.delete(f"/api/v1/rollcall-entries/{entry_id}/").status_code == 400

        response = client.post(f"/api/v1/rollcalls/{call_id}/finish/")
        assert response.status_code == 200 and response.json()["roll_status"] == "done"
        assert {e["name"]: e["outcome"] for e in response.json()["entries"]} == {"张小明": "dropout", "王小虎": "late_registration"}
        assert client.post(f"/api/v1/rollcalls/{call_id}/finish/").status_code == 400

        registrar = api_as("registrar_a1")
        work = registrar.get("/api/v1/rollcall-entries/", {"open_work": "true"}).json()["results"]
        assert {e["name"] for e in work} == {"张小明", "王小虎"}
        unlisted = next(e for e in work if e["name"] == "王小虎")
        response = registrar.post(f"/api/v1/rollcall-entries/{unlisted['id']}/handle/", {"note": "已申请补建"}, format="json")
        assert response.status_code == 200 and response.json()["handled_note"] == "已申请补建"
        assert registrar.post(f"/api/v1/rollcalls/{call_id}/reopen/").json()["roll_status"] == "open"


def test_api_scope_and_parts(world, api_as):
    roll_call = finished_with_every_outcome(world)
    visiting = roll_call.entries.get(name="刘思远")
    dropout = roll_call.entries.get(name="张小明")
    with frozen(IN_WINDOW):
        # Another class's head teacher role: a class one does not head is not found.
        assert api_as("teacher_a1").post("/api/v1/rollcalls/", {"school_class": world.classes["a1_3_2"].pk},
                                         format="json").status_code == 404
        # The registrar sees a headed class but does not call it.
        assert api_as("registrar_a1").post("/api/v1/rollcalls/", {"school_class": world.classes["a1_3_1"].pk},
                                           format="json").status_code == 403
        for name in ("registrar_b1", "officer_b", "registrar_a2"):
            client = api_as(name)
            assert client.get(f"/api/v1/rollcalls/{roll_call.pk}/").status_code == 404, name
            assert client.post(f"/api/v1/rollcalls/{roll_call.pk}/reopen/").status_code == 404, name
            assert client.patch(f"/api/v1/rollcall-entries/{dropout.pk}/", {"present": True}, format="json").status_code == 404, name
        # The home school sees its pupil's line (to confirm it), not the rest of the roll-call.
        home = api_as("registrar_b1")
        assert [e["name"] for e in home.get("/api/v1/rollcall-entries/").json()["results"]] == ["刘思远"]
        assert home.post(f"/api/v1/rollcall-entries/{visiting.pk}/handle/", {"note": "属实"}, format="json").status_code == 200
        assert api_as("teacher_a1").post(f"/api/v1/rollcall-entries/{dropout.pk}/handle/", {"note": "x"}, format="json").status_code == 403
        ids = {row["id"] for row in api_as("officer_a").get("/api/v1/rollcalls/").json()["results"]}
        assert ids == {roll_call.pk}
        assert api_as("officer_b").get("/api/v1/rollcalls/").json()["results"] == []
    with frozen(AFTER):
        assert api_as("teacher_a1").patch(f"/api/v1/rollcall-entries/{dropout.pk}/", {"present": True}, format="json").status_code == 400
    dropout.refresh_from_db()
    assert dropout.present is False


def test_api_progress_by_school(world, api_as):
    finished_with_every_outcome(world)
    with frozen(IN_WINDOW):
        rows = {r["school_name"]: r for r in api_as("officer_a").get("/api/v1/rollcalls/progress/").json()}
    assert set(rows) == {"农安县实验小学", "农安县第一中学", "合隆镇陈家店小学"}
    a1 = rows["农安县实验小学"]
    assert (a1["classes"], a1["done"], a1["not_started"], a1["late_registration"], a1["suspected_dropouts"], a1["transfers_to_chase"]) == (2, 1, 1, 1, 1, 1)
    assert RollCall.objects.count() == 1 and RollCallEntry.objects.count() == 5


def test_schema_has_every_endpoint_and_no_warnings(world, api_as):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    messages = [str(m) for m in (*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache)]
    ours = [m for m in messages if any(word in m.lower() for word in ("archive", "rollcall", "roll_call", "checklist", "paper"))]
    assert ours == []
    schema = api_as("officer_a").get("/api/schema/").content.decode()
    for path in ["/api/v1/archive-checklists/:", "/api/v1/archive-checklists/{id}/:", "/api/v1/archive-checklists/bulk/:",
                 "/api/v1/archive-checklists/completeness/:", "/api/v1/rollcalls/:", "/api/v1/rollcalls/{id}/:",
                 "/api/v1/rollcalls/{id}/finish/:", "/api/v1/rollcalls/{id}/reopen/:", "/api/v1/rollcalls/progress/:",
                 "/api/v1/rollcall-entries/:", "/api/v1/rollcall-entries/{id}/:", "/api/v1/rollcall-entries/{id}/handle/:"]:
        assert path in schema, path
