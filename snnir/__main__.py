"""``python -m snnir``: the command line, as the ``snnir`` program."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
