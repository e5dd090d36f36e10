"""Stage 5, build: prepare a year once, execute the chapters, cache, provenance."""

import sys

# nbformat imports jsonschema, which imports rfc3987_syntax when it is installed (JupyterLab's
# jsonschema[format-nongpl] brings it): that module compiles some thirty Earley parsers at
# import, seconds for every build process. No schema a build validates (notebooks) uses the
# "iri" formats it checks, so the build does without it; an already imported one is kept.
sys.modules.setdefault("rfc3987_syntax", None)
