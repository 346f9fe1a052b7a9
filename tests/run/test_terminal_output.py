"""What an endpoint says never drives the terminal (security review finding 6): model ids it reports or
lists, printed by `asymmetry run` and `asymmetry models check` through the real CLI against a loopback
server, are shown as written: never read as Rich markup (`[/x]` crashed the run's closing table after its
journal was written; `[link=...]` made a live hyperlink) and without control characters (raw ESC/OSC
sequences: hyperlinks, OSC 52 clipboard writes, screen clears, also their 8-bit C1 forms)."""

from __future__ import annotations

import pytest

import harness.suites.build
from harness.cli import main
from harness.run.store import iter_records
from harness.terminal import clean
from tests.run.test_runner import exact_suite
from tests.servers import Reply, _json, serve

HOSTILE = "[/x] [link=http://evil.example/]click[/link] \x1b]52;c;ZXZpbA==\x07\x1b[2J\x9b31m\x85end"
SHOWN = "[/x] [link=http://evil.example/]click[/link] ]52;c;ZXZpbA==[2J31mend"  # (controls gone)
CONTROLS = ("\x1b", "\x07", "\x9b", "\x85")


@pytest.fixture(autouse=True)
def fake_suites(monkeypatch):
    monkeypatch.setattr(harness.suites.build, "load_suites", lambda names, data_dir=None, **options:
                        [exact_suite("s1", 3)])
    monkeypatch.setenv("COLUMNS", "300")  # one table row per line, so the names are not folded


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code, out, err


def hostile_endpoint(srv) -> None:
    """/models lists the requested model and HOSTILE; every answer says it came from HOSTILE."""
    original = srv._server.reply

    def reply(request):
        if request.api == "models":
            return _json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in ("m", HOSTILE)]})
        return original(request)

    srv._server.reply = reply


def test_clean_drops_c0_and_c1_controls_but_tab_and_newline():
    assert clean(HOSTILE) == SHOWN and clean("a\tb\nc\x00\x7f\x80\x9f") == "a\tb\nc"


def test_a_run_shows_the_served_model_id_as_written(tmp_path, capsys):
    with serve(answer=lambda req: Reply(text="ok", model=HOSTILE), models=()) as srv:
        hostile_endpoint(srv)
        code, out, err = cli(capsys, "run", "-m", f"q=vllm:m@{srv.base_url}", "--out", str(tmp_path), "--quiet")
    assert code == 0, err
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert {r["served_model"] for r in iter_records(run_dir)} == {HOSTILE}  # recorded as served, unchanged
    assert SHOWN in out and not any(c in out + err for c in CONTROLS), (out, err)


def test_models_check_shows_the_listed_and_served_ids_as_written(capsys):
    with serve(answer=lambda req: Reply(text="OK", model=HOSTILE), models=()) as srv:
        hostile_endpoint(srv)
        code, out, err = cli(capsys, "models", "check", f"q=vllm:m@{srv.base_url}")
        assert code == 0, err
        assert out.count(SHOWN) == 2 and not any(c in out + err for c in CONTROLS), out  # served, and offered
        code, out, err = cli(capsys, "models", "check", f"q=vllm:absent@{srv.base_url}")
    # the refusal quotes what the server lists: one line (NEL, a line break, became a space), no controls
    assert code != 0 and SHOWN.replace("mend", "m end") in err and not any(c in out + err for c in CONTROLS), err
