"""Closed loops in the browser: a public complaint from filing to closing (dispatch, handling,
reply, four follow-ups), and a rectification problem through plan, progress, a failed and a
passed verification and sign-off by a different user."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.browser.conftest import login
from tests.conftest import make_user


@pytest.fixture
def loaded(transactional_db: Any) -> None:
    from coact.plan import services

    services.load_org()


def _state(page: Any) -> str:
    return page.locator("#case-state").get_attribute("data-state")


def _do(
    page: Any,
    name: str,
    fields: dict[str, str] | None = None,
    selects: dict[str, str] | None = None,
    files: dict[str, str] | None = None,
) -> None:
    """Open the step ``name`` on the case page, fill its form and submit it."""
    page.locator(f"summary[data-transition='{name}']").click()
    form = page.locator(f"form#do-{name}")
    for field, value in (fields or {}).items():
        form.locator(f"[name='{field}']").fill(value)
    for field, value in (selects or {}).items():
        form.locator(f"select[name='{field}']").select_option(value)
    for field, path in (files or {}).items():
        form.locator(f"input[name='{field}']").set_input_files(path)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#action-error").count() == 0, page.locator("#action-error").inner_text()


def _as(new_page: Any, base: str, username: str) -> Any:
    page = new_page()
    login(page, base, username, f"pw-{username}")
    return page


def test_complaint_from_public_form_to_closing(
    loaded: None, live_server: Any, new_page: Any, tmp_path: Any
) -> None:
    from coact.cases.models import Case

    make_user("office", "supervisor")
    make_user("rugao", "county", region="320682")
    photo = tmp_path / "site-photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 jpeg bytes")
    base = live_server.url

    public = new_page()
    public.goto(f"{base}/complaints/new/")
    form = public.locator("#complaint-form")
    form.locator("select[name=category]").select_option("air.odour")
    form.locator("textarea[name=description]").fill("化工厂夜间排放刺鼻异味，影响休息")
    form.locator("input[name=address]").fill("如皋市长江镇港城路8号")
    form.locator("input[name=reporter_name]").fill("王先生")
    form.locator("input[name=reporter_phone]").fill("13900001234")
    form.locator("button[type=submit]").click()
    number = public.locator("#complaint-number").inner_text()
    code = public.locator("#access-code").inner_text()
    case = Case.objects.get(number=number)
    assert case.region.code == "320682" and case.state == "received"

    office = _as(new_page, base, "office")
    office.goto(f"{base}/cases/?case_type=complaint")
    office.locator(f"tr[data-case='{number}'] a").click()
    office.wait_for_load_state()
    assert (
        "13900001234" in office.locator("#reporter-contact").inner_text()
    )  # the office may see it
    _do(office, "accept")
    assert _state(office) == "accepted"
    _do(office, "dispatch", selects={"assignee": "county:320682"})
    assert _state(office) == "dispatched"

    county = _as(new_page, base, "rugao")
    county.goto(f"{base}/cases/{case.pk}/")
    assert "13900001234" not in county.content()  # no permission to see the reporter's contact
    _do(county, "start")
    _do(
        county,
        "reply",
        fields={"reply": "已现场检查并责令企业整改废气收集设施"},
        files={"evidence": str(photo)},
    )
    assert _state(county) == "replied"

    office.goto(f"{base}/cases/{case.pk}/")
    for seq in (1, 2, 3, 4):
        row = office.locator(f"#follow-ups tr[data-follow-up='{seq}']")
        row.locator("summary").click()
        row.locator("select[name=method]").select_option("on_site" if seq == 4 else "phone")
        row.locator("textarea[name=result]").fill(f"第{seq}次回访：群众认可")
        row.locator("select[name=satisfaction]").select_option("satisfied")
        row.locator("button[type=submit]").click()
        office.wait_for_load_state()
        assert office.locator(f"#follow-ups tr[data-follow-up='{seq}'][data-done='1']").count() == 1

    county.goto(f"{base}/cases/{case.pk}/")
    _do(county, "request_review")
    assert _state(county) == "under_review"
    assert (
        county.locator("summary[data-transition='confirm_fixed']").count() == 0
    )  # not the county's step

    office.goto(f"{base}/cases/{case.pk}/")
    _do(office, "confirm_fixed", fields={"conclusion": "异味问题已解决，回访满意"})
    assert _state(office) == "fixed"
    assert office.locator("#timeline tr[data-transition='confirm_fixed']").count() == 1
    assert office.locator("#timeline tr.audit").count() >= 1

    public.goto(f"{base}/complaints/track/")
    public.locator("#track-form input[name=number]").fill(number)
    public.locator("#track-form input[name=code]").fill(code)
    public.locator("#track-form button[type=submit]").click()
    assert public.locator("#public-status [data-state]").get_attribute("data-state") == "fixed"
    assert "已现场检查" in public.locator("#public-status").inner_text()
    assert "13900001234" not in public.content()


def test_rectification_plan_verification_and_sign_off(
    loaded: None, live_server: Any, new_page: Any, tmp_path: Any
) -> None:
    from coact.cases.models import Case
    from tests.conftest import make_enterprise

    enterprise = make_enterprise("MA1AAAA1X", "320682", "如皋甲化工有限公司", 120.58, 32.38)
    make_user("office", "supervisor")
    make_user("office2", "supervisor")
    make_user("rugao", "county", region="320682")
    make_user("ent", "enterprise", enterprise=enterprise)
    photo = tmp_path / "evidence.jpg"
    photo.write_bytes(b"\xff\xd8 evidence")
    base = live_server.url
    deadline = (dt.date.today() + dt.timedelta(days=45)).isoformat()

    office = _as(new_page, base, "office")
    office.goto(f"{base}/rectification/")
    form = office.locator("#register-problem form")
    form.locator("input[name=title]").fill("VOCs废气收集风机停运")
    form.locator("textarea[name=description]").fill("现场检查发现收集风机停运")
    form.locator("select[name=enterprise]").select_option(str(enterprise.pk))
    form.locator("select[name=source]").select_option("inspection")
    form.locator("select[name=severity]").select_option("serious")
    form.locator("input[name=category]").fill("air.industrial_emission")
    form.locator("textarea[name=legal_basis]").fill("《大气污染防治法》第四十五条")
    form.locator("button[type=submit]").click()
    office.wait_for_load_state()
    assert _state(office) == "registered"
    case = Case.objects.get(case_type="rectification")
    _do(office, "assign", fields={"deadline": deadline}, selects={"assignee": "county:320682"})
    assert _state(office) == "assigned"

    ent = _as(new_page, base, "ent")
    ent.goto(f"{base}/cases/{case.pk}/")
    _do(
        ent,
        "submit_plan",
        fields={
            "plan": "更换风机并加装运行监控",
            "responsible_person": "张工",
            "plan_deadline": deadline,
            "milestones": f"{deadline} 完成风机更换",
        },
    )
    assert _state(ent) == "plan_submitted"

    county = _as(new_page, base, "rugao")
    county.goto(f"{base}/cases/{case.pk}/")
    _do(county, "approve_plan")
    assert _state(county) == "rectifying"
    assert county.locator("#plans [data-plan-state='approved']").count() == 1

    ent.goto(f"{base}/cases/{case.pk}/")
    _do(ent, "report_progress", fields={"progress": "新风机已到货"}, files={"evidence": str(photo)})
    _do(
        ent,
        "request_verification",
        fields={"completion_report": "风机已更换"},
        files={"evidence": str(photo)},
    )
    assert _state(ent) == "verification_requested"

    county.goto(f"{base}/cases/{case.pk}/")
    _do(
        county,
        "fail_verification",
        fields={"verification_report": "集气罩仍有破损", "reason": "未完全整改"},
    )
    assert _state(county) == "rectifying"  # a failed verification sends it back

    ent.goto(f"{base}/cases/{case.pk}/")
    _do(
        ent,
        "request_verification",
        fields={"completion_report": "集气罩已修复"},
        files={"evidence": str(photo)},
    )

    county.goto(f"{base}/cases/{case.pk}/")
    _do(
        county,
        "pass_verification",
        fields={"verification_report": "现场核查合格"},
        files={"evidence": str(photo)},
    )
    assert _state(county) == "verified"

    signer = _as(new_page, base, "office2")
    signer.goto(f"{base}/cases/{case.pk}/")
    _do(signer, "sign_off", fields={"document": "通环整销〔2025〕1号"})
    assert _state(signer) == "signed_off"
    case.refresh_from_db()
    signed = case.updates.get(transition="sign_off")
    assert signed.actor.username == "office2" and str(signed.actor.pk) not in case.handlers
    assert {
        u.actor.username
        for u in case.updates.filter(transition__in=["submit_plan", "report_progress"])
    } == {"ent"}
