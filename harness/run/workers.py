"""Several client processes for one run: each has its own event loop and connection pool, the parent
hands out units and is the run's one journal writer.

One event loop tops out near a thousand requests in flight (the loop's own bookkeeping, not the
network, is then the limit), while hosted APIs and large vLLM deployments take more. Above a
concurrency threshold (`runner.client_processes`) the runner forks N clients after the journal is
verified and the units are known. The parent:

- hands each client units of a model on request, in small batches (so a slow client takes fewer);
- appends the encoded records the clients send back, in arrival order, through the same `Journal`
  (so exactly-once, write-fault handling, checkpoints and resume are those of a single process);
- counts the circuit breaker, the closing table and the progress bars.

A unit is handed to one client only and journaled when its record arrives; a client that dies takes
only its unfinished units with it, which a resume asks again. Clients never write the run directory.
Ctrl-C (or SIGTERM) tells every client to stop; they send what finished and exit. A client whose
parent dies sees its pipe close and exits.
"""

from __future__ import annotations

import asyncio
import os
import signal
import traceback
from collections import deque
from collections.abc import Iterator, Mapping
from multiprocessing.connection import Connection
from typing import Any

from harness.errors import UserError
from harness.records import ItemRecord
from harness.run.store import Journal, encode_record

#: Records a client buffers before sending them (or after FLUSH_S, whichever comes first).
SEND_BATCH = 64
FLUSH_S = 0.02


def run_in_processes(config: Any, run_id: str, options: Mapping[str, Mapping[str, Any]], journal: Journal,
                     tally: Any, done: set[tuple[str, str, str, int]], retry: dict[tuple[str, str, str, int], Any],
                     served: Mapping[str, set[str]], processes: int, kit: Any) -> Pool:
    """Fork `processes` clients for the units of `config` not in `done`; `Pool.wait` drives them. `kit`
    is the runner's toolbox (its unit runner, shard test, breaker settings, sandbox close), handed in so
    this module never imports the runner."""
    global KIT
    KIT = kit
    return Pool(config, run_id, options, journal, tally, done, retry, served, processes)


KIT: Any = None  # set by run_in_processes (forked clients inherit it)


class _ModelState:
    """Per model, in the parent: its units still to hand out, and its circuit breaker."""

    def __init__(self, spec: Any, todo: Iterator[tuple[int, int, int, int]]) -> None:
        self.spec = spec
        self.todo = todo
        self.down = KIT.ENDPOINT_DOWN
        self.down_in_a_row = 0
        self.tripped: str | None = None
        self.output_errors = 0

    def count(self, error: str | None) -> None:
        self.down_in_a_row = self.down_in_a_row + 1 if error in self.down else 0
        if self.down_in_a_row >= KIT.BREAKER_THRESHOLD and not self.tripped:
            self.tripped = error

    def breaker_message(self) -> str:
        return (f"{self.spec.label}: stopped after {KIT.BREAKER_THRESHOLD} units in a row failed at the endpoint "
                f"({self.tripped}), each after all its retries: the server looks down or overloaded (or refuses "
                "the credentials). Items not asked were not journaled; fix the endpoint and re-run the same "
                "command: it resumes, and asks the failed units again")


class Pool:
    """The parent's side: the clients, their pipes, and the units handed out."""

    def __init__(self, config: Any, run_id: str, options: Mapping[str, Mapping[str, Any]], journal: Journal,
                 tally: Any, done: set[tuple[str, str, str, int]], retry: dict[tuple[str, str, str, int], Any],
                 served: Mapping[str, set[str]], processes: int) -> None:
        import multiprocessing

        self.config, self.journal, self.tally, self.retry = config, journal, tally, retry
        self.models = [_ModelState(m, _todo_indices(i, m.label, config, done)) for i, m in enumerate(config.models)]
        self.runners = self.models  # the runner reads .tripped, .spec, .output_errors, .breaker_message()
        self.failure: UserError | None = None
        self.stopping = False
        self.sandbox: dict[str, Any] | None = None
        context = multiprocessing.get_context("fork")
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        self.finished: set[int] = set()
        for index in range(processes):
            share = {m.label: _share(int(options[m.label]["concurrency"]), processes, index) for m in config.models}
            parent_end, child_end = context.Pipe(duplex=True)
            proc = context.Process(target=_child_main, name=f"asymmetry-client-{index + 1}", daemon=True,
                                   args=(child_end, [*self.conns, parent_end], journal, config, run_id, options,
                                         share, served))
            proc.start()
            child_end.close()
            self.conns.append(parent_end)
            self.procs.append(proc)

    async def wait(self, progress: Any) -> bool:
        """Drive the clients until all are done; True if interrupted (Ctrl-C or SIGTERM)."""
        loop = asyncio.get_running_loop()
        all_done = asyncio.Event()
        interrupted = False
        suites = self.config.suites

        def stop_all() -> None:
            if self.stopping:
                return
            self.stopping = True
            for i, conn in enumerate(self.conns):
                if i not in self.finished:
                    try:
                        conn.send(("stop",))
                    except OSError:
                        pass

        def on_signal() -> None:
            nonlocal interrupted
            if interrupted:  # a second Ctrl-C: do not wait for the clients
                for proc in self.procs:
                    proc.kill()
                return
            interrupted = True
            stop_all()

        def finish(index: int, problem: str | None = None) -> None:
            if index in self.finished:
                return
            self.finished.add(index)
            loop.remove_reader(self.conns[index].fileno())
            if problem and self.failure is None:
                self.failure = UserError(problem)
                stop_all()
            if len(self.finished) == len(self.conns):
                all_done.set()

        def on_message(index: int) -> None:
            conn = self.conns[index]
            try:
                while conn.poll():
                    message = conn.recv()
                    kind = message[0]
                    if kind == "records":
                        self._journal(message[1], suites, progress)
                    elif kind == "want":
                        _, mi, n = message
                        conn.send(("units", mi, self._hand_out(mi, n)))
                    elif kind == "done":
                        for mi, n in message[1].items():
                            self.models[mi].output_errors += n
                        self.sandbox = message[2] or self.sandbox
                        finish(index)
                        return
                    elif kind == "error":
                        finish(index, message[1])
                        return
            except (EOFError, OSError):
                self.procs[index].join(5)
                finish(index, f"client process {index + 1} ended unexpectedly (exit code "
                              f"{self.procs[index].exitcode}); what it finished is kept: re-run the same command "
                              "to resume")

        for index, conn in enumerate(self.conns):
            loop.add_reader(conn.fileno(), on_message, index)
        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, on_signal)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        try:
            await all_done.wait()
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            for index, conn in enumerate(self.conns):
                if index not in self.finished:
                    loop.remove_reader(conn.fileno())
            for conn in self.conns:
                conn.close()
            for proc in self.procs:
                proc.join(10)
                if proc.is_alive():
                    proc.kill()
                    proc.join(5)
        if self.failure is not None:
            raise self.failure
        return interrupted

    def _hand_out(self, mi: int, n: int) -> list[tuple[int, int, int, int]]:
        state = self.models[mi]
        if self.stopping or state.tripped:
            return []
        out = []
        for unit in state.todo:
            out.append(unit)
            if len(out) >= n:
                break
        return out

    def _journal(self, batch: list[tuple[bytes, tuple[Any, ...]]], suites: Any, progress: Any) -> None:
        journal, tally, retry = self.journal, self.tally, self.retry
        for line, (mi, si, ii, sample, error, score, served, finish) in batch:
            journal.append_line(line)
            state = self.models[mi]
            label, suite = state.spec.label, suites[si]
            superseded = retry.pop((label, suite.name, suite.items[ii].id, sample), None) if retry else None
            if superseded is not None:
                tally.add(superseded, -1)
            tally.add({"model": label, "suite": suite.name, "error": error, "score": score, "served_model": served,
                       "finish_reason": finish})
            progress.advance(label, suite.name, error is not None)
            state.count(error)


def _share(total: int, parts: int, index: int) -> int:
    """Client `index`'s part of `total` requests in flight (at least 1)."""
    return max(1, total // parts + (1 if index < total % parts else 0))


def _todo_indices(mi: int, label: str, config: Any, done: set[tuple[str, str, str, int]]
                  ) -> Iterator[tuple[int, int, int, int]]:
    """Model `mi`'s units not journaled yet, as (model, suite, item, sample) indices."""
    in_shard = KIT.in_shard
    shard = config.shard
    for si, suite in enumerate(config.suites):
        for ii, item in enumerate(suite.items):
            if shard is not None and not in_shard(suite.name, item.id, shard):
                continue
            for sample in range(config.samples):
                if (label, suite.name, item.id, sample) not in done:
                    yield mi, si, ii, sample


# -- the client's side ------------------------------------------------------------------------------------


def _child_main(conn: Connection, inherited: list[Connection], journal: Journal, config: Any, run_id: str,
                options: Mapping[str, Mapping[str, Any]], share: Mapping[str, int],
                served: Mapping[str, set[str]]) -> None:
    """Entry of a forked client: forget the parent's loop, pipes and journal; run; exit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        signal.set_wakeup_fd(-1)  # the parent loop's self-pipe: a signal here must not wake the parent
    except ValueError:
        pass
    for other in inherited:
        other.close()  # so each client sees its pipe close when the parent dies
    try:
        os.close(journal._fd)  # only the parent writes the journal
    except OSError:
        pass
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    code = 0
    try:
        asyncio.run(_client(conn, config, run_id, options, share, served))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        code = 1  # the parent is gone
    except UserError as e:
        code = _send_quietly(conn, ("error", str(e)))
    except BaseException as e:  # noqa: BLE001 - a harness bug: reported to the parent, which stops the run
        lines = traceback.format_exception_only(type(e), e)
        code = _send_quietly(conn, ("error", f"a client process failed: {''.join(lines).strip()[:500]}"))
    os._exit(code)


def _send_quietly(conn: Connection, message: Any) -> int:
    try:
        conn.send(message)
    except OSError:
        pass
    return 2


class _Source:
    """One model's units in a client, fetched from the parent in batches as workers need them."""

    def __init__(self, conn: Connection, mi: int, batch: int, first: int) -> None:
        self.conn, self.mi, self.batch = conn, mi, batch
        self.units: deque[tuple[int, int, int, int]] = deque()
        self.exhausted = False
        self.asked = False
        self.waiters: deque[asyncio.Future[None]] = deque()
        self._ask(first)

    def _ask(self, n: int) -> None:
        if not self.asked and not self.exhausted:
            self.asked = True
            self.conn.send(("want", self.mi, n))

    def arrived(self, units: list[tuple[int, int, int, int]]) -> None:
        self.asked = False
        if not units:
            self.exhausted = True
        self.units.extend(units)
        while self.waiters and (self.units or self.exhausted):
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def stop(self) -> None:
        self.units.clear()
        self.arrived([])

    async def get(self) -> tuple[int, int, int, int] | None:
        while not self.units:
            if self.exhausted:
                return None
            self._ask(self.batch)
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            await waiter
        unit = self.units.popleft()
        if len(self.units) < self.batch // 2:
            self._ask(self.batch)  # refill before the workers run dry
        return unit


class _Sink:
    """Encodes finished records and sends them to the parent in small batches (the parent journals them).
    Looks like a `Journal` to `_ModelRunner`."""

    def __init__(self, conn: Connection, mi: int, suites: Any) -> None:
        self.conn, self.mi = conn, mi
        self.suite_index = {s.name: i for i, s in enumerate(suites)}
        self.item_index = {s.name: {it.id: j for j, it in enumerate(s.items)} for s in suites}
        self.batch: list[tuple[bytes, tuple[Any, ...]]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.written = 0

    def append(self, record: ItemRecord) -> None:
        suite = record["suite"]
        summary = (self.mi, self.suite_index[suite], self.item_index[suite][record["item_id"]], record["sample"],
                   record["error"], record["score"], record.get("served_model"), record.get("finish_reason"))
        self.batch.append((encode_record(record), summary))
        if len(self.batch) >= SEND_BATCH:
            self.flush()
        elif self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(FLUSH_S, self.flush)

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.batch:
            self.conn.send(("records", self.batch))
            self.written += len(self.batch)
            self.batch = []


class _NoProgress:
    def advance(self, model: str, suite: str, error: bool) -> None:
        return None


async def _client(conn: Connection, config: Any, run_id: str, options: Mapping[str, Mapping[str, Any]],
                  share: Mapping[str, int], served: Mapping[str, set[str]]) -> None:
    from harness.run.replay import open_model

    _close_sandbox, _ModelRunner = KIT.close_sandbox, KIT.ModelRunner

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    adapters = {m.label: open_model(m, **{**options[m.label], "concurrency": share[m.label]}) for m in config.models}
    sinks = [_Sink(conn, mi, config.suites) for mi in range(len(config.models))]
    sources = [_Source(conn, mi, max(8, share[m.label] // 4), share[m.label] + max(8, share[m.label] // 4))
               for mi, m in enumerate(config.models)]
    runners = [_ModelRunner(run_id, m, adapters[m.label], config.decoding, sinks[mi], _NoProgress(), stop,
                            _NullTally(), {}, served.get(m.label)) for mi, m in enumerate(config.models)]
    failure: list[BaseException] = []  # the parent keeps the counts; a client only reports what failed

    def stop_all(error: BaseException | None = None) -> None:
        if error is not None:
            failure.append(error)
        stop.set()
        for task in tasks:
            task.cancel()

    def on_message() -> None:
        try:
            while conn.poll():
                message = conn.recv()
                if message[0] == "units":
                    sources[message[1]].arrived(message[2])
                elif message[0] == "stop":
                    stop_all()
                    for source in sources:
                        source.stop()
        except (EOFError, OSError) as e:  # the parent is gone: stop at once
            stop_all(e)

    async def worker(mi: int) -> None:
        runner, source, sink, suites = runners[mi], sources[mi], sinks[mi], config.suites
        while not stop.is_set():
            unit = await source.get()
            if unit is None:
                return
            _, si, ii, sample = unit
            suite = suites[si]
            record = await runner.one(suite, suite.items[ii], sample)
            try:
                runner.check_served(record)
            except UserError as e:
                stop_all(e)
                return
            sink.append(record)

    async def guarded(mi: int) -> None:
        try:
            await worker(mi)
        except asyncio.CancelledError:
            pass
        except BaseException as e:  # noqa: BLE001 - a UserError from a suite (e.g. no sandbox), or a bug
            stop_all(e)

    tasks: list[asyncio.Task[None]] = []
    loop.add_reader(conn.fileno(), on_message)
    try:
        for mi, m in enumerate(config.models):
            tasks += [asyncio.create_task(guarded(mi)) for _ in range(share[m.label])]
        await asyncio.gather(*tasks, return_exceptions=True)
        for sink in sinks:
            sink.flush()
        if failure:
            raise failure[0]
        info: dict[str, Any] = {}
        await _close_sandbox(info)
        conn.send(("done", {mi: r.output_errors for mi, r in enumerate(runners)}, info.get("sandbox")))
    finally:
        loop.remove_reader(conn.fileno())
        for adapter in adapters.values():
            await adapter.aclose()


class _NullTally:
    def add(self, record: Mapping[str, Any], sign: int = 1) -> None:
        return None
