"""The locked Delta Lake jar set of each Spark line: lock, fetch, verify, and the files to load.

Every Spark session that the project starts (tests, demo jobs, benchmarks, scripts) loads Delta
from local files listed in a lock file, ``locks/spark-<line>.toml``: one entry per jar with its
Maven coordinates and sha256. Set-up fetches them once, with Maven and a project-local Maven
repository, into ``.cache/jars/spark-<line>/``; after that nothing is resolved when a session
starts (no Ivy, no Maven) and nothing goes to the network while a job runs.

Why not ``spark.jars.packages``: Maven settles version conflicts nearest-first and downloads only
the pom of a losing version; Ivy, which Spark uses for ``spark.jars.packages``, picks the newest
revision instead, finds that pom in the same repository and fails on the missing jar. One
resolution, locked and checked, removes the disagreement.

A line that no Delta release supports yet (the newest PySpark, before Delta catches up) has a
lock with an empty ``delta_spark`` and no jars: its sessions run without Delta
(:func:`delta_available`), and set-up installs no ``delta-spark``.

The lock holds the jars that Delta needs and Spark does not ship itself. A dependency whose
artifact is already among pyspark's own jars is left out and listed under ``provided_by_spark``:
Spark's copy is the one that loads (the application class loader asks Spark's first), so a second
copy would only invite version skew.

    python -m spark_lineage.tools.jarset fetch          # set-up: fetch and check (idempotent)
    python -m spark_lineage.tools.jarset check          # verify only, one line per problem
    python -m spark_lineage.tools.jarset paths          # the jar files, comma-separated
    python -m spark_lineage.tools.jarset line           # the installed Spark line, e.g. 3.5
    python -m spark_lineage.tools.jarset lock --root io.delta:delta-spark_4.1_2.13:4.4.0
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[2]
LOCK_DIR = REPO / "locks"
#: Pinned so that fetching behaves the same on every machine, whatever Maven's default is.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"


class JarSetError(Exception):
    """A lock or a jar is missing or damaged; the message names it and says how to fix it."""


@dataclass(frozen=True, slots=True)
class LockedJar:
    """One jar of a lock: ``group:artifact:version`` and the sha256 of its bytes."""

    coordinate: str
    sha256: str

    @property
    def group(self) -> str:
        return self.coordinate.split(":")[0]

    @property
    def artifact(self) -> str:
        return self.coordinate.split(":")[1]

    @property
    def version(self) -> str:
        return self.coordinate.split(":")[2]

    @property
    def file_name(self) -> str:
        """The name Maven's ``copy-dependencies`` gives the file."""
        return f"{self.artifact}-{self.version}.jar"


@dataclass(frozen=True, slots=True)
class Lock:
    """The locked jar set of one Spark line (``locks/spark-<line>.toml``)."""

    spark_line: str
    pyspark: str
    delta_spark: str
    root: str
    jars: tuple[LockedJar, ...]
    provided_by_spark: tuple[str, ...]
    path: Path

    @property
    def has_delta(self) -> bool:
        """False for a line no Delta release supports (an empty ``delta_spark``, no jars)."""
        return bool(self.delta_spark)


def cache_dir() -> Path:
    """The project-local cache (jars, Maven repository, Ivy home): ``$SPARK_LINEAGE_CACHE``."""
    return Path(os.environ.get("SPARK_LINEAGE_CACHE") or REPO / ".cache")


def maven_repo() -> Path:
    """The project-local Maven repository used by set-up and the Neo4j build."""
    return cache_dir() / "m2"


def ivy_home() -> Path:
    """A project-local Ivy home, so that no session ever reads or writes ``~/.ivy2*``."""
    return cache_dir() / "ivy"


def jar_dir(spark_line: str) -> Path:
    return cache_dir() / "jars" / f"spark-{spark_line}"


def installed_spark_line() -> str:
    """``major.minor`` of the installed pyspark, e.g. ``4.1``."""
    return ".".join(metadata.version("pyspark").split(".")[:2])


def lock_path(spark_line: str, lock_dir: Path = LOCK_DIR) -> Path:
    return lock_dir / f"spark-{spark_line}.toml"


def supported_lines(lock_dir: Path = LOCK_DIR) -> list[str]:
    return sorted(p.stem.removeprefix("spark-") for p in lock_dir.glob("spark-*.toml"))


def read_lock(spark_line: str | None = None, lock_dir: Path = LOCK_DIR) -> Lock:
    """The lock of ``spark_line`` (default: the installed pyspark's line)."""
    line = spark_line or installed_spark_line()
    path = lock_path(line, lock_dir)
    if not path.is_file():
        known = ", ".join(supported_lines(lock_dir)) or "none"
        raise JarSetError(
            f"no locked jar set for Spark {line} ({path} is missing); locked lines: {known}"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        jars = tuple(
            LockedJar(str(j["coordinate"]), str(j["sha256"])) for j in data.get("jar", [])
        )
        return Lock(
            spark_line=str(data["spark_line"]),
            pyspark=str(data["pyspark"]),
            delta_spark=str(data["delta_spark"]),
            root=str(data["root"]),
            jars=jars,
            provided_by_spark=tuple(str(c) for c in data.get("provided_by_spark", [])),
            path=path,
        )
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise JarSetError(f"the lock file {path} is damaged ({exc}); restore it from git") from exc


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def problems(lock: Lock, folder: Path) -> list[str]:
    """One line per locked jar that is missing from ``folder`` or whose sha256 differs."""
    found: list[str] = []
    fix = f"run `make setup` again, or delete {folder} and run it"
    for jar in lock.jars:
        path = folder / jar.file_name
        if not path.is_file():
            found.append(f"locked jar {jar.coordinate} is missing ({path}): {fix}")
            continue
        actual = sha256_of(path)
        if actual != jar.sha256:
            found.append(
                f"locked jar {jar.coordinate} is damaged ({path}: sha256 {actual[:12]}..., "
                f"locked {jar.sha256[:12]}... in {lock.path.name}): {fix}"
            )
    return found


def delta_available(spark_line: str | None = None, lock_dir: Path = LOCK_DIR) -> bool:
    """Whether the line (default: the installed one) has Delta Lake (see :attr:`Lock.has_delta`)."""
    return read_lock(spark_line, lock_dir).has_delta


def _installed_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


def check_installed_versions(lock: Lock) -> None:
    """The Python packages must be the ones the lock was made for (no ``delta-spark`` at all on
    a line without Delta)."""
    installed = {"pyspark": _installed_version("pyspark"),
                 "delta-spark": _installed_version("delta-spark")}
    locked = {"pyspark": lock.pyspark, "delta-spark": lock.delta_spark or "none"}
    for name, version in installed.items():
        if version != locked[name]:
            raise JarSetError(
                f"{lock.path.name} was locked for {name} {locked[name]} but {version} is "
                f"installed: run `make setup` to reinstall the pinned packages"
            )


def locked_jar_paths(spark_line: str | None = None, lock_dir: Path = LOCK_DIR) -> list[Path]:
    """The verified jar files of the installed line, for ``spark.jars``.

    Raises :class:`JarSetError` with a one-line fix when a jar is missing or damaged, so that the
    problem is reported before a JVM starts (never as a stack trace from inside Spark).
    """
    lock = read_lock(spark_line, lock_dir)
    check_installed_versions(lock)
    folder = jar_dir(lock.spark_line)
    found = problems(lock, folder)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise JarSetError(found[0] + more)
    return [folder / jar.file_name for jar in lock.jars]


# --- fetching (set-up) -----------------------------------------------------------------------


def _pom(artifact_id: str, dependencies: Iterable[str], exclude_transitive: bool) -> str:
    """A throw-away pom that depends on ``dependencies`` (nothing else)."""
    exclusion = (
        "<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion>"
        "</exclusions>" if exclude_transitive else ""
    )
    deps = "".join(
        f"<dependency><groupId>{escape(g)}</groupId><artifactId>{escape(a)}</artifactId>"
        f"<version>{escape(v)}</version>{exclusion}</dependency>"
        for g, a, v in (c.split(":") for c in dependencies)
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        f"<groupId>io.sparklineage.jarset</groupId><artifactId>{escape(artifact_id)}</artifactId>"
        "<version>1</version><packaging>pom</packaging>"
        f"<dependencies>{deps}</dependencies></project>\n"
    )


def _maven(pom: Path, goal_args: Sequence[str], repo: Path) -> None:
    """Run Maven on ``pom`` with the project-local repository; its output only on failure."""
    command = ["mvn", "-q", "-B", "-Dstyle.color=never", "-f", str(pom),
               f"-Dmaven.repo.local={repo}", *goal_args]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise JarSetError("mvn (Maven 3.8+) is needed to fetch the Delta jars") from exc
    if result.returncode != 0:
        output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr).strip()
        errors = [ln for ln in output.splitlines() if ln.startswith("[ERROR]")] or [output]
        raise JarSetError(f"Maven could not fetch the locked jars: {errors[0][:400]}")


def fetch(spark_line: str | None = None, log: bool = True) -> list[Path]:
    """Set-up: make the jar folder hold exactly the locked jars, verified (idempotent)."""
    lock = read_lock(spark_line)
    folder = jar_dir(lock.spark_line)
    if not lock.has_delta:
        if log:
            print(f"[setup] no Delta release supports Spark {lock.spark_line}: no jars to fetch "
                  f"(locks/{lock.path.name}); sessions run without Delta", file=sys.stderr)
        return []
    if not problems(lock, folder):
        if log:
            print(f"[setup] Delta jars up to date ({len(lock.jars)} jars locked in "
                  f"locks/{lock.path.name}, in {folder})", file=sys.stderr)
        return [folder / jar.file_name for jar in lock.jars]
    if log:
        print(f"[setup] fetching {len(lock.jars)} locked jars for Spark {lock.spark_line} "
              f"({lock.root}) into {folder}", file=sys.stderr)
    folder.mkdir(parents=True, exist_ok=True)
    for jar in lock.jars:  # a damaged file would otherwise be kept by copy-dependencies
        path = folder / jar.file_name
        if path.exists() and sha256_of(path) != jar.sha256:
            path.unlink()
    with tempfile.TemporaryDirectory(prefix="jarset-") as tmp:
        pom = Path(tmp) / "pom.xml"
        pom.write_text(_pom(f"spark-{lock.spark_line}", (j.coordinate for j in lock.jars),
                            exclude_transitive=True), encoding="utf-8")
        _maven(pom, [f"{DEPENDENCY_PLUGIN}:copy-dependencies", f"-DoutputDirectory={folder}",
                     "-DincludeScope=runtime", "-DoverWriteIfNewer=true"], maven_repo())
    found = problems(lock, folder)
    if found:
        raise JarSetError(found[0] + " (the registry served other bytes than the lock records)")
    return [folder / jar.file_name for jar in lock.jars]


# --- locking (maintainers) -------------------------------------------------------------------


def spark_shipped_artifacts() -> set[str]:
    """The artifact ids of the jars that pyspark ships (``pyspark/jars``)."""
    import pyspark  # the installed line's own distribution

    shipped = Path(pyspark.__file__).parent / "jars"
    names: set[str] = set()
    for jar in shipped.glob("*.jar"):
        match = re.match(r"^(.+?)-\d", jar.name)
        if match:
            names.add(match.group(1))
    return names


def _resolved(root: str, repo: Path) -> list[tuple[str, Path]]:
    """Maven's runtime resolution of ``root``: (coordinate, file) in resolution order."""
    with tempfile.TemporaryDirectory(prefix="jarset-lock-") as tmp:
        pom = Path(tmp) / "pom.xml"
        listing = Path(tmp) / "list.txt"
        pom.write_text(_pom("lock", [root], exclude_transitive=False), encoding="utf-8")
        _maven(pom, [f"{DEPENDENCY_PLUGIN}:list", f"-DoutputFile={listing}",
                     "-DincludeScope=runtime", "-DoutputAbsoluteArtifactFilename=true"], repo)
        lines = listing.read_text(encoding="utf-8").splitlines()
    resolved: list[tuple[str, Path]] = []
    for line in lines:
        entry = line.strip().split(" -- ")[0]
        parts = entry.split(":")  # group:artifact:type[:classifier]:version:scope:file
        if len(parts) < 6 or parts[2] != "jar":
            continue
        group, artifact, version, path = parts[0], parts[1], parts[-3], parts[-1]
        if len(parts) > 6:  # a classifier would change the file name; Delta has none today
            raise JarSetError(f"classified artifact in the resolution, not supported: {entry}")
        resolved.append((f"{group}:{artifact}:{version}", Path(path)))
    return resolved


def write_lock(root: str, spark_line: str | None = None, lock_dir: Path = LOCK_DIR) -> Path:
    """Resolve ``root`` once with Maven and write ``locks/spark-<line>.toml``."""
    line = spark_line or installed_spark_line()
    if line != installed_spark_line():
        raise JarSetError(f"lock Spark {line} from its own environment (pyspark {line}.x)")
    shipped = spark_shipped_artifacts()
    kept: list[LockedJar] = []
    provided: list[str] = []
    for coordinate, path in _resolved(root, maven_repo()):
        artifact = coordinate.split(":")[1]
        if artifact in shipped:
            provided.append(":".join(coordinate.split(":")[:2]))
        else:
            kept.append(LockedJar(coordinate, sha256_of(path)))
    text = [
        f"# The Delta Lake jars of the Spark {line} line, loaded with spark.jars by every session",
        "# the project starts. Written by `python -m spark_lineage.tools.jarset lock`; checked by",
        "# scripts/setup.sh. Dependencies that pyspark already ships are under provided_by_spark.",
        f'spark_line = "{line}"',
        f'pyspark = "{metadata.version("pyspark")}"',
        f'delta_spark = "{metadata.version("delta-spark")}"',
        f'root = "{root}"',
        "provided_by_spark = [",
        *(f'    "{c}",' for c in provided),
        "]",
    ]
    for jar in kept:
        text += ["", "[[jar]]", f'coordinate = "{jar.coordinate}"', f'sha256 = "{jar.sha256}"']
    path = lock_path(line, lock_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spark_lineage.tools.jarset",
                                     description="The locked Delta jar set of a Spark line.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("fetch", "check", "paths"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--line", default=None, help="Spark line (default: installed pyspark)")
    sub.add_parser("line", help="print the installed pyspark's line (major.minor)")
    lock = sub.add_parser("lock", help="resolve the Delta jar once and write the lock file")
    lock.add_argument("--root", required=True, help="group:artifact:version of the Delta jar")
    lock.add_argument("--line", default=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            fetch(args.line)
        elif args.command == "check":
            current = read_lock(args.line)
            found = problems(current, jar_dir(current.spark_line))
            for problem in found:
                print(problem, file=sys.stderr)
            return 1 if found else 0
        elif args.command == "line":
            print(installed_spark_line())
        elif args.command == "paths":
            print(",".join(str(p) for p in locked_jar_paths(args.line)))
        else:
            print(write_lock(args.root, args.line))
    except JarSetError as exc:
        print(f"spark-lineage jars: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
