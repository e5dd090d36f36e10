"""cae-report: the reproducible annual report of a Coopérative d'Activités et d'Emploi."""

__version__ = "0.1.0"
