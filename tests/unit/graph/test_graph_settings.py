"""Neo4j settings: precedence, accepted URI schemes, and passwords that never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from spark_lineage.graph.settings import (
    SUPPORTED_SCHEMES,
    Neo4jSettings,
    SettingsError,
    password_not_set,
    redact_uri,
    resolve_settings,
    settings_from_spark_conf,
)


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_apply_when_nothing_is_configured(tmp_path: Path) -> None:
    settings = resolve_settings(config_path=_config(tmp_path, ""), environ={})
    assert (settings.uri, settings.user, settings.password, settings.database) == (
        "bolt://127.0.0.1:7687", "neo4j", "", None,
    )


def test_flags_beat_environment_which_beats_the_config_file(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        '[neo4j]\nuri = "bolt://file:1"\nuser = "file-user"\npassword = "file-pw"\n'
        'database = "filedb"\n',
    )
    env = {"SPARK_LINEAGE_NEO4J_USER": "env-user", "SPARK_LINEAGE_NEO4J_PASSWORD": "env-pw"}
    settings = resolve_settings({"uri": "neo4j://flag:2"}, config_path=config, environ=env)
    assert settings.uri == "neo4j://flag:2"
    assert settings.user == "env-user"
    assert settings.password == "env-pw"
    assert settings.database == "filedb"
    assert dict(settings.sources) == {
        "uri": "flag", "user": "environment", "password": "environment", "database": "config file",
    }


@pytest.mark.parametrize("scheme", SUPPORTED_SCHEMES)
def test_every_driver_scheme_is_accepted(scheme: str) -> None:
    assert Neo4jSettings(uri=f"{scheme}://db.example:7687").uri.startswith(scheme)


@pytest.mark.parametrize("uri", ["http://localhost:7474", "localhost:7687", "bolt://"])
def test_unusable_uris_are_rejected_with_the_accepted_schemes(uri: str) -> None:
    with pytest.raises(SettingsError, match=r"bolt\+s://|has no host"):
        Neo4jSettings(uri=uri)


def test_a_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        resolve_settings(config_path=tmp_path / "missing.toml", environ={})


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"config\.toml"):
        resolve_settings(config_path=_config(tmp_path, "[neo4j\n"), environ={})


def test_the_password_never_appears_in_repr_or_description() -> None:
    settings = Neo4jSettings(uri="bolt+s://db:7687", password="s3cret-pw")
    assert "s3cret-pw" not in repr(settings)
    assert "s3cret-pw" not in settings.describe()


def test_credentials_in_the_uri_are_refused_without_echoing_them() -> None:
    with pytest.raises(SettingsError, match="must not carry credentials") as error:
        Neo4jSettings(uri="bolt+s://u:s3cret-pw@db:7687")
    assert "s3cret-pw" not in str(error.value)
    assert redact_uri("bolt+s://u:s3cret-pw@db:7687") == "bolt+s://db:7687"


def test_redaction_leaves_uris_without_credentials_alone() -> None:
    assert redact_uri("neo4j+ssc://host:7687") == "neo4j+ssc://host:7687"


def test_query_values_and_fragments_are_never_shown() -> None:
    uri = "neo4j://db:7687?region=eu&password=s3cret-pw#s3cret-pw"
    assert redact_uri(uri) == "neo4j://db:7687?region=***&password=***"
    assert "s3cret-pw" not in Neo4jSettings(uri=uri).describe()
    assert redact_uri("neo4j://db:7687?s3cret-pw") == "neo4j://db:7687?***"


def test_a_query_string_on_a_bolt_uri_is_refused_without_echoing_it() -> None:
    with pytest.raises(SettingsError) as refused:
        Neo4jSettings(uri="bolt://db:7687?password=s3cret-pw")
    assert "s3cret-pw" not in str(refused.value)
    assert "bolt://db:7687?password=***" in str(refused.value)


def test_spark_conf_keys_are_explicit_settings(tmp_path: Path) -> None:
    conf = {"spark.lineage.neo4j.uri": "bolt+ssc://h:1", "spark.lineage.neo4j.database": "lin"}
    env = {"SPARK_LINEAGE_CONFIG": str(_config(tmp_path, "")),
           "SPARK_LINEAGE_NEO4J_PASSWORD": "pw"}
    settings = settings_from_spark_conf(conf, environ=env)
    assert (settings.uri, settings.database, settings.password) == ("bolt+ssc://h:1", "lin", "pw")
    assert settings.uses_tls


def test_a_misspelt_key_of_the_config_file_is_an_error_that_names_it(tmp_path: Path) -> None:
    config = _config(tmp_path, '[neo4j]\nuser = "neo4j"\npasword = "secret-value"\n')

    with pytest.raises(SettingsError) as raised:
        resolve_settings(config_path=config, environ={})

    message = str(raised.value)
    assert "unknown key 'pasword' in [neo4j]" in message
    assert "did you mean 'password'?" in message
    assert "secret-value" not in message


def test_an_unknown_section_of_the_config_file_is_an_error(tmp_path: Path) -> None:
    config = _config(tmp_path, '[neo4jj]\nuri = "bolt://x:1"\n')

    with pytest.raises(SettingsError, match=r"unknown section 'neo4jj' .*did you mean 'neo4j'"):
        resolve_settings(config_path=config, environ={})


def test_the_spark_conf_and_the_cli_share_defaults_and_the_config_file(tmp_path: Path) -> None:
    config = _config(tmp_path, '[neo4j]\nuri = "bolt+ssc://file:7"\n')
    env = {"SPARK_LINEAGE_CONFIG": str(config)}

    from_conf = settings_from_spark_conf({}, environ=env)
    from_cli = resolve_settings(environ=env)

    assert from_conf == from_cli
    assert (from_conf.uri, from_conf.user, from_conf.password) == ("bolt+ssc://file:7", "neo4j", "")
    assert from_conf.uses_tls
    assert from_conf.config_path == config
    assert dict(from_conf.sources) == dict(from_cli.sources)


def test_a_spark_setting_is_named_as_such_in_sources(tmp_path: Path) -> None:
    env = {"SPARK_LINEAGE_CONFIG": str(_config(tmp_path, ""))}
    settings = settings_from_spark_conf({"spark.lineage.neo4j.user": "writer"}, environ=env)
    assert settings.sources["user"] == "spark conf"


@pytest.mark.parametrize("uri", ["http://localhost:7474", "bolt://", "bolt://u:pw@db:1"])
def test_the_spark_conf_and_the_cli_refuse_the_same_uris_with_the_same_words(
    tmp_path: Path, uri: str
) -> None:
    env = {"SPARK_LINEAGE_CONFIG": str(_config(tmp_path, ""))}
    with pytest.raises(SettingsError) as from_cli:
        resolve_settings({"uri": uri}, environ=env)
    with pytest.raises(SettingsError) as from_conf:
        settings_from_spark_conf({"spark.lineage.neo4j.uri": uri}, environ=env)
    assert str(from_conf.value) == str(from_cli.value)
    assert from_conf.value.key == "uri"


def test_the_password_can_live_in_a_file_the_config_names(tmp_path: Path) -> None:
    (tmp_path / "neo4j.password").write_text("file-secret\n")
    config = _config(tmp_path, '[neo4j]\npassword_file = "neo4j.password"\n')

    settings = resolve_settings(config_path=config, environ={})

    assert settings.password == "file-secret"  # relative to the config file, newline stripped
    assert settings.sources["password"] == "config file"


def test_an_inline_password_or_the_environment_wins_over_the_password_file(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, f'[neo4j]\npassword_file = "{tmp_path / "gone"}"\n')
    env = {"SPARK_LINEAGE_NEO4J_PASSWORD": "env-pw"}
    assert resolve_settings(config_path=config, environ=env).password == "env-pw"
    inline = _config(tmp_path, '[neo4j]\npassword = "inline"\npassword_file = "gone"\n')
    assert resolve_settings(config_path=inline, environ={}).password == "inline"


def test_a_missing_password_file_names_both_files(tmp_path: Path) -> None:
    config = _config(tmp_path, '[neo4j]\npassword_file = "gone"\n')
    with pytest.raises(SettingsError, match=r"cannot read the password_file .*gone named in .*"
                                            r"config\.toml"):
        resolve_settings(config_path=config, environ={})


def test_an_unset_password_is_said_with_where_to_set_it(tmp_path: Path) -> None:
    config = _config(tmp_path, "")
    settings = resolve_settings(config_path=config, environ={})
    assert password_not_set(settings) == (
        "the password is NOT SET (set SPARK_LINEAGE_NEO4J_PASSWORD, [neo4j] password in "
        f"{config}, or --password-file)"
    )
