"""The proof record of `monorel ship --local` (``monorel.gate.proof_record``): what a ship
with nothing new reuses, on the gate's throwaway workspace (no index needed: the record
compares digests; the end-to-end reuse is in test_monorel_ship.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from monorel import workspace
from monorel.gate import proof_record
from monorel.gate.proof_record import ProofRecord
from monorel_gate_support import write_gate_workspace

_FILES = {"people_app-1.1.0-py3-none-any.whl": "a" * 64, "people_app-1.1.0.tar.gz": "b" * 64}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> workspace.Workspace:
    """One gate workspace for the module: each test undoes what it changes, or adds only
    what the digest ignores."""
    tmp = tmp_path_factory.mktemp("proof-record")
    return workspace.load(write_gate_workspace(tmp / "ws", tmp / "state"))


def _record(inputs: str = "1" * 64, wheelhouse: str = "2" * 64) -> ProofRecord:
    return ProofRecord(inputs, wheelhouse, dict(_FILES), "2026-12-01T13:00:00+00:00", ("p",))


def _judge(path: Path, *, files: dict[str, str] = _FILES, reprove: bool = False, **digests: str):
    return proof_record.judge(
        path,
        inputs=digests.get("inputs", "1" * 64),
        wheelhouse=digests.get("wheelhouse", "2" * 64),
        files=files,
        reprove=reprove,
    )


def test_a_saved_record_is_reused_only_for_exactly_its_files_and_inputs(tmp_path: Path) -> None:
    # given a record saved after a passed proof
    path = tmp_path / "gate" / "last-proof.json"
    proof_record.save(path, _record())

    # when judged against the same, other files, other inputs, another wheelhouse, --reprove
    same = _judge(path)
    other_file = _judge(path, files={**_FILES, "people_app-1.1.0.tar.gz": "c" * 64})
    extra_file = _judge(path, files={**_FILES, "ledger_app-1.0.0-py3-none-any.whl": "d" * 64})
    other_inputs = _judge(path, inputs="3" * 64)
    other_wheels = _judge(path, wheelhouse="4" * 64)
    reprove = _judge(path, reprove=True)

    # then only the exact match reuses it, and every other says why the proof runs
    assert same == proof_record.Verdict(_record())
    assert same.reused is not None and same.reused.digest == _record().digest
    assert (
        other_file
        == extra_file
        == proof_record.Verdict(None, "the files on the index are not the ones it proved")
    )
    assert other_inputs == proof_record.Verdict(
        None, "its inputs changed (consumer, contract tests, sources or configuration)"
    )
    assert other_wheels == proof_record.Verdict(
        None, "the third-party wheels in the wheelhouse changed"
    )
    assert reprove == proof_record.Verdict(None, "--reprove")
    # and the write left no temporary file behind
    assert sorted(p.name for p in path.parent.iterdir()) == ["last-proof.json"]


@pytest.mark.parametrize(
    "text",
    [
        '{"format": 1, "inputs": "',  # cut off mid-write by an older, non-atomic writer
        "[]",
        '{"format": 99}',
        '{"format": 1, "inputs": "short", "wheelhouse": "", "files": {}, "proved_at": "",'
        ' "proofs": []}',
    ],
)
def test_a_corrupt_record_is_discarded_with_a_warning_and_the_proof_runs(
    tmp_path: Path, text: str
) -> None:
    # given a record file that is not a record
    path = tmp_path / "last-proof.json"
    path.write_text(text)

    # when judged
    verdict = _judge(path)

    # then the proof runs, the warning names the file, and the file is gone
    assert verdict.reused is None
    assert verdict.why == "no proof recorded"
    assert verdict.warning.startswith(f"discarded the proof record {path}: ")
    assert verdict.warning.endswith("; the proof runs")
    assert not path.exists()


def test_no_record_means_the_proof_runs(tmp_path: Path) -> None:
    # given no record / when judged / then the proof runs, without a warning
    assert _judge(tmp_path / "none.json") == proof_record.Verdict(None, "no proof recorded")


def test_the_inputs_digest_changes_with_a_contract_test_the_consumer_or_a_suite(
    ws: workspace.Workspace,
) -> None:
    # given the digest of the gate workspace
    before = proof_record.inputs_digest(ws, db="sqlite")
    contract = ws.root / "apps" / "shop" / "tests" / "contracts" / "test_contracts.py"
    changes = [
        contract,
        ws.root / "examples" / "consumer" / "requirements.txt",
        ws.root / "packages" / "people-app" / "tests" / "test_people.py",
        ws.root / "uv.lock",
    ]
    digests = []
    for path in changes:
        original = path.read_bytes() if path.exists() else None
        # when one input changes by one byte
        path.write_bytes((original or b"") + b"\n")
        digests.append(proof_record.inputs_digest(ws, db="sqlite"))
        # (and back)
        if original is None:
            path.unlink()
        else:
            path.write_bytes(original)

    # then each change gives a digest of its own, and undoing it gives the first one again
    assert len({before, *digests}) == len(changes) + 1
    assert proof_record.inputs_digest(ws, db="sqlite") == before
    # and the proof's options count too
    assert proof_record.inputs_digest(ws, db="postgres") != before


def test_the_inputs_digest_ignores_caches_and_the_state_dir(ws: workspace.Workspace) -> None:
    # given the digest of the gate workspace
    before = proof_record.inputs_digest(ws, db="sqlite")

    # when bytecode, a local database, hypothesis's examples and state-dir files appear
    host = ws.root / "apps" / "shop"
    (host / "src" / "shop" / "__pycache__").mkdir(exist_ok=True)
    (host / "src" / "shop" / "__pycache__" / "views.cpython-311.pyc").write_bytes(b"\0")
    (host / "db.sqlite3").write_bytes(b"SQLite format 3\0")
    (host / ".hypothesis" / "examples").mkdir(parents=True, exist_ok=True)
    (host / ".hypothesis" / "examples" / "0a1b").write_bytes(b"\1")
    ws.state_dir.mkdir(parents=True, exist_ok=True)
    (ws.state_dir / "anything").write_text("cache")

    # then the digest is the same
    assert proof_record.inputs_digest(ws, db="sqlite") == before
