"""The second factor: TOTP codes (RFC 6238, any authenticator app) and single-use recovery codes,
on django-otp's devices (a TOTPDevice and a StaticDevice per user).

Who needs it: every role that sees full records or approves (registrars, headmasters,
central-school registrars, bureau officers at every level), the three admins and the break-glass
superuser; head teachers when their bureau says so (BureauSettings.head_teacher_two_factor).

A code is accepted once: the TOTP device remembers the last time step it accepted and refuses that
step and every earlier one (no replay within the window); a recovery code is deleted when used.
Wrong codes count toward the login lockout (xueji/accounts/login.py).
"""

import io
from binascii import hexlify

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from xueji.accounts.audit import account_unit, audit_record
from xueji.accounts.models import ADMIN_ROLES, BUREAU_ROLES, Membership, Role, User

# Roles that see full records, approve, or administer: always two factors.
TWO_FACTOR_ROLES = {Role.REGISTRAR, Role.HEADMASTER, Role.CENTRAL_REGISTRAR, Role.LEADER, *BUREAU_ROLES, *ADMIN_ROLES}
RECOVERY_CODE_COUNT = 10
DEVICE_NAME = "身份验证器"


def needs_second_factor(user: User) -> bool:
    """Whether this user must give a code at login (pages and API alike)."""
    from xueji.accounts.selectors import bureau_settings_for

    if user.is_superuser:
        return True
    memberships = list(Membership.objects.filter(user=user).select_related("unit"))
    if any(m.role in TWO_FACTOR_ROLES for m in memberships):
        return True
    return any(
        m.role == Role.HEAD_TEACHER and bureau_settings_for(m.unit).head_teacher_two_factor for m in memberships
    )


def has_device(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def code_verify(user: User, code: str):
    """The device that accepts this code (a TOTP code or a recovery code), or None. Each device is
    read locked, so two requests cannot both accept the same code."""
    code = "".join((code or "").split())
    if not code or len(code) > 16:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(code):
                return device
    return None


def enrolment_device(user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device being enrolled (a new secret the first time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def enrolment_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as a QR code, an SVG drawn here (no outside service)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


def enrolment_secret(device: TOTPDevice) -> str:
    """The secret in base32, for typing into an app that cannot scan."""
    from base64 import b32encode

    return b32encode(device.bin_key).decode()


@transaction.atomic
def enrolment_confirm(user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device with a code from the app; returns the new recovery codes (shown once),
    or None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if not device.verify_token("".join((code or "").split())):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = recovery_codes_replace(user)
    audit_record(action="otp.enrol", obj=user, user=user, detail=f"{user.username} 绑定了身份验证器")
    return codes


def recovery_codes_replace(user: User) -> list[str]:
    """New recovery codes, replacing any old ones. Stored as django-otp stores them; shown once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="恢复码", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def devices_reset(user: User, *, actor: User) -> None:
    """A security admin resets a user's second factor (a lost phone): every device goes, every
    session and token ends, and the next login leads through enrolment again."""
    from xueji.accounts.credentials import credentials_revoke

    devices = TOTPDevice.objects.filter(user=user, confirmed=True).count()
    codes = recovery_codes_left(user)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(action="otp.reset", obj=user, user=actor, unit=account_unit(user),
                 detail=f"{user.username}：身份验证器 {devices} 个、未用恢复码 {codes} 个 → 全部清除")
    credentials_revoke(user, reason="重置动态验证码")


def device_with_secret(user: User, base32_secret: str) -> TOTPDevice:
    """A confirmed TOTP device with a known secret (the demo's shared one)."""
    from base64 import b32decode

    key = hexlify(b32decode(base32_secret)).decode()
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=key, confirmed=True)
