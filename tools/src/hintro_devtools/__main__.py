"""``python -m hintro_devtools``: see :mod:`hintro_devtools.cli`."""

import sys

from hintro_devtools.cli import main

sys.exit(main())
