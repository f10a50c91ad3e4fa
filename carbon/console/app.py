"""FastAPI routes of the console. Every resource goes through ``_guard`` → ``auth.authorize``."""

from __future__ import annotations

import csv
import hmac
import io
import os
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from carbon.config import TZINFO, paths
from carbon.console import auth
from carbon.console import queries as q
from carbon.console.charts import schedule_charts, trend_chart
from carbon.console.labels import LABELS
from carbon.console.warehouse import NoWarehouse, Warehouse

HERE = Path(__file__).parent


class HTTPProblem(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


def secret_key(home) -> str:
    env = os.environ.get("CARBON_CONSOLE_SECRET")
    if env:
        return env
    p = auth.console_dir(home) / "session_secret"
    p.parent.mkdir(parents=True, exist_ok=True)
    if not p.exists():
        p.write_text(secrets.token_hex(32))
        os.chmod(p, 0o600)
    return p.read_text().strip()


def create_app(home: str | Path | None = None) -> FastAPI:
    home = paths(home).home
    app = FastAPI(
        title="碳达峰碳中和数据监测分析管理系统 carbon console",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(home),
        session_cookie="carbon_session",
        same_site="strict",
        https_only=os.environ.get("CARBON_CONSOLE_HTTPS") == "1",
        max_age=8 * 3600,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    tpl = Jinja2Templates(directory=HERE / "templates")
    wh = Warehouse(home)
    directory = auth.Directory(home)
    app.state.warehouse, app.state.directory = wh, directory

    def fmt(v):
        if isinstance(v, float):
            return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.0f}"
        return "" if v is None else str(v)

    tpl.env.filters["fmt"] = fmt
    tpl.env.globals["label"] = lambda c: LABELS.get(c, "")
    tpl.env.globals["zip"] = zip
    tpl.env.globals.update(levels=q.LEVELS, names=q.COUNTY_NAMES)

    def user_of(request: Request) -> auth.User | None:
        s = request.session
        if s.get("role") == "resident":
            return auth.User("resident", "resident", account_id=s.get("account_id"))
        return directory.user(s["username"]) if s.get("username") else None

    def csrf(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(24)
        return request.session["csrf"]

    async def check_csrf(request: Request) -> dict:
        form = dict(await request.form())
        sent, want = form.get("csrf", ""), request.session.get("csrf", "")
        if not want or not hmac.compare_digest(str(sent), want):
            raise HTTPProblem(403, "CSRF token missing or wrong / 表单校验令牌缺失或错误")
        return form

    def render(request, name, code=200, **ctx):
        ctx.update(
            request=request,
            user=user_of(request),
            csrf=csrf(request),
            built=_built(wh),
            labels=LABELS,
            levels=q.LEVELS,
            names=q.COUNTY_NAMES,
        )
        return tpl.TemplateResponse(request, name, ctx, status_code=code)

    @app.exception_handler(HTTPProblem)
    async def _problem(request: Request, exc: HTTPProblem):
        return render(request, "problem.html", exc.status, status=exc.status, message=exc.message)

    @app.exception_handler(auth.Forbidden)
    async def _forbidden(request: Request, exc: auth.Forbidden):
        if user_of(request) is None:
            return RedirectResponse("/login", 303)
        return render(
            request, "problem.html", 403, status=403, message=f"Forbidden 无权访问: {exc}"
        )

    @app.exception_handler(NoWarehouse)
    async def _nowh(request: Request, exc: NoWarehouse):
        return render(
            request,
            "problem.html",
            503,
            status=503,
            message="No warehouse yet 尚无数据仓库: run the nightly build first 请先运行夜间构建 "
            "(./run.sh nightly or carbon nightly).",
        )

    def con():
        return wh.cursor()

    def period_arg(c, period: str | None) -> str:
        if period is None:
            return q.latest_month(c)
        if not q.PERIOD_RE.match(period):
            raise HTTPProblem(
                400, f"malformed period {period!r}: expected YYYY-MM / 期间格式应为 YYYY-MM"
            )
        if period not in q.months(c):
            raise HTTPProblem(404, f"period {period} not found / 未找到期间 {period}")
        return period

    def alert_filters(request: Request) -> dict:
        """The inbox filters (?status=open|acknowledged|resolved|expired|all, ?severity=1..3,
        ?rule=RULE_ID), validated: a bad value is a 400 naming it."""
        qp = request.query_params
        status, sev, rule = qp.get("status") or None, qp.get("severity") or None, qp.get("rule")
        if status is not None and status not in (*q.ALERT_STATUSES, "all"):
            raise HTTPProblem(
                400,
                f"status {status!r}: one of open, acknowledged, resolved, expired, all / 状态取值错误",
            )
        if sev is not None and sev not in ("1", "2", "3"):
            raise HTTPProblem(400, f"severity {sev!r}: 1, 2 or 3 / 级别应为 1、2 或 3")
        if rule is not None and not re.fullmatch(r"[a-z0-9_]{1,64}", rule):
            raise HTTPProblem(400, f"rule {rule!r}: a rule id (a-z, 0-9, _) / 规则编号格式错误")
        return dict(status=status, severity=int(sev) if sev else None, rule=rule or None)

    # ---- the views: each returns (guard, template, context with tables); pages AND downloads use them
    def view(request: Request, name: str, key: str | None, period: str | None):
        user = user_of(request)
        c = con()
        if name == "overview":
            auth.authorize(directory, user, "city")
            month = period_arg(c, period)
            year = month[:4]
            inds = q.indicators(c, None, month)
            city = q.indicators(c, None, month, "320900")
            tables = {
                "districts": inds,
                "city": city,
                "trend": q.trend(c, "320900"),
                "split": q.split(c, "3209", year),
                "top": q.top_emitters(c, "3209", year),
                "ceads": q.ceads(c),
            }
            return "overview.html", dict(
                month=month,
                tables=tables,
                region="320900",
                trend_option=trend_chart(*tables["trend"], q.first_metered_month(c, "3209")),
                province=q.ceads_province_context(c),
            )
        if name == "district":
            if not key or not q.REGION_RE.match(key):
                raise HTTPProblem(
                    400,
                    f"malformed region code {key!r}: expected six digits (GB/T 2260) / 区划代码应为6位数字",
                )
            if not q.region_exists(c, key):
                raise HTTPProblem(404, f"region {key} not found / 未找到行政区划 {key}")
            auth.authorize(directory, user, "region", key)
            month = period_arg(c, period)
            tables = {
                "district": q.indicators(c, None, month, key),
                "trend": q.trend(c, key),
                "split": q.split(c, key, month[:4]),
                "enterprises": q.top_emitters(c, key, month[:4], 1000),
                "recon": q.recon(c, key),
            }
            return "district.html", dict(
                month=month,
                tables=tables,
                region=key,
                trend_option=trend_chart(*tables["trend"], q.first_metered_month(c, key)),
            )
        if name == "enterprise":
            if not key or not q.USCC_RE.match(key):
                raise HTTPProblem(
                    400,
                    f"malformed USCC {key!r}: expected 18 characters (GB 32100) / 统一社会信用代码应为18位",
                )
            region = q.enterprise_region(c, key)
            if region is None:
                raise HTTPProblem(404, f"enterprise {key} not found / 未找到企业 {key}")
            auth.authorize(directory, user, "enterprise", key, region_of=region)
            monthly = q.ent_monthly(c, key)
            month = period_arg(c, period) if period else monthly[1][-1][0]
            tables = {
                "monthly": monthly,
                "efficiency": q.ent_efficiency(c, key),
                "trace": q.ent_trace(c, key, month),
            }
            return "enterprise.html", dict(month=month, tables=tables, uscc=key, region=region)
        if name == "alerts":
            auth.authorize(directory, user, "alerts")
            month = period_arg(c, period)
            region, uscc = auth.alert_scope(user)
            f = alert_filters(request)
            tables = {"alerts": q.alerts(home, region, uscc, **f)}
            if user.role in ("city", "district"):
                tables["watchlist"] = q.watchlist(c, int(month[:4]), region)
            return "alerts.html", dict(month=month, tables=tables, filters=f)
        if name == "personal":
            acc = user.account_id if user else None
            auth.authorize(directory, user, "personal", acc)
            bal, cred, red = q.personal(c, acc)
            return "personal.html", dict(
                tables={"balance": bal, "credits": cred, "redemptions": red}, account=acc
            )
        if name == "dispatch":
            auth.authorize(directory, user, "dispatch")
            today = datetime.now(TZINFO).date()
            dates, is_today = q.plan_dates(c, today)
            sched = q.schedule(c, paths(home).lake, dates)
            plans = q.dispatch(c)
            pc = plans[0]
            scen = {
                r[pc.index("site_id")]: r[pc.index("scenario")]
                for r in plans[1]
                if str(r[pc.index("plan_date")]) in dates
            }
            limits = q.site_limits(HERE.parents[1] / "scenarios", scen)
            return "dispatch.html", dict(
                tables={"plans": plans, "schedule": sched},
                dates=dates,
                is_today=is_today,
                today=str(today),
                tomorrow=str(today + timedelta(days=1)),
                charts=schedule_charts(*sched, limits),
            )
        raise HTTPProblem(404, f"page {name} not found / 未找到页面")

    @app.get("/", response_class=HTMLResponse)
    def home_page(request: Request, period: str | None = None):
        u = user_of(request)
        if u is None:
            return RedirectResponse("/login", 303)
        if u.role == "district":
            return RedirectResponse(f"/district/{u.region_code}", 303)
        if u.role in ("enterprise",):
            return RedirectResponse(f"/enterprise/{u.uscc}", 303)
        if u.role == "resident":
            return RedirectResponse("/personal", 303)
        if u.role == "bank":
            return render(request, "bank.html")
        t, ctx = view(request, "overview", None, period)
        return render(request, t, **ctx)

    @app.get("/district/{code}", response_class=HTMLResponse)
    def district_page(request: Request, code: str, period: str | None = None):
        t, ctx = view(request, "district", code, period)
        return render(request, t, **ctx)

    @app.get("/enterprise/{uscc}", response_class=HTMLResponse)
    def enterprise_page(request: Request, uscc: str, period: str | None = None):
        t, ctx = view(request, "enterprise", uscc, period)
        return render(request, t, **ctx)

    for simple in ("alerts", "personal", "dispatch"):

        def page(request: Request, period: str | None = None, _n=simple):
            t, ctx = view(request, _n, None, period)
            return render(request, t, **ctx)

        app.get(f"/{simple}", response_class=HTMLResponse, name=simple)(page)

    @app.get("/download/{page}/{table}.{ext}")
    def download(
        request: Request,
        page: str,
        table: str,
        ext: str,
        key: str | None = None,
        period: str | None = None,
    ):
        if ext not in ("csv", "xlsx"):
            raise HTTPProblem(400, f"format {ext!r}: csv or xlsx / 格式应为 csv 或 xlsx")
        if page == "overview" and key is None:
            pass
        _, ctx = view(request, page, key, period)
        if table not in ctx["tables"]:
            raise HTTPProblem(404, f"table {table} not found / 未找到表 {table}")
        cols, data = ctx["tables"][table]
        header = [f"{c} {LABELS.get(c, '')}".strip() for c in cols]
        fname = f"{page}-{key or 'city'}-{table}.{ext}"
        if ext == "csv":
            buf = io.StringIO()
            w = csv.writer(buf)
            w.writerow(header)
            w.writerows(data)
            return Response(
                "\ufeff" + buf.getvalue(),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{fname}"'},
            )
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = table[:31]
        ws.append(header)
        for r in data:
            ws.append([v if isinstance(v, (int, float, str, type(None))) else str(v) for v in r])
        out = io.BytesIO()
        wb.save(out)
        return Response(
            out.getvalue(),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{fname}"'},
        )

    @app.get("/report/{kind}/{key}.{ext}")
    def report(
        request: Request,
        kind: str,
        key: str,
        ext: str,
        period: str | None = None,
        region: str | None = None,
    ):
        """The reports of carbon.reports (PDF / XLSX), guarded by auth.authorize like the pages."""
        from carbon.reports import data as rdata
        from carbon.reports.render import render as render_report

        if ext not in ("pdf", "xlsx"):
            raise HTTPProblem(400, f"format {ext!r}: pdf or xlsx / 格式应为 pdf 或 xlsx")
        user, c = user_of(request), con()
        try:
            if kind == "enterprise":
                if not q.USCC_RE.match(key):
                    raise rdata.BadRequest(f"malformed USCC {key!r} / 统一社会信用代码格式错误")
                region = q.enterprise_region(c, key)
                if region is None:
                    raise rdata.NotFound(f"enterprise {key} not found / 未找到企业 {key}")
                auth.authorize(directory, user, "enterprise", key, region_of=region)
                rep = rdata.enterprise(c, key, period)
            elif kind == "monthly":
                if region is None:
                    auth.authorize(directory, user, "city")
                elif q.REGION_RE.match(region):
                    auth.authorize(directory, user, "region", region)
                rep = rdata.monthly(c, key, region)
            else:
                raise rdata.NotFound(f"report {kind} not found / 未找到报告 {kind}")
        except rdata.BadRequest as exc:
            raise HTTPProblem(400, str(exc)) from None
        except rdata.NotFound as exc:
            raise HTTPProblem(404, str(exc)) from None
        media = {
            "pdf": "application/pdf",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[ext]
        return Response(
            render_report(rep, ext),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{rep.stem}.{ext}"'},
        )

    @app.post("/alerts/{alert_id}/{action}")
    async def alert_action(request: Request, alert_id: str, action: str):
        """Acknowledge / resolve a monitoring alert through the SAME lifecycle function that
        ``carbon alerts ack|resolve`` calls (one append-only store under <home>/monitor/, outside
        the warehouse), recorded with the console user and the Asia/Shanghai (+08:00) time."""
        from carbon.monitor import lifecycle as lc

        form = await check_csrf(request)
        user = user_of(request)
        auth.authorize(directory, user, "alerts")
        if action not in ("ack", "resolve"):
            raise HTTPProblem(400, f"action {action!r}: ack or resolve / 操作应为 ack 或 resolve")
        if not re.fullmatch(r"AL-[0-9A-F]{10}", alert_id):
            raise HTTPProblem(400, f"malformed alert id {alert_id!r} / 预警编号格式错误")
        table = lc.alert_table(home)
        hit = table[table["alert_id"] == alert_id] if not table.empty else table
        if hit.empty:
            raise HTTPProblem(404, f"alert {alert_id} not found / 未找到预警 {alert_id}")
        a = hit.iloc[0]
        ent = str(a["subject_id"]) if a["subject_type"] == "enterprise" else None
        region = (
            None
            if a["region_code"] is None or str(a["region_code"]) in ("", "nan", "None")
            else str(a["region_code"])
        )
        auth.authorize(directory, user, "alert", ent, region_of=region)
        lc.record_action(
            home,
            alert_id,
            "acknowledge" if action == "ack" else "resolve",
            f"{user.username} (console {user.role})",
            str(form.get("note", ""))[:500],
            at=lc.now_local().isoformat(),
        )
        return RedirectResponse("/alerts", 303)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request):
        return render(request, "login.html")

    @app.post("/login")
    async def login(request: Request):
        form = await check_csrf(request)
        u = directory.login(str(form.get("username", "")), str(form.get("password", "")))
        if u is None:
            return render(
                request, "login.html", 401, error="wrong user name or password / 用户名或密码错误"
            )
        request.session.clear()
        request.session.update(username=u.username, csrf=secrets.token_urlsafe(24))
        return RedirectResponse("/", 303)

    @app.get("/r/{token}")
    def resident_login(request: Request, token: str):
        u = directory.resident(token)
        if u is None:
            raise HTTPProblem(404, "unknown resident token / 无效的居民访问令牌")
        request.session.clear()
        request.session.update(
            role="resident", account_id=u.account_id, csrf=secrets.token_urlsafe(24)
        )
        return RedirectResponse("/personal", 303)

    @app.post("/logout")
    async def logout(request: Request):
        await check_csrf(request)
        request.session.clear()
        return RedirectResponse("/login", 303)

    return app


def _built(wh: Warehouse) -> str:
    sig = wh.build_sig
    if not sig:
        return ""
    ns = int(sig.split("-")[0])
    return datetime.fromtimestamp(ns / 1e9, TZINFO).strftime("%Y-%m-%d %H:%M %Z")
