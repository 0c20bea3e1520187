"""The locked jar set: what a broken cache or lock tells the user, before any JVM starts."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from spark_lineage.tools import jarset
from spark_lineage.tools.jarset import JarSetError

REPO = Path(__file__).resolve().parents[3]


def write_lock(lock_dir: Path, jars: dict[str, bytes], pyspark: str | None = None) -> None:
    """A lock for the installed line whose jars have exactly these bytes."""
    lines = [
        f'spark_line = "{jarset.installed_spark_line()}"',
        f'pyspark = "{pyspark or metadata.version("pyspark")}"',
        f'delta_spark = "{metadata.version("delta-spark")}"',
        'root = "io.delta:delta-spark_x:1.0"',
        'provided_by_spark = ["org.slf4j:slf4j-api"]',
    ]
    for coordinate, content in jars.items():
        digest = hashlib.sha256(content).hexdigest()
        lines += ["[[jar]]", f'coordinate = "{coordinate}"', f'sha256 = "{digest}"']
    lock_dir.mkdir(parents=True, exist_ok=True)
    (lock_dir / f"spark-{jarset.installed_spark_line()}.toml").write_text("\n".join(lines))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPARK_LINEAGE_CACHE", str(tmp_path / "cache"))
    return jarset.jar_dir(jarset.installed_spark_line())


JARS = {"io.delta:delta-core:1.0": b"delta bytes", "io.delta:delta-storage:1.0": b"storage"}


def place(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)


def test_an_intact_jar_set_gives_its_files_in_lock_order(tmp_path: Path, cache: Path) -> None:
    write_lock(tmp_path / "locks", JARS)
    place(cache, {"delta-core-1.0.jar": b"delta bytes", "delta-storage-1.0.jar": b"storage"})

    paths = jarset.locked_jar_paths(lock_dir=tmp_path / "locks")

    assert paths == [cache / "delta-core-1.0.jar", cache / "delta-storage-1.0.jar"]


def test_a_missing_jar_is_named_with_the_fix(tmp_path: Path, cache: Path) -> None:
    write_lock(tmp_path / "locks", JARS)
    place(cache, {"delta-core-1.0.jar": b"delta bytes"})

    with pytest.raises(JarSetError) as error:
        jarset.locked_jar_paths(lock_dir=tmp_path / "locks")

    message = str(error.value)
    assert "\n" not in message
    assert "locked jar io.delta:delta-storage:1.0 is missing" in message
    assert "run `make setup` again, or delete" in message and str(cache) in message


def test_a_damaged_jar_is_named_with_both_hashes(tmp_path: Path, cache: Path) -> None:
    write_lock(tmp_path / "locks", JARS)
    place(cache, {"delta-core-1.0.jar": b"tampered", "delta-storage-1.0.jar": b"storage"})

    with pytest.raises(JarSetError) as error:
        jarset.locked_jar_paths(lock_dir=tmp_path / "locks")

    message = str(error.value)
    assert "locked jar io.delta:delta-core:1.0 is damaged" in message
    assert hashlib.sha256(b"tampered").hexdigest()[:12] in message
    assert hashlib.sha256(b"delta bytes").hexdigest()[:12] in message
    assert "make setup" in message


def test_several_problems_name_the_first_and_count_the_rest(tmp_path: Path, cache: Path) -> None:
    write_lock(tmp_path / "locks", JARS)

    with pytest.raises(JarSetError, match=r"delta-core:1\.0 is missing .* \(and 1 more\)$"):
        jarset.locked_jar_paths(lock_dir=tmp_path / "locks")


def test_a_line_without_a_lock_lists_the_locked_lines(tmp_path: Path) -> None:
    (tmp_path / "spark-3.5.toml").write_text("")
    (tmp_path / "spark-4.0.toml").write_text("")

    with pytest.raises(JarSetError, match=r"no locked jar set for Spark 9\.9 .*: 3\.5, 4\.0$"):
        jarset.read_lock("9.9", tmp_path)


def test_a_damaged_lock_file_says_to_restore_it(tmp_path: Path) -> None:
    (tmp_path / "spark-4.1.toml").write_bytes(b"spark_line = \xff")

    with pytest.raises(JarSetError, match=r"spark-4\.1\.toml is damaged .*restore it from git"):
        jarset.read_lock("4.1", tmp_path)


def test_a_lock_made_for_other_packages_asks_for_set_up(tmp_path: Path, cache: Path) -> None:
    write_lock(tmp_path / "locks", JARS, pyspark="0.0.1")

    with pytest.raises(JarSetError, match=r"locked for pyspark 0\.0\.1 but .* is installed"):
        jarset.locked_jar_paths(lock_dir=tmp_path / "locks")


def test_the_repository_lock_is_for_the_pinned_packages() -> None:
    lock = jarset.read_lock()

    assert (lock.pyspark, lock.delta_spark) == (
        metadata.version("pyspark"), metadata.version("delta-spark"))
    assert lock.jars[0].coordinate == lock.root  # the Delta jar itself comes first
    assert all(len(jar.sha256) == 64 for jar in lock.jars)
    shipped = jarset.spark_shipped_artifacts()
    assert not {jar.artifact for jar in lock.jars} & shipped  # Spark's own jars stay Spark's
    assert {c.split(":")[1] for c in lock.provided_by_spark} <= shipped


def test_check_prints_one_line_per_problem_and_fails(tmp_path: Path) -> None:
    env = {**os.environ, "SPARK_LINEAGE_CACHE": str(tmp_path)}

    result = subprocess.run([sys.executable, "-m", "spark_lineage.tools.jarset", "check"],
                            capture_output=True, text=True, env=env, check=False)

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == len(jarset.read_lock().jars)
    assert all(" is missing " in line and "make setup" in line for line in lines)


def test_the_demo_stops_with_one_line_before_starting_any_job(tmp_path: Path) -> None:
    env = {**os.environ, "SPARK_LINEAGE_CACHE": str(tmp_path)}

    result = subprocess.run(
        [sys.executable, str(REPO / "jobs" / "run_pipeline.py"), "--root", str(tmp_path / "lake")],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )

    assert result.returncode != 0
    assert result.stdout == ""  # no job was started
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("demo: locked jar io.delta:")
    assert "Exception" not in result.stderr and "at org." not in result.stderr


def test_a_line_no_delta_release_supports_has_a_lock_without_jars(tmp_path: Path) -> None:
    (tmp_path / "spark-9.9.toml").write_text(
        'spark_line = "9.9"\npyspark = "9.9.0"\ndelta_spark = ""\nroot = ""\n'
        "provided_by_spark = []\n"
    )

    lock = jarset.read_lock("9.9", tmp_path)

    assert lock.jars == () and not lock.has_delta
    assert jarset.delta_available("9.9", tmp_path) is False


def test_on_a_line_without_delta_an_installed_delta_spark_asks_for_set_up(tmp_path: Path) -> None:
    line = jarset.installed_spark_line()
    (tmp_path / f"spark-{line}.toml").write_text(
        f'spark_line = "{line}"\npyspark = "{metadata.version("pyspark")}"\ndelta_spark = ""\n'
        'root = ""\n'
    )

    with pytest.raises(JarSetError, match=r"locked for delta-spark none but .* is installed"):
        jarset.locked_jar_paths(lock_dir=tmp_path)


def test_the_newest_line_is_locked_without_delta() -> None:
    """Spark 4.3: no Delta release supports it (the README's support matrix says why)."""
    lock = jarset.read_lock("4.3")

    assert (lock.pyspark, lock.delta_spark, lock.jars) == ("4.3.0", "", ())
