"""``python -m vpnroute_widgets``: the batch command line (see :mod:`vpnroute_widgets.cli`)."""

import sys

from .cli import main

sys.exit(main())
