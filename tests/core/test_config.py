import pytest

from qinqing.config import env_bool, env_seconds, load_database, persistent_secret


def test_default_database_is_sqlite_in_the_data_folder_with_wal(tmp_path):
    config = load_database(None, tmp_path)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "qinqing.sqlite3")
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_postgres_url(tmp_path):
    config = load_database("postgres://u:p@db.example:5433/qq", tmp_path)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["HOST"], config["PORT"]) == ("qq", "db.example", 5433)
    # Server-side binding with prepared statements unless a pooler needs them off.
    assert config["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}


def test_prepared_statements_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("QINQING_PG_PREPARED", "0")
    config = load_database("postgres://u:p@db.example:5433/qq", tmp_path)
    assert "server_side_binding" not in config.get("OPTIONS", {})
    monkeypatch.setenv("QINQING_PG_PREPARED", "perhaps")
    with pytest.raises(ValueError, match="QINQING_PG_PREPARED"):
        load_database("postgres://u:p@db.example:5433/qq", tmp_path)


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url", "postgres://u:secret@h:5432/"])
def test_malformed_database_url_says_what_to_write_and_hides_password(url, tmp_path):
    with pytest.raises(ValueError) as err:
        load_database(url, tmp_path)
    message = str(err.value)
    assert "DATABASE_URL" in message and "\n" not in message
    assert "secret" not in message


def test_env_bool_rejects_garbage(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ValueError, match="X_FLAG"):
        env_bool("X_FLAG", False)
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG", False) is True


def test_generated_secret_is_kept(tmp_path, capsys):
    first = persistent_secret(tmp_path / "k", "SECRET_KEY")
    assert "generated SECRET_KEY" in capsys.readouterr().err
    assert persistent_secret(tmp_path / "k", "SECRET_KEY") == first
    assert capsys.readouterr().err == ""
    assert (tmp_path / "k").stat().st_mode & 0o077 == 0


def test_settings_are_chinese_first(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai"


def test_env_seconds_takes_a_bounded_number(monkeypatch):
    assert env_seconds("X_TTL", 5) == 5
    monkeypatch.setenv("X_TTL", "0")
    assert env_seconds("X_TTL", 5) == 0
    for bad in ("soon", "-1", "86400"):
        monkeypatch.setenv("X_TTL", bad)
        with pytest.raises(ValueError, match="X_TTL"):
            env_seconds("X_TTL", 5)
