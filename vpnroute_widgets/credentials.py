"""Credentials: an AccessKey pair (and optional STS token) that never shows itself.

``repr`` and ``str`` show only a masked key id (``LTAI****abcd``); the secret and the
token are kept in private slots, excluded from comparison output and pickling-safe
reprs. :meth:`Credentials.resolve` follows the chain people already use with the
aliyun CLI and the official SDKs, reading the environment at call time.
:meth:`Credentials.redact` takes these values out of text a server sent (the client applies
it to every answer; see :mod:`vpnroute_widgets.redact`).
"""

from __future__ import annotations

import configparser
import json
import os
from pathlib import Path

from .errors import CredentialsError
from .redact import Redactor, mask_key_id

__all__ = ["Credentials", "list_profiles", "mask_key_id"]

ENV_KEY_ID = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY")
ENV_SECRET = ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY")
ENV_TOKEN = ("ALIBABA_CLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN")
ENV_PROFILE = "ALIBABA_CLOUD_PROFILE"
ENV_CREDENTIALS_FILE = "ALIBABA_CLOUD_CREDENTIALS_FILE"


class Credentials:
    """An AccessKey pair, optionally with an STS security token.

    The secret and token are readable as attributes (the client must sign with them)
    but never appear in ``repr``, ``str``, or any toolkit output.
    """

    __slots__ = ("_key_id", "_redactor", "_secret", "_token", "source")

    def __init__(self, access_key_id: str, access_key_secret: str, security_token: str | None = None,
                 *, source: str = "explicit"):
        if not access_key_id or not isinstance(access_key_id, str):
            raise CredentialsError("access_key_id is empty: pass the AccessKeyId of a RAM user.")
        if not access_key_secret or not isinstance(access_key_secret, str):
            raise CredentialsError("access_key_secret is empty: pass the AccessKeySecret that goes with the id.")
        self._key_id = access_key_id.strip()
        self._secret = access_key_secret.strip()
        self._token = security_token.strip() if security_token else None
        self._redactor: Redactor | None = None
        self.source = source

    @property
    def access_key_id(self) -> str:
        return self._key_id

    @property
    def access_key_secret(self) -> str:
        return self._secret

    @property
    def security_token(self) -> str | None:
        return self._token

    @property
    def masked_key_id(self) -> str:
        return mask_key_id(self._key_id)

    def redact(self, text: str) -> str:
        """``text`` with this secret and token replaced and this key id masked, in any spelling.

        For text from a server (error messages, bodies): see :mod:`vpnroute_widgets.redact` for
        the spellings found. The patterns are built on first use and kept with these credentials.
        """
        if self._redactor is None:
            self._redactor = Redactor(self._key_id, self._secret, self._token)
        return self._redactor.text(text)

    def __repr__(self) -> str:
        sts = ", sts=True" if self._token else ""
        return f"Credentials(access_key_id={self.masked_key_id!r}{sts}, source={self.source!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        return (self._key_id, self._secret, self._token) == (other._key_id, other._secret, other._token)

    def __hash__(self) -> int:
        return hash((self._key_id, self._secret, self._token))

    def __reduce__(self):
        raise TypeError("Credentials cannot be pickled: that would write the secret somewhere.")

    @classmethod
    def resolve(cls, profile: str | None = None, *, home: str | os.PathLike | None = None) -> Credentials:
        """Find credentials the way the aliyun CLI and SDKs do, in this order:

        1. the environment (``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` / ``_SECURITY_TOKEN``,
           then the ``ALICLOUD_*`` names), read now, not at import;
        2. ``~/.aliyun/config.json`` (profile ``profile``, else ``ALIBABA_CLOUD_PROFILE``, else
           ``current``), modes ``AK`` and ``StsToken``;
        3. ``~/.alibabacloud/credentials.ini``, then ``~/.alibabacloud/credentials`` (or the file
           named by ``ALIBABA_CLOUD_CREDENTIALS_FILE``), section ``profile`` or ``default``.

        An explicit ``profile`` skips the environment. Raises CredentialsError listing every
        place looked at when nothing is found.
        """
        home_dir = Path(home) if home is not None else Path.home()
        looked: list[str] = []
        finders = [_from_env] if profile is None else []
        finders += [_from_cli_config, _from_ini_files]
        for finder in finders:
            found = finder(profile, home_dir, looked)
            if found is not None:
                return found
        places = "\n  - ".join(looked)
        raise CredentialsError(
            "No Alibaba Cloud credentials found. Looked in:\n  - " + places + "\n"
            "Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run `aliyun configure`. "
            "To try the toolkit without an account, use vw.Sandbox()."
        )


def _first_env(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def _from_env(profile, home, looked) -> Credentials | None:
    looked.append("environment: " + " / ".join(ENV_KEY_ID + ENV_SECRET))
    key_id, secret = _first_env(ENV_KEY_ID), _first_env(ENV_SECRET)
    if key_id and secret:
        return Credentials(key_id, secret, _first_env(ENV_TOKEN), source="environment")
    return None


def _chosen_profile(profile: str | None, default: str | None) -> str | None:
    return profile or os.environ.get(ENV_PROFILE) or default


def _read_cli_config(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CredentialsError(f"{path} could not be read as JSON: {exc.__class__.__name__}") from None


def _from_cli_config(profile, home, looked) -> Credentials | None:
    path = home / ".aliyun" / "config.json"
    looked.append(str(path))
    if not path.is_file():
        return None
    config = _read_cli_config(path)
    name = _chosen_profile(profile, config.get("current") or "default")
    for entry in config.get("profiles", []):
        if entry.get("name") != name:
            continue
        mode = entry.get("mode", "AK")
        if mode not in ("AK", "StsToken"):
            raise CredentialsError(f"{path}: profile {name!r} has mode {mode!r}; only AK and StsToken are supported.")
        token = entry.get("sts_token") if mode == "StsToken" else None
        if entry.get("access_key_id") and entry.get("access_key_secret"):
            return Credentials(entry["access_key_id"], entry["access_key_secret"], token,
                               source=f"{path} [{name}]")
    return None


def _ini_paths(home: Path) -> list[Path]:
    override = os.environ.get(ENV_CREDENTIALS_FILE)
    if override:
        return [Path(override).expanduser()]
    return [home / ".alibabacloud" / "credentials.ini", home / ".alibabacloud" / "credentials"]


def _from_ini_files(profile, home, looked) -> Credentials | None:
    section = _chosen_profile(profile, "default") or "default"
    for path in _ini_paths(home):
        looked.append(f"{path} [{section}]")
        if not path.is_file():
            continue
        parser = configparser.ConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (OSError, configparser.Error) as exc:
            raise CredentialsError(f"{path} could not be read: {exc.__class__.__name__}") from None
        if not parser.has_section(section):
            continue
        entry = parser[section]
        kind = entry.get("type", "access_key")
        if kind not in ("access_key", "sts"):
            raise CredentialsError(f"{path} [{section}]: type {kind!r} is not supported (access_key or sts).")
        if entry.get("access_key_id") and entry.get("access_key_secret"):
            return Credentials(entry["access_key_id"], entry["access_key_secret"],
                               entry.get("security_token") or entry.get("sts_token"),
                               source=f"{path} [{section}]")
    return None


def list_profiles(home: str | os.PathLike | None = None) -> list[str]:
    """Profile names found in the aliyun CLI config and the ini files (for a profile picker)."""
    home_dir = Path(home) if home is not None else Path.home()
    names: list[str] = []
    cli = home_dir / ".aliyun" / "config.json"
    if cli.is_file():
        try:
            names += [p.get("name") for p in _read_cli_config(cli).get("profiles", []) if p.get("name")]
        except CredentialsError:
            pass
    for path in _ini_paths(home_dir):
        if path.is_file():
            parser = configparser.ConfigParser()
            try:
                parser.read(path, encoding="utf-8")
            except (OSError, configparser.Error):
                continue
            names += parser.sections()
    return list(dict.fromkeys(names))
