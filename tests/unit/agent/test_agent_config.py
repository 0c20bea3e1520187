"""spark.lineage.* settings: defaults, environment fallbacks, and clear messages for bad values."""

from __future__ import annotations

import pytest

from spark_lineage.config import ConfigError, env_name, is_enabled, load_config


def test_defaults_when_nothing_is_set() -> None:
    config = load_config({}, env={})

    assert config.enabled is True
    assert config.sinks == ()
    assert config.namespace == "spark"
    assert config.queue_size == 1000
    assert config.flush_timeout_s == 30.0
    assert config.emit_read_only is True


def test_autoattach_default_is_off_until_enabled() -> None:
    assert load_config({}, env={}, default_enabled=False).enabled is False
    conf = {"spark.lineage.enabled": "true"}
    assert load_config(conf, env={}, default_enabled=False).enabled is True


def test_core_settings_are_parsed() -> None:
    config = load_config(
        {
            "spark.lineage.enabled": "yes",
            "spark.lineage.sinks": "Console, openlineage,console",
            "spark.lineage.namespace": "prod",
            "spark.lineage.queue.size": "5",
            "spark.lineage.flush.timeout": "2.5",
            "spark.lineage.emit.readOnly": "false",
            "spark.lineage.application": " Nightly ETL ",
            "spark.lineage.lake.root": "s3a://lake/prod",
            "spark.other.setting": "ignored",
        },
        env={},
    )

    assert config.sinks == ("console", "openlineage")
    assert (config.namespace, config.queue_size, config.flush_timeout_s) == ("prod", 5, 2.5)
    assert config.emit_read_only is False
    assert (config.application, config.lake_root) == ("Nightly ETL", "s3a://lake/prod")


def test_sink_and_capture_settings_are_grouped_by_prefix() -> None:
    config = load_config(
        {
            "spark.lineage.neo4j.uri": "bolt://db:7687",
            "spark.lineage.neo4j.batch.size": "10",
            "spark.lineage.capture.maxColumns": "500",
        },
        env={},
    )

    assert config.sink_values == {"neo4j": {"uri": "bolt://db:7687", "batch.size": "10"}}
    assert config.capture_values == {"maxColumns": "500"}


def test_environment_fills_what_the_conf_leaves_unset() -> None:
    env = {"SPARK_LINEAGE_QUEUE_SIZE": "7", "SPARK_LINEAGE_NEO4J_PASSWORD": "s3cret"}
    config = load_config({"spark.lineage.namespace": "conf-wins"}, env=env)

    assert config.queue_size == 7
    assert config.sink_env("neo4j") == {"PASSWORD": "s3cret"}


def test_conf_wins_over_environment() -> None:
    config = load_config({"spark.lineage.queue.size": "3"}, env={"SPARK_LINEAGE_QUEUE_SIZE": "9"})

    assert config.queue_size == 3


def test_env_names_mirror_keys() -> None:
    assert env_name("spark.lineage.neo4j.password") == "SPARK_LINEAGE_NEO4J_PASSWORD"
    assert env_name("queue.size") == "SPARK_LINEAGE_QUEUE_SIZE"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("spark.lineage.queue.size", "many", "spark.lineage.queue.size must be an integer"),
        ("spark.lineage.queue.size", "0", "spark.lineage.queue.size must be between 1"),
        ("spark.lineage.enabled", "maybe", "spark.lineage.enabled must be true or false"),
        ("spark.lineage.flush.timeout", "-1", "spark.lineage.flush.timeout must be at least 0"),
        ("spark.lineage.flush.timeout", "nan", "spark.lineage.flush.timeout must be at least 0"),
        ("spark.lineage.namespace", "  ", "spark.lineage.namespace must not be blank"),
        ("spark.lineage.log.level", "LOUD", "spark.lineage.log.level must be one of"),
        ("spark.lineage.queuesize", "1", "did you mean spark.lineage.queue.size?"),
    ],
)
def test_a_bad_setting_is_named_in_the_error(key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("?", r"\?")):
        load_config({key: value}, env={})


def test_kill_switch_reads_conf_then_env_and_tolerates_garbage() -> None:
    assert is_enabled({"spark.lineage.enabled": "false"}, env={}) is False
    assert is_enabled({}, env={"SPARK_LINEAGE_ENABLED": "true"}) is True
    assert is_enabled({}, env={}) is None
    assert is_enabled({"spark.lineage.enabled": "perhaps"}, env={}) is None
