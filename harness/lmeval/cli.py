"""`asymmetry lm-eval ARGS…`: lm-eval's own command line, with `--model asymmetry` registered.

lm-eval 0.4.13 has no plugin entry points for models, so `lm_eval --model asymmetry` cannot find the class
unless something imports it first; this does exactly that, then hands every argument to lm-eval.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def run(args: Sequence[str]) -> None:
    """Run lm-eval's CLI with ARGS (e.g. `run --model asymmetry --model_args spec=… --tasks gsm8k`)."""
    from lm_eval.__main__ import cli_evaluate

    import harness.lmeval.model  # noqa: F401 - registers "asymmetry" with lm-eval

    saved = sys.argv
    sys.argv = ["lm-eval", *args]
    try:
        cli_evaluate()
    finally:
        sys.argv = saved
