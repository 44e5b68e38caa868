"""`alliance-sim viz`: serve the classroom page (sim.viz.app) with `solara run` on this machine.

Only light imports here: Solara and Mesa load in the server process, so `alliance-sim --help` stays fast.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
from pathlib import Path

from sim.inputs.documents import InputError
from sim.inputs.extras import require
from sim.viz import ADDRESS_ENV, APP, SCENARIOS_ENV

#: How long the server keeps a closed tab's run (Solara's kernel cull timeout; the environment may set another).
KEPT_AFTER_CLOSE = "5m"
#: Solara's warning, for every page served over http, that its session cookie falls back to SameSite=Lax.
COOKIE_WARNING = "ignore:Cookies with samesite=none require https:UserWarning"


def register(subparsers: argparse._SubParsersAction) -> None:
    viz = subparsers.add_parser(
        "viz", help="open the classroom visualizer in a browser (a Solara page on the Mesa model, works offline)"
    )
    viz.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this computer only; another host exposes the page)",
    )
    viz.add_argument("--port", type=port_number, default=8765, help="port to listen on (default 8765)")
    viz.add_argument(
        "--scenarios", type=Path, help="folder of scenario YAMLs to offer (default: the project's scenarios/)"
    )
    viz.set_defaults(func=cmd_viz)


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got '{text}'") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, got {value}")
    return value


def command(host: str, port: int) -> list[str]:
    """The `solara run` command line serving the app."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(APP),
        "--host",
        host,
        "--port",
        str(port),
        "--no-open",
        "--production",
        "--no-check-version",
    ]


def cmd_viz(args: argparse.Namespace) -> int:
    require("viz")
    # offline: no usage reports, no version check; and no Solara banner over the page's bottom corner
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_THEME_SHOW_BANNER": "False"}
    # a closed tab's run is freed after five minutes, not Solara's day, so that a class reloading its pages all
    # day holds only the runs still open (a reload within five minutes still finds its run)
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", KEPT_AFTER_CLOSE)
    # over plain http Solara's session cookie falls back to SameSite=Lax, which the page needs no more than, and
    # Solara says so in 15 lines for every page opened: not for a teacher's terminal
    env["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), COOKIE_WARNING]))
    if args.scenarios is not None:
        folder = args.scenarios.resolve()
        if not folder.is_dir() or not any(folder.glob("*.yaml")):
            raise InputError(f"{args.scenarios}: not a folder with scenario .yaml files; pass one with --scenarios")
        env[SCENARIOS_ENV] = str(folder)
    check_port_free(args.host, args.port)
    if not is_loopback(args.host):
        print(
            f"warning: listening on {args.host}: anyone who can reach this machine on port {args.port} "
            "can open the page and run the model",
            file=sys.stderr,
        )
    shown = f"[{args.host}]" if ":" in args.host else args.host
    env[ADDRESS_ENV] = f"http://{shown}:{args.port}/"
    print(f"alliance-sim visualizer: starting at {env[ADDRESS_ENV]}; it says when the page is ready", flush=True)
    line = command(args.host, args.port)
    os.execve(line[0], line, env)  # the server takes this process's place: Ctrl-C or kill stops it directly
    return 0  # not reached


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port_free(host: str, port: int) -> None:
    """InputError (one line) if the address cannot be used, before the server starts."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise InputError(f"--host {host}: not an address of this machine; use 127.0.0.1") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError(
                f"--host {host} --port {port}: cannot listen there ({exc.strerror}); pick another port with --port"
            ) from None
