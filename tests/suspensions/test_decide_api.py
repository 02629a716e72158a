"""Deciding through the API with a step's own fields (the bureau's reasons for a suspension over
the cap), as the request page asks for them."""

from rest_framework.test import APIClient

from tests.suspensions.conftest import decide, suspend


def test_the_bureau_gives_the_over_cap_reason_through_the_api(world):
    # Grade 3 of A1 holds two pupils: one suspended is over 3 %, so the bureau must give a reason.
    request = decide(world, suspend(world), "headmaster_a1")
    client = APIClient()
    client.force_authenticate(world.user("officer_a"))
    url = f"/api/v1/requests/{request.pk}/decide/"
    refused = client.post(url, {"decision": "approve"}, format="json")
    assert refused.status_code == 400 and "over_cap_reason" in refused.json()
    approved = client.post(url, {"decision": "approve", "fields": {"over_cap_reason": "病情严重，确需休学"}}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    request.refresh_from_db()
    assert request.payload["exceptions"]["over_cap"]["reason"] == "病情严重，确需休学"
