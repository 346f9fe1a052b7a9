"""`asymmetry provenance fit|compare|markers`: does a new release write more like an alleged teacher than
its predecessor did? The CLI only parses, calls harness.provenance and prints; the statistics live there."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

ORDER = 45
CONTEXT = {"allow_extra_args": True}
_IN = "Inputs"
_WHO = "Models"
_OUT = "Analysis and output"

Texts = Annotated[Path | None, typer.Option(
    "--texts", help="A texts table (CSV, Parquet or JSONL) with columns model, prompt_id, domain, sample, text; "
                    "optional split (train|test), template, passed, temperature, served_model.",
    show_default=False, rich_help_panel=_IN)]
Results = Annotated[list[Path] | None, typer.Option(
    "--results", "-r", help="Run directories of `asymmetry run` over the provenance bank (or any suite). Repeat "
                            "the flag or list several after one (a shell glob works).",
    show_default=False, rich_help_panel=_IN)]
Teacher = Annotated[str, typer.Option(
    "--teacher", "-t", help="The alleged teacher's model label, e.g. claude.", show_default=False,
    rich_help_panel=_WHO)]
Candidates = Annotated[list[str] | None, typer.Option(
    "--candidate", help="Another candidate teacher (repeat). Needed for the specificity test: the shift must be "
                        "larger toward the teacher than toward each of them.", show_default=False,
    rich_help_panel=_WHO)]
References = Annotated[list[str] | None, typer.Option(
    "--reference", help="A reference model that also trains the attribution model (repeat); never the suspect's "
                        "releases or a control.", show_default=False, rich_help_panel=_WHO)]


def _inputs(texts: Path | None, results: Sequence[Path] | None, extra: Sequence[str]) -> tuple[pd.DataFrame, dict]:
    from harness.errors import UserError
    from harness.provenance.texts import read_texts, texts_from_runs

    paths = list(results or [])
    for arg in extra:
        if not paths or arg.startswith("-") or not Path(arg).is_dir():
            raise UserError(f"unexpected argument {arg!r}; only run directories may follow --results")
        paths.append(Path(arg))
    if (texts is None) == (not paths):
        raise UserError("pass exactly one input: --texts FILE (a texts table) or --results DIR… (run directories)")
    if texts is not None:
        return read_texts(texts), {"kind": "texts", "paths": [str(texts)]}
    return texts_from_runs(paths), {"kind": "results", "paths": [str(p) for p in paths]}


@contextmanager
def _status(console: Console, first: str) -> Iterator[Callable[[str], None]]:
    with console.status(first) as status:
        yield lambda msg: status.update(f"{msg}…")


def _fmt(x: Any, digits: int = 2, signed: bool = True) -> str:
    if x is None:
        return "–"
    return f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"


def _p(p: Any) -> str:
    return "–" if p is None else "< 0.001" if p < 0.001 else f"{p:.3f}"


def _p_is(p: Any) -> str:
    """'p = 0.012' or 'p < 0.001', never 'p = < 0.001'."""
    text = _p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _ci(ci: Sequence[Any] | None) -> str:
    return "–" if not ci or ci[0] is None else f"[{ci[0]:+.2f}, {ci[1]:+.2f}]"


# ------------------------------------------------------------------------------------------------- fit


FIT_HELP = (
    "Train the attribution model on the [bold]train[/bold] prompts of the teacher, the other candidate teachers "
    "and the reference models (never the suspect's releases or the controls), report its held-out accuracy "
    "beside the length-only and style-only baselines, and save it frozen into [bold]--out[/bold] as plain data "
    "(model.json + arrays.npz, no pickle). It prints the model's sha256: put it in your plan before the "
    "suspect's outputs are scored, and pass it to [bold]provenance compare --model-sha256[/bold].\n\n"
    "[bold]Example[/bold]\n\n"
    "  asymmetry provenance fit --texts texts.csv --teacher claude --candidate gpt --candidate gemini "
    "--reference llama --out provenance/model/"
)


def fit_cmd(
    ctx: typer.Context,
    teacher: Teacher,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write model.json and arrays.npz into.",
                                      show_default=False, rich_help_panel=_OUT)],
    texts: Texts = None,
    results: Results = None,
    candidate: Candidates = None,
    reference: References = None,
) -> None:
    from rich.console import Console

    from harness.errors import UserError
    from harness.provenance.model import fit_model, heldout, save_model
    from harness.provenance.texts import check_models

    console = Console()
    table, _ = _inputs(texts, results, ctx.args)
    check_models(table, [("--teacher", teacher), *[("--candidate", c) for c in candidate or []],
                         *[("--reference", r) for r in reference or []]])
    if (out / "model.json").exists():
        raise UserError(f"{out}: already holds a model; a frozen model is never overwritten (choose another --out)")
    with _status(console, "Fitting the attribution model…") as say:
        model = fit_model(table, teacher, candidate or [], reference or [], progress=say)
        say("held-out accuracy")
        acc = heldout(model, table)
        model.meta["heldout"] = {k: acc.get(k) for k in ("heldout_accuracy", "baselines", "per_class_recall",
                                                          "n_test_prompts", "n_test_texts", "heldout_ci",
                                                          "at_chance")}
        digest = save_model(model, out)
    _print_classifier(console, acc, model.classes)
    console.print(f"model: [bold]{out}[/bold]\nsha256: [bold]{digest}[/bold]", highlight=False)
    console.print("[dim]Record this sha256 in the plan before the suspect's outputs are scored.[/dim]")


def _print_classifier(console: Console, acc: dict[str, Any], classes: Sequence[str]) -> None:
    from rich.table import Table

    t = Table(title="Attribution model (held-out test prompts)", title_justify="left")
    for col in ("features", "accuracy"):
        t.add_column(col, justify="left" if col == "features" else "right")
    t.add_row("n-grams + style (the model)", _fmt(acc.get("heldout_accuracy"), 3, False))
    for name, value in (acc.get("baselines") or {}).items():
        t.add_row(name.replace("_", " ") + " (baseline)", _fmt(value, 3, False))
    t.add_row("chance", _fmt(1 / len(classes), 3, False))
    console.print(t)
    if acc.get("at_chance"):
        from harness.provenance.stats import chance_reason

        console.print(f"[bold yellow]Warning:[/bold yellow] {chance_reason(acc)}.", highlight=False)
    recall = acc.get("per_class_recall") or {}
    if recall:
        console.print("recall by class: " + ", ".join(f"{k} {v:.2f}" for k, v in recall.items()), highlight=False)


# --------------------------------------------------------------------------------------------- compare


COMPARE_HELP = (
    "Did [bold]--after[/bold] (S1) move toward [bold]--teacher[/bold]'s writing style, compared with "
    "[bold]--before[/bold] (S0)? Scores both releases' answers to the same test prompts with a frozen "
    "attribution model (trained only on the teacher, the other candidates and the references), and reports:\n\n"
    "• the paired shift in teacher affinity (log-odds, per prompt), overall and by domain;\n\n"
    "• the domain difference-in-differences (coding + agentic minus math, factual and chat);\n\n"
    "• specificity: larger toward the teacher than toward each other --candidate (Holm);\n\n"
    "• the main test: the shift against other developers' release transitions (--control, 8 or more), by a "
    "prediction-interval t and a placebo rank; and the pre-trend of the previous transition (--pretrend);\n\n"
    "• secondary rows (AUC shift, exact-prefix agreement, teacher phrases, self-identification) and guards "
    "(a model claiming to be the teacher, length- and capability-matched and markdown-stripped re-analyses).\n\n"
    "It ends with one citable sentence and its caveat: at most 'consistent with training on the teacher's "
    "outputs', never proof.\n\n"
    "[bold]Examples[/bold]\n\n"
    "  asymmetry provenance compare --texts texts.csv --teacher claude --before q3 --after q3.5 "
    "--candidate gpt --candidate gemini --reference llama --control ds-v3:ds-v3.1 --json prov.json\n\n"
    "  asymmetry provenance compare --results results/* --model provenance/model/ --model-sha256 4f2a… "
    "--teacher claude --before q3 --after q3.5 --json prov.json"
)


def compare_cmd(
    ctx: typer.Context,
    teacher: Teacher,
    before: Annotated[str, typer.Option("--before", help="The suspect's earlier release (S0).", show_default=False,
                                        rich_help_panel=_WHO)],
    after: Annotated[str, typer.Option("--after", help="The suspect's new release (S1).", show_default=False,
                                       rich_help_panel=_WHO)],
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the asymmetry.provenance/1 document here.",
                                                   show_default=False, rich_help_panel=_OUT)] = None,
    texts: Texts = None,
    results: Results = None,
    candidate: Candidates = None,
    reference: References = None,
    control: Annotated[list[str] | None, typer.Option(
        "--control", "-c", help="Another developer's release transition BEFORE:AFTER of the same period (repeat; "
                                "8 or more make the main test; scored by the same frozen model).",
        show_default=False, rich_help_panel=_WHO)] = None,
    pretrend: Annotated[str | None, typer.Option(
        "--pretrend", help="The suspect's release before S0 (PREVIOUS, or PREVIOUS:S0): its transition must not "
                           "already show the movement.", show_default=False, rich_help_panel=_WHO)] = None,
    model_dir: Annotated[Path | None, typer.Option(
        "--model", help="A frozen model from `provenance fit` (then --candidate/--reference come from it).",
        show_default=False, rich_help_panel=_IN)] = None,
    model_sha: Annotated[str | None, typer.Option(
        "--model-sha256", help="The pre-registered sha256 (or a prefix of 12+ hex digits): any other model is "
                               "refused.", show_default=False, rich_help_panel=_IN)] = None,
    targeted: Annotated[str, typer.Option(
        "--targeted", help="Comma-separated targeted domains; every other domain is untargeted.",
        rich_help_panel=_OUT)] = "coding,agentic",
    alias: Annotated[list[str] | None, typer.Option(
        "--alias", help="Another name that counts as the teacher in self-identification (repeat), e.g. Anthropic.",
        show_default=False, rich_help_panel=_OUT)] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="Level of every test (intervals at 1 - alpha).",
                                         min=0.0001, max=0.5, rich_help_panel=_OUT)] = 0.05,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Prompt-bootstrap resamples of the AUC shift.", min=100,
                                        rich_help_panel=_OUT)] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap and sign-flip draws.",
                                      rich_help_panel=_OUT)] = 0,
) -> None:
    from rich.console import Console

    from harness.errors import UserError
    from harness.provenance.compare import provenance_document
    from harness.provenance.model import fit_model, load_model
    from harness.provenance.texts import check_models, parse_transition

    console = Console()
    if model_sha is not None and (len(model_sha) < 12 or any(c not in "0123456789abcdefABCDEF" for c in model_sha)):
        raise UserError(f"--model-sha256 {model_sha!r}: give the sha256 `provenance fit` printed (12+ hex digits)")
    if model_sha and model_dir is None:
        raise UserError("--model-sha256 checks a saved model: pass it with --model DIR")
    table, inputs = _inputs(texts, results, ctx.args)
    controls = [parse_transition(c) for c in control or []]
    previous = None
    if pretrend:
        previous, _, s0 = pretrend.partition(":")
        if s0 and s0 != before:
            raise UserError(f"--pretrend {pretrend!r}: the previous transition must end at --before {before!r}")
    named = [("--teacher", teacher), ("--before", before), ("--after", after),
             *[("--candidate", c) for c in candidate or []], *[("--reference", r) for r in reference or []],
             *[("--control", m) for pair in controls for m in pair], *([("--pretrend", previous)] if previous else [])]
    check_models(table, named)
    with _status(console, "Preparing…") as say:
        if model_dir is not None:
            model = load_model(model_dir, model_sha)
            if model.teacher != teacher:
                raise UserError(f"--model {model_dir}: its teacher is {model.teacher!r}, not {teacher!r}")
            given = set(candidate or []) | set(reference or [])
            if given and not given <= set(model.classes):
                raise UserError(f"--candidate/--reference {', '.join(sorted(given - set(model.classes)))}: not in the "
                                f"saved model (it was trained on {', '.join(model.classes)})")
        else:
            say("fitting the attribution model")
            model = fit_model(table, teacher, candidate or [], reference or [], progress=say)
        doc = provenance_document(
            table, model, before=before, after=after, controls=controls, pretrend=previous,
            targeted=[t.strip() for t in targeted.split(",") if t.strip()], alpha=alpha, n_boot=n_boot, seed=seed,
            identity_aliases=alias or [], progress=say)
    doc["inputs"].update(inputs)
    doc["command"] = _command(texts, results, ctx.args, teacher, before, after, candidate, reference, control,
                              pretrend, model_dir, model_sha, targeted, alias, alpha, n_boot, seed, json_path)
    print_document(console, doc)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(doc, indent=1, ensure_ascii=False))
        console.print(f"json: [bold]{json_path}[/bold]", highlight=False)


def _command(texts: Path | None, results: Sequence[Path] | None, extra: Sequence[str], teacher: str, before: str,
             after: str, candidate: Sequence[str] | None, reference: Sequence[str] | None,
             control: Sequence[str] | None, pretrend: str | None, model_dir: Path | None, model_sha: str | None,
             targeted: str, alias: Sequence[str] | None, alpha: float, n_boot: int, seed: int,
             json_path: Path | None) -> str:
    """The command line that reproduces a document."""
    parts = ["asymmetry", "provenance", "compare"]
    parts += ["--texts", str(texts)] if texts else ["--results", *map(str, [*(results or []), *extra])]
    parts += ["--teacher", teacher, "--before", before, "--after", after]
    for flag, values in (("--candidate", candidate), ("--reference", reference), ("--control", control),
                         ("--alias", alias)):
        for v in values or []:
            parts += [flag, v]
    for flag, value, default in (("--pretrend", pretrend, None), ("--model", model_dir, None),
                                 ("--model-sha256", model_sha, None), ("--targeted", targeted, "coding,agentic"),
                                 ("--alpha", alpha, 0.05), ("--n-boot", n_boot, 2000), ("--seed", seed, 0),
                                 ("--json", json_path, None)):
        if value is not None and value != default:
            parts += [flag, str(value)]
    return shlex.join(parts)


def print_document(console: Console, doc: dict[str, Any]) -> None:
    """The terminal view: classifier, shifts, DiD, specificity, controls, claim and the citable sentence."""
    from rich.panel import Panel
    from rich.table import Table

    _print_classifier(console, doc["classifier"], range(doc["classifier"]["n_classes"]))
    t = Table(title=f"Shift toward {doc['teacher']}: {doc['before']} → {doc['after']} (log-odds, per prompt)",
              title_justify="left")
    for col in ("", "shift", f"{round(100 * (1 - doc['alpha']))}% CI", "SE", "p", "prompts", "share > 0"):
        t.add_column(col, justify="left" if col == "" else "right")
    sh = doc["shift"]
    t.add_row("all test prompts", _fmt(sh["estimate"]), _ci(sh["ci"]), _fmt(sh["se"], 2, False), _p(sh["p_value"]),
              str(sh["n_prompts"]), _fmt(sh.get("share_positive"), 2, False))
    for dom, row in doc["by_domain"].items():
        t.add_row(f"  {dom}{' (targeted)' if row.get('targeted') else ''}", _fmt(row["estimate"]), _ci(row["ci"]),
                  _fmt(row["se"], 2, False), _p(row["p_value"]), str(row["n_prompts"]),
                  _fmt(row.get("share_positive"), 2, False))
    did = doc["domain_did"]
    t.add_row("targeted − untargeted (DiD, one-sided p)", _fmt(did["estimate"]), _ci(did["ci"]), _fmt(did["se"], 2, False),
              _p(did["p_value"]), "", "")
    for name, g in (("length-matched", "length_matched"), ("capability-matched", "capability_matched"),
                    ("markdown stripped", "markdown_stripped"), ("code only", "code_only")):
        row = doc.get("guards", {}).get(g) or {}
        if row.get("estimate") is not None:
            t.add_row(f"  re-analysis: {name}", _fmt(row["estimate"]), _ci(row["ci"]), _fmt(row["se"], 2, False),
                      _p(row["p_value"]), str(row["n_prompts"]), "")
    console.print(t)
    console.print("[dim]The p-values above test 'no change in style'; any new release may reject that. The claim "
                  "rests on the controls below.[/dim]")
    if doc["specificity"]:
        s = Table(title="Specificity: shift toward the teacher minus toward each other candidate", title_justify="left")
        for col in ("candidate", "difference", "CI", "p (one-sided)", "Holm p"):
            s.add_column(col, justify="left" if col == "candidate" else "right")
        for r in doc["specificity"]:
            s.add_row(r["candidate"], _fmt(r["estimate"]), _ci(r["ci"]), _p(r["p_value"]), _p(r.get("p_holm")))
        console.print(s)
    if doc["controls"]:
        c = Table(title="Control transitions (scored by the same frozen model)", title_justify="left")
        for col in ("transition", "shift", "CI", "DiD", "prompts"):
            c.add_column(col, justify="left" if col == "transition" else "right")
        c.add_row(f"[bold]{doc['before']} → {doc['after']} (suspect)[/bold]", _fmt(sh["estimate"]), _ci(sh["ci"]),
                  _fmt(did["estimate"]), str(sh["n_prompts"]))
        for r in doc["controls"]:
            c.add_row(f"{r['before']} → {r['after']}", _fmt((r.get("shift") or {}).get("estimate")),
                      _ci((r.get("shift") or {}).get("ci")), _fmt((r.get("domain_did") or {}).get("estimate")),
                      str(r["n_prompts"]))
        console.print(c)
    cal = doc["calibration"]["shift"]
    if cal.get("n_controls"):
        parts = [f"placebo rank {_p_is(cal.get('rank_p'))}"]
        if cal.get("t") is not None:  # one control gives a rank only
            parts[:0] = [f"excess over controls: {_fmt(cal.get('excess'))} {_ci(cal.get('excess_ci'))}",
                         f"prediction-interval t = {_fmt(cal.get('t'))} (df {cal.get('df')}), {_p_is(cal.get('p_value'))}"]
        console.print("; ".join(parts) + ("" if cal.get("testable") else " [yellow](descriptive: fewer than 8 "
                                                                         "controls)[/yellow]"), highlight=False)
    pre = doc.get("pretrend") or {}
    if pre.get("shift"):
        console.print(f"pre-trend {pre['before']} → {pre['after']}: {_fmt(pre['shift']['estimate'])} "
                      f"{_ci(pre['shift']['ci'])}; the new shift exceeds it by {_fmt(pre['exceeds']['estimate'])} "
                      f"(one-sided {_p_is(pre['exceeds']['p_value'])})", highlight=False)
    imp = doc.get("guards", {}).get("endpoint", {}).get("claims_to_be_teacher") or []
    for row in imp:
        console.print(f"[red]warning:[/red] {row['model']} claims to be {doc['teacher']} in {row['claims']} of "
                      f"{row['n_texts']} answers; the endpoint may have served the teacher", highlight=False)
    cl = doc["claim"]
    verdict = ("[green]consistent with training on the teacher's outputs[/green]" if cl["consistent_with_training_on_teacher"]
               else "[yellow]no fingerprint claim[/yellow]")
    console.print(Panel(doc["summary"], title=f"{verdict}  (model sha256 {doc['model_sha256'][:12]}…)",
                        title_align="left"))


# --------------------------------------------------------------------------------------------- markers


MARKERS_HELP = (
    "The style markers of each model: comment density, docstring style, edge-case and hedge phrases, markdown "
    "structure, openers and closers (means over its answers), and the teacher's most distinctive phrases "
    "(log-odds ratio with an informative Dirichlet prior, learnt on train prompts against every other model in "
    "the table) with their rate per 1,000 tokens in each model's test answers. Descriptive: it shows what the "
    "attribution model can see, it tests nothing.\n\n"
    "[bold]Example[/bold]\n\n"
    "  asymmetry provenance markers --texts texts.csv --teacher claude --top 20"
)


def markers_cmd(
    ctx: typer.Context,
    teacher: Teacher,
    texts: Texts = None,
    results: Results = None,
    top: Annotated[int, typer.Option("--top", help="How many teacher phrases to list.", min=1,
                                     rich_help_panel=_OUT)] = 20,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the markers as JSON here.",
                                                   show_default=False, rich_help_panel=_OUT)] = None,
) -> None:
    from rich.console import Console
    from rich.table import Table

    from harness.provenance.features import STYLE_HELP
    from harness.provenance.markers import markers_document
    from harness.provenance.texts import check_models

    console = Console()
    table, _ = _inputs(texts, results, ctx.args)
    check_models(table, [("--teacher", teacher)])
    with _status(console, "Counting markers…"):
        doc = markers_document(table, teacher, top=top)
    models = doc["models"]
    st = Table(title="Style markers (mean over each model's answers)", title_justify="left")
    st.add_column("marker")
    for m in models:
        st.add_column(m + (" (teacher)" if m == teacher else ""), justify="right")
    for name, values in doc["style"].items():
        st.add_row(STYLE_HELP.get(name, name), *[f"{values[m]:.2f}" for m in models])
    console.print(st)
    ph = Table(title=f"{teacher}'s most distinctive phrases (per 1,000 tokens, test prompts)", title_justify="left")
    ph.add_column("phrase")
    ph.add_column("z", justify="right")
    for m in models:
        ph.add_column(m, justify="right")
    for row in doc["phrases"]:
        ph.add_row(row["ngram"], f"{row['z']:.1f}", *[f"{row['rates'][m]:.2f}" for m in models])
    console.print(ph)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(doc, indent=1, ensure_ascii=False))
        console.print(f"json: [bold]{json_path}[/bold]", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `provenance` command group to the main app."""
    group = typer.Typer(
        name="provenance", no_args_is_help=True, rich_markup_mode="rich",
        help="Stylistic provenance: does a new release write more like an alleged teacher than its predecessor "
             "did, more than other developers' releases moved, more toward this teacher than toward other "
             "candidates, and more in coding and agentic prompts? [bold]fit[/bold] freezes the attribution model, "
             "[bold]compare[/bold] runs the tests, [bold]markers[/bold] shows what the model sees.")
    group.command("fit", context_settings=CONTEXT, help=FIT_HELP)(fit_cmd)
    group.command("compare", context_settings=CONTEXT, help=COMPARE_HELP)(compare_cmd)
    group.command("markers", context_settings=CONTEXT, help=MARKERS_HELP)(markers_cmd)
    app.add_typer(group, name="provenance")
