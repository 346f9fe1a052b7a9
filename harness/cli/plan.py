"""`asymmetry plan`: write the pre-registration file before the new release's results exist."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ORDER = 25


def register(app: typer.Typer) -> None:
    app.command(
        "plan",
        help=(
            "Pre-register the analysis before the new release is run: which suites are targeted and which "
            "untargeted, the scale, the flatness margins, alpha, the control transitions, the error rule and the "
            "reference level. Writes a JSON file with its creation time and content hash; publish or timestamp "
            "the printed sha256. [bold]asymmetry compare --plan FILE[/bold] follows it and records every deviation."
            "\n\n[bold]Examples[/bold]\n\n"
            "  asymmetry plan --suites default --out plans/qwen3.5.json --before qwen3-8b --after qwen3.5-9b\n\n"
            "  asymmetry plan --targeted humaneval_plus,bfcl_simple --untargeted gsm8k,nq_open --control llama3:llama3.1 "
            "--out plan.json"
        ),
    )(plan)


def _split(values: list[str] | None) -> list[str]:
    return [p.strip() for v in values or [] for p in v.split(",") if p.strip()]


def plan(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the plan (never overwritten).",
                                      show_default=False)],
    targeted: Annotated[list[str] | None, typer.Option(
        "--targeted", help="Targeted suites (coding, agentic), comma-separated or repeated.", show_default=False)] = None,
    untargeted: Annotated[list[str] | None, typer.Option(
        "--untargeted", help="Untargeted suites (math, factual), comma-separated or repeated.",
        show_default=False)] = None,
    suites: Annotated[list[str] | None, typer.Option(
        "--suites", help="Suite names, 'default' or 'builtin': categories are taken from the suite specs.",
        show_default=False)] = None,
    before: Annotated[str | None, typer.Option("--before", help="Label of the earlier release.",
                                               show_default=False)] = None,
    after: Annotated[str | None, typer.Option("--after", help="Label of the new release.", show_default=False)] = None,
    control: Annotated[list[str] | None, typer.Option(
        "--control", "-c", help="Control transition BEFORE:AFTER (repeat).", show_default=False)] = None,
    margin_pp: Annotated[float, typer.Option("--margin-pp", help="Flatness margin, percentage points.")] = 3.0,
    margin_logit: Annotated[float, typer.Option("--margin-logit", help="Flatness margin, logits.")] = 0.15,
    alpha: Annotated[float, typer.Option("--alpha", help="Family-wise level (two-sided).")] = 0.05,
    errors: Annotated[str, typer.Option("--errors", help="Error rule: default, exclude or fail.")] = "default",
    p_ref: Annotated[float, typer.Option("--p-ref", help="Reference starting level for pp-equivalents.")] = 0.5,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Cluster-bootstrap resamples.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
    samples: Annotated[int, typer.Option(
        "--samples", help="Answers sampled per item and release (run --samples). 3 or more let the analysis "
                          "estimate how much items differ in their gains; with 1 a verdict must hold for every "
                          "assumed spread.")] = 3,
    external: Annotated[bool, typer.Option(
        "--external", help="Allow suite names this harness has no spec for (an item table from elsewhere, imported "
                           "logs); their categories are then yours alone.")] = False,
    notes: Annotated[str, typer.Option("--notes", help="Free text: hypotheses, sources, who wrote the plan.")] = "",
) -> None:
    """Write a pre-registration file and print its hash."""
    from rich.console import Console
    from rich.table import Table

    from harness.errors import UserError
    from harness.plan import content_hash, make_plan, write_plan
    from harness.suites.build import list_specs, resolve_names

    specs = {s.name: s for s in list_specs()}
    chosen: dict[str, str] = {}
    if suites:
        for spec in resolve_names(_split(suites), list(specs.values())):
            if isinstance(spec, str):
                raise UserError(f"--suites {spec}: lm-eval tasks have no category here; list them under --targeted "
                                "or --untargeted")
            chosen[spec.name] = spec.category
    given = {"targeted": _split(targeted), "untargeted": _split(untargeted)}
    both = sorted(set(given["targeted"]) & set(given["untargeted"]))
    if both:
        raise UserError(f"suite(s) {', '.join(both)} are both --targeted and --untargeted; a suite belongs to one group")
    for category, names in given.items():
        for name in names:
            if name in specs or name.endswith(".toml") or name.startswith("lm-eval:"):
                (spec,) = resolve_names([name], list(specs.values()))
                own = getattr(spec, "category", None)
                if own and own != category:
                    raise UserError(f"suite {name} is {own} in its spec but listed under --{category}; move it, or "
                                    "copy the spec under a new name with the category you mean")
                name = getattr(spec, "name", name)
            elif not external:
                resolve_names([name], list(specs.values()))  # a one-line error naming the closest known suite
            if chosen.get(name, category) != category:
                raise UserError(f"suite {name} is {chosen[name]} (from --suites) but listed under --{category}")
            chosen[name] = category
    document = make_plan(chosen, before=before, after=after, controls=list(control or []), margin_pp=margin_pp,
                         margin_logit=margin_logit, alpha=alpha, error_rule=errors, p_ref=p_ref, n_boot=n_boot,
                         seed=seed, samples=samples, notes=notes)
    if external:  # recorded in the plan (and covered by its content hash)
        document["external_suites"] = sorted(n for n in chosen if n not in specs)
        document["content_sha256"] = content_hash(document)
    digest = write_plan(out, document)
    console = Console()
    table = Table(title=f"Pre-registration written to {out}", title_justify="left")
    table.add_column("setting")
    table.add_column("value")
    table.add_row("targeted", ", ".join(document["targeted"]))
    table.add_row("untargeted", ", ".join(document["untargeted"]))
    table.add_row("scale", "logit (latent); pp and normalised gain as sensitivity rows")
    table.add_row("margins", f"±{margin_pp:g} pp, ±{margin_logit:g} logits")
    table.add_row("alpha", f"{alpha:g}")
    table.add_row("samples per item", f"{samples}" + ("  (one: a verdict must hold for every assumed spread of item "
                                                      "gains; 3 or more are recommended)" if samples == 1 else ""))
    table.add_row("controls", ", ".join(document["controls"]) or "none")
    table.add_row("error rule", f"{errors}: {document['error_rule_text']}")
    table.add_row("created", document["created_at"])
    console.print(table)
    console.print(f"file sha256: {digest}", soft_wrap=True)
    console.print("Publish or timestamp this sha256 before running the new release; then run "
                  f"[bold]asymmetry compare … --plan {out}[/bold].")
