"""Password rules on top of Django's length, common-password and similarity validators configured
in settings: at least three of the four character classes, and none of the last five passwords
(2025 办法 第二十四条)."""

import string

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError


class CharacterClassValidator:
    CLASSES = (
        ("小写字母", lambda c: c in string.ascii_lowercase),
        ("大写字母", lambda c: c in string.ascii_uppercase),
        ("数字", lambda c: c in string.digits),
        ("符号", lambda c: not c.isalnum()),
    )

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        present = sum(1 for _, test in self.CLASSES if any(test(c) for c in password))
        if present < self.min_classes:
            raise ValidationError(
                "密码须包含小写字母、大写字母、数字、符号中的至少 %(n)d 类。",
                code="password_too_simple",
                params={"n": self.min_classes},
            )

    def get_help_text(self) -> str:
        return f"密码须包含小写字母、大写字母、数字、符号中的至少 {self.min_classes} 类。"


class PasswordHistoryValidator:
    """The new password may not be the current one nor any of the last ``count`` (their hashes are
    kept in PasswordHistory by xueji/accounts/credentials.py)."""

    def __init__(self, count: int = 5) -> None:
        self.count = count

    def validate(self, password: str, user=None) -> None:
        if user is None or not getattr(user, "pk", None):
            return
        from xueji.accounts.models import PasswordHistory, User

        current = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
        hashes = [current, *PasswordHistory.objects.filter(user_id=user.pk).values_list("password", flat=True)[: self.count]]
        if any(encoded and check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                "新密码不能与最近 %(n)d 次用过的密码相同。", code="password_reused", params={"n": self.count}
            )

    def get_help_text(self) -> str:
        return f"新密码不能与最近 {self.count} 次用过的密码相同。"
