"""Issue one night's day-ahead forecasts for a scenario's sites: what ``dags/dispatch_forecast.py``
and ``python -m optimizers.forecast`` both call (one runner, two front ends).

``list_sites`` gives one work item per site; ``issue_one`` forecasts one site and writes its
``dispatch_forecasts`` partition (``optimizers.forecast.io``), returning an outcome dict; a site
whose data cannot give a forecast (its feed stopped, too little history) is an outcome with
``ok: False`` and the reason, never an exception, so the caller decides (the DAG fails that
site's task without retries; the command line exits 1). ``report`` summarises the outcomes.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_HISTORY_DAYS = 120


def list_sites(
    scenario: str | Path | None, target_date: str, history_days: int | None = None
) -> list[dict]:
    """One item per site of the scenario: ``{scenario, site_id, date, lat, lon, history_days}``."""
    from optimizers.scenario import DEFAULT_SCENARIO, load_scenario

    sc = load_scenario(scenario or DEFAULT_SCENARIO)
    return [
        {
            "scenario": str(sc.path),
            "site_id": sid,
            "date": str(target_date),
            "lat": float(sc.site(sid)["lat"]),
            "lon": float(sc.site(sid)["lon"]),
            "history_days": int(history_days or DEFAULT_HISTORY_DAYS),
        }
        for sid in sc.site_ids
    ]


def issue_one(item: dict, home: str | Path) -> dict:
    """Forecast one site's target day and write it; the outcome (``ok``, ``reason``, rows,
    partition, model version)."""
    from optimizers.forecast import io as fio

    try:
        paths, df = fio.issue_site(
            item["site_id"],
            item["date"],
            lat=item["lat"],
            lon=item["lon"],
            home=home,
            history_days=item["history_days"],
        )
    except ValueError as exc:  # the data cannot give a forecast (named): not retried
        return {"site_id": item["site_id"], "date": item["date"], "ok": False, "reason": str(exc)}
    return {
        "site_id": item["site_id"],
        "date": item["date"],
        "ok": True,
        "reason": None,
        "rows": len(df),
        "partitions": [p.parent.name for p in paths],
        "model_version": str(df["model_version"].iloc[0]),
    }


def report(items: list[dict] | None, outcomes: list[dict | None]) -> dict:
    """Which sites got a forecast and which did not, and why (``None``: the task failed before it
    had an outcome, e.g. an I/O error after its retries)."""
    done, failed = [], {}
    for item, out in zip(items or [], outcomes, strict=False):
        sid = item["site_id"]
        if out and out.get("ok"):
            done.append(sid)
        else:
            failed[sid] = (out or {}).get("reason") or "the task failed (see its log)"
    return {"forecast": sorted(done), "failed": failed}
