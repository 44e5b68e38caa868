"""`python -m sim` is the same as `alliance-sim`."""

import sys

from .cli import main

sys.exit(main())
