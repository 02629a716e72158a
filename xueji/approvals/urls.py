from django.urls import path

from xueji.approvals import tracking_views, views

app_name = "approvals"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/sign/", views.inbox_sign, name="inbox_sign"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/<int:request_id>/", views.request_detail, name="request_detail"),
    path("requests/<int:request_id>/decide/", views.request_decide_view, name="request_decide"),
    path("requests/<int:request_id>/withdraw/", views.request_withdraw_view, name="request_withdraw"),
    path("requests/<int:request_id>/reverse/", views.request_reverse_view, name="request_reverse"),
    # Public: the guardian's progress page, reached by the QR code of a printed 申请表.
    path("track/<str:code>/", tracking_views.track, name="track"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment_download"),
]
