"""Fill the zh_Hans catalogue from the glossary below (run after `coact manage makemessages`).

Kept as a script so the wording of the Chinese interface is reviewed in one place; entries
already translated in the .po file are left alone unless --force.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parents[1] / "src/coact/locale/zh_Hans/LC_MESSAGES/django.po"

GLOSSARY = {
    "Administrator": "系统管理员",
    "Supervisor (pollution-prevention office)": "市攻坚办(督办)",
    "Department reporter": "部门填报员",
    "County user": "县(市、区)用户",
    "Enterprise user": "企业用户",
    "Province": "省",
    "City": "市",
    "District": "区",
    "County-level city or county": "县级市或县",
    "Park": "园区",
    "Unified social credit code %(code)s: %(problem)s": "统一社会信用代码 %(code)s:%(problem)s",
    "unified social credit code": "统一社会信用代码",
    "invented demo record": "虚构的演示记录",
    "required for the role %(role)s": "角色 %(role)s 必填",
    "Value": "数值",
    "Period from": "统计期起",
    "Period to": "统计期止",
    "Source": "数据来源",
    "Note": "备注",
    "Evidence file": "佐证材料",
    "Year": "年度",
    "Quarter": "季度",
    "Percent done": "完成进度(%)",
    "Progress": "进展情况",
    "Problems": "存在问题",
    "Status": "状态",
    "Reason": "理由",
    "Filled workbook (.xlsx)": "已填写的报表(.xlsx)",
    "Achieved": "已完成",
    "On track": "进度正常",
    "At risk": "存在风险",
    "Off track": "滞后",
    "No data": "暂无数据",
    "reaching the target exactly is not enough": "须超过目标值",
    "city or county: who reports it": "市级或县级填报",
    "Submitted": "已提交",
    "Approved": "已审核",
    "Rejected": "已退回",
    "Superseded by a correction": "已被更正值取代",
    "empty: the whole plan area": "为空表示全市",
    "a modelled projection, not a measured value": "模型预测值,非实测",
    "invented demo value": "虚构的演示数值",
    "Returned for revision": "退回修改",
    "public view": "公众版",
    "Other plans:": "其他规划:",
    "Export to Excel": "导出Excel",
    "awaiting approval": "待审核",
    "Indicators at risk or off track": "存在风险或滞后的指标",
    "Indicator": "指标",
    "Latest": "最新值",
    "Expected now": "当前应达",
    "Target": "目标",
    "Why": "说明",
    "illustrative": "示例",
    "Goals": "主要目标",
    "No quantitative indicator": "无量化指标",
    "Counties side by side": "各县(市、区)对比",
    "County / park": "县(市、区)/园区",
    "Task reports": "任务报告",
    "Share": "比例",
    "Values reported this year": "本年已报数值",
    "Change history (audit trail)": "变更记录(审计留痕)",
    "When": "时间",
    "Who": "操作人",
    "Action": "操作",
    "Changes (before → after)": "变更(前 → 后)",
    "No recorded change.": "暂无变更记录。",
    "Task": "任务",
    "Lead": "牵头单位",
    "Co-responsible": "配合单位",
    "Indicators": "指标",
    "Reported progress": "报告进度",
    "No task matches.": "没有符合条件的任务。",
    "Approvals": "审核",
    "Waiting for approval": "待审核事项",
    "Indicator values": "指标数值",
    "Period": "统计期",
    "By": "填报人",
    "Decision": "审核意见",
    "comment (needed to reject)": "意见(退回时必填)",
    "Approve": "通过",
    "Reject": "退回",
    "Nothing waiting.": "暂无待办。",
    "Unit": "单位",
    "comment (needed to return)": "意见(退回时必填)",
    "Return": "退回",
    "Assessment": "考核",
    "Weights": "权重",
    "set in the assessment data file": "在考核配置文件中设置",
    "Indicator score": "指标得分",
    "Tasks": "任务",
    "On time": "按时",
    "Late": "逾期",
    "Missing": "未报",
    "Reporting score": "报送得分",
    "Score": "总分",
    "Dashboard": "总览",
    "target": "目标",
    "baseline": "基准",
    "deadline": "截止",
    "responsible": "责任单位",
    "task": "任务",
    "manual override": "人工调整",
    "Report a value": "填报数值",
    "Submit for approval": "提交审核",
    "Manual status override": "人工调整状态",
    "Set override": "确认调整",
    "Clear override": "取消调整",
    "cleared": "已取消",
    "All values": "全部数值",
    "Show all": "显示全部",
    "Area": "区域",
    "Reported by": "填报人",
    "State": "状态",
    "projection": "预测",
    "whole plan area": "全市",
    "evidence": "佐证",
    "No value yet.": "暂无数值。",
    "All": "全部",
    "Code": "编码",
    "Deadline": "截止日期",
    "Responsible": "责任单位",
    "Reporting": "数据来源方式",
    "computed": "系统计算",
    "reported": "部门填报",
    "carried out by every county and park": "各县(市、区)、园区落实",
    "Text of the plan": "规划原文",
    "None": "无",
    "Quarterly progress report": "季度进展报告",
    "Submit report": "提交报告",
    "Reports": "报告",
    "No report yet.": "暂无报告。",
    "Task board": "任务看板",
    "Department": "部门",
    "County": "县(市、区)",
    "Filter": "筛选",
    "Reporting workbook": "报表填报",
    "Download": "下载",
    "The workbook lists only your own tasks and indicators.": "报表只包含本单位负责的任务和指标。",
    "Download workbook": "下载报表",
    "Upload": "上传",
    "The whole file is checked; if any row is wrong nothing is imported.": "整份文件统一校验,任一行有误则全部不导入。",
    "Nothing was imported. Problems found:": "未导入任何数据。发现以下问题:",
    "Sheet": "工作表",
    "Row": "行",
    "Column": "列",
    "Problem": "问题",
    "Indicator status by goal": "各目标指标状态",
    "Reports this quarter": "本季度已报",
    "Still due": "待报",
    "Counties: task reports for %(y)sQ%(q)s": "各县(市、区)%(y)s年第%(q)s季度任务报告",
    "Report submitted.": "报告已提交。",
    "Value submitted for approval.": "数值已提交,等待审核。",
    "Observed": "实测",
    "Observed (illustrative demo data)": "实测(示例演示数据)",
    "Projection": "预测",
    "Target trajectory": "目标路径",
    "Give a status and a reason.": "请选择状态并填写理由。",
    "Done.": "已完成。",
    "%(n)s rows imported.": "已导入 %(n)s 行。",
    "Public dashboard": "公众总览",
    "Air quality": "空气质量",
    "Report": "填报",
    "API": "接口",
    "CoAct pollution and carbon co-control": "CoAct 减污降碳协同增效平台",
    "Pollution and carbon co-control": "减污降碳协同增效",
    "Language": "语言",
    "Notifications": "通知",
    "Log out": "退出",
    "Log in": "登录",
    "Wrong user name or password.": "用户名或密码错误。",
    "User name": "用户名",
    "Password": "密码",
    "Nothing new.": "暂无新通知。",
    "Figures marked “illustrative” are invented demo data, not official statistics.": "标注“示例”的数据为虚构的演示数据,并非官方统计。",
}
PLURALS = {"Newest %(n)s shown.": "显示最新 %(n)s 条。"}


def main(force: bool = False) -> int:
    po = polib.pofile(str(PO))
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    missing = []
    for entry in po:
        if entry.msgid_plural:
            if entry.msgid in PLURALS and (force or not entry.msgstr_plural.get(0)):
                entry.msgstr_plural = {0: PLURALS[entry.msgid]}
        elif entry.msgid in GLOSSARY and (force or not entry.msgstr):
            entry.msgstr = GLOSSARY[entry.msgid]
        if "fuzzy" in entry.flags and entry.msgstr:
            entry.flags.remove("fuzzy")
        if not entry.msgstr and not entry.msgstr_plural.get(0):
            missing.append(entry.msgid)
    po.save()
    print(f"{len(po) - len(missing)} translated, {len(missing)} missing")
    for msgid in missing:
        print("  missing:", msgid)
    return 0


if __name__ == "__main__":
    sys.exit(main("--force" in sys.argv))
