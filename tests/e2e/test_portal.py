"""The public side on a phone (390×844): a resident files anonymously, an enterprise files
with an SMS code and follows its matter. No account; Chinese."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.test_phone import no_horizontal_scroll
from tests.e2e.workbench import PHONE, check_page, expect, screenshot

pytestmark = pytest.mark.e2e


def latest_sms(server) -> str:
    """The text of the last SMS the server queued (the worker would send it)."""
    done = subprocess.run(
        [sys.executable, "-m", "qinqing.cli", "shell", "-c",
         "from qinqing.notifications.models import SmsMessage; "
         "print(SmsMessage.objects.latest('pk').text)"],
        env=server.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def fill_matter(page, content: str) -> None:
    page.get_by_label("投诉", exact=True).check()
    page.get_by_label("所属事项").select_option("SPFW-01")
    page.get_by_label("发生了什么？您有什么诉求？").fill(content)


def registered(page) -> tuple[str, str]:
    number = page.get_by_test_id("case-number").inner_text().strip()
    code = page.get_by_test_id("query-code").inner_text().replace(" ", "").strip()
    return number, code


def photo(tmp_path) -> str:
    """A small real PNG, as a phone's camera roll would give one."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), "#f4f1ea")
    ImageDraw.Draw(image).rectangle((40, 40, 280, 160), outline="#0b4f9c", width=6)
    path = tmp_path / "现场照片.png"
    image.save(path)
    return str(path)


def test_a_resident_files_anonymously_on_a_phone(wb, tmp_path):
    page = wb.page(None, viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/submit/")
    expect(page.locator("h1")).to_have_text("提交诉求")
    no_horizontal_scroll(page)
    check_page(page)
    fill_matter(page, "小区门口的便民服务窗口经常无人值守，办事要跑好几趟。")

    # The unit by its pinyin initials: 审批局 is spj (示范市行政审批服务管理局).
    page.wait_for_load_state("load")  # the picker's script is deferred
    unit = page.get_by_role("combobox", name="涉及的单位或窗口")
    unit.fill("spj")
    expect(unit).to_have_attribute("aria-expanded", "true")
    options = page.locator("#unit-list [role=option]")
    expect(options.first).to_contain_text("示范市行政审批服务管理局")
    expect(options.first).to_have_attribute("aria-selected", "true")
    no_horizontal_scroll(page)
    check_page(page)
    screenshot(page, "portal-unit-picker-phone")
    options.first.dispatch_event("mousedown")  # a tap on the option
    expect(unit).to_have_value("示范市行政审批服务管理局")
    expect(unit).to_have_attribute("aria-expanded", "false")

    page.get_by_label("附件").set_input_files(photo(tmp_path))
    page.get_by_label("匿名提交（不留姓名和电话，只能凭查询码查询进度）").check()
    no_horizontal_scroll(page)
    screenshot(page, "portal-submit-phone")
    with page.expect_navigation():
        page.get_by_test_id("submit").tap()
    number, code = registered(page)
    assert number.startswith("QQ-") and len(code) == 11
    no_horizontal_scroll(page)
    check_page(page)
    screenshot(page, "portal-submitted-phone")

    # Staff who see the case read the unit and download the photo; the public cannot.
    staff = wb.page("dispatcher")
    staff.goto(f"/cases/{number}/")
    expect(staff.get_by_text("示范市行政审批服务管理局").first).to_be_visible()
    link = staff.get_by_test_id("attachment-link")
    expect(link).to_have_text("现场照片.png")
    download = staff.request.get(link.get_attribute("href"))
    assert download.ok and download.headers["content-type"] == "image/png"
    assert download.body().startswith(b"\x89PNG")
    public = page.request.get(link.get_attribute("href"), max_redirects=0)
    assert public.status == 302 and "/login/" in public.headers["location"]

    # The resident follows the matter and finds the photo they sent, and only that.
    with page.expect_navigation():
        page.get_by_test_id("track-this").tap()
    page.get_by_label("查询码").fill(code)
    with page.expect_navigation():
        page.get_by_test_id("track-submit").tap()
    files = page.get_by_test_id("public-files")
    expect(files.get_by_role("link")).to_have_text("现场照片.png")
    own = page.request.get(files.get_by_role("link").get_attribute("href"))
    assert own.ok and own.body().startswith(b"\x89PNG")
    no_horizontal_scroll(page)
    check_page(page)
    screenshot(page, "track-files-phone")


def test_a_bad_file_refuses_the_form_and_keeps_what_was_typed(wb, tmp_path):
    page = wb.page(None, viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/submit/")
    fill_matter(page, "窗口让我提交的材料清单和网上公布的不一致。")
    # Four files are more than the form takes: not taken, said at once, nothing sent.
    page.wait_for_load_state("load")
    files = page.get_by_label("附件")
    files.set_input_files([photo(tmp_path)] * 4)
    expect(page.get_by_test_id("files-too-much")).to_be_visible()
    assert files.evaluate("input => input.files.length") == 0
    fake = tmp_path / "材料清单.jpg"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)  # a program, named as a photo
    files.set_input_files(str(fake))
    expect(page.get_by_test_id("files-too-much")).to_be_hidden()
    page.get_by_label("匿名提交（不留姓名和电话，只能凭查询码查询进度）").check()
    with page.expect_navigation():
        page.get_by_test_id("submit").tap()
    expect(page.locator(".field.files.invalid")).to_contain_text("“材料清单.jpg”：仅接受")
    expect(page.get_by_test_id("files-dropped")).to_contain_text("重新选择")
    assert page.get_by_label("发生了什么？您有什么诉求？").input_value().startswith("窗口让我")
    no_horizontal_scroll(page)
    check_page(page)
    screenshot(page, "portal-bad-file-phone")


def test_an_enterprise_files_with_an_sms_code_and_follows_it(wb, server):
    page = wb.page(None, viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/submit/")
    fill_matter(page, "我公司申请食品经营许可证已超过承诺时限，窗口说还要等。")
    page.get_by_label("涉及企业").fill("示范食品有限公司")
    page.get_by_label("统一社会信用代码").fill("91110000600037341M")  # a wrong check character
    page.get_by_label("您的姓名").fill("王经理")
    page.get_by_label("手机号码").fill("13700001234")
    page.get_by_label("诉求每有进展，也发短信告诉我").check()
    with page.expect_navigation():
        page.get_by_test_id("send-code").tap()
    expect(page.get_by_test_id("code-sent")).to_contain_text("137****1234")
    code = "".join(ch for ch in latest_sms(server).split("，")[0] if ch.isdigit())
    page.get_by_label("短信验证码").fill(code)
    with page.expect_navigation():
        page.get_by_test_id("submit").tap()
    # The wrong credit code is refused with the reason; everything typed is kept.
    expect(page.locator(".field.invalid")).to_contain_text("校验码")
    assert page.get_by_label("发生了什么？您有什么诉求？").input_value().startswith("我公司")
    page.get_by_label("统一社会信用代码").fill("91110000600037341L")
    page.get_by_label("短信验证码").fill(code)
    with page.expect_navigation():
        page.get_by_test_id("submit").tap()
    number, query_code = registered(page)
    assert number in latest_sms(server)

    with page.expect_navigation():
        page.get_by_test_id("track-this").tap()
    page.get_by_label("查询码").fill(query_code.lower())
    with page.expect_navigation():
        page.get_by_test_id("track-submit").tap()
    expect(page.get_by_test_id("public-state")).to_have_text("已受理，正在转交承办单位")
    no_horizontal_scroll(page)

    # The unit answers; its leader checks the answer; it leaves the unit.
    wb.api("dispatcher", "POST", f"/cases/{number}/actions/dispatch",
           {"lead_unit": "990102-SCJG", "reason": "浏览器测试：指定承办单位"})
    wb.api("handler", "POST", f"/cases/{number}/actions/sign", {})
    wb.api("handler", "POST", f"/cases/{number}/actions/reply",
           {"answer": "已协调窗口，三个工作日内办结许可证。"})
    wb.api("leader", "POST", f"/cases/{number}/actions/review", {})
    # The enterprise asked for an SMS at each step: the last public one was the reply (the
    # leader's review is internal).
    assert latest_sms(server).startswith(f"您的诉求 {number} 最新进展：已反馈。")
    page.reload()
    expect(page.get_by_test_id("public-answer")).to_contain_text("三个工作日内办结")
    rate = page.get_by_test_id("rate")
    rate.get_by_label("不满意", exact=True).check()
    rate.get_by_label("未解决", exact=True).check()
    rate.get_by_label("不满意的原因").fill("许可证仍未办下来，窗口说还要等。")
    check_page(page)
    screenshot(page, "portal-judge-phone")
    with page.expect_navigation():
        page.get_by_test_id("rate-submit").tap()
    expect(page.get_by_test_id("public-state")).to_have_text("承办单位正在办理")
    expect(page.get_by_test_id("public-judgement")).to_contain_text("不满意")
    steps = page.get_by_test_id("public-steps").inner_text()
    assert "不满意" in steps or "重办" in steps, steps


def test_a_matter_from_a_halls_qr_poster(wb):
    import pypdfium2
    import zxingcpp

    supervisor = wb.page("supervisor")
    poster = supervisor.request.get("/cannot-do/990102-HALL/poster.pdf")
    assert poster.ok and poster.headers["content-type"] == "application/pdf"
    image = pypdfium2.PdfDocument(poster.body())[0].render(scale=2).to_pil()
    url = zxingcpp.read_barcodes(image)[0].text
    assert url.startswith(wb.url) and url.endswith("/cannot-do/990102-HALL/")

    page = wb.page(None, viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(url)
    expect(page.get_by_test_id("hall")).to_contain_text("河阳区政务服务中心")
    no_horizontal_scroll(page)
    check_page(page)
    fill_matter(page, "窗口说系统不支持跨区办理，让我回户籍所在区办。")
    page.get_by_label("在哪个窗口遇到的问题？").select_option("990102-W02")
    page.get_by_label("匿名提交（不留姓名和电话，只能凭查询码查询进度）").check()
    screenshot(page, "portal-cannot-do-phone")
    with page.expect_navigation():
        page.get_by_test_id("submit").tap()
    number, _code = registered(page)
    assert number.startswith("QQ-")


def test_a_mailbox_letter_is_published_after_consent_and_approval(wb):
    page = wb.page(None, viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/mailbox/")
    expect(page.locator("h1")).to_have_text("市长信箱")
    page.get_by_label("咨询", exact=True).check()
    page.get_by_label("所属事项").select_option("SPFW-01")
    page.get_by_label("标题").fill("个体户变更经营范围能否全程网办")
    page.get_by_label("发生了什么？您有什么诉求？").fill("想给个体户增加经营范围，能否全程网上办理？")
    page.get_by_label("同意在信箱公开来信和答复（不公开我的姓名和联系方式）").check()
    page.get_by_label("匿名提交（不留姓名和电话，只能凭查询码查询进度）").check()
    no_horizontal_scroll(page)
    check_page(page)
    with page.expect_navigation():
        page.get_by_test_id("submit").tap()
    number, _code = registered(page)
    wb.api("intake", "POST", f"/cases/{number}/actions/answer",
           {"answer": "可以，登录政务服务网“个体工商户变更”事项全程网办。"})

    office = wb.page("dispatcher")
    office.goto("/mailbox/review/")
    card = office.get_by_test_id(f"review-{number}")
    card.get_by_label("公开答复内容").fill("可以，登录政务服务网“个体工商户变更”事项全程网办。")
    check_page(office)
    with office.expect_navigation():
        card.get_by_test_id("publish").click()

    page.goto("/mailbox/letters/")
    letter = page.get_by_test_id("letter").first
    expect(letter).to_contain_text("个体户变更经营范围能否全程网办")
    expect(letter).to_contain_text("全程网办")
    no_horizontal_scroll(page)
    check_page(page)
    screenshot(page, "portal-letters-phone")
