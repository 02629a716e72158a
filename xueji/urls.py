"""URLs of the whole site. Every page and endpoint here is in the scoping matrix
(tests/xueji/test_scoping_matrix.py), which fails when a new one is not."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from xueji.accounts import api as account_api
from xueji.accounts import views as account_views
from xueji.approvals import api as request_api
from xueji.approvals import views as request_views
from xueji.documents import api as document_api
from xueji.documents import views as document_views
from xueji.photos import api as photo_api
from xueji.photos import views as photo_views
from xueji.pupils import api as pupil_api
from xueji.pupils import views as pupil_views
from xueji.web import views as web_views

router = SimpleRouter()
router.register("pupils", pupil_api.PupilViewSet, basename="api-pupil")
router.register("requests", request_api.RequestViewSet, basename="api-request")

urlpatterns = [
    path("", web_views.home, name="home"),
    path("login/", account_views.login_view, name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("role/", account_views.switch_role, name="switch_role"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    path("pupils/", pupil_views.pupil_list_view, name="pupil_list"),
    path("pupils/<int:pupil_id>/", pupil_views.pupil_detail, name="pupil_detail"),
    path("pupils/<int:pupil_id>/photo/", photo_views.pupil_photo, name="pupil_photo"),
    path("pupils/<int:pupil_id>/photo/upload/", photo_views.pupil_photo_upload, name="pupil_photo_upload"),
    path("pupils/<int:pupil_id>/photo/remove/", photo_views.pupil_photo_remove_view, name="pupil_photo_remove"),
    path("schools/<int:school_id>/photos/", photo_views.school_photo_import, name="school_photo_import"),
    path("pupils/<int:pupil_id>/sanctions/", pupil_views.pupil_sanction_add, name="pupil_sanction_add"),
    path("classes/<int:class_id>/roster.<str:fmt>", document_views.class_roster, name="class_roster"),
    # 学籍卡 and the verification of printed documents (xueji/documents/views.py).
    path("pupils/<int:pupil_id>/card.pdf", document_views.pupil_card, name="pupil_card"),
    path("classes/<int:class_id>/cards.pdf", document_views.class_cards, name="class_cards"),
    path("cards/", document_views.cards_home, name="cards_home"),
    path("schools/<int:school_id>/cards/", document_views.school_cards, name="school_cards"),
    path("schools/<int:school_id>/cards/jobs/", document_views.card_job_start, name="card_job_start"),
    path("cards/jobs/<int:job_id>/", document_views.card_job_status, name="card_job_status"),
    path("cards/jobs/<int:job_id>/cards.pdf", document_views.card_job_download, name="card_job_download"),
    path("documents/verify/", document_views.document_verify, name="document_verify"),
    path("audit/", account_views.audit_list, name="audit_list"),
    path("inbox/", request_views.inbox, name="inbox"),
    path("inbox/sign/", request_views.inbox_sign, name="inbox_sign"),
    path("requests/", request_views.request_list, name="request_list"),
    path("requests/<int:request_id>/", request_views.request_detail, name="request_detail"),
    path("requests/<int:request_id>/decide/", request_views.request_decide_view, name="request_decide"),
    path("requests/<int:request_id>/withdraw/", request_views.request_withdraw_view, name="request_withdraw"),
    path("requests/<int:request_id>/reverse/", request_views.request_reverse_view, name="request_reverse"),
    path("attachments/<int:attachment_id>/", request_views.attachment_download, name="attachment_download"),
    path("", include("transfers.urls")),
    path("", include("archives.urls")),
    path("", include("enrollment.urls")),
    path("", include("enrollment.admission_urls")),
    path("", include("enrollment.national_urls")),
    path("", include("suspensions.urls")),
    path("", include("dropouts.urls")),
    path("", include("cancellation.urls")),
    path("", include("changes.urls")),
    path("", include("schoolyear.urls")),
    path("", include("reports.urls")),
    # The admin signs in through the login page, with its lockout and audit.
    path("admin/login/", account_views.admin_login_redirect),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", account_api.ObtainTokenView.as_view(), name="api-token"),
    path("api/v1/inbox/", request_api.InboxView.as_view(), name="api-inbox"),
    path("api/v1/pupils/<int:pk>/card.pdf", document_api.PupilCardView.as_view(), name="api-pupil-card"),
    path("api/v1/classes/<int:pk>/cards.pdf", document_api.ClassCardsView.as_view(), name="api-class-cards"),
    path("api/v1/schools/<int:pk>/card-jobs/", document_api.SchoolCardJobsView.as_view(), name="api-card-job-start"),
    path("api/v1/card-jobs/<int:pk>/", document_api.CardJobView.as_view(), name="api-card-job"),
    path("api/v1/card-jobs/<int:pk>/cards.pdf", document_api.CardJobFileView.as_view(), name="api-card-job-file"),
    path("api/v1/pupils/<int:pupil_id>/photo/", photo_api.PupilPhotoView.as_view(), name="api-pupil-photo"),
    path("api/v1/schools/<int:school_id>/photos/", photo_api.SchoolPhotoImportView.as_view(),
         name="api-school-photo-import"),
    path("api/v1/", include("transfers.api_urls")),
    path("api/v1/", include("enrollment.api_urls")),
    path("api/v1/", include("enrollment.admission_api_urls")),
    path("api/v1/", include("enrollment.national_api_urls")),
    path("api/v1/", include("suspensions.api_urls")),
    path("api/v1/", include("cancellation.api_urls")),
    path("api/v1/", include("archives.api_urls")),
    path("api/v1/", include("changes.api_urls")),
    path("api/v1/", include("dropouts.api_urls")),
    path("api/v1/", include("schoolyear.api_urls")),
    path("api/v1/", include("reports.api_urls")),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "xueji.web.views.error_400"
handler403 = "xueji.web.views.error_403"
handler404 = "xueji.web.views.error_404"
handler500 = "xueji.web.views.error_500"
