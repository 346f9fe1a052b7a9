"""The `asymmetry` command line. Each sub-command lives in `harness/cli/<name>.py` and registers
itself with `register(app)`; this module only assembles them and turns bad input into one-line errors."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any, NoReturn

import typer

from harness import __version__
from harness.errors import UserError

app = typer.Typer(
    name="asymmetry",
    help=(
        "Test whether a model release's gains are concentrated in targeted capabilities (coding, agentic) "
        "rather than untargeted ones (math, knowledge).\n\n"
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


_registered = False


def _register_commands() -> None:
    """Add every command module's commands to `app`, once per process. (Registering on every `main()` call
    added a full copy of the commands each time, so in-process callers such as the tests got slower with
    every call: hundreds of calls in, one `asymmetry power` took seconds.)"""
    global _registered
    if _registered:
        return
    _registered = True
    import harness.cli as package

    modules = [importlib.import_module(f"harness.cli.{m.name}") for m in pkgutil.iter_modules(package.__path__)]
    for module in sorted(modules, key=lambda m: getattr(m, "ORDER", 100)):
        if hasattr(module, "register"):  # shared helpers (option types) live beside the commands
            module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI. Bad input ends with `error: …` (and at most one hint line) on stderr and
    exit status 2, never a traceback, for every command, including ones registered later."""
    _register_commands()
    try:
        result = app(args=argv, prog_name="asymmetry", standalone_mode=False)
    except UserError as e:
        _fail(str(e))
    except _EXIT as e:
        raise SystemExit(getattr(e, "exit_code", 0)) from None
    except _ABORT:
        _echo("interrupted")
        raise SystemExit(130) from None
    except KeyboardInterrupt:
        _echo("interrupted")
        raise SystemExit(130) from None
    except _PARSE_ERRORS as e:
        _parse_error(e, sys.argv[1:] if argv is None else argv)
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as e:
        if not e.filename:  # not about a path the user gave: a bug, keep its traceback
            raise
        _fail(f"{e.filename}: {e.strerror or type(e).__name__}")
    raise SystemExit(result if isinstance(result, int) else 0)


def _click_family() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...],
                             tuple[type[BaseException], ...]]:
    """The exception classes of the click that parses our command line. Typer 0.29 vendors its own click
    (`typer._click`), whose errors derive from `typer.TyperException` and are not the classes of the
    `click` package; an older typer uses the `click` package itself. Both are caught, so a usage error
    is never a traceback whichever is installed."""
    parse: list[type[BaseException]] = [typer.TyperException] if hasattr(typer, "TyperException") else []
    exits: list[type[BaseException]] = [typer.Exit]
    aborts: list[type[BaseException]] = [typer.Abort]
    try:
        import click
    except ImportError:
        pass
    else:
        parse.append(click.ClickException)
        exits.append(click.exceptions.Exit)
        aborts.append(click.exceptions.Abort)
    return tuple(parse), tuple(dict.fromkeys(exits)), tuple(dict.fromkeys(aborts))


_PARSE_ERRORS, _EXIT, _ABORT = _click_family()


def _echo(text: str) -> None:
    from harness.terminal import clean

    typer.echo(clean(text), err=True)  # messages may quote an endpoint's words: no escape sequences


def _fail(message: str, hint: str | None = None, code: int = 2) -> NoReturn:
    _echo(f"error: {' '.join(message.split())}")  # one line, whatever the message held
    if hint:
        _echo(hint)
    raise SystemExit(code)


def _parse_error(e: BaseException, argv: list[str]) -> NoReturn:
    """A usage error from the parser: what was wrong on one line, where to find the right spelling on the
    next. `asymmetry models` alone (a group without its command) prints the group's help instead."""
    ctx = getattr(e, "ctx", None)
    if type(e).__name__ == "NoArgsIsHelpError" and ctx is not None:
        typer.echo(ctx.get_help())
        raise SystemExit(0)
    format_message = getattr(e, "format_message", None)
    message = format_message() if callable(format_message) else str(e)
    command = getattr(ctx, "command_path", None) or ""
    if len(command.split()) < 2:  # some parser errors carry no (or the root's) context: read argv
        command = _command_path(argv)
    _fail(message, f"Try '{command} --help' for the options and examples.", int(getattr(e, "exit_code", 2) or 2))


def _command_path(argv: list[str]) -> str:
    """`asymmetry models check` for `models check a b`: the words of argv that name (sub)commands."""
    group: Any = typer.main.get_command(app)
    words = ["asymmetry"]
    for word in argv:
        commands = getattr(group, "commands", None)
        if not commands or word not in commands:
            break
        group = commands[word]
        words.append(word)
    return " ".join(words)


if __name__ == "__main__":
    main(sys.argv[1:])
