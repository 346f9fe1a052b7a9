"""What the two kinds of interop share: which suite, category and capability another harness's task belongs
to (`mapping`: the built-in task families and the user's task map), and the part of a task's config that
defines its suite version (`configs`).

Both the log importers (harness.importers: lm-eval and Inspect AI logs as run directories) and lm-eval as
an engine (harness.lmeval: lm-eval tasks as suites, `asymmetry lm-eval`) import from here, and neither
imports the other. Nothing here imports lm-eval or Inspect."""
