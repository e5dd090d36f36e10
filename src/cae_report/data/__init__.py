"""Stage 1, data: the contract, reading and validating raw files, reference data, exports."""
