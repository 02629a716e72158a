"""Reads of export requests, scoped: one sees an export request as one sees any request of the
engine (the starting unit, the deciding bureau and the bureaus above); anything else is a 404,
recorded as lookup.denied."""

from django.db.models import QuerySet

from xueji.accounts.models import User
from xueji.accounts.scoping import NotInScope, object_id
from xueji.approvals.models import ChangeRequest
from xueji.approvals.scoping import requests_visible_to
from xueji.exports.kind import CODE


def my_export_requests(user: User) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(kind=CODE, started_by=user).select_related("started_unit").order_by("-started_at", "-id")


def get_export_request_for_user(user: User, request_id) -> ChangeRequest:
    try:
        return requests_visible_to(user).filter(kind=CODE).select_related("started_by", "started_unit").get(
            pk=object_id(request_id)
        )
    except ChangeRequest.DoesNotExist:
        raise NotInScope("没有找到这项导出申请，或您无权查看。", what="changerequest", object_id=request_id) from None
