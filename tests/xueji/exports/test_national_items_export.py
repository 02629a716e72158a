"""The national export request with the national form's new personal items: the pupil's phone,
e-mail, mailing and home address, postcode and ID card validity, and the family members'
addresses, de-identified unless the leader granted full values."""

import pytest

from tests.enrollment.national.test_national_items import complete
from tests.xueji.exports.helpers import add_leaders, approve, ask, data_rows
from xueji.exports.masking import ExportVisibility, mask_email, mask_postcode, mask_validity
from xueji.exports.models import ExportFile
from xueji.pupils.visibility import GROUPS, HIDDEN, Show


@pytest.fixture
def leaders(world):
    add_leaders(world)
    return world


def file_content(change) -> bytes:
    with ExportFile.objects.get(request=change).file.open("rb") as handle:
        return handle.read()


def exported_row(leaders, pupil, *, full=False):
    change = approve(leaders, ask(leaders, "officer_a", scope=leaders.units["a1"].pk, full=full), grant_full=full)
    _headers, rows = data_rows(file_content(change))
    return next(row for row in rows if row["*姓名"] == pupil.name)


def test_the_masked_export_de_identifies_the_new_personal_items(leaders):
    pupil = complete(leaders.pupils["a1"])
    row = exported_row(leaders, pupil)
    assert row["*联系电话"] == "043******5678"
    assert row["电子信箱"] == "z***@example.com"
    assert row["*通信地址"] == "农安镇邮政信****" and row["*家庭地址"] == "农安镇幸福村****"
    assert row["*现住址"] == "农安镇黄龙路****"
    assert row["*邮政编码"] == "13****"
    assert row["身份证件有效期"] == "2020****-2030****"
    assert row["*成员2现住址"] == "长春市朝阳区****" and row["*成员1现住址"] == "农安镇黄龙路****"
    assert row["*成员1联系电话"].startswith("139") and "*" in row["*成员1联系电话"]
    # What is not personal stays as it is.
    assert (row["姓名拼音"], row["主页地址"], row["*是否需要申请资助"]) == ("ZHANG XIAOMING", "https://example.com/zxm", "1")


def test_full_values_granted_keep_them(leaders):
    pupil = complete(leaders.pupils["a1"])
    row = exported_row(leaders, pupil, full=True)
    assert (row["*联系电话"], row["电子信箱"], row["*邮政编码"]) == ("0431-12345678", "zxm@example.com", "130200")
    assert (row["*通信地址"], row["*成员2现住址"]) == ("农安镇邮政信箱12号", "长春市朝阳区红旗街5号")
    assert row["身份证件有效期"] == "20200601-20300601"


def test_the_export_request_offers_the_new_items_as_masked_fields():
    from enrollment.national.exports import NationalExportKind

    personal = {f.key: f.personal for f in NationalExportKind().fields()}
    assert personal["phone"] == "phone" and personal["email"] == "email" and personal["postcode"] == "postcode"
    assert personal["mailing_address"] == personal["home_address"] == personal["guardian2_address"] == "address"
    assert personal["id_validity"] == "validity" and personal["pinyin"] == "" and personal["school_class"] == ""


def test_the_masks():
    assert mask_email("zhangsan@qq.com") == "z***@qq.com" and mask_email("nonsense") == "********"
    assert mask_postcode("130200") == "13****"
    assert mask_validity("20200601-长期") == "2020****-长期"


def test_a_printed_export_masks_the_new_items_with_the_field_that_covers_them():
    full = dict.fromkeys(GROUPS, Show.FULL)
    asked_phones = ExportVisibility(shows=full, asked=frozenset({"phone"}))
    assert asked_phones.pupil_value("email", "zxm@example.com") == "z***@example.com"
    assert asked_phones.pupil_value("phone", "13912345678") == "139****5678"
    assert asked_phones.pupil_value("postcode", "130200") is HIDDEN  # the addresses were not asked for
    asked_all = ExportVisibility(shows=full, asked=frozenset({"phone", "address", "id"}), full_values=True)
    assert asked_all.pupil_value("postcode", "130200") == "130200"
    assert asked_all.guardian_value("address", "长春市朝阳区红旗街5号") == "长春市朝阳区红旗街5号"
