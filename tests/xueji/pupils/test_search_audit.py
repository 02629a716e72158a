"""A search of the pupil list by ID number (or by 学籍号, which a G number makes the same) is
recorded, on the page and through the API: that it happened and how many pupils it found, never
the number in clear. Searches by name are not."""

from xueji.accounts.models import AuditEntry


def searches():
    return AuditEntry.objects.filter(action="pupil.search")


def assert_not_in_clear(*numbers):
    texts = " ".join(e.detail + e.object_repr + e.object_id for e in AuditEntry.objects.all())
    for number in numbers:
        assert number not in texts


def test_the_page_records_an_id_number_search_and_its_count(world, login):
    pupil = world.pupils["a1"]
    client = login(world.user("registrar_a1"))
    response = client.get("/pupils/", {"q": pupil.id_number})
    assert response.status_code == 200 and pupil.name in response.content.decode()
    [entry] = searches()
    assert entry.username == "registrar_a1" and entry.unit == world.units["a1"]
    assert "身份证件号" in entry.detail and "找到 1 名" in entry.detail
    assert pupil.id_number[:4] in entry.detail and pupil.id_number[-4:] in entry.detail  # masked, not hidden
    assert_not_in_clear(pupil.id_number)


def test_a_number_outside_the_scope_finds_none_and_is_recorded(world, login):
    outside = world.pupils["b1"]
    client = login(world.user("registrar_a1"))
    assert outside.name not in client.get("/pupils/", {"q": outside.id_number}).content.decode()
    [entry] = searches()
    assert "找到 0 名" in entry.detail
    assert_not_in_clear(outside.id_number)


def test_a_student_number_search_is_recorded_too(world, login):
    pupil = world.pupils["a1"]
    login(world.user("registrar_a1")).get("/pupils/", {"q": pupil.student_number})
    [entry] = searches()
    assert "学籍号" in entry.detail and "找到 1 名" in entry.detail
    assert_not_in_clear(pupil.student_number, pupil.id_number)


def test_a_name_search_or_no_search_is_not_recorded(world, login):
    client = login(world.user("registrar_a1"))
    client.get("/pupils/", {"q": world.pupils["a1"].name})
    client.get("/pupils/")
    client.get("/pupils/", {"q": "zxm"})
    assert not searches().exists()


def test_the_api_records_an_id_number_search_and_its_count(world, api_as):
    pupil = world.pupils["a1"]
    client = api_as("officer_a")
    response = client.get("/api/v1/pupils/", {"search": pupil.id_number})
    assert response.status_code == 200 and [row["id"] for row in response.json()["results"]] == [pupil.pk]
    [entry] = searches()
    assert entry.username == "officer_a" and "API" in entry.detail and "找到 1 名" in entry.detail
    client.get("/api/v1/pupils/", {"q": pupil.id_number[:10]})
    assert searches().count() == 2
    client.get("/api/v1/pupils/", {"search": pupil.name})
    assert searches().count() == 2
    assert_not_in_clear(pupil.id_number, pupil.id_number[:10])
