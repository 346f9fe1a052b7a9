"""What a run needs from this machine, checked before anything is asked or written: a run whose coding
suites cannot be scored should stop at once, not after the other suites have spent an hour of GPU."""

from __future__ import annotations

from collections.abc import Sequence

from harness.errors import UserError


def code_suites(names: Sequence[str]) -> list[str]:
    """The requested suites (names as `--suites` takes them) whose scorer runs model-written code."""
    from harness.suites.build import list_specs, resolve_names

    try:
        chosen = resolve_names(list(names), list_specs())
    except UserError:  # an unknown name: load_suites reports it, with the others
        return []
    return [s.name for s in chosen if not isinstance(s, str) and s.scorer.get("kind") == "code"]


def require_sandbox(names: Sequence[str], *, allow_unsandboxed: bool = False) -> None:
    """Refuse, naming the suites, when suites that run model code are requested and bubblewrap is missing
    (unless unsandboxed execution was allowed with --allow-unsandboxed-code)."""
    from harness.sandbox import find_bwrap

    needing = code_suites(names)
    if not needing or find_bwrap() is not None or allow_unsandboxed:
        return
    raise UserError(
        f"suite(s) {', '.join(needing)} run model-written code, which needs bubblewrap (bwrap, Linux), and it is "
        "not installed: install it (Debian/Ubuntu: apt-get install bubblewrap), leave those suites out of "
        "--suites, or pass --allow-unsandboxed-code on a throwaway machine")
