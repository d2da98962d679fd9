"""`python -m bot …` is `porch-parallel …`."""

import sys

from bot.cli import main

sys.exit(main())
