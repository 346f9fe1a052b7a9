"""`asymmetry power` end to end: real CLI, real subprocess, JSON and tables, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness.cli import main
from harness.stats.power import Design, detectable


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["power", *args])
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_json_matches_the_library_and_lists_l3_by_controls(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--items", "500", "--samples", "3", "--targeted", "4", "--untargeted", "4",
                           "--controls", "8", "--discordance", "0.3", "--json")
    assert code == 0
    doc = json.loads(out)
    expected = detectable(Design(500, samples=3, n_targeted=4, n_untargeted=4, controls=8, discordance=0.3))
    assert doc["mde_latent"] == expected["mde_latent"] and doc["mde_ddd"] == expected["mde_ddd"]
    by_c = {row["controls"]: row["mde_ddd"] for row in doc["l3_by_controls"]}
    assert by_c[8] == pytest.approx(doc["mde_ddd"], abs=1e-4)
    assert by_c[3] > by_c[8] > by_c[19]


def test_baselines_is_an_alias_for_controls(capsys: pytest.CaptureFixture[str]) -> None:
    _, a, _ = run_cli(capsys, "--baselines", "5", "--json")
    _, b, _ = run_cli(capsys, "-c", "5", "--json")
    assert json.loads(a)["mde_ddd"] == json.loads(b)["mde_ddd"] is not None


def test_tables_show_every_layer_and_advice(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--items", "300")
    assert code == 0
    for text in ("L1 latent asymmetry", "0.67 logits", "8.1 pp", "not testable", "no controls",
                 "Raise samples per item first", "power curve", "Flatness"):
        assert text in out, text


@pytest.mark.parametrize(("args", "needle"), [(("--items", "3"), "--items 3"),
                                              (("--discordance", "0.9"), "--discordance 0.9"),
                                              (("--tau-f", "-1"), "--tau-f -1")])
def test_bad_input_is_one_line_error_naming_the_flag(capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                                                     needle: str) -> None:
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and needle in err and len(err.strip().splitlines()) == 1


def test_subprocess_console_script_prints_json() -> None:
    proc = subprocess.run([sys.executable, "-m", "harness", "power", "-n", "1000", "-k", "5", "--json"],
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["design"]["n_items"] == 1000 and doc["mde_latent"] < 0.25


def test_accuracy_derives_the_discordance_and_a_ceiling_costs_power(capsys: pytest.CaptureFixture[str]) -> None:
    _, balanced, _ = run_cli(capsys, "--accuracy", "0.5,0.5", "--json")
    _, ceiling, _ = run_cli(capsys, "--accuracy", "45%,95%", "--json")
    b, c = json.loads(balanced), json.loads(ceiling)
    assert c["discordance_from_accuracy"]["accuracy"] == [0.45, 0.95]
    assert c["design"]["discordance"] < b["design"]["discordance"]
    assert c["mde_latent"] > b["mde_latent"]
    code, _, err = run_cli(capsys, "--accuracy", "0.4,0.8", "--discordance", "0.2")
    assert code == 2 and "either --discordance or --accuracy" in err


@pytest.mark.parametrize("value", ["1.5", "45,95", "0.45,1.5", "0,0.5", "0.45", "0.4,0.5,0.6", "x,y"])
def test_an_accuracy_that_is_not_a_fraction_or_a_marked_percent_is_refused(capsys: pytest.CaptureFixture[str],
                                                                           value: str) -> None:
    """1.5 was read as 1.5% (and 45,95 as percents): a plausible typo became a silently different design."""
    code, out, err = run_cli(capsys, "--accuracy", value, "--json")
    assert code == 2 and out == ""
    assert err.startswith(f"error: --accuracy {value}: ") and "0.45,0.85" in err and "45%,85%" in err
    assert len(err.strip().splitlines()) == 1


def test_many_samples_per_item_are_fine(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "--samples", "500", "--json")  # review M1: this was an ArrayMemoryError
    assert code == 0, err
    assert json.loads(out)["mde_latent"] < json.loads(run_cli(capsys, "--samples", "5", "--json")[1])["mde_latent"]
