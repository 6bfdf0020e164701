"""The words of the brief and the workbook, in Chinese (first) and English.

The dashboard's texts live in :mod:`dashboard.i18n`; these are the ones the exported files print, kept
beside the code that prints them so that :mod:`briefing` needs nothing from the dashboard.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "brief.title": ("每日简报", "Daily brief"),
    "brief.situation": ("每日态势", "Daily situation"),
    "brief.as_of": ("数据截至 {at}", "Data as of {at}"),
    "brief.generated": ("生成于 {at}", "Generated {at}"),
    "brief.vs_previous": ("较上周同期", "vs same days last week"),
    "brief.vs_previous_weeks": ("较{weeks}周前同期", "vs same days {weeks} weeks before"),
    "brief.map": ("上报密度与在办案件", "Report density and open cases"),
    "brief.map.overdue": ("超期", "overdue"),
    "brief.townships": ("镇街对比", "Townships"),
    "brief.league": ("考核排名 {period}", "League {period}"),
    "brief.trend.hour": ("按小时趋势（与上周同期）", "By hour (against last week)"),
    "brief.trend.day": ("按日趋势（与上周同期）", "By day (against last week)"),
    "brief.owners": ("超期责任单位", "Who owns the overdue cases"),
    "brief.overdue": ("超期未办结案件（前 {n} 件，共 {total} 件）", "Overdue open cases (first {n} of {total})"),
    "brief.overdue.title": ("超期未办结案件", "Overdue open cases"),
    "brief.overdue.none": ("没有超期未办结案件", "No open case is overdue"),
    "brief.demo_boundaries": ("边界为示意边界，非官方界线", "Boundaries are demo boundaries, not official"),
    "brief.footer": ("按期结案率：时段内结案案件中无超时环节的比例；排名得分见考核规则",
                     "On-time closure: share of the cases closed in the period with no step past its limit"),
    "brief.rank_of": ("{rank}/{of}", "{rank}/{of}"),
    "fig.reports": ("上报", "Reports"),
    "fig.accepted": ("受理", "Accepted"),
    "fig.dispatched": ("派遣", "Dispatched"),
    "fig.handled": ("处置", "Handled"),
    "fig.closed": ("结案", "Closed"),
    "fig.overdue": ("超期未办结", "Overdue open"),
    "fig.on_time_closure_rate": ("按期结案率", "On-time closure"),
    "col.township": ("镇街", "Township"),
    "col.code": ("案件编号", "Case"),
    "col.item": ("事项", "Item"),
    "col.community": ("村/社区", "Community"),
    "col.owner": ("责任单位", "Owner"),
    "col.department": ("部门", "Department"),
    "col.status": ("状态", "Status"),
    "col.priority": ("优先级", "Priority"),
    "col.opened": ("登记时间", "Opened"),
    "col.deadline": ("办理时限", "Deadline"),
    "col.days_over": ("超期天数", "Days over"),
    "col.overdue": ("超期", "Overdue"),
    "col.cases": ("件数", "Cases"),
    "col.max_days_over": ("最长超期（天）", "Longest (days)"),
    "col.mean_days_over": ("平均超期（天）", "Mean (days)"),
    "col.supervised": ("督办", "Supervised"),
    "col.score": ("得分", "Score"),
    "col.rank": ("排名", "Rank"),
    "col.of": ("参评镇街数", "Ranked"),
    "col.figure": ("指标", "Figure"),
    "col.value": ("本期", "This period"),
    "col.previous": ("上周同期", "Same days before"),
    "col.change": ("变化", "Change"),
    "col.period": ("时段", "Period"),
    "col.scope": ("范围", "Scope"),
    "col.hour": ("时段", "Hour"),
    "col.day": ("日期", "Day"),
    "col.reports": ("上报", "Reports"),
    "col.reports_previous": ("上报（上周同期）", "Reports (a week before)"),
    "col.closed": ("结案", "Closed"),
    "col.closed_previous": ("结案（上周同期）", "Closed (a week before)"),
    "col.points": ("{name}得分", "{name} points"),
    "sheet.summary": ("概况", "Summary"),
    "sheet.townships": ("镇街对比", "Townships"),
    "sheet.league": ("考核排名", "League"),
    "sheet.overdue": ("超期案件", "Overdue cases"),
    "sheet.owners": ("责任单位", "Owners"),
    "sheet.trend": ("趋势", "Trend"),
    "owner.team": ("执法队伍", "Team"),
    "owner.department": ("移送部门", "Department"),
    "owner.command_center": ("指挥中心", "Command center"),
    "group.new": ("待受理", "Awaiting acceptance"),
    "group.accepted": ("待派遣", "Awaiting dispatch"),
    "group.dispatched": ("已派遣", "Dispatched"),
    "group.on_site": ("处置中", "On site"),
    "group.handled": ("待核查结案", "Awaiting verification"),
    "kpi.handling_rate": ("处置率", "Handling rate"),
    "kpi.on_time_handling_rate": ("按期处置率", "On-time handling"),
    "kpi.rework_rate": ("返工率", "Rework rate"),
    "kpi.overdue_pending_rate": ("超期积压率", "Overdue pending"),
    "kpi.extension_rate": ("延期率", "Extension rate"),
    "kpi.on_time_closure_rate": ("按期结案率", "On-time closure"),
    "kpi.closure_rate": ("结案率", "Closure rate"),
    "kpi.acceptance_rate": ("受理率", "Acceptance rate"),
    "kpi.dispatch_accuracy": ("派遣准确率", "Dispatch accuracy"),
}


def tr(key: str, lang: str = "zh", **values: object) -> str:
    """The text for ``key`` in ``lang`` ("en", else Chinese), formatted with ``values``."""
    try:
        zh, en = TEXTS[key]
    except KeyError:
        raise KeyError(f"no text for {key!r} in briefing/texts.py") from None
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def kpi_label(name: str, lang: str = "zh") -> str:
    """A KPI's short name: this module's, else the Chinese or English half of :data:`store.kpis.KPIS`' label."""
    if f"kpi.{name}" in TEXTS:
        return tr(f"kpi.{name}", lang)
    from store.kpis import KPIS

    label = KPIS[name].label if name in KPIS else name
    zh, _, en = label.partition(" ")
    return (en or zh) if lang == "en" else zh
