from __future__ import annotations

from ccplugin.cli.main import main

raise SystemExit(main())
