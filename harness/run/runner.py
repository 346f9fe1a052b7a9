"""The run engine: every (model, suite, item, sample) through its suite's solver, concurrently, into a
resumable journal with a manifest a skeptic can check.

    result = await execute(RunConfig(models=[spec], suites=load_suites(["default"]), samples=1))

A run directory is identified by its configuration (models, suites and versions, decoding, samples, plan):
the default run id is a readable slug plus a hash of it, so re-running the same command resumes, and a
changed configuration under an explicit `--run-id` is refused. Completed records are never redone or
overwritten; a torn last line after a crash is repaired; Ctrl-C flushes what finished and says how to
resume. Errors are journaled with their kind (never scored as wrong answers), and API keys never reach
the run directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson

from harness import __version__
from harness import sandbox as code_sandbox  # the sandbox's explicit configure / close hooks
from harness.errors import UserError
from harness.items import Item, Outcome, Suite, canonical_json, sha256_file
from harness.models import ChatRequest, ChatResponse, Decoding, ModelError, ModelSpec
from harness.models.redact import redact_extra, scrub_command, scrub_text
from harness.records import ERROR_KINDS, INFRA_ERRORS, ItemRecord, is_infra_error
from harness.run.replay import open_model, request_key, turn_record
from harness.run.store import (
    JOURNAL,
    Journal,
    JournalError,
    Scan,
    make_reserve,
    read_manifest,
    release_reserve,
    write_manifest,
)

#: Model ids that think before answering; a small max_tokens cuts their reasoning short.
REASONING_MODEL = re.compile(
    r"qwen3|qwq|deepseek-r1|deepseek-reasoner|r1-distill|(^|[/:_-])o[134](-|$)|gpt-oss|thinking|reasoner|magistral",
    re.IGNORECASE)
REASONING_MIN_TOKENS = 8192


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run. `models`, `suites`, `samples`, `decoding` and the plan's hash make
    its identity; the rest (concurrency, limits, timeouts) only says how fast it goes."""

    models: Sequence[ModelSpec]
    suites: Sequence[Suite]
    samples: int = 1
    decoding: Decoding = field(default_factory=Decoding)
    out: Path = Path("results")
    run_id: str | None = None
    limit: int | None = None
    concurrency: int = 32
    adapter_options: Mapping[str, Any] = field(default_factory=dict)  # timeout_s, retries, rpm, tpm …
    model_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # per label, over the above
    plan: Path | None = None
    suite_request: Sequence[str] = ()  # the --suites words as typed (for the readable slug)
    command: str = ""  # how to resume, as printed on Ctrl-C and kept in the manifest
    shard: tuple[int, int] | None = None  # (I, N): only the units of shard I of N (1-based), see `in_shard`
    allow_unlisted_model: bool = False  # run even if the endpoint's model list lacks the model
    processes: int | None = None  # client processes; None = automatic (see `client_processes`)
    # the sandbox for model-written code: pool size (0: the sandbox's default) and the loudly-warned opt-in
    # to run it without bubblewrap; neither is part of the run's identity (the manifest records both)
    sandbox_workers: int = 0
    allow_unsandboxed_code: bool = False


@dataclass
class RunResult:
    run_dir: Path
    run_id: str
    status: str  # complete | interrupted
    written: int  # records written this session
    skipped: int  # found complete from earlier sessions
    rows: list[dict[str, Any]]  # the closing table, per model and suite
    warnings: list[str]
    resumed: bool
    elapsed_s: float
    retried: int = 0  # units an earlier session journaled as infrastructure errors, asked again
    unanswered: dict[str, int] = field(default_factory=dict)  # per model: units without an answer yet
    error: str | None = None  # why the run stopped early (e.g. the disk stayed full)
    processes: int = 1  # client processes that ran the units


#: Exceptions a suite raises on data it could not handle. Raised after the model answered, they are about
#: its output (parse_failure, a model error); any other exception is the harness's or the machine's.
OUTPUT_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError, RecursionError,
                 AssertionError)

#: Error kinds that mean the endpoint (or the harness) keeps failing after every retry, not the model
#: answering badly: any infrastructure error but a replay's missing answer. A 401 on every request (a
#: refused key) counts as much as a server that is down.
ENDPOINT_DOWN = INFRA_ERRORS - {"replay_missing"}
#: From this many requests in flight per model on, the units are spread over several client processes
#: (each its own event loop and connection pool; one journal writer), when the machine has the cores.
PROCESS_THRESHOLD = 256
#: Units in a row a model's endpoint may fail before its workers stop (the rest is left for a resume).
BREAKER_THRESHOLD = 25


def identity(config: RunConfig) -> dict[str, Any]:
    """The configuration a run id stands for (no URLs, keys, concurrency or limits)."""
    labels = [m.label for m in config.models]
    if len(set(labels)) != len(labels):
        raise UserError(f"--model labels must be distinct (got {', '.join(labels)})")
    return {
        "models": [m.identity() for m in config.models],
        "suites": [{"name": s.name, "version": s.version} for s in config.suites],
        "samples": config.samples,
        "decoding": _decoding_dict(config.decoding),
        "plan_sha256": _plan_sha(config.plan),
    }


def default_run_id(config: RunConfig) -> str:
    """A readable slug (models, suites) plus 10 hex digits of the configuration hash."""
    digest = hashlib.sha256(canonical_json(identity(config))).hexdigest()[:10]
    suites = list(config.suite_request) or [s.name for s in config.suites]
    slug = "_".join(["-".join(m.label for m in config.models), "-".join(suites)])
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", slug).strip("-.")[:60] or "run"
    return f"{slug}-{digest}"


def units(suites: Sequence[Suite], samples: int) -> Iterator[tuple[Suite, Item, int]]:
    """The work in order: suite by suite, item by item, sample by sample."""
    for suite in suites:
        for item in suite.items:
            for sample in range(samples):
                yield suite, item, sample


def check_config(config: RunConfig) -> tuple[dict[str, Any], str]:
    """Refuse a configuration that cannot run (one-line errors), before anything is written; returns its
    identity and run id."""
    if config.samples < 1:
        raise UserError(f"--samples must be at least 1, not {config.samples}")
    if config.concurrency < 1:
        raise UserError(f"--concurrency must be at least 1, not {config.concurrency}")
    if not config.models:
        raise UserError("no --model given; e.g. --model qwen3-8b=vllm:Qwen/Qwen3-8B@http://127.0.0.1:8000/v1")
    if not config.suites:
        raise UserError("no suites to run; pass --suites default, builtin or suite names")
    ident = identity(config)
    run_id = config.run_id or default_run_id(config)
    if config.shard is not None and config.run_id is None and config.shard[1] > 1:
        run_id = f"{run_id}-shard{config.shard[0]}of{config.shard[1]}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", run_id):
        raise UserError(f"--run-id {run_id!r}: use letters, digits, '.', '_' and '-' only")
    for spec in config.models:
        spec.api_key()  # a hosted API without its key fails here, naming the variable
    return ident, run_id


async def execute(config: RunConfig, *, show_progress: bool = True, console: Any = None) -> RunResult:
    """Run (or resume) `config`; returns when every unit is journaled or the run was interrupted."""
    ident, run_id = check_config(config)
    config_hash = hashlib.sha256(canonical_json(ident)).hexdigest()
    code_sandbox.configure_shared(workers=config.sandbox_workers, allow_unsandboxed=config.allow_unsandboxed_code)
    run_dir = Path(config.out) / run_id
    options = {m.label: {"concurrency": config.concurrency, **config.adapter_options,
                         **config.model_options.get(m.label, {})} for m in config.models}
    # adapters first: a missing API key fails before the run directory is touched
    adapters = {m.label: open_model(m, **options[m.label]) for m in config.models}

    await preflight(config.models)  # an endpoint that refuses connections fails before anything is written
    listings = await served_listings(config.models, options, require=not config.allow_unlisted_model)
    resumed = (run_dir / "manifest.json").exists()
    manifest = _open_run_dir(config, run_dir, run_id, ident, config_hash, listings, resumed)

    # The exclusive lock (one writer per run) comes before anything reads or repairs the journal: a
    # second copy of the same command must not mistake the first one's write in progress for a torn line.
    journal = Journal(run_dir)
    repaired = journal.repaired
    try:
        tally = _Tally(config)
        state = _load(run_dir, manifest if resumed else None, journal, tally, run_id)
        done, retry = state.done, state.retry
        make_reserve(run_dir)  # room for the last manifest if the disk fills during the run
        expected = _expected(config, tally)
        warnings = start_warnings(config)
        if state.unsigned_bytes:
            warnings.append(f"{state.unsigned_bytes:,} journal bytes written after the last checkpoint of an "
                            "earlier session (it crashed or was killed) were kept and are now signed")
        session = {"started_at": _now(), "limit": config.limit, "harness_version": __version__,
                   "command": redact_command(config.command), "repaired_bytes": repaired,
                   "served": {label: listing for label, listing in listings.items()}}
        manifest.update(_describe(config, run_id, config_hash, adapters, options))
        manifest["status"] = "running"
        manifest["sessions"] = [*manifest.get("sessions", []), session]
        manifest.update(journal_sha256=journal.sha256, journal_bytes=journal.size)
        write_manifest(run_dir, manifest)
        journal.on_flush = _checkpointer(run_dir, manifest, journal)

        totals = _totals(config, expected, done)
        skipped = sum(t[3] for t in totals)
        retry_asked = list(retry)
        processes = client_processes(config)
        started = time.perf_counter()
        interrupted, failure, runners = await _ask(config, run_id, options, adapters, journal, tally, state, processes,
                                                   totals, manifest, show_progress, console)
        elapsed = time.perf_counter() - started
        rows, counts, finish_lengths = tally.result()
        unanswered = _unanswered(rows)
        counts["unanswered"] = unanswered
        status = _status(interrupted, failure, unanswered)
        warnings += _end_warnings(config, finish_lengths) + _served_warnings(config, rows)
        warnings += _runner_warnings(runners, journal)
        session.update(ended_at=_now(), status=status, written=journal.written, elapsed_s=round(elapsed, 3),
                       processes=processes)
        if failure is not None:
            session["error"] = str(failure)
        manifest.update(status=status, ended_at=session["ended_at"], counts=counts,
                        journal_sha256=journal.sha256, journal_bytes=journal.size, warnings=warnings)
        _served_models(manifest, rows)
        write_manifest(run_dir, manifest)
        release_reserve(run_dir)
        if failure is not None and not isinstance(failure, JournalError):
            raise failure
        return RunResult(run_dir, run_id, status, journal.written, skipped, rows, warnings, resumed, elapsed,
                         len(retry_asked), unanswered=unanswered, error=str(failure) if failure else None,
                         processes=processes)
    finally:
        if not journal.closed:
            with contextlib.suppress(JournalError):
                journal.close()
        release_reserve(run_dir)


def _totals(config: RunConfig, expected: Mapping[str, int],
            done: set[tuple[str, str, str, int]]) -> list[tuple[str, str, int, int]]:
    """Per model and suite: (model, suite, records expected, records already journaled), for the progress
    display and the count of skipped records."""
    totals = []
    for m in config.models:
        for s in config.suites:
            already = sum(1 for it in s.items for k in range(config.samples) if (m.label, s.name, it.id, k) in done)
            totals.append((m.label, s.name, expected[s.name], already))
    return totals


def _status(interrupted: bool, failure: UserError | None, unanswered: Mapping[str, int]) -> str:
    """The session's status: interrupted (Ctrl-C or the disk stayed full), stopped (a configuration error a
    suite ran into), else complete when nothing is left unanswered."""
    if interrupted:
        return "interrupted"
    if failure is not None:
        return "stopped"
    return "complete" if sum(unanswered.values()) == 0 else "incomplete"


def _open_run_dir(config: RunConfig, run_dir: Path, run_id: str, ident: dict[str, Any], config_hash: str,
                  listings: Mapping[str, Any], resumed: bool) -> dict[str, Any]:
    """The run's manifest: on resume the existing one, refused when the configuration, shard or served
    models differ; else a new run directory with an empty journal and a fresh manifest."""
    if resumed:
        manifest = read_manifest(run_dir)
        if manifest.get("config_sha256") != config_hash:
            changed = [k for k in ident if manifest.get("config", {}).get(k) != ident[k]] or ["configuration"]
            raise UserError(
                f"{run_dir}: this run was made with a different configuration ({', '.join(changed)} changed); "
                "repeat its original options to resume it, or start a new run with another --run-id "
                "(or none: the default id follows the configuration)")
        _check_shard(manifest, config, run_dir)
        _check_listing(manifest, listings, run_dir)
        return manifest
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / JOURNAL).touch()
    return {"run_id": run_id, "created_at": _now(), "config_sha256": config_hash, "config": ident, "sessions": []}


def _expected(config: RunConfig, tally: _Tally) -> dict[str, int]:
    """Records expected per suite and model: every item's samples, or only the shard's items."""
    expected = {(s.name): len(s.items) * config.samples for s in config.suites}
    if config.shard is not None:
        expected = {s.name: sum(config.samples for it in s.items if in_shard(s.name, it.id, config.shard))
                    for s in config.suites}
        tally.expected = expected
        for (_, suite), row in tally.rows.items():
            row["expected"] = expected[suite]
    return expected


async def _ask(config: RunConfig, run_id: str, options: Mapping[str, Mapping[str, Any]], adapters: Mapping[str, Any],
               journal: Journal, tally: _Tally, state: _Loaded, processes: int, totals: list[tuple[str, str, int, int]],
               manifest: dict[str, Any], show_progress: bool, console: Any) -> tuple[bool, UserError | None, list]:
    """Ask every unit not yet done, in this process or in client processes, until done or interrupted;
    then close the journal, the adapters and the sandbox. Returns (interrupted, the error that stopped the
    run or None, the model runners)."""
    from harness.run.progress import RunProgress

    done, retry = state.done, state.retry
    stop = asyncio.Event()
    interrupted = False
    failure: UserError | None = None
    runners: list[_ModelRunner] = []
    try:
        if processes > 1:
            from harness.run.workers import run_in_processes

            kit = SimpleNamespace(ENDPOINT_DOWN=ENDPOINT_DOWN, BREAKER_THRESHOLD=BREAKER_THRESHOLD,
                                  in_shard=in_shard, close_sandbox=_close_sandbox, ModelRunner=_ModelRunner)
            pool = run_in_processes(config, run_id, options, journal, tally, done, retry, state.served, processes,
                                    kit)
            progress = RunProgress(totals, console=console, enabled=show_progress)
            runners = pool.runners  # type: ignore[assignment]
            async with progress:
                interrupted = await pool.wait(progress)
            if pool.sandbox:
                manifest["sandbox"] = pool.sandbox
        else:
            progress = RunProgress(totals, console=console, enabled=show_progress)
            async with progress:
                workers: list[asyncio.Task[None]] = []
                for m in config.models:
                    todo = _todo(m.label, config, done)
                    runner = _ModelRunner(run_id, m, adapters[m.label], config.decoding, journal, progress, stop,
                                          tally, retry, state.served.get(m.label))
                    runners.append(runner)
                    workers += [asyncio.create_task(runner.work(todo))
                                for _ in range(options[m.label]["concurrency"])]
                interrupted = await _wait(workers, stop)
    except JournalError as e:  # the disk stayed full: what landed is kept, the rest is asked on resume
        failure, interrupted = e, True
    except UserError as e:  # a configuration problem a suite ran into (e.g. no sandbox): stop, keep the rest
        failure = e
    finally:
        try:
            journal.close()
        except JournalError as e:
            failure, interrupted = failure or e, True
        for adapter in adapters.values():
            await adapter.aclose()
        await _close_sandbox(manifest)
    return interrupted, failure, runners


def _runner_warnings(runners: Sequence[Any], journal: Journal) -> list[str]:
    """What the runners and the journal met: a tripped circuit breaker, suites that raised on the model's
    output, journal writes that failed and were retried."""
    warnings = [r.breaker_message() for r in runners if r.tripped]
    warnings += [f"{r.spec.label}: {r.output_errors} record(s) where the suite raised on the model's output are "
                 "journaled as parse_failure (see error_message); if the output looks ordinary, this is a "
                 "harness bug: please report it" for r in runners if r.output_errors]
    if journal.write_failures:
        warnings.append(f"{journal.write_failures} journal write(s) failed (disk full or I/O error) and were "
                        "rolled back and retried; no record was written twice"
                        + (f"; {journal.dropped} finished record(s) could not be kept and will be asked again "
                           "on resume" if journal.dropped else ""))
    return warnings


async def _close_sandbox(manifest: dict[str, Any]) -> None:
    """Stop the shared sandbox through its close hook (once per process); if model code ran, record what
    contained it."""
    sandbox_info = await code_sandbox.close_shared()
    if sandbox_info is not None:
        manifest["sandbox"] = sandbox_info


@dataclass
class _Loaded:
    """What a resume found in the journal."""

    done: set[tuple[str, str, str, int]] = field(default_factory=set)
    retry: dict[tuple[str, str, str, int], ItemRecord] = field(default_factory=dict)  # infra errors to ask again
    served: dict[str, set[str]] = field(default_factory=dict)  # label -> model ids that answered before
    unsigned_bytes: int = 0


def _load(run_dir: Path, manifest: dict[str, Any] | None, journal: Journal, tally: _Tally, run_id: str) -> _Loaded:
    """Stream the journal once: verify the part the manifest signed (a changed or deleted line is an
    error, never silently re-asked), and collect completed units, units to ask again and served ids."""
    state = _Loaded()
    if manifest is None:
        return state
    scan = Scan(run_dir, manifest)
    done, retry, served = state.done, state.retry, state.served
    run_ids = {run_id, *(m.get("run_id") for m in manifest.get("merged_from") or () if isinstance(m, dict))}
    for record in scan.records():
        if record.get("run_id") not in run_ids:
            raise UserError(f"{run_dir / JOURNAL}:{scan.lines}: a record of run {record.get('run_id')!r} in run "
                            f"{run_id!r}; the journal was edited or copied from another run. Restore it from a backup")
        key = (record["model"], record["suite"], record["item_id"], int(record["sample"]))
        superseded = retry.pop(key, None)
        if superseded is not None:
            tally.add(superseded, -1)
        if is_infra_error(record.get("error")):
            retry[key] = record  # the endpoint failed, not the model: ask again, supersede on success
        else:
            done.add(key)
        if record.get("served_model"):
            served.setdefault(record["model"], set()).add(record["served_model"])
        tally.add(record)
    journal.continue_hash(scan)
    state.unsigned_bytes = scan.unsigned_bytes
    return state


def _checkpointer(run_dir: Path, manifest: dict[str, Any], journal: Journal, every_s: float = 1.0) -> Any:
    """Sign the journal in the manifest as batches land (at most every `every_s`): a crash then leaves at
    most that much unsigned, and a later change to the signed part is caught on resume and by compare."""
    last = [time.monotonic()]

    def checkpoint() -> None:
        now = time.monotonic()
        if now - last[0] < every_s:
            return
        last[0] = now
        manifest.update(journal_sha256=journal.hasher.hexdigest(), journal_bytes=journal.size)
        with contextlib.suppress(OSError):  # a full disk: the journal's own retry reports it
            write_manifest(run_dir, manifest)

    return checkpoint


def _unanswered(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Units per model with no answer yet: never asked, or whose last record is an infrastructure error."""
    out: dict[str, int] = defaultdict(int)
    for row in rows:
        infra = sum(n for kind, n in row["errors"].items() if is_infra_error(kind))
        out[row["model"]] += max(0, row["expected"] - row["records"]) + infra
    return dict(out)


async def preflight(models: Sequence[ModelSpec], timeout_s: float = 5.0) -> None:
    """Open a TCP connection to every endpoint replica. A model none of whose replicas accepts connections
    is a one-line error before the run starts (rather than thousands of journaled connection errors);
    a dead replica among live ones is left to the adapter, which routes around it."""
    from urllib.parse import urlsplit

    async def reachable(url: str) -> bool:
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:  # never a traceback quoting the URL (its user-info may hold a password)
            return False
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, port), timeout_s)
        except (TimeoutError, OSError):
            return False
        writer.close()
        return True

    for spec in models:
        if spec.api == "replay" or not spec.base_urls:
            continue
        if not any(await asyncio.gather(*(reachable(u) for u in spec.base_urls))):
            urls = ", ".join(spec.public_urls())
            raise UserError(f"{spec.label}: cannot connect to {urls}; start the server (or fix the URL), check it "
                            f"with `asymmetry models check {spec}`, then run again. Nothing was written")


def _todo(label: str, config: RunConfig, done: set[tuple[str, str, str, int]]) -> Iterator[tuple[Suite, Item, int]]:
    """Units of model `label` not journaled yet (one generator shared by that model's workers)."""
    shard = config.shard
    for suite, item, sample in units(config.suites, config.samples):
        if (label, suite.name, item.id, sample) not in done and (shard is None or in_shard(suite.name, item.id, shard)):
            yield suite, item, sample


def in_shard(suite: str, item_id: str, shard: tuple[int, int]) -> bool:
    """Whether an item belongs to shard I of N: a hash of (suite, item id), so the split depends on
    neither the order nor the number of items (a `--limit` pilot and the full run split alike), and every
    model and sample of an item lands on the same shard."""
    index, count = shard
    if count == 1:
        return True
    digest = hashlib.blake2b(f"{suite}\0{item_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count == index - 1


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` (1 <= I <= N) as a tuple, or a one-line error."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise UserError(f"--shard {text!r}: expected I/N with 1 <= I <= N, e.g. --shard 2/4")
    return int(match[1]), int(match[2])


def _check_shard(manifest: Mapping[str, Any], config: RunConfig, run_dir: Path) -> None:
    recorded = manifest.get("shard")
    wanted = {"index": config.shard[0], "count": config.shard[1]} if config.shard else None
    if (recorded or None) != wanted:
        raise UserError(f"{run_dir}: this run directory holds shard {recorded or 'none'}, not {wanted or 'none'}; "
                        "repeat the original --shard to resume it")


def client_processes(config: RunConfig) -> int:
    """How many client processes run the units: `config.processes` if set, else one per core (at most 4)
    once a model has PROCESS_THRESHOLD or more requests in flight and every model is an HTTP endpoint.
    A single event loop tops out near a thousand requests in flight (measured in
    benchmarks/throughput/latency.py); several loops share the work."""
    if config.processes is not None:
        if config.processes < 1:
            raise UserError(f"--processes must be at least 1, not {config.processes}")
        return config.processes
    if any(m.api == "replay" for m in config.models) or not hasattr(os, "fork"):
        return 1
    in_flight = max([config.concurrency, *(o.get("concurrency", 0) for o in config.model_options.values())])
    if in_flight < PROCESS_THRESHOLD:
        return 1
    return max(1, min(4, os.cpu_count() or 1, in_flight // (PROCESS_THRESHOLD // 2)))


async def served_listings(models: Sequence[ModelSpec], options: Mapping[str, Mapping[str, Any]], *,
                          require: bool = True, timeout_s: float = 10.0) -> dict[str, dict[str, Any]]:
    """What each HTTP endpoint lists at /models ({"listed": ids, "roots": {id: weights path}}). When the
    list is non-empty and lacks the requested model, a one-line error (unless `require` is off): a
    misspelt name or a server started with another model is caught before any answer is recorded."""
    out: dict[str, dict[str, Any]] = {}
    for spec in models:
        if spec.api in ("replay", "messages"):
            continue
        adapter = open_model(spec, concurrency=1, retries=0, timeout_s=timeout_s,
                             connect_timeout_s=min(timeout_s, float(options[spec.label].get("timeout_s", timeout_s))))
        try:
            try:
                status, body = await adapter.get("/models")  # type: ignore[attr-defined]
                data = orjson.loads(body).get("data") if status == 200 else None
            except Exception:  # noqa: BLE001 - no listing (unreachable, not JSON…): the run's requests will say
                data = None
        finally:
            await adapter.aclose()
        if not isinstance(data, list):
            out[spec.label] = {"listed": None}
            continue
        listed = [str(m.get("id")) for m in data if isinstance(m, dict)]
        roots = {str(m.get("id")): str(m["root"]) for m in data if isinstance(m, dict) and m.get("root")}
        out[spec.label] = {"listed": listed, **({"roots": roots} if roots else {})}
        if require and listed and spec.model not in listed:
            shown = ", ".join(listed[:8]) + (" …" if len(listed) > 8 else "")
            raise UserError(f"{spec.label}: {spec.public_urls()[0]} does not serve {spec.model!r} (it lists: {shown}); "
                            "fix the model name, or pass --allow-unlisted-model if the endpoint answers names it "
                            "does not list. Nothing was written")
    return out


def _check_listing(manifest: Mapping[str, Any], listings: Mapping[str, Mapping[str, Any]], run_dir: Path) -> None:
    """Refuse a resume against an endpoint whose weights for the model changed (vLLM lists the path as
    `root`): the old answers would be silently mixed with another model's."""
    by_label = {m["label"]: m.get("model") for m in manifest.get("models", []) if isinstance(m, dict)}
    for session in manifest.get("sessions", []):
        for label, before in (session.get("served") or {}).items():
            now = listings.get(label) or {}
            model = by_label.get(label)
            old_root = (before.get("roots") or {}).get(model)
            new_root = (now.get("roots") or {}).get(model)
            if old_root and new_root and old_root != new_root:
                raise UserError(f"{run_dir}: {label}: the endpoint now serves {model!r} from {new_root!r}, but this "
                                f"run's earlier answers came from {old_root!r}; a resume must ask the same model. "
                                "Start a new run (another --run-id) for the new weights")


async def _wait(workers: list[asyncio.Task[None]], stop: asyncio.Event) -> bool:
    """Wait for the workers; the first Ctrl-C (or SIGTERM) stops them and returns True so the journal is
    flushed and the manifest says how to resume. A second Ctrl-C interrupts at once."""
    loop = asyncio.get_running_loop()
    interrupted = False

    def on_signal() -> None:
        nonlocal interrupted
        interrupted = True
        stop.set()
        for task in workers:
            task.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            pass
    try:
        finished, pending = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
        failed = [t for t in finished if not t.cancelled() and t.exception() is not None]
        if failed:  # a worker raised (a UserError from a suite, or a harness bug): stop the others
            stop.set()
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            raise failed[0].exception()  # type: ignore[misc]
        if pending:  # only when interrupted: the cancelled workers
            await asyncio.gather(*pending, return_exceptions=True)
    finally:
        if not interrupted:
            for sig in installed:
                loop.remove_signal_handler(sig)
    return interrupted


class _ModelRunner:
    """Turns (suite, item, sample) units of one model into journal records."""

    def __init__(self, run_id: str, spec: ModelSpec, adapter: Any, decoding: Decoding, journal: Journal,
                 progress: Any, stop: asyncio.Event, tally: _Tally,
                 retry: dict[tuple[str, str, str, int], ItemRecord] | None = None,
                 served_before: set[str] | None = None) -> None:
        self.run_id, self.spec, self.adapter, self.journal, self.tally = run_id, spec, adapter, journal, tally
        self.progress, self.stop = progress, stop
        self.retry = retry if retry is not None else {}
        self.down_in_a_row = 0  # consecutive units the endpoint failed (the circuit breaker's count)
        self.tripped: str | None = None  # the error kind that tripped the breaker
        self.decodings: dict[int, Decoding] = {}
        self.base = decoding
        self.output_errors = 0  # units whose suite raised a data error on the model's output
        self.redact = getattr(adapter, "redact", lambda text: text)
        self.served_before = served_before or set()

    def check_served(self, record: ItemRecord) -> None:
        """A resume whose endpoint answers as another model than the earlier records is refused before
        its first answer is journaled."""
        served = record.get("served_model")
        if self.served_before and served and served not in self.served_before:
            raise UserError(f"{self.spec.label}: the endpoint now answers as {served!r}, but this run's earlier "
                            f"records were answered by {', '.join(sorted(self.served_before))}; a resume must ask "
                            "the same model. Start a new run (another --run-id) for the new model")

    def count(self, error: str | None) -> None:
        """Feed the circuit breaker one unit's outcome."""
        self.down_in_a_row = self.down_in_a_row + 1 if error in ENDPOINT_DOWN else 0
        if self.down_in_a_row >= BREAKER_THRESHOLD and not self.tripped:
            self.tripped = error

    async def work(self, todo: Iterator[tuple[Suite, Item, int]]) -> None:
        for suite, item, sample in todo:
            if self.stop.is_set() or self.tripped:
                return
            record = await self.one(suite, item, sample)
            self.check_served(record)
            self.journal.append(record)
            superseded = self.retry.pop((self.spec.label, suite.name, item.id, sample), None)
            if superseded is not None:
                self.tally.add(superseded, -1)
            self.tally.add(record)
            self.progress.advance(self.spec.label, suite.name, record["error"] is not None)
            self.count(record["error"])

    def breaker_message(self) -> str:
        return (f"{self.spec.label}: stopped after {BREAKER_THRESHOLD} units in a row failed at the endpoint "
                f"({self.tripped}), each after all its retries: the server looks down or overloaded. Items not "
                "asked were not journaled; fix the endpoint and re-run the same command: it resumes, and asks "
                "the failed units again")

    async def one(self, suite: Suite, item: Item, sample: int) -> ItemRecord:
        decoding = self.decodings.get(sample)
        if decoding is None:
            decoding = self.decodings[sample] = self.base.for_sample(sample)
        turns: list[dict[str, Any]] = []
        responses: list[ChatResponse] = []
        adapter = self.adapter

        async def generate(request: ChatRequest) -> ChatResponse:
            request = ChatRequest(request.messages, request.tools, decoding, sample)
            key = request_key(request)
            try:
                response = await adapter.chat(request)
            except ModelError as e:
                turn = turn_record(key, error=e)
                turn["text"] = self.redact(turn["text"] or "")
                turns.append(turn)
                raise
            turns.append(turn_record(key, response))
            responses.append(response)
            return response

        started_at = _now()
        message = None
        try:
            outcome = await suite.solve(item, generate)
            error = outcome.error
            if error is not None and error not in ERROR_KINDS:
                message = f"the suite reported an unknown error kind {error!r}"
                error = "harness"
            score = float(outcome.score)
            if not 0.0 <= score <= 1.0:  # also catches NaN
                message, error, score = f"the suite returned score {score!r} outside 0..1", "harness", 0.0
        except ModelError as e:
            outcome = Outcome(0.0, False, e.kind, self.redact(e.response))
            error, score, message = e.kind, 0.0, str(e)
        except UserError:
            raise  # a configuration problem (e.g. no sandbox): the run stops with its one-line message
        except Exception as e:  # a suite or scorer failed: journaled, the run goes on
            detail = _exception_text(e)
            if responses and isinstance(e, OUTPUT_ERRORS):
                # Data errors on the model's own output (a 5,000-digit answer, a tool call of odd types):
                # the answer could not be read. As "harness" it would be excluded from scoring and asked
                # again forever, so a crafted reply could turn a wrong answer into no answer.
                outcome = Outcome(0.0, False, "parse_failure", "")
                error, score = "parse_failure", 0.0
                message = f"the suite could not process the model's output ({detail})"
                self.output_errors += 1
            else:  # before any answer, or an environment failure (sandbox, disk): not the model's doing
                outcome = Outcome(0.0, False, "harness", "")
                error, score, message = "harness", 0.0, detail
        last = responses[-1] if responses else None
        if error is None and not outcome.correct and last is not None and last.finish_reason == "length":
            error = "truncated"  # stopped at max_tokens without a correct answer
        prompt_tokens = completion_tokens = 0
        for r in responses:
            prompt_tokens += r.usage.prompt_tokens or 0
            completion_tokens += r.usage.completion_tokens or 0
        record: ItemRecord = {
            "run_id": self.run_id, "model": self.spec.label, "suite": suite.name, "suite_version": suite.version,
            "category": suite.category, "capability": suite.capability, "item_id": item.id,
            "item_hash": item.hash, "sample": sample, "score": score,
            "correct": bool(outcome.correct) and error is None, "error": error,
            "response": outcome.response if outcome.response or last is None else last.text,
            "extracted": outcome.extracted, "latency_s": round(sum(r.latency_s for r in responses), 6),
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "calls": len(turns)},
            "started_at": started_at,
            "served_model": last.served_model if last else None,
            "finish_reason": last.finish_reason if last else None,
            "seed": decoding.seed, "cluster": item.cluster, "release_date": item.release_date, "turns": turns,
        }
        if turns and turns[-1].get("text") and turns[-1]["text"] == record["response"]:
            turns[-1]["text"] = None  # stored once, in `response` (reasoning answers can be ~100 kB)
            turns[-1]["text_is_response"] = True
        if message:
            record["error_message"] = self.redact(scrub_text(message))
        if any(t.get("redacted") for t in turns):
            record["redacted"] = True  # the endpoint echoed a secret; its text holds *** instead
        if any(t.get("invalid_unicode") for t in turns):
            record["invalid_unicode"] = True  # characters JSON cannot carry were replaced by U+FFFD
        return record


class _Tally:
    """The closing table and the manifest's counts, fed every record of the journal: those found on
    resume, then each one as it is appended (so the journal is never re-read at the end)."""

    def __init__(self, config: RunConfig) -> None:
        self.models = len(config.models)
        self.expected = {s.name: len(s.items) * config.samples for s in config.suites}
        self.rows: dict[tuple[str, str], dict[str, Any]] = {
            (m.label, s.name): {"model": m.label, "suite": s.name, "records": 0, "expected": self.expected[s.name],
                                "scored": 0, "score_sum": 0.0, "errors": Counter(), "served": Counter()}
            for m in config.models for s in config.suites}
        self.errors: Counter[str] = Counter()
        self.finish_lengths: Counter[str] = Counter()
        self.total = 0

    def add(self, record: ItemRecord, sign: int = 1) -> None:
        """Count a record (sign -1 takes back one that a retried unit superseded)."""
        self.total += sign
        row = self.rows.get((record["model"], record["suite"]))
        if row is None:
            return
        row["records"] += sign
        kind = record.get("error")
        if kind:
            row["errors"][kind] += sign
            self.errors[kind] += sign
        if not is_infra_error(kind):
            row["scored"] += sign
            row["score_sum"] += sign * record["score"]
        served = record.get("served_model")
        if served:
            row["served"][served] += sign
        if record.get("finish_reason") == "length":
            self.finish_lengths[record["model"]] += sign

    def result(self) -> tuple[list[dict[str, Any]], dict[str, Any], Counter[str]]:
        out = []
        for row in self.rows.values():
            out.append({**row, "errors": dict(+row["errors"]),  # unary + drops kinds a retry took back to 0
                        "served": [name for name, _ in row["served"].most_common()]})
        counts = {"records": self.total, "expected": sum(self.expected.values()) * self.models,
                  "errors": dict(+self.errors),
                  "by_model_suite": [{k: r[k] for k in ("model", "suite", "records", "expected", "scored", "errors")}
                                     | {"accuracy": (r["score_sum"] / r["scored"]) if r["scored"] else None}
                                     for r in out]}
        return out, counts, self.finish_lengths


def _describe(config: RunConfig, run_id: str, config_hash: str, adapters: Mapping[str, Any],
              options: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    models = []
    for m in config.models:
        entry = m.describe()
        entry["options"] = dict(options[m.label])
        extras = {**config.decoding.extra, **m.extra}
        # the Messages API has no seed, and a null extra removes it: then samples differ by sampling alone
        entry["seed_sent"] = (m.api in ("chat", "completions") and config.decoding.seed is not None
                              and extras.get("seed", 0) is not None)
        source = getattr(adapters[m.label], "source", None)
        if source:
            entry["replay_source"] = source
        models.append(entry)
    return {
        "run_id": run_id, "config_sha256": config_hash, "harness_version": __version__,
        "models": models,
        "decoding": _decoding_dict(config.decoding), "samples": config.samples,
        "seeds": [config.decoding.for_sample(k).seed for k in range(config.samples)],
        "suites": [{"name": s.name, "version": s.version, "content_sha256": s.content_hash or None,
                    "category": s.category, "capability": s.capability, "n_items": len(s.items),
                    "source": s.source, "provenance": dict(s.provenance)} for s in config.suites],
        "limit": config.limit,
        "shard": {"index": config.shard[0], "count": config.shard[1]} if config.shard else None,
        "plan": {"path": str(config.plan), "sha256": _plan_sha(config.plan)} if config.plan else None,
    }


def _served_models(manifest: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    served: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        for name in row["served"]:
            if name not in served[row["model"]]:
                served[row["model"]].append(name)
    for entry in manifest["models"]:
        entry["served_models"] = served.get(entry["label"], [])


def start_warnings(config: RunConfig) -> list[str]:
    """What the user should know before the run starts (the CLI prints these first; the manifest keeps
    them). A replay re-scores recorded answers, so its decoding budget cannot cut anything off."""
    warnings = []
    max_tokens = config.decoding.max_tokens
    for m in config.models:
        if m.api == "replay":
            continue
        thinking_off = _thinking_disabled({**config.decoding.extra, **m.extra})
        if REASONING_MODEL.search(m.model) and max_tokens < REASONING_MIN_TOKENS and not thinking_off:
            warnings.append(
                f"{m.label}: {m.model} looks like a reasoning model and --max-tokens is {max_tokens}; its "
                f"reasoning may be cut off (finish_reason 'length'). Consider --max-tokens {REASONING_MIN_TOKENS * 4} "
                "or turn thinking off explicitly (e.g. --extra '{\"chat_template_kwargs\": {\"enable_thinking\": false}}')")
    return warnings


def _end_warnings(config: RunConfig, finish_lengths: Counter[str]) -> list[str]:
    return [f"{label}: {n} record(s) stopped at max_tokens={config.decoding.max_tokens} (finish_reason 'length'); "
            "wrong ones are journaled as error 'truncated'. Raise --max-tokens if answers were cut off"
            for label, n in sorted(finish_lengths.items())]


def _served_warnings(config: RunConfig, rows: list[dict[str, Any]]) -> list[str]:
    """One warning per model whose endpoint reported serving another model than the one requested (a
    gateway or a server started with other weights; `served_model` in each record says which). A dated or
    versioned name of the requested model (gpt-4o -> gpt-4o-2024-08-06) is the same model."""
    out = []
    for m in config.models:
        if m.api == "replay":
            continue
        wanted = m.model.lower()
        served = {name for row in rows if row["model"] == m.label for name in row["served"]}
        other = sorted(name for name in served
                       if name.lower() != wanted and not re.match(re.escape(wanted) + r"[-@:.]", name.lower()))
        if other:
            out.append(f"{m.label}: the endpoint reported answering as {', '.join(map(repr, other))}, not the requested "
                       f"{m.model!r}; check it serves the model you meant (each record's served_model says which)")
    return out


def _thinking_disabled(extra: Mapping[str, Any]) -> bool:
    kwargs = extra.get("chat_template_kwargs") or {}
    return extra.get("enable_thinking") is False or (isinstance(kwargs, Mapping) and kwargs.get("enable_thinking") is False)


def _decoding_dict(decoding: Decoding) -> dict[str, Any]:
    """The decoding as recorded: secret-named extras keep only a hash of their value."""
    d = asdict(decoding)
    d["stop"] = list(decoding.stop)
    d["extra"] = redact_extra(decoding.extra)
    return d


def _plan_sha(plan: Path | None) -> str | None:
    if plan is None:
        return None
    if not Path(plan).is_file():
        raise UserError(f"--plan {plan}: no such file; pass the pre-registration plan written by `asymmetry plan`")
    return sha256_file(Path(plan))


def redact_command(command: str) -> str:
    """A command line as recorded and printed: URL credentials, secret query parameters and secret-named
    fields of --extra JSON masked (keys belong in the environment, but people paste). A resume command
    printed with *** needs the secret put back, or better, moved to the environment."""
    return scrub_command(command)


def _exception_text(e: BaseException) -> str:
    """`Type: message`, short, for error_message (str() of some exceptions is itself huge or raises)."""
    try:
        text = str(e)
    except Exception:  # noqa: BLE001 - e.g. a message holding an int too long to print
        text = "(unprintable message)"
    return f"{type(e).__name__}: {text[:500]}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
