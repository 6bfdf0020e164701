"""The Dash dashboard: pages (one module each under ``pages/``), shared components, i18n and theme.

Start it with ``python -m dashboard`` (see :mod:`dashboard.bootstrap`); build it in code with
:func:`dashboard.app.create_app`.
"""
