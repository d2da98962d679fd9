"""`python -m bot …` is `porch-parallel …`."""

import sys

from bot.cli.main import main

sys.exit(main())
