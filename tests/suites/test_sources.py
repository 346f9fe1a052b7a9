"""Loaders: the real reference files load with their published counts and known items; formats without a
reference copy load from small files written here in the upstream format; pinned URLs download over real
HTTP, are checked against their sha256 and cached; `datasets` sources go through `load_dataset`."""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.server
import json
import pickle
import re
import threading
import zlib
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.suites.build import load_suites, parse_spec
from harness.suites.sources import SourceUnavailable, fetch_url, read_records


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("ASYMMETRY_OFFLINE", "1")
    monkeypatch.setenv("ASYMMETRY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ASYMMETRY_DATA_DIR", raising=False)
    monkeypatch.delenv("ASYMMETRY_SUITES_DIR", raising=False)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_sha(shared_data: Path, folder: str, index: int = 0) -> str:
    """The index-th sha256 that a reference folder's SOURCE.txt records."""
    line = next(ln for ln in (shared_data / folder / "SOURCE.txt").read_text().splitlines() if ln.startswith("sha256"))
    return re.findall(r"\b[0-9a-f]{64}\b", line)[index]


# ------------------------------------------------------------------------------------------------ real files


def test_humaneval_reference_copy(shared_data):
    (suite,) = load_suites(["humaneval"], shared_data)
    assert len(suite.items) == 164
    first = suite.items[0]
    assert first.id == "HumanEval/0" and first.input["entry_point"] == "has_close_elements"
    assert first.target["test"].rstrip().endswith("check(has_close_elements)")
    assert suite.items[-1].id == "HumanEval/163"
    assert suite.provenance["files"][0]["sha256"] == source_sha(shared_data, "humaneval")


def test_gsm8k_reference_copy(shared_data):
    (suite,) = load_suites(["gsm8k"], shared_data)
    assert len(suite.items) == 1319
    assert suite.items[0].input["question"].startswith("Janet’s ducks lay 16 eggs")
    assert suite.items[0].target == "18"
    assert all(item.target.lstrip("-").replace(".", "").isdigit() for item in suite.items)
    assert suite.provenance["files"][0]["sha256"] == source_sha(shared_data, "gsm8k")


def test_math500_reference_copy(shared_data):
    (suite,) = load_suites(["math500"], shared_data)
    assert len(suite.items) == 500
    first = suite.items[0]
    assert first.id == "test/precalculus/807.json"
    assert first.target == "\\left( 3, \\frac{\\pi}{2} \\right)"
    assert first.cluster == "Precalculus"
    counts = {}
    for item in suite.items:
        counts[item.cluster] = counts.get(item.cluster, 0) + 1
    assert counts["Algebra"] == 124 and counts["Counting & Probability"] == 38  # SOURCE.txt's subject counts


def test_aime_reference_copies(shared_data):
    (suite,) = load_suites(["aime"], shared_data)
    assert len(suite.items) == 60
    first = suite.items[0]
    assert first.id == "aime24/0" and first.target == "204" and first.cluster == "aime24"
    assert first.release_date == "2024-02-01" and suite.items[30].release_date == "2025-02-06"
    assert suite.items[30].target == "70"
    assert "Please reason step by step" not in first.input["problem"]  # the suite's own prompt says how to answer
    assert [f["sha256"] for f in suite.provenance["files"]] == [
        source_sha(shared_data, "aime", 0), source_sha(shared_data, "aime", 1)
    ]


def test_nq_open_reference_copy(shared_data):
    (suite,) = load_suites(["nq_open"], shared_data)
    assert len(suite.items) == 3610
    assert suite.items[0].input["question"] == "when was the last time anyone was on the moon"
    assert suite.items[0].target == ["14 December 1972 UTC", "December 1972"]
    assert suite.items[1].target == ["Bobby Scott", "Bob Russell"]


def test_bfcl_simple_reference_copy_with_possible_answers(shared_data):
    (suite,) = load_suites(["bfcl_simple"], shared_data)
    assert len(suite.items) == 400
    first = suite.items[0]
    assert first.id == "simple_python_0"
    assert first.input["messages"] == [
        {"role": "user", "content": "Find the area of a triangle with a base of 10 units and height of 5 units."}
    ]
    assert first.target["ground_truth"] == [{"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}]
    tool = first.input["tools"][0]["function"]
    assert tool["name"] == "calculate_triangle_area" and tool["parameters"]["type"] == "object"
    # dotted names are offered with underscores (OpenAI's name rule); BFCL types become JSON-schema types
    names = [it.input["tools"][0]["function"]["name"] for it in suite.items]
    assert all("." not in name for name in names) and "math_factorial" in names
    floats = [p for it in suite.items for p in it.input["tools"][0]["function"]["parameters"]["properties"].values()
              if p.get("format") == "float"]
    assert floats and all(p["type"] == "number" for p in floats)


def test_mbpp_reference_copy_keeps_the_official_test_split(shared_data):
    (suite,) = load_suites(["mbpp"], shared_data)
    ids = [int(it.id) for it in suite.items]
    assert ids == list(range(11, 511))
    first = suite.items[0]
    assert first.input["text"].startswith("Write a python function to remove first and last occurrence")
    assert first.target["entry_point"] == "remove_Occ"
    assert first.target["test"].count("assert ") == 3


def test_mbpp_plus_reference_copy(shared_data):
    (suite,) = load_suites(["mbpp_plus"], shared_data)
    assert len(suite.items) == 399
    first = suite.items[0]
    assert first.id == "Mbpp/2" and first.input["entry_point"] == "similar_elements"
    assert first.meta["n_tests"] == 3 + len(json.loads(
        (shared_data / "mbppplus" / "MbppPlus-v0.1.0.jsonl").read_text().splitlines()[0])["plus_input"])
    assert suite.provenance["files"][0]["sha256"] == source_sha(shared_data, "mbppplus")


# ------------------------------------------------------------------------------ upstream formats, written here


def spec_file(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\n' + body)
    return path


def test_triviaqa_original_release_format(tmp_path):
    (tmp_path / "triviaqa").mkdir()
    data = {
        "Version": 1.0,
        "Data": [
            {"Question": "Which city hosts the Louvre?", "QuestionId": "tc_1",
             "Answer": {"Value": "Paris", "Aliases": ["Paris", "Paris, France"], "NormalizedAliases": ["paris"]}},
            {"Question": "Capital of Italy?", "QuestionId": "tc_2", "Answer": {"Value": "Rome", "Aliases": ["Rome"]}},
        ],
    }
    (tmp_path / "triviaqa" / "unfiltered-web-dev.json").write_text(json.dumps(data))
    spec = parse_spec(Path("suites/triviaqa.toml"))
    from harness.suites.build import build_suite

    with pytest.raises(UserError, match="n_items = 2000 but .* gave 2 items"):
        build_suite(spec, tmp_path)
    from dataclasses import replace

    suite = build_suite(replace(spec, n_items=None), tmp_path)
    assert [it.id for it in suite.items] == ["tc_1", "tc_2"]
    assert suite.items[0].target == ["Paris", "Paris, France"]


def test_triviaqa_hub_rows_through_datasets(tmp_path, monkeypatch):
    """The `datasets` path: `load_dataset(path, config, split=..., revision=...)` on a local folder."""
    monkeypatch.delenv("ASYMMETRY_OFFLINE")
    hub = tmp_path / "hub"
    hub.mkdir()
    rows = [
        {"question": "Which city hosts the Louvre?", "question_id": "tc_1",
         "answer": {"value": "Paris", "aliases": ["Paris", "Paree"]}},
        {"question": "Capital of Italy?", "question_id": "tc_2", "answer": {"value": "Rome", "aliases": ["Rome"]}},
    ]
    (hub / "validation.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = spec_file(tmp_path / "specs", "tqa", f'''category = "untargeted"
capability = "factual"
[source]
kind = "datasets"
dataset = "{hub}"
split = "validation"
revision = "0f7faf33a3908546c6fd5b73a660e0f8ff173c2f"
loader = "triviaqa"
[prompt]
template = "{{question}}"
[scorer]
kind = "short_answer"
''')
    (suite,) = load_suites([str(path)])
    assert [it.target for it in suite.items] == [["Paris", "Paree"], ["Rome"]]
    assert suite.provenance["revision"] == "0f7faf33a3908546c6fd5b73a660e0f8ff173c2f"
    assert not suite.offline
    monkeypatch.setenv("ASYMMETRY_OFFLINE", "1")
    with pytest.raises(UserError, match="needs the Hugging Face hub"):
        load_suites([str(path)])


def test_simpleqa_csv_with_python_literal_metadata(tmp_path):
    folder = tmp_path / "simpleqa"
    folder.mkdir()
    folder.joinpath("simple_qa_test_set.csv").write_text(
        "metadata,problem,answer\n"
        "\"{'topic': 'Science and technology', 'answer_type': 'Person', 'urls': ['https://example.org']}\","
        "Who received the IEEE Frank Rosenblatt Award in 2010?,Michio Sugeno\n"
        "\"{'topic': 'Geography', 'answer_type': 'Place', 'urls': []}\",Where is Mount Kenya?,Kenya\n"
    )
    from dataclasses import replace

    from harness.suites.build import build_suite

    suite = build_suite(replace(parse_spec(Path("suites/simpleqa.toml")), n_items=None), tmp_path)
    assert [it.target for it in suite.items] == [["Michio Sugeno"], ["Kenya"]]
    assert suite.items[0].cluster == "Science and technology" and suite.items[0].meta["answer_type"] == "Person"
    assert suite.items[0].release_date == "2024-10-30"


def lcb_private(cases: list[dict]) -> str:
    """LiveCodeBench's compressed private tests: base64(zlib(pickle(json string)))."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(cases)))).decode()


def lcb_rows() -> list[dict]:
    return [
        {
            "question_title": "Sum", "question_content": "Read a and b; print a+b.", "platform": "atcoder",
            "question_id": "abc999_a", "contest_id": "abc999", "contest_date": "2024-11-02T00:00:00",
            "starter_code": "", "difficulty": "easy",
            "public_test_cases": json.dumps([{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]),
            "private_test_cases": lcb_private([{"input": "5 7\n", "output": "12\n", "testtype": "stdin"}]),
            "metadata": "{}",
        },
        {
            "question_title": "Twice", "question_content": "Return 2*x.", "platform": "leetcode",
            "question_id": "9001", "contest_id": "weekly-999", "contest_date": "2025-01-05T00:00:00",
            "starter_code": "class Solution:\n    def twice(self, x: int) -> int:\n        ",
            "difficulty": "easy",
            "public_test_cases": json.dumps([{"input": "3", "output": "6", "testtype": "functional"}]),
            "private_test_cases": json.dumps([{"input": "-4", "output": "-8", "testtype": "functional"}]),
            "metadata": json.dumps({"func_name": "twice"}),
        },
        {
            "question_title": "Old", "question_content": "An old problem.", "platform": "codeforces",
            "question_id": "1A", "contest_id": "1", "contest_date": "2023-05-01T00:00:00", "starter_code": "",
            "difficulty": "hard", "public_test_cases": "[]", "private_test_cases": "[]", "metadata": "{}",
        },
    ]


def test_livecodebench_rows_decode_private_tests_and_keep_the_date_window(tmp_path):
    (tmp_path / "livecodebench").mkdir()
    (tmp_path / "livecodebench" / "test5.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lcb_rows()))
    (suite,) = load_suites(["livecodebench"], tmp_path)
    assert [it.id for it in suite.items] == ["abc999_a", "9001"]  # the 2023 problem is outside the window
    stdin, functional = suite.items
    assert stdin.target["mode"] == "stdio" and stdin.target["cases"] == [
        {"input": "1 2\n", "output": "3\n"}, {"input": "5 7\n", "output": "12\n"}
    ]
    assert stdin.release_date == "2024-11-02" and stdin.cluster == "abc999"
    assert "Read the inputs from stdin" in stdin.input["format_instructions"]
    assert functional.target == {"mode": "functional", "cases": [{"input": "3", "output": "6"}, {"input": "-4", "output": "-8"}],
                                 "func_name": "twice", "entry_point": "Solution"}
    assert "class Solution" in functional.input["format_instructions"]


def test_a_dataset_pickle_that_needs_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            import os

            return (os.system, ("echo pwned",))

    row = lcb_rows()[0]
    row["private_test_cases"] = base64.b64encode(zlib.compress(pickle.dumps(Evil()))).decode()
    (tmp_path / "livecodebench").mkdir()
    (tmp_path / "livecodebench" / "test5.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(UserError, match=r"row 0 of .* does not fit loader 'livecodebench' .*refusing to load"):
        load_suites(["livecodebench"], tmp_path)


def test_humaneval_plus_release_format(tmp_path):
    row = {
        "task_id": "HumanEval/0", "prompt": "def add(a, b):\n    \"\"\"Add.\"\"\"\n", "entry_point": "add",
        "canonical_solution": "    return a + b\n", "base_input": [[1, 2]], "plus_input": [[3, 4], [-1, 1]],
        "atol": 0, "contract": "", "test": "",
    }
    (tmp_path / "humanevalplus").mkdir()
    with gzip.open(tmp_path / "humanevalplus" / "HumanEvalPlus-v0.1.10.jsonl.gz", "wt") as f:
        f.write(json.dumps(row) + "\n")
    from dataclasses import replace

    from harness.suites.build import build_suite

    suite = build_suite(replace(parse_spec(Path("suites/humaneval_plus.toml")), n_items=None), tmp_path)
    (item,) = suite.items
    assert item.meta["n_tests"] == 3
    assert item.target == {  # data only: the checker process runs the reference and compares
        "mode": "evalplus", "dataset": "humaneval", "task_id": "HumanEval/0", "entry_point": "add",
        "canonical": row["prompt"] + row["canonical_solution"], "inputs": "[[1, 2], [3, 4], [-1, 1]]", "atol": 0,
    }


@pytest.mark.parametrize("category", ["multiple", "parallel"])
def test_bfcl_multiple_and_parallel_files(tmp_path, category):
    functions = [
        {"name": "weather.get", "description": "Weather.", "parameters": {"type": "dict", "properties": {
            "city": {"type": "string", "description": "City."}}, "required": ["city"]}},
        {"name": "time.now", "description": "Time.", "parameters": {"type": "dict", "properties": {
            "tz": {"type": "string", "description": "Zone."}}, "required": ["tz"]}},
    ]
    question = {"id": f"{category}_0", "question": [[{"role": "user", "content": "Weather in Paris and Rome?"}]],
                "function": functions if category == "multiple" else functions[:1]}
    truth = [{"weather.get": {"city": ["Paris"]}}] + ([{"weather.get": {"city": ["Rome"]}}] if category == "parallel" else [])
    answer = {"id": f"{category}_0", "ground_truth": truth}
    (tmp_path / "bfcl" / "possible_answer").mkdir(parents=True)
    (tmp_path / "bfcl" / f"BFCL_v4_{category}.json").write_text(json.dumps(question) + "\n")
    (tmp_path / "bfcl" / "possible_answer" / f"BFCL_v4_{category}.json").write_text(json.dumps(answer) + "\n")
    from dataclasses import replace

    from harness.suites.build import build_suite

    suite = build_suite(replace(parse_spec(Path(f"suites/bfcl_{category}.toml")), n_items=None), tmp_path)
    (item,) = suite.items
    assert item.target["ground_truth"] == truth
    assert [t["function"]["name"] for t in item.input["tools"]] == [f["name"].replace(".", "_") for f in question["function"]]


def test_bfcl_questions_without_an_answer_are_an_error(tmp_path):
    (tmp_path / "bfcl" / "possible_answer").mkdir(parents=True)
    (tmp_path / "bfcl" / "BFCL_v4_simple_python.json").write_text(json.dumps(
        {"id": "simple_python_0", "question": [[{"role": "user", "content": "x"}]], "function": []}) + "\n")
    (tmp_path / "bfcl" / "possible_answer" / "BFCL_v4_simple_python.json").write_text(json.dumps(
        {"id": "simple_python_1", "ground_truth": []}) + "\n")
    with pytest.raises(UserError, match="no answer for id = 'simple_python_0'; the two files do not match"):
        load_suites(["bfcl_simple"], tmp_path)


def test_a_corrupt_jsonl_line_is_named_by_file_and_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n{"a": 2\n')
    with pytest.raises(UserError, match=r"x\.jsonl:2: not valid JSON"):
        read_records(path)
    gz = tmp_path / "y.jsonl.gz"
    gz.write_bytes(b"not gzip")
    with pytest.raises(UserError, match=r"y\.jsonl\.gz: not a readable gzip file"):
        read_records(gz)


def test_subsample_is_a_fixed_subset_whatever_the_file_order(tmp_path):
    rows = [{"question": f"q{i}", "question_id": f"id{i}", "answer": {"value": "x", "aliases": []}} for i in range(50)]
    spec_body = '''category = "untargeted"
capability = "factual"
[source]
kind = "file"
local = "t/rows.jsonl"
loader = "triviaqa"
subsample = 10
[prompt]
template = "{question}"
[scorer]
kind = "short_answer"
'''
    path = spec_file(tmp_path / "specs", "sub", spec_body)
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (first,) = load_suites([str(path)], tmp_path)
    (tmp_path / "t" / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in reversed(rows)))
    (second,) = load_suites([str(path)], tmp_path)
    assert len(first.items) == 10
    assert {it.id for it in first.items} == {it.id for it in second.items}


# ------------------------------------------------------------------------------------- pinned URLs over HTTP


@pytest.fixture
def file_server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tmp_path/www, with a request log."""
    root = tmp_path / "www"
    root.mkdir()
    log: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            log.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}", log, server
    finally:
        server.shutdown()
        server.server_close()


def test_a_url_source_downloads_checks_sha256_and_caches(tmp_path, monkeypatch, file_server):
    root, base, log, server = file_server
    monkeypatch.delenv("ASYMMETRY_OFFLINE")
    body = b'{"question": "1+1?", "answer": "#### 2"}\n'
    (root / "test.jsonl").write_bytes(body)
    digest = hashlib.sha256(body).hexdigest()
    path = spec_file(tmp_path / "specs", "web", f'''category = "untargeted"
capability = "math"
n_items = 1
[source]
kind = "url"
url = "{base}/test.jsonl"
sha256 = "{digest}"
local = "web/test.jsonl"
loader = "gsm8k"
[prompt]
template = "{{question}}"
[scorer]
kind = "number"
''')
    (suite,) = load_suites([str(path)])
    assert suite.items[0].target == "2" and len(log) == 1
    assert suite.provenance["origin"] == "url" and suite.provenance["files"][0]["sha256"] == digest
    server.shutdown()  # the cached copy is used without the network
    monkeypatch.setenv("ASYMMETRY_OFFLINE", "1")
    (again,) = load_suites([str(path)])
    assert again.version == suite.version and len(log) == 1


def test_a_url_whose_bytes_changed_is_refused(tmp_path, monkeypatch, file_server):
    root, base, _log, _server = file_server
    monkeypatch.delenv("ASYMMETRY_OFFLINE")
    (root / "f.jsonl").write_text("{}\n")
    with pytest.raises(UserError, match="does not match the pinned"):
        fetch_url(f"{base}/f.jsonl", "0" * 64)
    assert not list((tmp_path / "cache").rglob("f.jsonl"))  # nothing unverified is kept


def test_unreachable_urls_are_reported_not_raised_raw(tmp_path, monkeypatch, file_server):
    _root, base, _log, _server = file_server
    monkeypatch.delenv("ASYMMETRY_OFFLINE")
    with pytest.raises(SourceUnavailable, match="HTTP 404"):
        fetch_url(f"{base}/missing.jsonl")
    with pytest.raises(SourceUnavailable, match="download failed: ConnectError"):
        fetch_url("http://127.0.0.1:9/nothing.jsonl", timeout_s=2)
    monkeypatch.setenv("ASYMMETRY_OFFLINE", "1")
    with pytest.raises(SourceUnavailable, match="offline mode"):
        fetch_url(f"{base}/other.jsonl")
