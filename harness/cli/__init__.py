"""The `asymmetry` command line. Each sub-command lives in `harness/cli/<name>.py` and registers
itself with `register(app)`; this module only assembles them and turns bad input into one-line errors."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click
import typer

from harness import __version__
from harness.errors import UserError

app = typer.Typer(
    name="asymmetry",
    help=(
        "Test whether a model release's gains are concentrated in targeted capabilities (coding, agentic) "
        "rather than untargeted ones (math, factual recall).\n\n"
        "Typical flow: [bold]run[/bold] two releases over the fixed suites → [bold]compare[/bold] them → "
        "[bold]report[/bold]. Start with [bold]asymmetry demo[/bold] (offline, real published scores)."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"asymmetry {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """asymmetry: paired, latent-scale tests of capability asymmetry between model releases."""


def _register_commands() -> None:
    import harness.cli as package

    modules = [importlib.import_module(f"harness.cli.{m.name}") for m in pkgutil.iter_modules(package.__path__)]
    for module in sorted(modules, key=lambda m: getattr(m, "ORDER", 100)):
        if hasattr(module, "register"):  # shared helpers (option types) live beside the commands
            module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; bad input ends with `error: …` on one line and exit status 2."""
    _register_commands()
    try:
        result = app(args=argv, prog_name="asymmetry", standalone_mode=False)
    except UserError as e:
        click.echo(f"error: {e}", err=True)
        raise SystemExit(2) from None
    except click.exceptions.Exit as e:
        raise SystemExit(e.exit_code) from None
    except click.ClickException as e:
        e.show()
        raise SystemExit(e.exit_code) from None
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        raise SystemExit(130) from None
    raise SystemExit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
