from django.contrib.auth import views as auth_views
from django.urls import path

from xueji.accounts import audit_views, security_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/otp/", views.login_otp, name="login_otp"),
    path("account/otp/enrol/", views.otp_enrol, name="otp_enrol"),
    path("account/otp/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("logout/", views.logout_view, name="logout"),
    path("role/", views.switch_role, name="switch_role"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    # The audit admin's (xueji/accounts/audit_views.py).
    path("audit/", audit_views.audit_list, name="audit_list"),
    path("audit/export/", audit_views.audit_export, name="audit_export"),
    # The security admin's (xueji/accounts/security_views.py).
    path("security/accounts/", security_views.security_accounts, name="security_accounts"),
    path("security/accounts/<int:user_id>/", security_views.security_account, name="security_account"),
    path("security/accounts/<int:user_id>/roles/", security_views.security_role_grant, name="security_role_grant"),
    path("security/accounts/<int:user_id>/roles/<int:membership_id>/revoke/", security_views.security_role_revoke,
         name="security_role_revoke"),
    path("security/accounts/<int:user_id>/<slug:action>/", security_views.security_action, name="security_action"),
    path("security/addresses/", security_views.security_addresses, name="security_addresses"),
    path("security/addresses/<int:throttle_id>/unlock/", security_views.security_address_unlock,
         name="security_address_unlock"),
]
