from django.urls import path
from rest_framework.routers import SimpleRouter

from enrollment.intake import api

router = SimpleRouter()
router.register("enrollment/imports", api.ImportViewSet, basename="api-enrolment-import")
router.register("enrollment/entries", api.EntryViewSet, basename="api-enrolment-entry")
urlpatterns = [
    path("enrollment/template/", api.TemplateView.as_view(), name="api-enrolment-template"),
    path("enrollment/classes/", api.ClassesView.as_view(), name="api-enrolment-classes"),
    path("enrollment/submit/", api.SubmitView.as_view(), name="api-enrolment-submit"),
    path("enrollment/identity/", api.IdentityConfirmView.as_view(), name="api-enrolment-identity"),
    *router.urls,
]
