"""Suites: specs (`spec`), where items come from (`sources`, `builtin`), how the model is asked (`prompt`,
`solvers`, `toolcalls`), how answers are scored (`scorers`), and the assembly of a loaded suite (`build`).

    from harness.suites.build import load_suites
    suites = load_suites(["builtin"])          # the offline built-in suites, versioned by content hash
"""
