"""Shared test fixtures. Reference data lives in ../shared/data beside the project (never copied in).

The tests never use the network: loopback servers stand in for models; the Hugging Face libraries send no
download counts or telemetry and keep their cache in a throwaway folder, here and in every subprocess a
test starts; and in this process a lookup of any host name but loopback fails at once, as on a machine
without network, instead of waiting for a DNS or connect timeout (which made single tests take minutes)."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: ../shared/data beside the clone; ASYMMETRY_SHARED_DATA points elsewhere (a git worktree kept in another folder).
SHARED_DATA = Path(os.environ.get("ASYMMETRY_SHARED_DATA") or ROOT.parent / "shared" / "data")

_HF_CACHE = tempfile.mkdtemp(prefix="asymmetry-tests-hf-")
# Not HF_HUB_OFFLINE: the harness reads it as "no downloads", and the source tests download from loopback.
for _name, _value in {"HF_UPDATE_DOWNLOAD_COUNTS": "0", "HF_HUB_DISABLE_TELEMETRY": "1",
                      "HF_HOME": _HF_CACHE}.items():
    os.environ[_name] = _value

_LOOPBACK = ("localhost", "127.0.0.1", "::1", "ip6-localhost", "")
_getaddrinfo = socket.getaddrinfo


def _loopback_only(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    name = host.decode() if isinstance(host, bytes) else str(host or "")
    if name in _LOOPBACK or name.startswith("127."):
        return _getaddrinfo(host, *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, f"tests run without network (lookup of {name} refused)")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_HF_CACHE, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Host-name lookups other than loopback fail at once (tests marked `network` are exempt)."""
    if request.node.get_closest_marker("network") is None:
        monkeypatch.setattr(socket, "getaddrinfo", _loopback_only)


@pytest.fixture
def shared_data() -> Path:
    """The reference data folder, or a skip with the reason when this clone has none beside it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA} (CI places ../shared beside the clone)")
    return SHARED_DATA
