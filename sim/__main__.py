"""`python -m sim` is the same as `alliance-sim`."""

import sys

from sim.cli.main import command_line

sys.exit(command_line())
