"""The login form."""

from django import forms


class LoginForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150, error_messages={"required": "请输入用户名。"})
    password = forms.CharField(
        label="密码", max_length=256, strip=False, widget=forms.PasswordInput,
        error_messages={"required": "请输入密码。"},
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="动态验证码", max_length=32, error_messages={"required": "请输入动态验证码。"},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
