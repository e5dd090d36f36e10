"""Stage 4, report: French text, tables and charts made from the analyses."""
