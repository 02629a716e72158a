from django.urls import path
from rest_framework.routers import SimpleRouter

from enrollment.admission import api as admission_api
from enrollment.intake import api
from enrollment.national import api as national_api

app_name = "enrollment_api"
router = SimpleRouter()
router.register("enrollment/imports", api.ImportViewSet, basename="api-enrolment-import")
router.register("enrollment/entries", api.EntryViewSet, basename="api-enrolment-entry")
urlpatterns = [
    path("enrollment/template/", api.TemplateView.as_view(), name="api-enrolment-template"),
    path("enrollment/classes/", api.ClassesView.as_view(), name="api-enrolment-classes"),
    path("enrollment/submit/", api.SubmitView.as_view(), name="api-enrolment-submit"),
    path("enrollment/identity/", api.IdentityConfirmView.as_view(), name="api-enrolment-identity"),
    path("enrollment/admissions/", admission_api.AdmissionListView.as_view(), name="api-admission-list"),
    path("enrollment/admissions/import/", admission_api.AdmissionImportView.as_view(), name="api-admission-import"),
    path("enrollment/consistency/", admission_api.ConsistencyView.as_view(), name="api-admission-consistency"),
    path("enrollment/readiness/", national_api.ReadinessView.as_view(), name="api-national-readiness"),
    path("enrollment/national-export/", national_api.NationalExportView.as_view(), name="api-national-export"),
    path("enrollment/national-numbers/", national_api.NationalNumbersView.as_view(), name="api-national-numbers"),
    *router.urls,
]
