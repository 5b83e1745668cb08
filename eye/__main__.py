"""`python -m eye`: the same as the `eye` command, for environments without its script."""

import sys

from eye.cli import main

sys.exit(main())
