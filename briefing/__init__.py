"""What leaders read and forward: the day's situation and the township board, as data and as files.

- :mod:`briefing.period` — the local days asked about, and the same weekdays a week before;
- :mod:`briefing.situation` — 每日态势: the figures, townships, league, trend of a period and scope;
- :mod:`briefing.overdue` — the overdue open cases and who owns them (team, department, command center);
- :mod:`briefing.board` — 闭环看板: the funnel, step times and league per township, community or team;
- :mod:`briefing.mapdata` — the brief's small map, from the dashboard's own layers;
- :mod:`briefing.brief` — 每日简报: one A4 page as PDF and PNG (matplotlib, drawn on the server);
- :mod:`briefing.workbook` — the tables as an Excel workbook.

It reads :mod:`store` (the KPIs of :mod:`store.kpis`, the day's counts of :mod:`store.today`) and
:mod:`layers`; the dashboard's situation and township pages show what it returns. Nothing here knows Dash.
"""
