"""Users, roles and the ONE authorisation point (``authorize``) for pages, downloads and reports.

Roles: ``city`` (everything), ``district`` (its ``region_code``), ``enterprise`` (its ``uscc``),
``bank`` (enterprises with a consent in force today: ``bank_consents.csv``, dated start/end, data
not code), ``resident`` (their own pseudonymous account, reached by a token; the token is stored
only as its SHA-256). Passwords are argon2id hashes (argon2-cffi).

Production users come from configuration: ``$CARBON_CONSOLE_USERS`` or ``<home>/console/users.json``;
``carbon serve --demo-users`` writes a demo set (one user per role) and prints how to log in.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from carbon.config import paths

ROLES = ("city", "district", "enterprise", "bank", "resident")
_ph = PasswordHasher()


class Forbidden(Exception):
    """The signed-in user may not see this resource (HTTP 403)."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    region_code: str | None = None
    uscc: str | None = None
    bank_id: str | None = None
    account_id: str | None = None  # resident: pseudonymous account


def hash_password(pw: str) -> str:
    return _ph.hash(pw)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def console_dir(home=None) -> Path:
    return paths(home).home / "console"


def users_path(home=None) -> Path:
    return Path(os.environ.get("CARBON_CONSOLE_USERS") or console_dir(home) / "users.json")


class Directory:
    """Users, resident tokens and bank consents, loaded from configuration."""

    def __init__(self, home=None):
        self.home = home
        p = users_path(home)
        cfg = json.loads(p.read_text()) if p.exists() else {"users": [], "residents": []}
        self.users = {u["username"]: u for u in cfg.get("users", [])}
        self.residents = {r["token_sha256"]: r["account_id"] for r in cfg.get("residents", [])}
        for u in self.users.values():
            if u["role"] not in ROLES:
                raise ValueError(f"{p}: user {u['username']!r} has unknown role {u['role']!r}")
        cp = console_dir(home) / "bank_consents.csv"
        self.consents = []
        if cp.exists():
            with open(cp, newline="") as fh:
                for r in csv.DictReader(fh):
                    end = r.get("end_date") or ""
                    self.consents.append(
                        (
                            r["bank_id"],
                            r["uscc"],
                            date.fromisoformat(r["start_date"]),
                            date.fromisoformat(end) if end else None,
                        )
                    )

    def login(self, username: str, password: str) -> User | None:
        u = self.users.get(username)
        if u is None:
            _ph.hash(password)  # same work for unknown names
            return None
        try:
            _ph.verify(u["password_hash"], password)
        except (VerifyMismatchError, InvalidHashError):
            return None
        return self.user(username)

    def user(self, username: str) -> User | None:
        u = self.users.get(username)
        if u is None:
            return None
        return User(u["username"], u["role"], u.get("region_code"), u.get("uscc"), u.get("bank_id"))

    def resident(self, token: str) -> User | None:
        acc = self.residents.get(token_digest(token))
        return None if acc is None else User("resident", "resident", account_id=acc)

    def consent_in_force(self, bank_id: str | None, uscc: str, today: date) -> bool:
        return any(
            b == bank_id and u == uscc and s <= today and (e is None or today <= e)
            for b, u, s, e in self.consents
        )


def authorize(
    directory: Directory,
    user: User | None,
    kind: str,
    key: str | None = None,
    region_of: str | None = None,
    today: date | None = None,
) -> None:
    """The one place every page, download and report asks. Raises Forbidden.

    kind: ``city`` (city-wide views), ``region`` (key = region code), ``enterprise`` (key = USCC,
    region_of = its county), ``alerts`` (the inbox; its rows are scoped by ``alert_scope``),
    ``alert`` (one monitoring alert: key = the USCC of an enterprise finding or None, region_of =
    the alert's ``region_code``), ``dispatch``, ``personal`` (key = account id).
    """
    if user is None:
        raise Forbidden("not signed in")
    today = today or date.today()
    r = user.role
    if kind == "personal":
        if r == "resident" and key == user.account_id:
            return
        raise Forbidden("a personal account is visible only to its resident")
    if r == "city":
        return
    if kind == "region" and r == "district" and key == user.region_code:
        return
    if kind == "alerts" and r in ("district", "enterprise"):
        return  # the inbox rows are filtered by alert_scope (own district / own USCC)
    if kind == "alert":
        if r == "district" and region_of is not None and region_of == user.region_code:
            return
        if r == "enterprise" and key is not None and key == user.uscc:
            return
    if kind == "enterprise":
        if r == "district" and region_of is not None and region_of == user.region_code:
            return
        if r == "enterprise" and key == user.uscc:
            return
        if r == "bank" and key and directory.consent_in_force(user.bank_id, key, today):
            return
    raise Forbidden(f"role {r} may not see {kind} {key or ''}".strip())


def alert_scope(user: User) -> tuple[str | None, str | None]:
    """(region, uscc) an inbox is limited to: the city sees every alert, a district bureau those
    whose region_code is its county, an enterprise those about its own USCC."""
    if user.role == "district":
        return user.region_code, None
    if user.role == "enterprise":
        return None, user.uscc
    return None, None


def write_demo_users(home, con) -> list[tuple[str, str, str]]:
    """One user per role from the warehouse (first district, its largest enterprise); returns
    (role, login, password or token URL) rows to print."""
    district, uscc = con.execute(
        "select region_code, uscc from ent_enterprise_emissions_monthly "
        "group by all order by sum(tco2e_total) desc limit 1"
    ).fetchone()
    other = con.execute(
        "select uscc from ent_enterprise_emissions_monthly where uscc <> ? "
        "group by uscc order by sum(tco2e_total) desc limit 1",
        [uscc],
    ).fetchone()[0]
    account = con.execute(
        "select account_id from per_account_balance order by balance desc, account_id limit 1"
    ).fetchone()[0]
    rows, users = [], []
    for name, role, extra in [
        ("city", "city", {}),
        ("district", "district", {"region_code": district}),
        ("enterprise", "enterprise", {"uscc": uscc}),
        ("bank", "bank", {"bank_id": "demo-bank"}),
    ]:
        pw = secrets.token_urlsafe(9)
        users.append({"username": name, "role": role, "password_hash": hash_password(pw), **extra})
        rows.append((role, name, pw))
    token = secrets.token_urlsafe(24)
    cfg = {
        "users": users,
        "residents": [{"token_sha256": token_digest(token), "account_id": account}],
    }
    d = console_dir(home)
    d.mkdir(parents=True, exist_ok=True)
    p = d / "users.json"
    p.write_text(json.dumps(cfg, indent=1))
    os.chmod(p, 0o600)
    today = date.today()
    with open(d / "bank_consents.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["bank_id", "uscc", "start_date", "end_date"])
        w.writerow(["demo-bank", uscc, today.replace(year=today.year - 1).isoformat(), ""])
        w.writerow(["demo-bank", other, "2024-01-01", "2025-06-30"])  # ended
    rows.append(("resident", "token", f"/r/{token}"))
    return rows
