"""Security and integrity regressions of the run engine (review findings): results never lost to a second
copy of a command, secrets never recorded, hostile model output never turned into an excluded item."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.store import iter_records, read_manifest, repair_torn_tail
from tests.servers import serve
from tests.test_runner import exact_suite, run, spec

ROOT = Path(__file__).resolve().parents[1]

# A live writer: holds the run's journal lock and is caught in the middle of writing a line.
_WRITER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from harness.store import Journal
    run_dir = Path(sys.argv[1])
    record = json.loads((run_dir / "items.jsonl").read_bytes().splitlines()[0])
    line = json.dumps({**record, "item_id": "written-by-the-first-process"}).encode() + b"\\n"
    journal = Journal(run_dir)
    journal._file.write(line[:40])
    journal._file.flush()
    print("ready", flush=True)
    sys.stdin.readline()
    journal._file.write(line[40:])
    journal.close()
""")

def test_a_second_copy_of_a_running_command_never_cuts_the_first_ones_write_in_progress(tmp_path):
    with serve() as srv:
        first = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
        journal = first.run_dir / "items.jsonl"
        writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(first.run_dir)], cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert writer.stdout.readline().strip() == "ready"
            mid_write = journal.read_bytes()
            assert not mid_write.endswith(b"\n")  # looks exactly like a torn tail
            with pytest.raises(UserError, match="another asymmetry process"):
                run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
            assert journal.read_bytes() == mid_write  # nothing cut while the writer lives
            with pytest.raises(UserError, match="another asymmetry process"):
                repair_torn_tail(journal)
            assert journal.read_bytes() == mid_write
            writer.communicate("go\n", timeout=30)
        finally:
            writer.kill()
        assert writer.returncode == 0
        lines = journal.read_bytes().splitlines()
        assert json.loads(lines[-1])["item_id"] == "written-by-the-first-process"
        again = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
    assert again.written == 0 and read_manifest(first.run_dir)["sessions"][-1]["repaired_bytes"] == 0
    assert sum(r["item_id"] == "written-by-the-first-process" for r in iter_records(first.run_dir)) == 1
