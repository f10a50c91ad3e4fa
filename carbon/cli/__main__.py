"""``python -m carbon.cli``: the ``carbon`` console script."""

import sys

from carbon.cli import main

sys.exit(main())
