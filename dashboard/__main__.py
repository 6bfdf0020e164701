"""``python -m dashboard``: generate the demo city if missing, migrate and seed the store, serve."""

from dashboard.bootstrap import main

raise SystemExit(main())
