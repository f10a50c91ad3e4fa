"""``carbon serve``: the console web app (127.0.0.1:8090 by default)."""

from __future__ import annotations

HELP = "Serve the carbon console (web app over the marts; read-only)."


def add_arguments(p) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8090)
    p.add_argument(
        "--demo-users",
        action="store_true",
        help="write one demo user per role (and a bank consent) and print how to log in",
    )


def run(args) -> int:
    import uvicorn

    from carbon.config import paths
    from carbon.console import auth
    from carbon.console.app import create_app
    from carbon.console.warehouse import Warehouse

    if args.demo_users:
        wh = Warehouse()
        cur = wh.cursor()
        rows = auth.write_demo_users(paths().home, cur)
        wh.close()
        print("demo users 演示用户 (passwords are new each time):")
        for role, login, pw in rows:
            if role == "resident":
                print(f"  resident 居民: open http://{args.host}:{args.port}{pw}")
            else:
                print(f"  {role:<10} user {login!r} password {pw!r}")
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")
    return 0
