"""The compare document: the plan's settings and block, the decoding check, and the one builder that both
modes (items, published scores) use, ending with the citable sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from harness import __version__
from harness.compare.schema import SCHEMA
from harness.compare.types import CompareDoc
from harness.compare.wording import caveat_for, summary_for
from harness.errors import UserError
from harness.models.redact import redact_extra
from harness.plan import DEFAULTS, check_numbers


def checked_settings(plan: Mapping[str, Any] | None, given: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`plan_settings`, then one-line errors for values no test can use (--margin-pp nan or -3, an alpha
    outside (0, 0.5), ...), whether they came from the command line or the plan file."""
    settings, deviations = plan_settings(plan, given)
    check_numbers(margin_pp=settings["margin_pp"], margin_logit=settings.get("margin_logit", 0.15),
                  alpha=settings["alpha"], p_ref=settings["p_ref"], n_boot=int(settings.get("n_boot", 0)))
    return settings, deviations


def plan_settings(plan: Mapping[str, Any] | None, given: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Settings in force: the plan's, unless an argument differs from both the plan and the default
    (an explicit override, recorded as a deviation)."""
    if not plan:
        return given, []
    out, deviations = {}, []
    for key, value in given.items():
        planned = plan.get(key, DEFAULTS.get(key))
        if key == "controls":
            planned_list = list(plan.get("controls") or [])
            if value and sorted(value) != sorted(planned_list):
                deviations.append(f"controls differ from the plan (plan: {', '.join(planned_list) or 'none'}; "
                                  f"used: {', '.join(value)})")
                out[key] = list(value)
            else:
                out[key] = planned_list if not value else list(value)
            continue
        if value != DEFAULTS.get(key) and value != planned:
            deviations.append(f"{key} = {value} differs from the plan's {planned}")
            out[key] = value
        else:
            out[key] = planned
    return out, deviations


def plan_block(plan: Mapping[str, Any] | None, suites_seen: Mapping[str, str], deviations: list[str],
                run_times: Sequence[str]) -> dict[str, Any]:
    if not plan:
        return {"used": False, "note": "no pre-registration plan: the suites and categories may have been chosen "
                                       "after the results existed (write one with `asymmetry plan` before the runs)"}
    planned = plan.get("suites", {})
    for suite, category in sorted(suites_seen.items()):
        if suite not in planned:
            deviations.append(f"suite {suite} is in the results but not in the plan: left out of the analysis")
        elif planned[suite] != category:
            deviations.append(f"suite {suite} is {category} in the results but {planned[suite]} in the plan "
                              "(the plan's category is used)")
    for suite in sorted(set(planned) - set(suites_seen)):
        deviations.append(f"planned suite {suite} has no paired items in the results")
    created = plan.get("created_at")
    predates = None
    if created and run_times:
        try:
            predates = bool(parse_time(created) <= min(parse_time(t) for t in run_times))
        except ValueError:
            predates = None
    if not plan.get("content_ok", True):
        deviations.append("the plan file was edited after `asymmetry plan` wrote it (content hash mismatch)")
    return {"used": True, "path": plan.get("path"), "sha256": plan.get("file_sha256"),
            "content_sha256": plan.get("content_sha256"), "content_ok": plan.get("content_ok", True),
            "created_at": created, "predates_runs": predates,
            "earliest_run": min(run_times) if run_times else None, "deviations": deviations}


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=datetime.now().astimezone().tzinfo)


def decoding_check(manifests: Mapping[str, Sequence[Mapping[str, Any]]] | None, before: str, after: str,
                    force: bool) -> tuple[dict[str, Any], list[str], list[str]]:
    """Decoding settings (minus the seed) and suite content hashes from the run manifests of each release;
    differences are refused unless `force`. Returns (decoding block, warnings, run creation times)."""
    if not manifests:
        return ({"checked": False, "note": "inputs carry no run manifests: decoding settings not checked"}, [], [])
    out: dict[str, Any] = {"checked": True}
    warnings: list[str] = []
    times: list[str] = []
    contents: dict[str, dict[str, set[str]]] = {}
    for label, key in ((before, "before"), (after, "after")):
        settings = []
        for m in manifests.get(label, []):
            dec = dict(m.get("decoding") or {})
            dec.pop("seed", None)
            if isinstance(dec.get("extra"), Mapping):  # runs recorded before extras were redacted at the source
                dec["extra"] = redact_extra(dec["extra"])
            if m.get("samples") is not None:
                dec["samples"] = m.get("samples")
            settings.append(dec)
            if m.get("created_at"):
                times.append(str(m["created_at"]))
            for s in m.get("suites") or []:
                if isinstance(s, dict) and s.get("content_sha256"):
                    contents.setdefault(str(s.get("name")), {}).setdefault(key, set()).add(str(s["content_sha256"]))
        unique = [dict(t) for t in {tuple(sorted((k, repr(v)) for k, v in d.items())) for d in settings}]
        out[key] = settings[0] if len(settings) == 1 else (settings or None)
        if len(unique) > 1:
            refuse(f"release {label} was run with different decoding settings in different runs", force, warnings)
    b, a = out.get("before"), out.get("after")
    if isinstance(b, dict) and isinstance(a, dict) and b != a:
        diff = sorted(k for k in set(b) | set(a) if b.get(k) != a.get(k))
        refuse(f"decoding settings differ between {before} and {after} ({', '.join(diff)}); re-run with the same "
                "settings", force, warnings)
    for suite, by in sorted(contents.items()):
        if by.get("before") and by.get("after") and by["before"] != by["after"]:
            refuse(f"suite {suite}: the item sets differ between the two releases' runs (content hashes differ); "
                    "re-run both on the same suite version", force, warnings)
    return out, warnings, times


def refuse(message: str, force: bool, warnings: list[str]) -> None:
    if not force:
        raise UserError(f"{message}, or pass --force to compare anyway")
    warnings.append(f"{message} (compared anyway: --force)")


def check_labels(models: Sequence[str], *labels: str, plan: Mapping[str, Any] | None = None) -> None:
    """Every named release is in the inputs; a missing control the plan registered names the plan, since the
    user may not know that is where the control comes from."""
    from harness.plan import parse_control

    known = sorted(set(models))
    held = ", ".join(known) or "no models"
    planned = [parse_control(c) for c in (plan or {}).get("controls") or []]
    for label in labels:
        if label in known:
            continue
        control = next((f"{b}:{a}" for b, a in planned if label in (b, a)), None)
        if control:
            where = f"the plan {plan['path']}" if plan and plan.get("path") else "the plan"
            raise UserError(f"control {control} comes from {where} (pre-registered), but model {label!r} is not in "
                            f"the inputs (they hold {held}): run both of its releases and add their results, pass "
                            "--control for the controls you did run (recorded as a deviation), or drop --plan")
        raise UserError(f"model {label!r} is not in the inputs; they hold {held}")


def build(*, mode: str, before: str, after: str, alpha: float, evidence: str, suites: list[dict[str, Any]],
          asymmetry: dict[str, Any], groups: dict[str, Any], generalisation: dict[str, Any],
          flatness: dict[str, Any], conjunction: dict[str, Any], gatekeeping: list[dict[str, Any]],
          triple: dict[str, Any] | None, contamination: dict[str, Any] | None, diagnostics: dict[str, Any],
          verdict: str, power: dict[str, Any] | None = None, code_flags: dict[str, Any] | None = None,
          inputs: Mapping[str, Any] | None = None, command: str | None = None) -> CompareDoc:
    """The compare document (DESIGN.md keys; harness.compare.schema), the same for both modes: every
    top-level key in one place, then provenance and the citable sentence, written last from the numbers."""
    doc: dict[str, Any] = {
        "schema": SCHEMA, "harness_version": __version__, "alpha": alpha,
        "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "before": before, "after": after, "mode": mode, "scale": "logit", "evidence": evidence,
        "suites": suites, "asymmetry": asymmetry, "groups": groups, "generalisation": generalisation,
        "flatness": flatness, "conjunction": conjunction, "gatekeeping": gatekeeping, "triple_difference": triple,
        "contamination": contamination, "diagnostics": diagnostics, "verdict": verdict,
    }
    if power is not None:
        doc["power"] = power
    if code_flags is not None:
        doc["code_flags"] = code_flags
    return finish(doc, inputs, command)  # type: ignore[return-value]


def finish(doc: dict[str, Any], inputs: Mapping[str, Any] | None, command: str | None) -> dict[str, Any]:
    """Provenance, then the citable sentence and its caveat, written last from the finished numbers."""
    if inputs is not None:
        doc["inputs"] = dict(inputs)
    if command is not None:
        doc["command"] = command
    doc["summary"] = summary_for(doc)
    doc["caveat"] = caveat_for(doc)
    return doc

