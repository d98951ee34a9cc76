"""``python -m ccplugin``: the command line, importing nothing from the working directory.

``python -m`` puts the working directory first on ``sys.path``; in CI that is the change under
review, whose files must not stand in for an installed module (a ``pluggy.py`` at its root, say).
The ``ccplugin`` package itself is found before this runs: the Action should start Python with
``-P`` as well (DESIGN §11).
"""

from __future__ import annotations

import os
import sys

if sys.path and sys.path[0] and os.path.realpath(sys.path[0]) == os.path.realpath(os.getcwd()):
    del sys.path[0]

from ccplugin.cli.main import main  # after the working directory left sys.path

raise SystemExit(main())
