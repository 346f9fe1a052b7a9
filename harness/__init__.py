"""asymmetry: a forensic benchmark harness that tests whether a model release's gains are concentrated in
targeted capabilities (coding, agentic) rather than untargeted ones (math, knowledge)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("asymmetry")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
