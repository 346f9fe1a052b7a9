"""Data the package ships: the curated published-score table behind `asymmetry demo` (see README.md)."""
