"""``carbon serve``: the console web app (127.0.0.1:8090 by default)."""

from __future__ import annotations

from typing import Annotated

import typer

from carbon.cli import args as cliargs

HELP = "Serve the carbon console (web app over the marts; read-only)."


def command(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="address to listen on (127.0.0.1: this machine only)")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(parser=cliargs.port, metavar="PORT", help="TCP port, 1..65535")
    ] = 8090,
    demo_users: Annotated[
        bool,
        typer.Option(
            help="write one demo user per role (and a bank consent) and print how to log in"
        ),
    ] = False,
) -> int:
    import uvicorn

    from carbon.console import auth
    from carbon.console.app import create_app
    from carbon.console.warehouse import Warehouse

    p = cliargs.paths_of(ctx)
    if demo_users:
        wh = Warehouse(p.home)
        cur = wh.cursor()
        rows = auth.write_demo_users(p.home, cur)
        wh.close()
        print("demo users 演示用户 (passwords are new each time):")
        for role, login, pw in rows:
            if role == "resident":
                print(f"  resident 居民: open http://{host}:{port}{pw}")
            else:
                print(f"  {role:<10} user {login!r} password {pw!r}")
    uvicorn.run(create_app(p.home), host=host, port=port, log_level="warning")
    return cliargs.EXIT_OK
