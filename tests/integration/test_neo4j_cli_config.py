"""`scripts/neo4j.sh start` leaves a config file the CLI logs in with: no environment needed.

One real server start (own port, data directory and empty home); the later cases start the same
server again, which only rewrites the config file, so they cost no second JVM start.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from spark_lineage.graph.settings import resolve_settings

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
MARK = "# written by scripts/neo4j.sh"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without any spark-lineage setting, with its own home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPARK_LINEAGE_")}
    env.pop("NEO4J_PASSWORD", None)
    if "SPARK_LINEAGE_CACHE" in os.environ:  # where the server build's Maven repository is
        env["SPARK_LINEAGE_CACHE"] = os.environ["SPARK_LINEAGE_CACHE"]
    return {**env, "HOME": str(home), **extra}


@dataclass
class Server:
    port: int
    data: Path
    password: str

    def start(self, home: Path, *options: str, **env: str) -> subprocess.CompletedProcess[str]:
        """``scripts/neo4j.sh start`` from ``home`` (a start of the running server is quick)."""
        return subprocess.run(
            [
                str(ROOT / "scripts/neo4j.sh"),
                "start",
                "--port",
                str(self.port),
                "--data",
                str(self.data),
                *options,
            ],
            env=_clean_env(home, NEO4J_PASSWORD=self.password, **env),
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """A server started from an empty home: yields it and that home."""
    root = tmp_path_factory.mktemp("neo4j-config")
    home = root / "home"
    home.mkdir()
    instance = Server(_free_port(), root / "neo4j" / "data", "pw-" + uuid.uuid4().hex[:8])
    instance.start(home)
    try:
        yield instance, home
    finally:
        subprocess.run(
            [str(ROOT / "scripts/neo4j.sh"), "stop", "--data", str(instance.data)],
            env=_clean_env(home),
            check=False,
            capture_output=True,
            timeout=120,
        )


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``spark-lineage ARGS`` with no SPARK_LINEAGE_* variable at all, run from the home."""
    env = _clean_env(home, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "spark_lineage.cli", *args],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_start_writes_a_private_config_file_that_names_the_server(
    server: tuple[Server, Path],
) -> None:
    instance, home = server
    config = home / ".config" / "spark-lineage" / "config.toml"

    assert config.read_text().startswith(MARK)
    assert _mode(config) == 0o600
    assert _mode(config.parent) == 0o700
    settings = resolve_settings(config_path=config, environ={})
    assert settings.uri == f"bolt://127.0.0.1:{instance.port}"
    assert (settings.user, settings.password) == ("neo4j", instance.password)
    password_file = instance.data.parent / "neo4j.password"
    assert _mode(password_file) == 0o600
    assert instance.password not in config.read_text()


def test_the_first_commands_log_in_without_any_environment(server: tuple[Server, Path]) -> None:
    instance, home = server

    doctor = _cli(home, "doctor")
    impact = _cli(home, "impact", "/no/such/table.column")

    assert "[ok] connection: reached Neo4j/5." in doctor.stdout, doctor.stdout + doctor.stderr
    assert "password=set" in doctor.stdout
    assert impact.returncode == 1
    assert "no dataset in the graph matches" in impact.stderr, impact.stderr
    assert instance.password not in doctor.stdout + doctor.stderr + impact.stderr


def test_a_config_file_the_user_wrote_is_left_alone(
    server: tuple[Server, Path], tmp_path: Path
) -> None:
    instance, _ = server
    config = tmp_path / ".config" / "spark-lineage" / "config.toml"
    config.parent.mkdir(parents=True)
    mine = '[neo4j]\nuri = "neo4j+s://graph.example:7687"\n'
    config.write_text(mine)

    started = instance.start(tmp_path)

    assert config.read_text() == mine
    assert f"left your config file {config} alone" in started.stderr


def test_a_test_server_start_writes_no_config_file(
    server: tuple[Server, Path], tmp_path: Path
) -> None:
    instance, _ = server

    instance.start(tmp_path, "--no-config")

    assert not (tmp_path / ".config").exists()


def test_the_config_file_goes_where_spark_lineage_config_says(
    server: tuple[Server, Path], tmp_path: Path
) -> None:
    instance, _ = server
    config = tmp_path / "elsewhere" / "lineage.toml"

    started = instance.start(tmp_path, SPARK_LINEAGE_CONFIG=str(config))

    assert f"CLI config written to {config}" in started.stderr
    assert resolve_settings(config_path=config, environ={}).password == instance.password
    assert not (tmp_path / ".config").exists()
