"""A real OpenLDAP server (Debian's ``slapd``) for the directory sign-in tests.

Each :class:`Slapd` lives in its own temporary directory with its own ``slapd.conf``
and database, loaded with :data:`DIRECTORY` by ``slapadd`` before the server starts,
and listens on 127.0.0.1 on a free port. It is the same server a company's IT runs;
nothing about the LDAP conversation is imitated.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import ldap
import pytest

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
BASE_DN = "dc=example,dc=com"
ROOT_DN = f"cn=admin,{BASE_DN}"
ROOT_PASSWORD = "directory-root-secret"
# The account Huifang binds as to look people up (read-only).
READER_DN = f"cn=huifang-reader,{BASE_DN}"
READER_PASSWORD = "reader-secret"
PEOPLE = f"ou=people,{BASE_DN}"
GROUPS = f"ou=groups,{BASE_DN}"

# uid: (given name, surname, e-mail, password)
PERSONS = {
    "wang.fang": ("Fang", "Wang", "wang.fang@example.com", "fang-directory-pw"),
    "li.lei": ("Lei", "Li", "li.lei@example.com", "lei-directory-pw"),
    "zhao.min": ("Min", "Zhao", "zhao.min@example.com", "min-directory-pw"),
}
# cn: member uids. zhao.min is in a group that no Huifang role is mapped to.
INITIAL_GROUPS = {
    "huifang-admins": ["wang.fang"],
    "huifang-quality": ["wang.fang", "li.lei"],
    "huifang-pms": [],
    "sales": ["zhao.min", "li.lei"],
}


def person_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def group_dn(cn: str) -> str:
    return f"cn={cn},{GROUPS}"


def _members(uids: list[str]) -> list[str]:
    # groupOfNames needs at least one member; an empty group holds the reader.
    return [person_dn(uid) for uid in uids] or [READER_DN]


def _ldif() -> str:
    entries = [
        f"dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\n"
        "o: Example Co\ndc: example\n",
        f"dn: {READER_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: huifang-reader\nuserPassword: {READER_PASSWORD}\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
    ]
    for uid, (given, surname, mail, password) in PERSONS.items():
        entries.append(
            f"dn: {person_dn(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
            f"cn: {given} {surname}\ngivenName: {given}\nsn: {surname}\nmail: {mail}\n"
            f"userPassword: {password}\n"
        )
    for cn, uids in INITIAL_GROUPS.items():
        members = "".join(f"member: {dn}\n" for dn in _members(uids))
        entries.append(f"dn: {group_dn(cn)}\nobjectClass: groupOfNames\ncn: {cn}\n{members}")
    return "\n".join(entries)


def _config(folder: Path) -> str:
    return f"""\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {folder}/slapd.pid
argsfile {folder}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "{BASE_DN}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {folder}/data
access to attrs=userPassword
  by anonymous auth
  by * none
access to *
  by users read
  by * none
"""


def start_slapd() -> Slapd:
    """A new server, or the test skips where slapd is not installed — except in CI
    (``HUIFANG_REQUIRE_LDAP=1``), where the directory tests must run."""
    if not (SLAPD.exists() and SLAPADD.exists()):
        message = "slapd not found: apt-get install slapd ldap-utils"
        if os.environ.get("CI") or os.environ.get("HUIFANG_REQUIRE_LDAP"):
            pytest.fail(message)
        pytest.skip(message)
    return Slapd()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Slapd:
    """One running slapd; ``uri`` is where it answers."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="huifang-slapd-"))
        (self.folder / "data").mkdir()
        self.conf = self.folder / "slapd.conf"
        self.conf.write_text(_config(self.folder), encoding="utf-8")
        (self.folder / "directory.ldif").write_text(_ldif(), encoding="utf-8")
        subprocess.run(  # noqa: S603
            [SLAPADD, "-q", "-f", self.conf, "-l", self.folder / "directory.ldif"],
            check=True,
            capture_output=True,
        )
        self.port = free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}"
        # -d 0: stay in the foreground (so the process is ours to stop), log nothing.
        self.process = subprocess.Popen(  # noqa: S603
            [SLAPD, "-f", self.conf, "-h", f"{self.uri}/", "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait_until_it_answers()

    def _wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + 20
        while True:
            try:
                self.admin().unbind_s()
                return
            except ldap.SERVER_DOWN:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("slapd did not start") from None
                time.sleep(0.05)

    def admin(self) -> ldap.ldapobject.LDAPObject:
        """A connection bound as the directory's administrator (IT's own tools)."""
        connection = ldap.initialize(self.uri, bytes_mode=False)
        connection.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
        return connection

    def set_group_members(self, cn: str, uids: list[str]) -> None:
        """What IT does in the directory: replace a group's members."""
        connection = self.admin()
        try:
            values = [dn.encode() for dn in _members(uids)]
            connection.modify_s(group_dn(cn), [(ldap.MOD_REPLACE, "member", values)])
        finally:
            connection.unbind_s()

    def set_mail(self, uid: str, mail: str) -> None:
        connection = self.admin()
        try:
            connection.modify_s(person_dn(uid), [(ldap.MOD_REPLACE, "mail", [mail.encode()])])
        finally:
            connection.unbind_s()

    def reset(self) -> None:
        """Back to :data:`INITIAL_GROUPS` and the people's own e-mail addresses."""
        for cn, uids in INITIAL_GROUPS.items():
            self.set_group_members(cn, uids)
        for uid, (_given, _surname, mail, _password) in PERSONS.items():
            self.set_mail(uid, mail)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def directory_env(uri: str, **overrides: str) -> dict[str, str]:
    """The ``HUIFANG_LDAP_*`` variables an IT department would set for this directory;
    ``overrides`` replace (or, when empty, remove) single ones: ``DEFAULT_ROLE="member"``."""
    env = {
        "SERVER_URI": uri,
        "BIND_DN": READER_DN,
        "BIND_PASSWORD": READER_PASSWORD,
        "USER_SEARCH_BASE": PEOPLE,
        "USER_SEARCH_FILTER": "(uid=%(user)s)",
        "GROUP_SEARCH_BASE": GROUPS,
        "GROUP_TYPE": "groupOfNames",
        "ROLE_GROUPS": ";".join(
            f"{role}={group_dn(cn)}"
            for role, cn in [
                ("admin", "huifang-admins"),
                ("quality", "huifang-quality"),
                ("pm", "huifang-pms"),
            ]
        ),
    }
    env.update(overrides)
    return {f"HUIFANG_LDAP_{name}": value for name, value in env.items() if value}
