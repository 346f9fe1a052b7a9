"""An interpreter outside /usr brings into the sandbox only what it needs (review finding 11): with the
interpreter at ~/bin/python3 the whole home directory (cloud keys, SSH) used to be mounted."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from harness.sandbox import SANDBOX_PYTHON_ENV, Limits, Sandbox, bwrap_args, find_bwrap

pytestmark = pytest.mark.skipif(find_bwrap() is None or not Path("/usr/bin/python3").exists(),
                                reason="needs bubblewrap and a system python3")


@pytest.fixture
def home():
    """A home directory holding an interpreter and a secret, reachable by the sandbox's uid."""
    root = Path(tempfile.mkdtemp(prefix="asym-home-", dir="/var/tmp"))  # not /tmp: programs get their own
    try:
        os.chmod(root, 0o755)
        (root / "bin").mkdir(mode=0o755)
        python = root / "bin" / "python3"
        shutil.copy2(os.path.realpath("/usr/bin/python3"), python)
        (root / ".aws").mkdir(mode=0o755)
        (root / ".aws" / "credentials").write_text("aws_secret_access_key = HOMESECRET\n")
        os.chmod(root / ".aws" / "credentials", 0o644)  # readable by anyone: only the mount protects it
        yield root, str(python)
    finally:
        shutil.rmtree(root)


def test_only_the_interpreter_and_its_libraries_are_mounted_from_a_home_directory(home, monkeypatch):
    root, python = home
    binds = bwrap_args(find_bwrap(), python, Limits())
    assert str(root) not in binds and python in binds  # the file, never its prefix
    monkeypatch.setenv(SANDBOX_PYTHON_ENV, python)

    async def go():
        sandbox = Sandbox(workers=1, mode="fork")
        try:
            ok = await sandbox.run("print('works')", timeout_s=10)
            peek = await sandbox.run(f"print(open({str(root / '.aws' / 'credentials')!r}).read())", timeout_s=10)
            listing = await sandbox.run(f"import os; print(os.listdir({str(root)!r}))", timeout_s=10)
            return ok, peek, listing, sandbox.info()
        finally:
            await sandbox.aclose()

    ok, peek, listing, info = asyncio.run(go())
    assert info["python"] == python and (ok.status, ok.stdout) == ("ok", "works\n")
    assert peek.status == "failed" and "FileNotFoundError" in peek.stderr and "HOMESECRET" not in peek.stdout
    assert listing.stdout.strip() == "['bin']"
