"""Password rule: at least three of the four character classes (on top of Django's length,
common-password and similarity validators configured in settings)."""

import string

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
