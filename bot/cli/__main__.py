"""``python -m bot.cli``: the same as the ``dt4e-bot`` command."""

import sys

from bot.cli import main

sys.exit(main())
