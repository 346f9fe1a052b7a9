"""The lm-eval request journal shared by two processes: one never cuts the other's write in progress."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from harness.lmeval.journal import RequestJournal

ROOT = Path(__file__).resolve().parents[2]
IDENTITY = {"provider": "vllm", "model": "m"}

# Another lm-eval process appending through the journal, caught between the two halves of one line
# (RequestJournal.append holds the lock across its whole write, which is what this models).
_APPENDER = textwrap.dedent("""
    import fcntl, sys
    import orjson
    from harness.lmeval.journal import RequestJournal
    journal = RequestJournal(sys.argv[1], "m", {"provider": "vllm", "model": "m"})
    line = orjson.dumps({"model": journal.identity_hash, "key": "k-live", "error": None, "text": "x" * 5000}) + b"\\n"
    fcntl.flock(journal._file.fileno(), fcntl.LOCK_EX)
    journal._file.write(line[:100])
    journal._file.flush()
    print("ready", flush=True)
    sys.stdin.readline()
    journal._file.write(line[100:])
    journal._file.flush()
    fcntl.flock(journal._file.fileno(), fcntl.LOCK_UN)
    journal.close()
""")


def test_a_second_process_opening_the_journal_waits_instead_of_cutting_a_live_append(tmp_path):
    first = RequestJournal(tmp_path, "m", IDENTITY)
    first.append({"key": "k-old", "error": None, "text": "old answer"})
    first.close()
    writer = subprocess.Popen([sys.executable, "-c", _APPENDER, str(tmp_path)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    opened: list[RequestJournal] = []
    try:
        assert writer.stdout.readline().strip() == "ready"
        mid_write = first.path.read_bytes()
        assert not mid_write.endswith(b"\n")
        second = threading.Thread(target=lambda: opened.append(RequestJournal(tmp_path, "m", IDENTITY)))
        second.start()
        second.join(0.5)
        assert first.path.read_bytes() == mid_write  # the live line was not cut as a "torn tail"
        writer.communicate("go\n", timeout=30)
        second.join(30)
    finally:
        writer.kill()
    assert writer.returncode == 0 and len(opened) == 1
    opened[0].close()
    reloaded = RequestJournal(tmp_path, "m", IDENTITY)
    assert reloaded.get("k-old")["text"] == "old answer" and reloaded.get("k-live")["text"] == "x" * 5000
    reloaded.close()


def test_a_torn_tail_left_by_a_crash_is_still_cut(tmp_path):
    journal = RequestJournal(tmp_path, "m", IDENTITY)
    journal.append({"key": "k1", "error": None, "text": "one"})
    journal.close()
    with open(journal.path, "ab") as f:
        f.write(b'{"key": "k2", "te')  # the process died mid-line
    again = RequestJournal(tmp_path, "m", IDENTITY)
    again.append({"key": "k3", "error": None, "text": "three"})
    again.close()
    last = RequestJournal(tmp_path, "m", IDENTITY)
    assert last.get("k1") and last.get("k3") and last.get("k2") is None
    last.close()
