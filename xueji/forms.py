"""What every form shares: the date picker, several files in one field, and a service's
ValidationError put on the form."""

from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker. Its value must be ISO (2026-09-01) whatever the language:
    Django would render zh-hans's 2026/09/01, which the picker drops, losing a default date."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one field; their content is checked by xueji.files.proof."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(AttachmentsField, self).clean(item, initial) for item in files]


def show_errors(form: forms.Form, error, file_field: str | None = None) -> None:
    """Put a service's ValidationError on the form: on its fields where the service named one
    the form has, the rest on the form itself."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else (file_field if field == "files" else None)
            for item in errors:
                form.add_error(target, item)
    else:
        for message in error.messages:
            form.add_error(None, message)
