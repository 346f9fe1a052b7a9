"""CLI sub-commands. Each module defines `register(app: typer.Typer) -> None` and an optional `ORDER`
(lower comes first in `--help`). Heavy imports (pandas, statsmodels, matplotlib) go inside the command
functions so that `asymmetry --help` stays fast."""
