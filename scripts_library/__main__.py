"""``python -m scripts_library`` — see ``cli.py``."""

import sys

from .cli import main

sys.exit(main())
