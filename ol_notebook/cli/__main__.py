"""`python -m ol_notebook.cli`: the same as the `ol-notebook` console script."""

import sys

from ol_notebook.cli import main

sys.exit(main())
