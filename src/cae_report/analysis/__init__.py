"""Stage 3, analysis: pure functions from clean tables to results (no formatting)."""
