"""lm-eval as an engine: the `asymmetry` lm-eval model class (`harness.lmeval.model`, registered on
import), its per-model request journal (`harness.lmeval.journal`), lm-eval tasks as suites
(`harness.lmeval.tasks`, for `asymmetry run --suites lm-eval:TASK`) and `asymmetry lm-eval`, lm-eval's
own command line with the class registered (`harness.lmeval.cli`).

Nothing here is imported by `asymmetry --help`: lm-eval is a heavy import."""

from harness.suites.sources import quiet_huggingface

quiet_huggingface()  # before lm-eval imports `datasets`: no download-counter requests, offline when asked
