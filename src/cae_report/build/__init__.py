"""Stage 5, build: prepare a year once, execute the chapters, cache, provenance."""

import sys

# nbformat imports jsonschema, which imports the checkers of string formats that are installed
# (JupyterLab's jsonschema[format-nongpl] brings them): rfc3987_syntax compiles some thirty
# Earley parsers at import, seconds for every build process, and isoduration imports arrow
# (0.1 s). No schema a build validates (notebooks) uses the "iri" or "duration" formats they
# check, so the build does without them; an already imported one is kept.
for _checker in ("rfc3987_syntax", "isoduration"):
    sys.modules.setdefault(_checker, None)
del _checker
