"""``python -m dashboard``: migrate the store, seed it if empty (generating the demo city if missing), serve."""

from dashboard.bootstrap import main

raise SystemExit(main())
