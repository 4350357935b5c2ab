"""What users read of an alarm: the case description in Chinese with the factor's Chinese name
and unit (HJ 212 factor table), the rule's basis without the reference notes' confidence tags."""

from __future__ import annotations

import re
from typing import Any

from coact.monitoring import rules
from tests.monitoring.conftest import local_hour, packet

MN_A = "MNA000000000000000000001"
TAG = re.compile(r"\[(V|3P|R|D)\]")


def test_exceedance_sentence_names_the_factor_in_chinese_with_its_unit() -> None:
    rule = rules.rule_book().rules["exceedance_hour"]
    text = rules.alarm_text_zh(
        rule, kind="exceedance", factor="a21026", value=90.43, limit=50.0, converted=True
    )
    assert text == "二氧化硫(a21026) 小时均值折算浓度 90.43 mg/m³，超过限值 50 mg/m³"


def test_persistent_exceedance_and_water_factor() -> None:
    rule = rules.rule_book().rules["exceedance_hour_3"]
    # COD (w01018) is a water factor in mg/L: no O2 conversion.
    text = rules.alarm_text_zh(rule, kind="exceedance", factor="w01018", value=61.5, limit=50)
    assert text == "化学需氧量(w01018) 小时均值 61.50 mg/L，超过限值 50 mg/L，已连续3小时超标"


def test_no_rule_basis_shows_a_confidence_tag() -> None:
    book = rules.rule_book()
    assert TAG.search(book.rules["exceedance_hour"].source)  # the tag is in our notes ...
    for rule in book.rules.values():
        assert rule.basis and not TAG.search(rule.basis), rule.name  # ... never in the basis
    assert (
        rules.without_tags("HJ 76-2017 App. B as quoted [3P]: x [V]")
        == "HJ 76-2017 App. B as quoted: x"
    )


def test_alarm_case_description_is_chinese_and_the_alarm_keeps_english(pipeline: Any) -> None:
    from django.utils import translation

    from coact.cases.models import Case
    from coact.monitoring.models import Alarm

    # 60 mg/m3 SO2 at 9 % O2, reference 6 %: 60 x 15/12 = 75 > 50 (GB 13223-2011 Table 2)
    pipeline.send(packet(MN_A, "2061", local_hour(1), {"a21026": 60.0, "a19001": 9.0}))
    alarm = Alarm.objects.get(rule="exceedance_hour")
    case = Case.objects.get(pk=alarm.case_id_ref)
    assert case.description.splitlines() == [
        "二氧化硫(a21026) 小时均值折算浓度 75.00 mg/m³，超过限值 50 mg/m³",
        "依据：HJ 76-2017 附录B：1小时折算浓度超过限值即报警",
    ]
    assert not TAG.search(case.description) and not TAG.search(case.title)
    assert alarm.message.startswith("a21026 hour value 75.00 > limit 50")  # English stays
    with translation.override("zh-hans"):
        assert str(alarm).startswith("小时均值超标 二氧化硫(a21026) ")
    with translation.override("en"):
        assert str(alarm).startswith("Hourly mean over the limit a21026 ")


def test_alarm_list_speaks_the_page_language(pipeline: Any, office: Any) -> None:
    """The list shows the rule's name and the finding in Chinese by default, the English
    label and engine message on the English page; never the rule code."""
    from django.conf import settings
    from django.test import Client

    pipeline.send(packet(MN_A, "2061", local_hour(1), {"a21026": 60.0, "a19001": 9.0}))
    client = Client()
    client.force_login(office)
    zh = client.get("/monitoring/alarms/").content.decode()
    assert "小时均值超标" in zh and "二氧化硫(a21026)" in zh
    assert ">exceedance_hour<" not in zh and "hour value" not in zh
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = client.get("/monitoring/alarms/").content.decode()
    assert "Hourly mean over the limit" in en and "a21026 hour value" in en
