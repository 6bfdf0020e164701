"""Simulated casework: a month of reports and cases driven through the real case service.

An edge package (it uses :mod:`store` and :mod:`cases`; nothing imports it): it fills a store with
realistic casework for the dashboard, the KPIs (:mod:`store.kpis`) and the benchmarks, and proves on the
way that the closed loop holds under volume — every step passes the rule table and lands in the audit trail.

- :mod:`sim.world` — the city as the simulation sees it, read from the store;
- :mod:`sim.simulate` — the run: arrivals, routing, delays against deadlines, the lagging township;
- ``python -m sim simulate | league`` — the command line.
"""

from sim.simulate import LAGGING, ORDINARY, Profile, Settings, Summary, simulate

__all__ = ["LAGGING", "ORDINARY", "Profile", "Settings", "Summary", "simulate"]
