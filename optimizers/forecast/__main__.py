"""``./run.sh python -m optimizers.forecast ARGS`` = ``./run.sh carbon forecast ARGS``."""

import sys

from carbon.cli import main

sys.exit(main(["forecast", *sys.argv[1:]]))
