"""Runtime configuration: the data home and its folders, the time zone, the pseudonymisation secret.

Everything lives under one data home: ``./data`` or the directory named by ``CARBON_HOME``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

#: the city's clock: schedules, local dates, display (IANA name; ``TZINFO`` is the zoneinfo object)
TZ = "Asia/Shanghai"
TZINFO = ZoneInfo(TZ)

#: the repository root (dbt project, dags/, seeds/)
REPO_ROOT = Path(__file__).resolve().parents[1]

# From this many values on, ingest runs its compiled kernels (``carbon.pipeline.kernels``: pseudonyms, the
# key check, the whitespace scan). Smaller inputs take the plain Python / Arrow paths, which give
# the same results (tests compare them) without paying numba's start, about 0.5 s per process.
COMPILED_MIN = 100_000

DEMO_SECRET = "demo-secret-do-not-use-in-production"


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def lake(self) -> Path:
        return self.home / "lake"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def reports(self) -> Path:
        """Load reports: one JSON per landing file and run."""
        return self.home / "reports"

    @property
    def warehouse(self) -> Path:
        """The DuckDB file the dbt project builds."""
        return self.home / "warehouse" / "carbon.duckdb"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def outputs(self) -> Path:
        """Charts, exported reports and dispatch PNGs."""
        return self.home / "outputs"

    @property
    def city_file(self) -> Path:
        """The home's city: ``{"city_code": "320900"}`` (written by ``carbon demo-data``)."""
        return self.home / "city.json"

    @property
    def city_code(self) -> str:
        """The GB/T 2260 code of the city this home accounts for (no ``city.json``: Yancheng,
        the demo city); a code that is not a Jiangsu city is an error naming the file."""
        import json

        from carbon.domain.codes import DEFAULT_CITY, check_city

        if not self.city_file.exists():
            return DEFAULT_CITY
        try:
            code = str(json.loads(self.city_file.read_text(encoding="utf-8"))["city_code"])
            return check_city(code)
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{self.city_file}: no valid city_code ({e})") from e


def data_home() -> Path:
    return Path(os.environ.get("CARBON_HOME", "data")).resolve()


def paths(home: str | Path | None = None) -> Paths:
    return Paths(Path(home).resolve() if home is not None else data_home())


class DemoSecretWarning(UserWarning):
    """The pseudonymisation key is the public demo default."""


DEMO_SECRET_BANNER = (
    "!" * 78 + "\n"
    "!! CARBON_PSEUDONYM_SECRET is not set: using the PUBLIC DEMO SECRET.\n"
    "!! Pseudonymous person/household keys are NOT protected. Set a site secret\n"
    "!! (env CARBON_PSEUDONYM_SECRET or Airflow Variable) before loading real data.\n" + "!" * 78
)


def pseudonym_secret(warn: bool = True) -> bytes:
    """The site secret for keyed hashing of person and household IDs.

    Read from ``CARBON_PSEUDONYM_SECRET``, or from the Airflow Variable of the same name when
    running inside Airflow. Falls back to the public demo secret with a loud warning
    (``warn=False``: no warning; ingest's stage tasks say it once per dataset and night instead,
    in the publish task's log and the ``carbon nightly`` output).
    """
    secret = os.environ.get("CARBON_PSEUDONYM_SECRET")
    if not secret:
        try:  # inside an Airflow task, a Variable may carry the secret
            from airflow.sdk import Variable

            secret = Variable.get("CARBON_PSEUDONYM_SECRET", default=None)
        except Exception:
            secret = None
    if not secret:
        if warn:
            warnings.warn("\n" + DEMO_SECRET_BANNER, DemoSecretWarning, stacklevel=2)
        secret = DEMO_SECRET
    return secret.encode("utf-8")
