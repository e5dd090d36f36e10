"""Stage 5, build: prepare a year once, execute the chapters, cache, provenance."""
