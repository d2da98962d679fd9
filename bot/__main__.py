"""`python -m bot …` is `porch-parallel …`."""

import sys

from bot.cli.main import main

# Guarded so that importing the module (as the wheel's import check does) runs nothing.
if __name__ == "__main__":
    sys.exit(main())
