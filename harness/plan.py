"""Pre-registration (STATISTICS.md §1.9.6): freeze the suites and their categories, the scale, margins,
alpha, controls, error rule and reference level before the new release's results are seen.

`asymmetry plan` writes the file; `asymmetry compare --plan FILE` follows it and records whether a plan
was used, whether it predates the runs, whether it was edited after it was written, and every deviation.
A post-hoc choice of "targeted" suites invalidates every p-value; this is how a reader can check.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from harness.errors import UserError
from harness.records import CATEGORIES

SCHEMA = "asymmetry.plan/1"
ERROR_RULES = ("default", "exclude", "fail")
ERROR_RULE_TEXT = {
    "default": "infrastructure errors (timeouts, HTTP and connection failures, harness bugs) drop the sample "
               "and an item left without samples is unpaired; model errors (refusals, parse failures, "
               "truncation, sandbox limits) count as failures",
    "exclude": "every errored sample is dropped; an item left without samples is unpaired",
    "fail": "every errored sample counts as a failure",
}
#: The settings a plan fixes, with compare's defaults.
DEFAULTS: dict[str, Any] = {"scale": "logit", "margin_pp": 3.0, "margin_logit": 0.15, "alpha": 0.05,
                            "error_rule": "default", "p_ref": 0.5, "n_boot": 10_000, "seed": 0, "samples": 3}
#: Why the plan asks for several sampled answers per item (recorded in the plan with the choice).
SAMPLES_TEXT = ("sampled answers per item and release; with one, how much items differ in their gains cannot be "
                "estimated, and a verdict must then hold for every assumed spread of gains (often it cannot when the "
                "two groups start at different levels); 3 or more let the analysis estimate it")


def check_numbers(*, margin_pp: float = 3.0, margin_logit: float = 0.15, alpha: float = 0.05, p_ref: float = 0.5,
                  n_boot: int = 0, samples: int = 1, where: str = "") -> None:
    """One-line errors for settings that are not numbers a test can use (NaN, negative, out of range)."""
    pre = f"{where}: " if where else ""

    def bad(flag: str, value: Any, want: str) -> UserError:
        return UserError(f"{pre}{flag} {value!r}: expected {want}")

    for flag, value in (("--margin-pp", margin_pp), ("--margin-logit", margin_logit)):
        if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
            raise UserError(f"{pre}{flag} {value!r}: equivalence margins must be positive numbers")
    if not isinstance(alpha, int | float) or not math.isfinite(alpha) or not 0 < alpha < 0.5:
        raise bad("--alpha", alpha, "a number between 0 and 0.5")
    if not isinstance(p_ref, int | float) or not math.isfinite(p_ref) or not 0 < p_ref < 1:
        raise UserError(f"{pre}reference level {p_ref!r} (--p-ref): expected a number between 0 and 1")
    if not isinstance(n_boot, int) or n_boot < 0:
        raise bad("--n-boot", n_boot, "a whole number >= 0")
    if not isinstance(samples, int) or samples < 1:
        raise bad("--samples", samples, "a whole number >= 1")


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def content_hash(plan: Mapping[str, Any]) -> str:
    """sha256 of the plan's canonical JSON without its own `content_sha256` field."""
    body = {k: v for k, v in plan.items() if k != "content_sha256"}
    return hashlib.sha256(_canonical(body)).hexdigest()


def make_plan(suites: Mapping[str, str], *, before: str | None = None, after: str | None = None,
              controls: Sequence[str] = (), scale: str = "logit", margin_pp: float = 3.0,
              margin_logit: float = 0.15, alpha: float = 0.05, error_rule: str = "default", p_ref: float = 0.5,
              n_boot: int = 10_000, seed: int = 0, samples: int = 3, notes: str = "") -> dict[str, Any]:
    """A plan document: `suites` maps each suite name to its category (targeted|untargeted); `samples`
    is the number of answers sampled per item and release (default 3, SAMPLES_TEXT)."""
    if not suites:
        raise UserError("a plan needs suites: pass --targeted and --untargeted (or --suites NAMES)")
    for name, category in suites.items():
        if category not in CATEGORIES:
            raise UserError(f"suite {name!r}: category {category!r} is not one of {', '.join(CATEGORIES)}")
    groups = {c: sorted(s for s, cat in suites.items() if cat == c) for c in CATEGORIES}
    if not groups["targeted"] or not groups["untargeted"]:
        raise UserError("a plan needs at least one targeted and one untargeted suite")
    if scale != "logit":
        raise UserError(f"scale {scale!r}: the primary scale is 'logit' (pp and normalised are always reported "
                        "as sensitivity analyses)")
    if error_rule not in ERROR_RULES:
        raise UserError(f"error rule {error_rule!r} is not one of {', '.join(ERROR_RULES)}")
    check_numbers(margin_pp=margin_pp, margin_logit=margin_logit, alpha=alpha, p_ref=p_ref, n_boot=n_boot,
                  samples=samples)
    for c in controls:
        parse_control(c)
    plan = {
        "schema": SCHEMA,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "before": before, "after": after,
        "suites": dict(sorted(suites.items())),
        "targeted": groups["targeted"], "untargeted": groups["untargeted"],
        "scale": scale, "margin_pp": float(margin_pp), "margin_logit": float(margin_logit), "alpha": float(alpha),
        "controls": list(controls), "error_rule": error_rule, "error_rule_text": ERROR_RULE_TEXT[error_rule],
        "p_ref": float(p_ref), "n_boot": int(n_boot), "seed": int(seed),
        "samples": int(samples), "samples_text": SAMPLES_TEXT,
        "decision_rules": [
            f"H1 (layer 1): disproportionate targeted gain if the {_percent(1 - alpha)} interval of the latent "
            "asymmetry A^L lies above 0 (one-sided alpha/2)",
            "gatekeeping H1 -> H2 (triple difference vs controls) -> H3 (generalisation, only with >= 4+4 suites)",
            f"untargeted 'flat' only if the {_percent(1 - 2 * alpha)} interval of the pooled untargeted gain lies "
            "within +-margin_pp",
            "suites starting above 90% or below 10% enter layer 1 only with >= 30 discordant items",
            f"secondary: the untargeted mean latent gain is called flat on the latent scale only if its "
            f"{_percent(1 - 2 * alpha)} interval lies within +-margin_logit",
        ],
        "notes": notes,
    }
    plan["content_sha256"] = content_hash(plan)
    return plan


def _percent(x: float) -> str:
    return f"{100 * x:.1f}".rstrip("0").rstrip(".") + "%"


def parse_control(text: str) -> tuple[str, str]:
    """`BEFORE:AFTER` → (before, after), with a one-line error naming the flag."""
    parts = str(text).split(":")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise UserError(f"--control {text!r}: expected BEFORE:AFTER (two model labels), e.g. llama3:llama3.1")
    return parts[0].strip(), parts[1].strip()


def write_plan(path: Path, plan: Mapping[str, Any]) -> str:
    """Write the plan (never over an existing file) and return the file's sha256."""
    path = Path(path)
    if path.exists():
        raise UserError(f"{path}: already exists; a pre-registration is never overwritten (choose another --out)")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = orjson.dumps(dict(plan), option=orjson.OPT_INDENT_2) + b"\n"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return hashlib.sha256(data).hexdigest()


def load_plan(path: Path) -> dict[str, Any]:
    """Read a plan file. Adds `path`, `file_sha256` and `content_ok` (false when the plan was edited after
    `asymmetry plan` wrote it); bad files get a one-line error naming the file and field."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such plan file; write one with `asymmetry plan`")
    data = path.read_bytes()
    try:
        plan = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise UserError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(plan, dict) or plan.get("schema") != SCHEMA:
        raise UserError(f"{path}: not an asymmetry plan (expected \"schema\": \"{SCHEMA}\")")
    suites = plan.get("suites")
    if not isinstance(suites, dict) or not suites:
        raise UserError(f"{path}: field 'suites' must map suite names to targeted|untargeted")
    for name, category in suites.items():
        if category not in CATEGORIES:
            raise UserError(f"{path}: suites.{name}: {category!r} is not one of {', '.join(CATEGORIES)}")
    for key in ("margin_pp", "margin_logit", "alpha", "p_ref"):
        if key in plan and not isinstance(plan[key], int | float):
            raise UserError(f"{path}: field {key!r} must be a number")
    if plan.get("error_rule", "default") not in ERROR_RULES:
        raise UserError(f"{path}: error_rule must be one of {', '.join(ERROR_RULES)}")
    merged = {**DEFAULTS, **plan}
    check_numbers(margin_pp=merged["margin_pp"], margin_logit=merged["margin_logit"], alpha=merged["alpha"],
                  p_ref=merged["p_ref"], n_boot=int(merged["n_boot"]), samples=int(merged["samples"]), where=str(path))
    content_ok = plan.get("content_sha256") == content_hash(plan)
    return {**DEFAULTS, **plan, "path": str(path), "file_sha256": hashlib.sha256(data).hexdigest(),
            "content_ok": content_ok}
