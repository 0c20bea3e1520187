"""The command line against the real Neo4j when the input, the files or the user are hostile.

Each test states one promise of spark-lineage: nothing is lost, local file errors name the local
file, and every failure is one line on stderr without a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spark_lineage.cli import main

pytestmark = pytest.mark.neo4j


@pytest.fixture()
def cli_env(neo4j_uri: str, neo4j_auth: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The test server's credentials in the environment, no config file: returns the URI."""
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_USER", neo4j_auth[0])
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_PASSWORD", neo4j_auth[1])
    monkeypatch.delenv("SPARK_LINEAGE_CONFIG", raising=False)
    return neo4j_uri


# --- replay keeps what it cannot read ----------------------------------------------------------


def test_replay_of_entirely_damaged_spool_files_keeps_every_line_in_rejected(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    damaged = {
        "00000000000000000001-host-1.spool": b"00000000 {not json}\n",
        "00000000000000000002-host-2.spool": b"garbage\n\xff\xfe\n",
    }
    for name, content in damaged.items():
        (spool / name).write_bytes(content)

    assert main(["replay", "--uri", cli_env, "--spool-dir", str(spool)]) == 0

    out = capsys.readouterr().out
    assert "delivered 0 event(s)" in out and "3 damaged entr(y/ies) set aside in rejected/" in out
    kept = [
        json.loads(line)
        for path in sorted((spool / "rejected").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert [(k["damaged"]["file"], k["error"]) for k in kept] == [
        ("00000000000000000001-host-1.spool", "damaged spool entry: checksum mismatch"),
        ("00000000000000000002-host-2.spool", "damaged spool entry: no checksum frame"),
        ("00000000000000000002-host-2.spool", "damaged spool entry: no checksum frame"),
    ]
    raw = b"".join(k["damaged"]["line"].encode("utf-8", "surrogateescape") for k in kept)
    assert raw == b"".join(damaged.values()), "every damaged byte is kept"
