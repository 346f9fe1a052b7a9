"""Reading a suite's source into items: local copies, pinned URLs, `datasets` at a pinned revision.

Where the rows come from, in order: the local copy under `--data-dir` (the layouts of the reference
data: HumanEval gzip JSONL, GSM8K JSONL, BFCL JSON lines + possible_answer, ...), else the pinned
remote (a URL at a commit, cached under ~/.cache/asymmetry, checked against its sha256; or
`datasets.load_dataset(..., revision=...)`), else `SourceUnavailable`, which `load_suites` gathers into
one error. A URL source fetches the very file the local copy is, so the items (and the suite version)
are identical offline and online.

Each row becomes an `Item` through a row loader in `ROW_LOADERS` (`loader(row, index, source) -> Item
| None`, None to skip a row); the spec then applies its cluster field, release dates, release-date
window and deterministic subsample.
"""

from __future__ import annotations

import ast
import base64
import csv
import gzip
import hashlib
import io
import json
import os
import pickle
import re
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import UserError
from harness.items import Item, sha256_file

if TYPE_CHECKING:
    from harness.suites.spec import SuiteSpec

RowLoader = Callable[[Mapping[str, Any], int, Mapping[str, Any]], Item | None]
OFFLINE_ENV = "ASYMMETRY_OFFLINE"
CACHE_ENV = "ASYMMETRY_CACHE_DIR"


class SourceUnavailable(Exception):
    """The suite's items cannot be reached here (no local copy and no network); the message says why."""


# ------------------------------------------------------------------------------------------------
# Rows from files, URLs and `datasets`
# ------------------------------------------------------------------------------------------------


def read_records(path: Path) -> list[dict[str, Any]]:
    """Rows of a local file: .jsonl, .jsonl.gz, .json (a JSON document or JSON lines), .csv, .parquet."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    raw = path.read_bytes()
    if name.endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise UserError(f"{path}: not a readable gzip file ({e}); re-download it") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text ({e}); re-download it") from None
    if name.endswith(".csv"):
        return [dict(row) for row in csv.DictReader(io.StringIO(text))]
    if name.endswith(".json"):
        try:
            document = json.loads(text)
        except ValueError:
            pass  # JSON lines despite the extension (BFCL)
        else:
            if isinstance(document, list):
                return document
            if isinstance(document, dict) and isinstance(document.get("Data"), list):
                return document["Data"]  # TriviaQA's original release
            if isinstance(document, dict):
                return [document]
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as e:
            raise UserError(f"{path}:{number}: not valid JSON ({e.args[0][:80]}); re-download the file") from None
        if not isinstance(row, dict):
            raise UserError(f"{path}:{number}: expected a JSON object per line, got {type(row).__name__}")
        rows.append(row)
    return rows


def offline_mode() -> bool:
    """True when the user asked for no network ($ASYMMETRY_OFFLINE=1, or Hugging Face's offline flags)."""
    return any(os.environ.get(v, "").lower() in ("1", "true", "yes") for v in (OFFLINE_ENV, "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))


def quiet_huggingface() -> None:
    """Keep `datasets` (and lm-eval, which loads tasks through it) from reaching the network on its own.

    `datasets` sends a HEAD request to an S3 download counter for every dataset it loads, local JSON
    files included; with no network, or a DNS that hangs, each load then waits for a timeout (tests took
    minutes). The counter is always turned off here, and $ASYMMETRY_OFFLINE=1 also sets Hugging Face's own
    offline flags, so no lookup is tried. Variables the user set are left alone."""
    import sys

    os.environ.setdefault("HF_UPDATE_DOWNLOAD_COUNTS", "0")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if os.environ.get(OFFLINE_ENV, "").lower() in ("1", "true", "yes"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    config = sys.modules.get("datasets.config")  # read at import time: correct an earlier import too
    if config is not None and os.environ["HF_UPDATE_DOWNLOAD_COUNTS"].upper() in ("0", "FALSE", "NO", "OFF"):
        config.HF_UPDATE_DOWNLOAD_COUNTS = False


def cache_dir() -> Path:
    """Downloaded sources: $ASYMMETRY_CACHE_DIR, else ~/.cache/asymmetry/sources."""
    base = os.environ.get(CACHE_ENV) or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "asymmetry"
    return Path(base) / "sources"


def fetch_url(url: str, sha256: str | None = None, *, timeout_s: float = 60.0) -> Path:
    """A pinned remote file, downloaded once into the cache (streamed to disk) and checked against
    `sha256` when given; nothing unverified is kept."""
    name = url.rstrip("/").split("/")[-1].split("?")[0] or "download"
    target = cache_dir() / hashlib.sha256(url.encode()).hexdigest()[:16] / name
    if target.is_file():
        if not sha256 or sha256_file(target) == sha256:
            return target
        target.unlink()  # a corrupt or stale cache entry: fetch again
    if offline_mode():
        raise SourceUnavailable("offline mode, and the download is not cached")
    import httpx

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout_s, connect=10.0), follow_redirects=True) as client:
            with client.stream("GET", url) as response:
                response.raise_for_status()
                with partial.open("wb") as out:
                    for chunk in response.iter_bytes(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
    except httpx.HTTPStatusError as e:
        partial.unlink(missing_ok=True)
        raise SourceUnavailable(f"download failed: HTTP {e.response.status_code} from {url.split('/')[2]}") from None
    except httpx.HTTPError as e:
        partial.unlink(missing_ok=True)
        raise SourceUnavailable(f"download failed: {type(e).__name__}: {str(e)[:80]}") from None
    if sha256 and digest.hexdigest() != sha256:
        partial.unlink(missing_ok=True)
        raise UserError(
            f"{url}: sha256 {digest.hexdigest()[:12]}… does not match the pinned {sha256[:12]}…; the remote file changed, "
            "so the suite would not be the pinned one (use a local copy with --data-dir, or update the spec)"
        )
    partial.replace(target)
    return target




def load_hf_rows(source: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows from `datasets.load_dataset(dataset, config, split=split, revision=revision)`."""
    if offline_mode():
        raise SourceUnavailable(f"offline mode, and {source['dataset']} needs the Hugging Face hub")
    quiet_huggingface()
    try:
        import datasets
    except ImportError as e:  # pragma: no cover - datasets is a dependency
        raise SourceUnavailable(f"the datasets package is missing ({e})") from None
    try:
        ds = datasets.load_dataset(
            source["dataset"], source.get("config") or None, split=source["split"], revision=source["revision"]
        )
    except Exception as e:  # noqa: BLE001 - datasets raises many kinds when the hub is unreachable
        raise SourceUnavailable(f"datasets could not load {source['dataset']}: {type(e).__name__}: {str(e)[:120]}") from None
    return [dict(row) for row in ds]


def read_source(spec: SuiteSpec, data_dir: Path | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The spec's rows (answers joined in) and a provenance record saying exactly where they came from."""
    source = spec.source
    locals_ = _as_list(source.get("local"))
    answers_local = source.get("answers")
    have_local = bool(data_dir and locals_) and all((Path(data_dir) / p).is_file() for p in locals_)
    have_local = have_local and (not answers_local or (Path(data_dir) / answers_local).is_file())
    if have_local:
        assert data_dir is not None
        paths = [Path(data_dir) / p for p in locals_]
        answers = Path(data_dir) / answers_local if answers_local else None
        origin = "local"
    elif spec.kind == "url":
        urls = _as_list(source["url"])
        shas = _as_list(source.get("sha256")) or [""] * len(urls)
        try:
            paths = [fetch_url(u, s or None) for u, s in zip(urls, shas, strict=False)]
            answers = (
                fetch_url(source["answers_url"], source.get("answers_sha256") or None) if source.get("answers_url") else None
            )
        except SourceUnavailable as e:
            raise SourceUnavailable(_why_not_local(spec, data_dir) + f"; {e}") from None
        origin = "url"
    elif spec.kind == "datasets":
        try:
            rows = load_hf_rows(source)
        except SourceUnavailable as e:
            raise SourceUnavailable(_why_not_local(spec, data_dir) + f"; {e}") from None
        provenance = {
            "from": f"datasets:{source['dataset']}",
            "dataset": source["dataset"],
            "config": source.get("config"),
            "split": source["split"],
            "revision": source["revision"],
        }
        return rows, provenance
    else:
        raise SourceUnavailable(_why_not_local(spec, data_dir))

    rows: list[dict[str, Any]] = []
    files = []
    for path in paths:
        files.append({"path": str(path), "sha256": sha256_file(path), "bytes": path.stat().st_size})
        for row in read_records(path):
            rows.append({**row, "_file": path.name})
    if answers is not None:
        files.append({"path": str(answers), "sha256": sha256_file(answers), "bytes": answers.stat().st_size, "role": "answers"})
        rows = _join_answers(rows, answers, source.get("join_key", "id"))
    label = ", ".join(f["path"] for f in files)
    return rows, {"from": f"{origin}:{label}", "origin": origin, "files": files}


def _join_answers(rows: list[dict[str, Any]], answers_path: Path, key: str) -> list[dict[str, Any]]:
    answers = {}
    for row in read_records(answers_path):
        if key not in row:
            raise UserError(f"{answers_path}: a row has no {key!r} field to join on")
        answers[row[key]] = row
    joined = []
    for row in rows:
        answer = answers.get(row.get(key))
        if answer is None:
            raise UserError(f"{answers_path}: no answer for {key} = {row.get(key)!r}; the two files do not match")
        joined.append({**row, "_answer": answer})
    return joined


def _why_not_local(spec: SuiteSpec, data_dir: Path | None) -> str:
    files = spec.local_files()
    if not files:
        return "no local copy is declared"
    if data_dir is None:
        return f"no --data-dir holding {files[0]}"
    missing = [f for f in files if not (Path(data_dir) / f).is_file()]
    return f"no {missing[0]} in {data_dir}" if missing else "local copy incomplete"


# ------------------------------------------------------------------------------------------------
# Rows -> items
# ------------------------------------------------------------------------------------------------


def items_for_spec(spec: SuiteSpec, data_dir: Path | None) -> tuple[list[Item], dict[str, Any]]:
    """The spec's items in source order, with cluster, release date, window and subsample applied."""
    if spec.builtin:
        return _builtin_items(spec), {
            "from": f"builtin:{spec.source['generator']}",
            "generator": spec.source["generator"],
            "seed": spec.source["seed"],
            "n": spec.source["n"],
        }
    rows, provenance = read_source(spec, data_dir)
    loader = ROW_LOADERS[spec.source["loader"]]
    dates = spec.source.get("release_date")
    items: list[Item] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        try:
            item = loader(row, index, spec.source)
        except (KeyError, TypeError, ValueError) as e:
            where = provenance.get("from", spec.source_label())
            raise UserError(
                f"{spec.path}: row {index} of {where} does not fit loader {spec.source['loader']!r} ({type(e).__name__}: {e})"
            ) from None
        if item is None:
            continue
        changes: dict[str, Any] = {}
        if spec.cluster_field and row.get(spec.cluster_field) is not None and item.cluster is None:
            changes["cluster"] = str(row[spec.cluster_field])
        if spec.release_date_field and row.get(spec.release_date_field) and item.release_date is None:
            changes["release_date"] = str(row[spec.release_date_field])[:10]
        if item.release_date is None and "release_date" not in changes and dates:
            changes["release_date"] = dates if isinstance(dates, str) else dates.get(row.get("_file", ""))
        if changes:
            item = replace(item, **changes)
        if item.id in seen:
            raise UserError(f"{spec.path}: item id {item.id!r} appears twice in {provenance.get('from')}")
        seen.add(item.id)
        items.append(item)
    start, end = spec.source.get("window_start"), spec.source.get("window_end")
    if start or end:
        items = [
            it for it in items
            if it.release_date and (not start or it.release_date >= start) and (not end or it.release_date < end)
        ]  # fmt: skip
    subsample = spec.source.get("subsample")
    if subsample and len(items) > subsample:
        ranked = sorted(items, key=lambda it: hashlib.sha256(it.id.encode()).hexdigest())
        keep_ids = {it.id for it in ranked[:subsample]}  # a fixed subset, whatever the file order
        items = [it for it in items if it.id in keep_ids]
    return items, provenance


def _builtin_items(spec: SuiteSpec) -> list[Item]:
    try:
        from harness.suites.builtin import GENERATORS
    except ImportError as e:
        raise UserError(f"{spec.path}: the built-in generators are not available ({e})") from None
    generator = GENERATORS.get(spec.source["generator"])
    if generator is None:
        raise UserError(
            f"{spec.path}: field 'source.generator' {spec.source['generator']!r} is not a built-in generator; "
            f"known: {', '.join(sorted(GENERATORS))}"
        )
    return list(generator(int(spec.source["seed"]), int(spec.source["n"])))


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


# ------------------------------------------------------------------------------------------------
# Row loaders, one per upstream format
# ------------------------------------------------------------------------------------------------


def humaneval(row: Mapping[str, Any], index: int, source: Mapping[str, Any]) -> Item:
    """openai/human-eval: the prompt is a function stub; the test defines check(candidate)."""
    entry = row["entry_point"]
    return Item(
        id=row["task_id"],
        input={"prompt": row["prompt"], "entry_point": entry},
        target={"test": f"{row['test']}\n\ncheck({entry})\n", "entry_point": entry},
        meta={"canonical_solution": row["canonical_solution"]},
    )


def evalplus(row: Mapping[str, Any], index: int, source: Mapping[str, Any]) -> Item:
    """EvalPlus releases (HumanEval+, MBPP+ v0.1.x): differential testing against the canonical solution
    on base + plus inputs, with EvalPlus's tolerance and special oracles (harness/suites/scorers/evalplus_check.py)."""
    from harness.suites.scorers.evalplus_check import target

    task_id = row["task_id"]
    dataset = "mbpp" if task_id.startswith("Mbpp/") else "humaneval"
    inputs = list(row["base_input"]) + list(row["plus_input"])
    return Item(
        id=task_id,
        input={"prompt": row["prompt"], "entry_point": row["entry_point"]},
        # EvalPlus runs prompt + canonical_solution (HumanEval+'s is a function body)
        target=target(dataset, task_id, row["entry_point"], row["prompt"] + row["canonical_solution"], inputs,
                      row.get("atol") or 0),
        meta={"canonical_solution": row["canonical_solution"], "n_tests": len(inputs)},
    )


_MBPP_CALL = re.compile(r"assert\s+(?:not\s+)?[(\s]*(?:math\.isclose\(|set\(|sorted\()?\s*([A-Za-z_]\w*)\s*\(")


def mbpp(row: Mapping[str, Any], index: int, source: Mapping[str, Any]) -> Item | None:
    """google-research MBPP: the task text and its three asserts; `source.task_ids = [first, last]`
    keeps a split (the official test split is task ids 11-510)."""
    task_id = int(row["task_id"])
    bounds = source.get("task_ids")
    if bounds and not (bounds[0] <= task_id <= bounds[1]):
        return None
    tests = list(row["test_list"])
    match = _MBPP_CALL.search(tests[0]) if tests else None
    setup = row.get("test_setup_code") or ""
    return Item(
        id=str(task_id),
        input={"text": row.get("text") or row.get("prompt"), "tests": "\n".join(tests)},
        target={"test": f"{setup}\n" + "\n".join(tests) + "\n", "entry_point": match.group(1) if match else None},
        meta={"canonical_solution": row.get("code", "")},
    )


def gsm8k(row: Mapping[str, Any], index: int, source: Mapping[str, Any]) -> Item:
    """GSM8K: the answer ends with '#### <number>'; items are numbered in file order."""
    answer = str(row["answer"])
    final = answer.split("####")[-1].strip().replace(",", "")
    return Item(id=str(index), input={"question": row["question"]}, target=final, meta={"rationale": answer})


def math500(row: Mapping[str, Any], index: int, source: Mapping[str, Any]) -> Item:
    """MATH-500 (and MATH-format rows): LaTeX reference answer; subject and level kept."""
    return Item(
        id=str(row.get("unique_id") or index),
        input={"problem": row["problem"]},
        target=str(row["answer"]),
        meta={"subject": row.get("subject"), "level": row.get("level")},
    )


_AIME_SUFFIX = re.compile(r"\s*Please reason step by step, and put your final answer within \\boxed\{\}\.?\s*$")


def aime(row: Mapping[str, Any], index: int, source: Mapping[str, Any]) -> Item:
    """AIME as packaged by Qwen (prompt, answer) or Hugging Face (problem, answer, id); ids are
    `<file stem>/<row>`, so 2024 and 2025 stay apart."""
    text = row.get("prompt") or row.get("problem") or row["question"]
    stem = str(row.get("_file", "aime")).split(".")[0]
    return Item(
        id=f"{stem}/{row['id'] if row.get('id') is not None else index}",
        input={"problem": _AIME_SUFFIX.sub("", text)},
        target=str(row["answer"]).strip(),
        cluster=stem,
    )


def nq_open(row: Mapping[str, Any], index: int, source: Mapping[str, Any]) -> Item:
    """NQ-open: a question and its list of acceptable answers; items numbered in file order."""
    answers = row["answer"]
    return Item(id=str(index), input={"question": row["question"]}, target=[answers] if isinstance(answers, str) else list(answers))


def triviaqa(row: Mapping[str, Any], index: int, source: Mapping[str, Any]) -> Item:
    """TriviaQA, Hugging Face rows (question, question_id, answer.aliases) or the original release
    (Question, QuestionId, Answer.Aliases); the answer value and its aliases are all acceptable."""
    if "Question" in row:
        answer = row["Answer"]
        aliases = [answer.get("Value"), *answer.get("Aliases", [])]
        return Item(id=row["QuestionId"], input={"question": row["Question"]}, target=_unique(aliases))
    answer = row["answer"]
    aliases = [answer.get("value"), *answer.get("aliases", [])]
    return Item(id=row["question_id"], input={"question": row["question"]}, target=_unique(aliases))


def simpleqa(row: Mapping[str, Any], index: int, source: Mapping[str, Any]) -> Item:
    """SimpleQA (OpenAI simple-evals CSV: metadata, problem, answer); the metadata's topic is the cluster."""
    meta: dict[str, Any] = {}
    raw_meta = row.get("metadata")
    if isinstance(raw_meta, str) and raw_meta.strip():
        try:
            parsed = ast.literal_eval(raw_meta)  # a Python dict literal in the CSV; parsed, never evaluated
        except (ValueError, SyntaxError):
            parsed = {}
        meta = parsed if isinstance(parsed, dict) else {}
    elif isinstance(raw_meta, dict):
        meta = raw_meta
    return Item(
        id=str(index),
        input={"question": row["problem"]},
        target=[str(row["answer"])],
        cluster=meta.get("topic"),
        meta={"answer_type": meta.get("answer_type"), "urls": meta.get("urls")},
    )


def bfcl(row: Mapping[str, Any], index: int, source: Mapping[str, Any]) -> Item:
    """BFCL (questions JSON lines joined with possible_answer): one user turn, the functions as
    OpenAI tools, and the ground truth the AST checker scores against."""
    from harness.suites.scorers.bfcl import to_openai_tools

    turns = row["question"]
    messages = turns[0] if turns and isinstance(turns[0], list) else turns
    functions = row["function"]
    return Item(
        id=row["id"],
        input={"messages": list(messages), "tools": to_openai_tools(functions)},
        target={"ground_truth": row["_answer"]["ground_truth"], "functions": functions},
    )


LCB_STDIN_FORMAT = (
    "Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on the "
    "sample inputs). Enclose your code within delimiters as follows. Ensure that when the python program runs, "
    "it reads the inputs, runs the algorithm and writes output to STDOUT.\n```python\n# YOUR CODE HERE\n```"
)
LCB_STARTER_FORMAT = (
    "You will use the following starter code to write the solution to the problem and enclose your code within "
    "delimiters.\n```python\n{starter}\n```"
)


def livecodebench(row: Mapping[str, Any], index: int, source: Mapping[str, Any]) -> Item:
    """LiveCodeBench code_generation_lite: public + private tests (the private ones may be
    base64(zlib(pickle(json)))), stdin or functional (LeetCode `class Solution`), with contest dates."""
    public = _lcb_cases(row["public_test_cases"])
    private = _lcb_cases(row.get("private_test_cases") or "[]")
    cases = [{"input": c["input"], "output": c["output"]} for c in public + private]
    testtype = (public + private)[0].get("testtype", "stdin") if public + private else "stdin"
    metadata = row.get("metadata") or "{}"
    metadata = json.loads(metadata) if isinstance(metadata, str) else dict(metadata)
    starter = row.get("starter_code") or ""
    functional = testtype == "functional"
    return Item(
        id=str(row["question_id"]),
        input={
            "question": row["question_content"],
            "starter_code": starter,
            "format_instructions": LCB_STARTER_FORMAT.format(starter=starter) if starter else LCB_STDIN_FORMAT,
        },
        target={
            "mode": "functional" if functional else "stdio",
            "cases": cases,
            "func_name": metadata.get("func_name"),
            "entry_point": "Solution" if functional else None,
        },
        release_date=str(row.get("contest_date", ""))[:10] or None,
        meta={"platform": row.get("platform"), "difficulty": row.get("difficulty"), "title": row.get("question_title")},
    )


class _NoGlobals(pickle.Unpickler):
    """LiveCodeBench pickles plain JSON strings; anything that needs a class or function is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset pickle")


def _lcb_cases(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, list):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        pass
    try:
        payload = _NoGlobals(io.BytesIO(zlib.decompress(base64.b64decode(raw)))).load()
    except (pickle.UnpicklingError, zlib.error, EOFError) as e:
        raise ValueError(f"test cases are neither JSON nor LiveCodeBench's compressed form ({e})") from None
    return json.loads(payload) if isinstance(payload, (str, bytes)) else list(payload)


def _unique(values: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for v in values:
        if isinstance(v, str) and v.strip() and v not in out:
            out.append(v)
    return out


#: Row loaders by name (a spec's `source.loader`).
ROW_LOADERS: dict[str, RowLoader] = {
    "humaneval": humaneval,
    "evalplus": evalplus,
    "mbpp": mbpp,
    "gsm8k": gsm8k,
    "math500": math500,
    "aime": aime,
    "nq_open": nq_open,
    "triviaqa": triviaqa,
    "simpleqa": simpleqa,
    "bfcl": bfcl,
    "livecodebench": livecodebench,
}
