"""`asymmetry power`: what a design can detect, before any model is run (methods §3.8)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

ORDER = 60
#: The verdict's primary is the mean item-gain fit (methods §2.3); the MDEs here are the Mantel-Haenszel latent
#: test's, which the primary matches only when every item gains alike.
PRIMARY_NOTE = ("The verdict's primary estimate is the mean item gain fitted per suite (methods §2.3), not the "
                "Mantel-Haenszel latent test these MDEs are computed for. The two agree when every item gains alike; "
                "when item gains vary, the primary's interval is usually wider, and with one sample per item its "
                "verdict must hold at every assumed spread of item gains, so read these MDEs as optimistic for the "
                "primary.")
L3_CONTROLS = (3, 5, 8, 12, 19)
_FLAGS = {"n_items": "items", "n_targeted": "targeted", "n_untargeted": "untargeted", "tau_f": "tau-f",
          "tau_suite": "tau-suite", "item_noise": "item-noise", "power": "power"}


def register(app: typer.Typer) -> None:
    app.command(
        "power",
        help=(
            "Minimum detectable asymmetry for a design: items per suite, samples per item, suites per group, "
            "discordance and control transitions. Prints the latent (logit) and percentage-point MDEs, the "
            "industry-trend (L3) excess detectable with C controls, a short power curve and what to change "
            "first.\n\nExamples: [bold]asymmetry power --items 300 --samples 3 --controls 8[/bold]; "
            "[bold]asymmetry power -n 500 --accuracy 0.45,0.85 --targeted 4 --untargeted 4[/bold]"
        ),
    )(power)


def parse_accuracies(text: str) -> tuple[float, float]:
    """`T,U` as fractions (0.45,0.85) or with a percent sign (45%,85%). A bare number above 1 is refused,
    never guessed to be a percent: 1.5 could be a typo of 0.15 as well as 1.5%."""
    from harness.errors import UserError

    parts = [p.strip() for p in text.split(",")]
    values = []
    for part in parts:
        percent = part.endswith("%")
        try:
            value = float(part.rstrip("%").strip())
        except ValueError:
            value = float("nan")
        if percent:
            value /= 100
        if not 0 < value < 1:  # also catches nan
            values = []
            break
        values.append(value)
    if len(parts) != 2 or len(values) != 2:
        raise UserError(f"--accuracy {text}: give the targeted and untargeted accuracies as fractions between 0 "
                        "and 1, T,U (e.g. 0.45,0.85), or as percents with a % sign (45%,85%)")
    return values[0], values[1]


def power(
    items: Annotated[int, typer.Option("--items", "-n", help="Items per suite.")] = 300,
    samples: Annotated[int, typer.Option("--samples", "-k", help="Samples per item and release.")] = 1,
    targeted: Annotated[int, typer.Option("--targeted", help="Targeted (coding/agentic) suites.")] = 2,
    untargeted: Annotated[int, typer.Option("--untargeted", help="Untargeted (math/factual) suites.")] = 2,
    discordance: Annotated[float | None, typer.Option(
        "--discordance", help="Share of items whose outcome differs between the releases (π_d; typical "
                              "0.15-0.35). Read it off a pilot run: (gains + losses) / items. [default: 0.25, "
                              "or derived from --accuracy]", show_default=False)] = None,
    accuracy: Annotated[str | None, typer.Option(
        "--accuracy", metavar="T,U", help="Old-release accuracy of the targeted and untargeted suites as "
                                          "fractions, e.g. 0.45,0.85 (or 45%,85%): derives the discordance (suites near a ceiling have few "
                                          "discordant items) instead of --discordance.")] = None,
    shift: Annotated[float, typer.Option(
        "--shift", help="Expected common latent gain of the new release, logits (0.5 ≈ +12 pp at 50%).")] = 0.5,
    controls: Annotated[int, typer.Option(
        "--controls", "--baselines", "-c", help="Control (baseline) release transitions from other labs, for "
                                                "the triple difference (L3).")] = 0,
    tau_f: Annotated[float, typer.Option("--tau-f", help="Lab-to-lab SD of the asymmetry, logits (L3).")] = 0.3,
    tau_suite: Annotated[float, typer.Option("--tau-suite", help="Suite-to-suite SD, logits (L2).")] = 0.3,
    item_noise: Annotated[float, typer.Option(
        "--item-noise", help="Item-specific change SD, logits: the part that more samples cannot average "
                             "away.")] = 0.3,
    alpha: Annotated[float, typer.Option("--alpha", help="Two-sided test level.")] = 0.05,
    target_power: Annotated[float, typer.Option("--power", help="Wanted power.")] = 0.8,
    margin_pp: Annotated[float, typer.Option("--margin-pp", help="Flatness margin, pp (TOST).")] = 3.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of tables.")] = False,
) -> None:
    """Print what the design can detect on each layer, with advice."""
    import json

    derived = None
    if accuracy is not None:
        discordance, derived = _from_accuracy(accuracy, discordance, shift, item_noise, targeted, untargeted)
    design, result = _detectable(
        dict(n_items=items, samples=samples, n_targeted=targeted, n_untargeted=untargeted,
             discordance=0.25 if discordance is None else discordance, controls=controls, tau_f=tau_f, alpha=alpha,
             power=target_power, shift=shift, tau_suite=tau_suite, item_noise=item_noise, margin_pp=margin_pp),
        derived)
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    _print(design, result, derived)


def _from_accuracy(accuracy: str, discordance: float | None, shift: float, item_noise: float, targeted: int,
                   untargeted: int) -> tuple[float, dict[str, Any]]:
    """The pooled discordance that `--accuracy T,U` implies (suites near a ceiling have few discordant
    items), and what it was derived from; refused together with --discordance."""
    from harness.errors import UserError
    from harness.stats.power import discordance_at, pooled_discordance

    if discordance is not None:
        raise UserError("give either --discordance or --accuracy, not both")
    acc_t, acc_u = parse_accuracies(accuracy)
    pi_t = discordance_at(acc_t, shift, item_noise=item_noise)
    pi_u = discordance_at(acc_u, shift, item_noise=item_noise)
    pooled = pooled_discordance([pi_t] * targeted + [pi_u] * untargeted, [True] * targeted + [False] * untargeted)
    return pooled, {"accuracy": [acc_t, acc_u], "discordance_targeted": round(pi_t, 4),
                    "discordance_untargeted": round(pi_u, 4), "pooled": round(pooled, 4)}


def _detectable(fields: dict[str, Any], derived: dict[str, Any] | None) -> tuple[Any, dict[str, Any]]:
    """The design and the library's result for it, plus the discordance's derivation and the L3 MDE by number
    of controls; a bad design is an error that names the command-line flag, not the Python field."""
    from harness.errors import UserError
    from harness.stats.power import Design, ddd_mde, detectable

    try:
        design = Design(**fields)
        result = detectable(design)
    except UserError as e:
        message = str(e).replace("power design: ", "")
        field = message.split("=", 1)[0]
        if field.isidentifier():
            message = f"--{_FLAGS.get(field, field.replace('_', '-'))} " + message[len(field) + 1:]
        raise UserError(message) from None
    if derived is not None:
        result["discordance_from_accuracy"] = derived
    result["primary_note"] = PRIMARY_NOTE
    ddd_sd = result["ddd_sd"]
    result["l3_by_controls"] = [{"controls": c, "mde_ddd": round(ddd_mde(c, ddd_sd, design.alpha, design.power), 4)}
                                for c in L3_CONTROLS]
    return design, result


def _print(design: Any, result: dict[str, Any], derived: dict[str, Any] | None) -> None:
    """The design, the MDE per layer, L3 by number of controls, the L1 power curve and the advice."""
    from rich.console import Console

    console = Console()
    console.print(
        f"[bold]Design[/bold]: {design.n_targeted}+{design.n_untargeted} suites × {design.n_items} items, "
        f"k={design.samples} sample(s), discordance {design.discordance:.2f}, {design.controls} control "
        f"transition(s); {design.power:.0%} power, two-sided α={design.alpha}"
    )
    if derived is not None:
        console.print(
            f"  discordance from starting accuracies {derived['accuracy'][0]:.0%} (targeted) and "
            f"{derived['accuracy'][1]:.0%} (untargeted) with a {design.shift} logit gain: "
            f"{derived['discordance_targeted']:.2f} and {derived['discordance_untargeted']:.2f}, "
            f"pooled {derived['pooled']:.2f}"
        )
    console.print(_mde_table(design, result))
    console.print(_curves(design, result))
    console.print("[bold]Advice[/bold]")
    for line in result["advice"]:
        console.print(f"  • {line}")
    console.print(f"[bold]Note[/bold]: {result['primary_note']}")
    console.print(f"[dim]Method: {result['method']}[/dim]")


def _mde_table(design: Any, result: dict[str, Any]) -> Any:
    """One row per layer: its minimum detectable effect and how to read it."""
    from rich.table import Table

    targeted, untargeted = design.n_targeted, design.n_untargeted
    table = Table(title="Minimum detectable effect", title_justify="left")
    table.add_column("Layer / test")
    table.add_column("MDE", justify="right")
    table.add_column("Reading")
    table.add_row("L1 latent asymmetry (Mantel-Haenszel)", f"{result['mde_latent']:.2f} logits",
                  f"≈ {result['mde_pp']:.1f} pp more targeted gain, for suites starting at 50%; optimistic for "
                  "the primary (see note)")
    table.add_row("L1 pp asymmetry (ceiling-sensitive)", f"{result['mde_pp_test']:.1f} pp",
                  "raw percentage points; biased when targeted suites start lower")
    if result["mde_l2"] is None:
        table.add_row("L2 generalisation (HKSJ)", "not testable", f"needs ≥3+3 suites (have {targeted}+{untargeted})")
    else:
        table.add_row("L2 generalisation (HKSJ)", f"{result['mde_l2']:.2f} logits",
                      f"suite SD τ={design.tau_suite}; permutation floor p={result['permutation_floor']:.3g}")
    if result["mde_ddd"] is None:
        table.add_row("L3 excess vs industry trend", "no controls", "add --controls C (≥8 recommended)")
    else:
        table.add_row("L3 excess vs industry trend", f"{result['mde_ddd']:.2f} logits",
                      f"{design.controls} controls, lab SD τ_f={design.tau_f}; rank floor p={result['rank_floor']:.2f}")
    flat = result["flatness"]
    flat_power = "power <1%" if flat["power"] < 0.01 else f"power {flat['power']:.0%}"
    table.add_row(f"Flatness (TOST ±{design.margin_pp:g} pp)", flat_power,
                  f"{flat['n_untargeted_items']} untargeted items; ~{flat['n_needed']} needed for "
                  f"{design.power:.0%}")
    return table


def _curves(design: Any, result: dict[str, Any]) -> Any:
    """The L3 excess detectable by number of controls, then the L1 latent test's power curve."""
    from rich.console import Group
    from rich.table import Table

    from harness.stats.power import asymmetry_pp, latent_se

    shift = design.shift
    l3 = Table(title=f"L3: detectable excess by number of controls (τ_f={design.tau_f}, this design's SE)",
               title_justify="left")
    l3.add_column("Controls C", justify="right")
    l3.add_column("Excess (logits)", justify="right")
    l3.add_column("pp at 50%", justify="right")
    for row in result["l3_by_controls"]:
        l3.add_row(str(row["controls"]), f"{row['mde_ddd']:.2f}", f"{asymmetry_pp(row['mde_ddd'], shift):.1f}")
    curve = Table(title=f"L1 latent (Mantel-Haenszel) test: power curve (SE {latent_se(design):.3f} logits)",
                  title_justify="left")
    curve.add_column("Asymmetry (logits)", justify="right")
    curve.add_column("pp at 50%", justify="right")
    curve.add_column("Power", justify="right")
    curve.add_column("")
    for point in result["curve"][::2]:
        bar = "█" * round(20 * point["power"])
        curve.add_row(f"{point['effect']:.2f}", f"{asymmetry_pp(point['effect'], shift):.1f}", f"{point['power']:.0%}", bar)
    return Group(l3, curve)
