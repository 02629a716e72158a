"""学籍卡 (issue 6) in a real browser, as a school's registrar prints them.

- registrar_a1 opens a pupil from 学生, uploads a photo on a white background (saved, with the
  warning that it is not a blue one), replaces it with a blue-background one (the warning goes);
  opens 打印学籍卡, finds the class and prints its cards: the job's page follows a real Celery
  worker's progress and offers 下载 (the PDF names the pupil and prints the footer's verification
  code, and the photo); asked again, the same job's page with the kept PDF; asks for the grade's cards (申请导出),
  which leads to the export request's form, prefilled with the grade; and looks the class's code
  up in 文书核验: 学籍卡, the school, the registrar who printed it.
- registrar_b1, of another county's school, gets 没有找到 (404) for the pupil's card.
"""

import re
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import Page, expect

from tests.pdfs import image_pages, page_count, pdf_words, squeezed
from xueji.celery import app
from xueji.documents.models import PrintedDocument

pytestmark = pytest.mark.browser

REGISTRAR = "张三"  # registrar_a1's full name: the footer and 文书核验 show who printed


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def _corner(photo) -> list[int]:
    """The colour (r, g, b) the browser shows at the photo's top left: its background."""
    return photo.evaluate("""img => {
        const canvas = document.createElement("canvas");
        canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
        const context = canvas.getContext("2d");
        context.drawImage(img, 0, 0);
        return Array.from(context.getImageData(10, 10, 1, 1).data.slice(0, 3));
    }""")


def _portrait(path: Path, background: tuple[int, int, int]) -> Path:
    """An ID-photo-like portrait (a head and shoulders on a plain background), 2-inch proportions."""
    image = Image.new("RGB", (600, 840), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((200, 180, 400, 430), fill=(230, 190, 160))  # the face
    draw.rectangle((120, 560, 480, 840), fill=(40, 40, 60))  # the shoulders
    image.save(path)
    return path


@pytest.fixture
def media(settings, tmp_path):
    """Photos and the PDFs go to the test's own folder (the live server and the worker run
    in this process and read the same settings)."""
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def test_registrar_adds_a_photo_prints_the_cards_and_verifies_the_code(page: Page, browser_world, media, login,
                                                                       tmp_path, screenshot):
    world = browser_world
    registrar = world.user("registrar_a1")
    registrar.full_name = REGISTRAR
    registrar.save(update_fields=["full_name"])
    pupil = world.pupils["a1"]  # 张小明 of 三年级（1）班; 李晓燕 is in 三年级（2）班
    school = world.units["a1"]

    # The pupil's page, from the list: no photo yet.
    login("registrar_a1")
    _nav(page).get_by_role("link", name="学生", exact=True).click()
    page.locator("#pupil-results").get_by_role("link", name=pupil.name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(pupil.name)
    expect(page.locator(".record-head .photo.empty")).to_have_text("无照片")
    photo_card = page.locator("section#photo")
    expect(photo_card.get_by_role("heading", name="照片")).to_be_visible()

    # A photo on a white background: saved, but the page warns that it is not a blue one.
    photo_card.get_by_label("选择照片文件").set_input_files(_portrait(tmp_path / "白底照片.png", (250, 250, 250)))
    photo_card.get_by_role("button", name="上传照片").click()
    messages = page.locator(".messages")
    expect(messages).to_contain_text("照片已保存。")
    expect(messages).to_contain_text("照片背景不是蓝色")
    expect(photo_card.get_by_role("status")).to_contain_text("学籍照片应为蓝底二寸证件照")
    photo = page.get_by_role("img", name=f"{pupil.name}的照片")
    expect(photo).to_be_visible()
    expect(photo).to_have_js_property("naturalWidth", 413)  # served and decoded: the 2-inch photo
    assert min(_corner(photo)) > 240  # white
    screenshot(page, "cards_photo_not_blue")

    # Replaced by a blue-background one: no warning any more.
    photo_card.get_by_label("选择照片文件").set_input_files(_portrait(tmp_path / "蓝底照片.jpg", (67, 142, 219)))
    photo_card.get_by_role("button", name="更换照片").click()
    expect(messages).to_contain_text("照片已更换。")
    expect(messages).not_to_contain_text("照片背景不是蓝色")
    expect(photo_card.get_by_role("status")).to_have_count(0)
    expect(photo).to_have_js_property("naturalWidth", 413)
    red, _green, blue = _corner(photo)
    assert blue > 200 and red < 100, "the page still shows the photo it replaced"

    # 打印学籍卡: a registrar goes straight to the own school; the class's cards are printed by a
    # worker: the button leads to the job's page, which follows the progress and offers 下载.
    _nav(page).get_by_role("link", name="打印学籍卡").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"打印学籍卡 {school.name}")
    row = page.locator("tr", has_text="三年级（1）班")
    expect(row.locator("td").nth(1)).to_have_text("1")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        row.get_by_role("button", name="打印本班学籍卡").click()
        expect(page).to_have_url(re.compile(r"/documents/jobs/\d+/$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"{school.name}三年级（1）班学籍卡")
        download = page.get_by_role("link", name="下载")
        expect(download).to_be_visible(timeout=60_000)  # the page polled itself until the worker was done
    job_page = page.url
    expect(page.locator("#job-state")).to_contain_text("已生成")
    screenshot(page, "cards_job_done")
    # What 下载 opens is chromium's PDF viewer; the PDF itself, fetched in the same session.
    response = page.request.get(download.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    class_pdf = response.body()
    class_code = response.headers["x-document-code"]
    words = pdf_words(class_pdf)
    assert page_count(class_pdf) == 1 and pupil.name in words and pupil.student_number in words
    assert squeezed(f"核验码：{class_code} 打印：{REGISTRAR}") in words
    assert image_pages(class_pdf) == [1]  # the photo is on the card
    expect(page.locator("#job-state")).to_contain_text(class_code)

    # Asked again with nothing changed: the same job's page, its PDF at once (no worker running).
    page.goto(f"/schools/{school.pk}/cards/")
    page.locator("tr", has_text="三年级（1）班").get_by_role("button", name="打印本班学籍卡").click()
    expect(page).to_have_url(job_page)
    expect(page.get_by_role("link", name="下载")).to_be_visible()
    _nav(page).get_by_role("link", name="打印学籍卡").click()

    # 全校或整个年级: the grade's cards leave through an export request (申请导出): the form, prefilled.
    page.get_by_label("范围").select_option(label="三年级（2 人）")
    page.get_by_role("button", name="申请导出").click()
    expect(page).to_have_url(re.compile(rf"/exports/new/\?kind=school_cards&scope={school.pk}-3$"))
    expect(page.get_by_label("范围")).to_have_value(f"{school.pk}-3")
    expect(page.locator("main")).to_contain_text("全校或年级学籍卡")
    screenshot(page, "cards_grade_export_form")

    # 文书核验: the code printed on the paper names what was printed, where and by whom.
    _nav(page).get_by_role("link", name="文书核验").click()
    page.get_by_label("核验码").fill(class_code.replace("-", "").lower())  # as someone types it off the paper
    page.get_by_role("button", name="核验").click()
    result = page.locator("main section.card")
    expect(result.locator(".callout-ok")).to_contain_text(f"核验码 {class_code} 有效")
    fields = result.locator("dl.fields")
    expect(fields.locator("dt:text-is('文书') + dd")).to_have_text("学籍卡：三年级（1）班学籍卡")
    expect(fields.locator("dt:text-is('打印人') + dd")).to_have_text(REGISTRAR)
    expect(fields.locator("dt:text-is('所涉单位') + dd")).to_have_text(f"{school.name} · 三年级（1）班")
    expect(fields.locator("dt:text-is('格式与页数') + dd")).to_have_text("PDF，1 页")
    expect(fields.locator("dt:text-is('学生人数') + dd")).to_have_text("1 人")
    listed = result.get_by_role("table")
    expect(listed.get_by_role("link", name=pupil.name)).to_be_visible()
    screenshot(page, "cards_verified")
    # The class's PDF printed once (asked twice, the kept file served again); nothing for the grade.
    assert list(PrintedDocument.objects.values_list("title", flat=True)) == ["三年级（1）班学籍卡"]


def test_a_registrar_of_another_school_cannot_open_the_pupils_card(page: Page, browser_world, login):
    pupil = browser_world.pupils["a1"]
    login("registrar_b1")
    expect(page.get_by_role("heading", level=1)).to_have_text("榆树市实验小学")
    response = page.goto(f"/pupils/{pupil.pk}/card.pdf")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("没有找到")
    expect(page.locator("main")).to_contain_text("您要找的页面或记录不存在，或者您无权查看。")
    assert not PrintedDocument.objects.exists()
