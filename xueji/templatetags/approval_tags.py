"""The approval engine's pieces on other packages' pages: the pupil's page lists the pupil's
requests through this tag, so that the pupils package needs nothing of the engine."""

from django import template

from xueji.approvals.scoping import requests_visible_to

register = template.Library()


@register.inclusion_tag("approvals/_pupil_requests.html", takes_context=True)
def pupil_requests(context, pupil, limit: int = 20):
    """The pupil's latest requests the viewer may see."""
    user = context["request"].user
    return {"requests": requests_visible_to(user).filter(pupil=pupil).order_by("-started_at")[:limit]}
