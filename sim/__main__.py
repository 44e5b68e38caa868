"""`python -m sim` is the same as `alliance-sim`."""

import sys

from sim.cli.main import main

sys.exit(main())
