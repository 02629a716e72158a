"""The hand-over's two forms: the sending school records how the file left, the receiving school
who took it. The rules are the services' (clean_dispatch, handover_confirm_received): the forms
only lay the fields out, so that a page and a test get the same reasons."""

from django import forms

from archives.handover.models import DispatchMethod


class HandoverSentForm(forms.Form):
    method = forms.CharField(label="移交方式", required=False, widget=forms.RadioSelect(choices=DispatchMethod.choices))
    tracking_number = forms.CharField(label="邮寄或快递单号", required=False, help_text="邮寄或快递的必填；专人送达的不填。",
                                      widget=forms.TextInput(attrs={"maxlength": 40, "autocomplete": "off"}))
    carrier = forms.CharField(label="快递公司", required=False, help_text="快递的可填，例如：顺丰速运。",
                              widget=forms.TextInput(attrs={"maxlength": 40}))


class HandoverReceivedForm(forms.Form):
    receiver_name = forms.CharField(label="接收人", required=False, help_text="实际接收档案的人的姓名。",
                                    widget=forms.TextInput(attrs={"maxlength": 50}))
