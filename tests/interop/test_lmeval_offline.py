"""Loading a local lm-eval task reaches nothing off this machine, even with none of Hugging Face's offline
flags set (a user's environment): `datasets` would otherwise ping an S3 download counter on every load,
which on a machine without network waits for a timeout each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from harness.lmeval.tasks import INCLUDE_ENV
from tests.interop.test_import_lmeval import N_DOCS, TASK, docs, write_task

RECORD_LOOKUPS = """
import json, socket, sys
seen = []
def refuse(host, *args, **kwargs):  # a machine without network: every lookup fails at once, and is noted
    seen.append(host.decode() if isinstance(host, bytes) else str(host))
    raise socket.gaierror(socket.EAI_NONAME, "no network here")
socket.getaddrinfo = refuse
from harness.lmeval.tasks import SUITE_SOURCES
from harness.suites.build import load_suites
[suite] = load_suites([sys.argv[1]], external=SUITE_SOURCES)
print(json.dumps({"items": len(suite.items), "lookups": seen}))
"""


def test_a_local_lmeval_task_loads_without_any_lookup_off_the_machine(tmp_path):
    folder = tmp_path / "tasks"
    write_task(folder, TASK, docs(), tmp_path / "hf-cache")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update({INCLUDE_ENV: str(folder), "HF_HOME": str(tmp_path / "hf-home")})
    done = subprocess.run([sys.executable, "-c", RECORD_LOOKUPS, f"lm-eval:{TASK}:math"], capture_output=True,
                          text=True, timeout=180, env=env, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"items": N_DOCS, "lookups": []}
