"""Typed environment helpers (portal.env): a bad value is refused, never silently defaulted."""

from __future__ import annotations

import pytest

from portal.env import EnvError, env_bool, env_int, env_list, env_secret, env_str

NAME = "COUNTERSIGN_TEST_VAR"


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    monkeypatch.delenv(NAME, raising=False)
    monkeypatch.delenv(f"{NAME}_FILE", raising=False)


def test_env_error_is_a_value_error():
    assert issubclass(EnvError, ValueError)


# --- env_str -------------------------------------------------------------------------------------


def test_env_str_returns_the_value(monkeypatch):
    monkeypatch.setenv(NAME, " some text ")

    assert env_str(NAME, "default") == " some text "


@pytest.mark.parametrize("value", [None, ""])
def test_env_str_returns_the_default_when_unset_or_empty(monkeypatch, value):
    if value is not None:
        monkeypatch.setenv(NAME, value)

    assert env_str(NAME, "default") == "default"
    assert env_str(NAME) == ""


# --- env_int -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [("42", 42), ("0", 0), ("-3", -3), (" 7 ", 7), ("+5", 5)])
def test_env_int_reads_an_integer(monkeypatch, raw, expected):
    monkeypatch.setenv(NAME, raw)

    assert env_int(NAME, 1) == expected


@pytest.mark.parametrize("value", [None, ""])
def test_env_int_returns_the_default_when_unset_or_empty(monkeypatch, value):
    if value is not None:
        monkeypatch.setenv(NAME, value)

    assert env_int(NAME, 60) == 60


@pytest.mark.parametrize("raw", ["abc", "1.5", "1e3", "10s", "0x10", "true", " ", "--1"])
def test_env_int_rejects_a_value_that_is_not_an_integer(monkeypatch, raw):
    monkeypatch.setenv(NAME, raw)

    with pytest.raises(EnvError, match=f"{NAME} must be an integer, got {raw!r}"):
        env_int(NAME, 1)


@pytest.mark.parametrize(("raw", "minimum"), [("-1", 0), ("4", 5), ("0", 1)])
def test_env_int_rejects_a_value_below_the_minimum(monkeypatch, raw, minimum):
    monkeypatch.setenv(NAME, raw)

    with pytest.raises(EnvError, match=f"{NAME} must be at least {minimum}, got {raw}"):
        env_int(NAME, 10, minimum=minimum)


def test_env_int_accepts_a_value_equal_to_the_minimum(monkeypatch):
    monkeypatch.setenv(NAME, "5")

    assert env_int(NAME, 10, minimum=5) == 5


def test_env_int_does_not_check_the_minimum_against_the_default():
    assert env_int(NAME, -1, minimum=0) == -1


# --- env_bool ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("false", False), ("TRUE", True), ("False", False), (" true ", True), ("false\n", False)],
)
def test_env_bool_reads_true_and_false(monkeypatch, raw, expected):
    monkeypatch.setenv(NAME, raw)

    assert env_bool(NAME, not expected) is expected


@pytest.mark.parametrize("default", [True, False])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_env_bool_returns_the_default_when_unset_or_blank(monkeypatch, value, default):
    if value is not None:
        monkeypatch.setenv(NAME, value)

    assert env_bool(NAME, default) is default


@pytest.mark.parametrize("raw", ["yes", "no", "1", "0", "on", "off", "t", "f", "y", "n", "truthy", "tru"])
def test_env_bool_rejects_anything_but_true_or_false(monkeypatch, raw):
    monkeypatch.setenv(NAME, raw)

    with pytest.raises(EnvError, match=f"{NAME} must be 'true' or 'false', got {raw!r}"):
        env_bool(NAME, False)


# --- env_list ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a", ["a"]),
        ("a,b,c", ["a", "b", "c"]),
        (" a , b ,c ", ["a", "b", "c"]),
        ("a,,b,", ["a", "b"]),
        (",", []),
        (" , ", []),
        ("example.com,*.example.com", ["example.com", "*.example.com"]),
    ],
)
def test_env_list_splits_on_commas_and_drops_empty_items(monkeypatch, raw, expected):
    monkeypatch.setenv(NAME, raw)

    assert env_list(NAME, ["default"]) == expected


def test_env_list_returns_a_copy_of_the_default_when_unset():
    default = ["127.0.0.1", "localhost"]

    result = env_list(NAME, default)
    result.append("evil.example")

    assert result[:2] == default
    assert default == ["127.0.0.1", "localhost"]


def test_env_list_without_default_is_empty():
    assert env_list(NAME) == []


# --- env_secret ----------------------------------------------------------------------------------


def test_env_secret_reads_the_variable(monkeypatch):
    monkeypatch.setenv(NAME, "s3cret")

    assert env_secret(NAME) == "s3cret"


def test_env_secret_reads_name_file_and_strips_the_trailing_newline(monkeypatch, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("  from-a-file\n")
    monkeypatch.setenv(f"{NAME}_FILE", str(secret_file))

    assert env_secret(NAME) == "from-a-file"


def test_env_secret_prefers_the_variable_over_the_file(monkeypatch, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file")
    monkeypatch.setenv(NAME, "from-env")
    monkeypatch.setenv(f"{NAME}_FILE", str(secret_file))

    assert env_secret(NAME) == "from-env"


def test_env_secret_returns_the_default_when_neither_is_set(monkeypatch):
    monkeypatch.setenv(NAME, "")
    monkeypatch.setenv(f"{NAME}_FILE", "")

    assert env_secret(NAME, "fallback") == "fallback"
    assert env_secret(NAME) == ""


def test_env_secret_raises_env_error_when_the_file_is_missing(monkeypatch, tmp_path):
    missing = tmp_path / "nope"
    monkeypatch.setenv(f"{NAME}_FILE", str(missing))

    with pytest.raises(EnvError, match=f"{NAME}_FILE points at '{missing}', which cannot be read"):
        env_secret(NAME, "fallback")


def test_env_secret_raises_env_error_when_the_file_is_a_directory(monkeypatch, tmp_path):
    monkeypatch.setenv(f"{NAME}_FILE", str(tmp_path))

    with pytest.raises(EnvError, match="which cannot be read"):
        env_secret(NAME)


def test_env_secret_raises_env_error_when_the_file_is_not_readable(monkeypatch, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("x")
    secret_file.chmod(0)
    monkeypatch.setenv(f"{NAME}_FILE", str(secret_file))
    try:
        secret_file.read_text()
    except PermissionError:
        pass
    else:
        pytest.skip("running as a user who can read any file (root)")

    with pytest.raises(EnvError, match="which cannot be read"):
        env_secret(NAME)


def test_env_secret_raises_env_error_when_the_file_is_not_text(monkeypatch, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_bytes(b"\xff\xfe\x00binary")
    monkeypatch.setenv(f"{NAME}_FILE", str(secret_file))

    with pytest.raises(EnvError, match="which cannot be read"):
        env_secret(NAME)
