"""Credentials: hidden secrets and the resolution chain, with a temporary HOME."""

from __future__ import annotations

import json
import pickle

import pytest

import vpnroute_widgets as vw
from vpnroute_widgets.credentials import list_profiles, mask_key_id

SECRET = "SENTINEL-secret-91d2"
TOKEN = "SENTINEL-token-3c7a"
ENV_NAMES = [
    "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_PROFILE",
    "ALIBABA_CLOUD_CREDENTIALS_FILE",
]


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def write_cli_config(home, profiles, current="default"):
    path = home / ".aliyun" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"current": current, "profiles": profiles}))
    return path


def write_ini(home, text, name="credentials.ini"):
    path = home / ".alibabacloud" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_repr_and_str_never_show_the_secret_or_token():
    creds = vw.Credentials("LTAI" "5tExampleKey1234", SECRET, TOKEN)
    for text in (repr(creds), str(creds), f"{creds}", repr([creds]), repr({"c": creds})):
        assert SECRET not in text and TOKEN not in text and "LTAI" "5tExampleKey1234" not in text
        assert "LTAI****1234" in text


def test_credentials_cannot_be_pickled_into_a_file():
    with pytest.raises(TypeError, match="pickled"):
        pickle.dumps(vw.Credentials("id", SECRET))


def test_empty_values_are_refused_with_a_clear_message():
    with pytest.raises(vw.CredentialsError, match="access_key_secret"):
        vw.Credentials("id", "")


@pytest.mark.parametrize(("key", "masked"), [("LTAI" "5tExampleKey1234", "LTAI****1234"), ("short", "sh****"),
                                             ("", "")])
def test_mask_key_id(key, masked):
    assert mask_key_id(key) == masked


def test_redact_hides_these_credentials_in_server_text():
    creds = vw.Credentials(" LTAI" "5tExampleKey1234 ", SECRET, TOKEN)  # stripped, as they are signed
    text = f"id={creds.access_key_id}&s={SECRET}&t={TOKEN.replace('-', '%2D')}"
    assert creds.redact(text) == "id=LTAI****1234&s=[redacted AccessKeySecret]&t=[redacted SecurityToken]"
    assert vw.Credentials("other", "other-secret").redact(text) == text  # only the values in use
    assert SECRET not in repr(creds) and "_redactor" not in repr(creds)


def test_environment_is_read_at_call_time(home, monkeypatch):
    with pytest.raises(vw.CredentialsError):
        vw.Credentials.resolve()
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "envid")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
    creds = vw.Credentials.resolve()
    assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == ("envid", SECRET, TOKEN)
    assert creds.source == "environment"


def test_alicloud_names_are_a_fallback(home, monkeypatch):
    monkeypatch.setenv("ALICLOUD_ACCESS_KEY", "oldid")
    monkeypatch.setenv("ALICLOUD_SECRET_KEY", SECRET)
    assert vw.Credentials.resolve().access_key_id == "oldid"


def test_cli_config_ak_and_sts_profiles(home, monkeypatch):
    write_cli_config(home, [
        {"name": "default", "mode": "AK", "access_key_id": "akid", "access_key_secret": SECRET,
         "region_id": "cn-hangzhou"},
        {"name": "sts", "mode": "StsToken", "access_key_id": "stsid", "access_key_secret": SECRET, "sts_token": TOKEN},
    ])
    assert vw.Credentials.resolve().access_key_id == "akid"
    sts = vw.Credentials.resolve("sts")
    assert (sts.access_key_id, sts.security_token) == ("stsid", TOKEN)
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "sts")
    assert vw.Credentials.resolve().access_key_id == "stsid"


def test_cli_config_current_profile_is_used(home):
    write_cli_config(home, [{"name": "a", "mode": "AK", "access_key_id": "a-id", "access_key_secret": SECRET},
                            {"name": "b", "mode": "AK", "access_key_id": "b-id", "access_key_secret": SECRET}],
                     current="b")
    assert vw.Credentials.resolve().access_key_id == "b-id"


def test_unsupported_cli_mode_is_explained(home):
    write_cli_config(home, [{"name": "default", "mode": "RamRoleArn", "access_key_id": "x", "access_key_secret": "y"}])
    with pytest.raises(vw.CredentialsError, match="RamRoleArn"):
        vw.Credentials.resolve()


def test_broken_cli_config_is_reported_without_contents(home):
    (home / ".aliyun").mkdir()
    (home / ".aliyun" / "config.json").write_text('{"profiles": [' + SECRET)
    with pytest.raises(vw.CredentialsError) as caught:
        vw.Credentials.resolve()
    assert SECRET not in str(caught.value) and "config.json" in str(caught.value)


def test_ini_files_python_then_go_name(home):
    write_ini(home, f"[default]\ntype = access_key\naccess_key_id = goid\naccess_key_secret = {SECRET}\n",
              name="credentials")
    assert vw.Credentials.resolve().access_key_id == "goid"
    write_ini(home, f"[default]\ntype = access_key\naccess_key_id = pyid\naccess_key_secret = {SECRET}\n")
    assert vw.Credentials.resolve().access_key_id == "pyid"


def test_ini_path_override_and_section(home, monkeypatch, tmp_path):
    path = tmp_path / "elsewhere.ini"
    path.write_text(f"[prod]\naccess_key_id = prodid\naccess_key_secret = {SECRET}\n")
    monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", str(path))
    assert vw.Credentials.resolve("prod").access_key_id == "prodid"


def test_environment_wins_over_files_unless_a_profile_is_named(home, monkeypatch):
    write_cli_config(home, [{"name": "default", "mode": "AK", "access_key_id": "fileid", "access_key_secret": SECRET}])
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "envid")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    assert vw.Credentials.resolve().access_key_id == "envid"
    assert vw.Credentials.resolve("default").access_key_id == "fileid"


def test_nothing_found_lists_every_place_looked(home):
    with pytest.raises(vw.CredentialsError) as caught:
        vw.Credentials.resolve()
    message = str(caught.value)
    for place in ("ALIBABA_CLOUD_ACCESS_KEY_ID", ".aliyun/config.json", "credentials.ini",
                  ".alibabacloud/credentials [default]", "vw.Sandbox()"):
        assert place in message


def test_list_profiles(home):
    write_cli_config(home, [{"name": "default"}, {"name": "sts"}])
    write_ini(home, "[prod]\naccess_key_id = a\n[default]\n")
    assert list_profiles() == ["default", "sts", "prod"]
