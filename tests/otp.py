"""Second-factor codes for tests, computed by pyotp as an authenticator app computes them.

A code is accepted once: the device refuses its time step and every earlier one. A test that logs
one user in twice within 30 seconds (time is often frozen) takes the next window's code, which the
device accepts as it accepts a phone whose clock runs a little ahead (tolerance of one step).
"""

import time

import pyotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TOTP_SECRET


class _DemoTOTP(pyotp.TOTP):
    # The demo's shared secret is an 80-bit key (the well-known example one), below pyotp's
    # 112-bit floor for new secrets; real devices get django-otp's 160-bit keys.
    min_secret_length_bits = 80


def totp_code(user, *, secret: str = TOTP_SECRET) -> str:
    """The code for the user's next unused time step (now, or the next window if now's was used)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    step = int(time.time()) // 30
    if device is not None:
        if device.last_t > step + device.drift + device.tolerance:
            # The test moved its clock back (a login in December, then a journey in July): the
            # device remembers a step in its future, as no real phone would. Start it afresh.
            device.last_t, device.drift = step - 1, 0
            device.save(update_fields=["last_t", "drift"])
        step = max(step + device.drift, device.last_t + 1)
    return _DemoTOTP(secret).at(step * 30)
