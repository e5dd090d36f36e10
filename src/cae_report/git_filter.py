"""nbstripout as Git's filter for notebooks (``make git-filter``), started after the package.

Git runs the filter once per notebook it reads (``git add``, ``git status``, ``git diff``).
nbstripout imports nbformat, hence jsonschema and the format checkers installed with
JupyterLab: 2.3 s a notebook, 25 s for a ``git diff`` of the eleven chapters. Imported
first, :mod:`cae_report` leaves those checkers out (see its ``__init__``): 0.4 s.

Run as ``python -m cae_report.git_filter [nbstripout's options]``.
"""

from __future__ import annotations

import sys

from nbstripout import main

if __name__ == "__main__":
    sys.argv[0] = "nbstripout"
    sys.exit(main())
