"""The `greenkube` command: `exporter`, `api` and `demo`."""

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, NoReturn

from exporter.config import ConfigError, ExporterSettings, load_settings, unknown_variables

log = logging.getLogger("greenkube")


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        for key in ("namespace", "pod", "node"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class MalformedRequestFilter(logging.Filter):
    """aiohttp logs a request it cannot parse (a request line over the limit, broken HTTP) with
    a traceback. That is the client's error, answered with a 400: keep one warning line."""

    def filter(self, record: logging.LogRecord) -> bool:
        from aiohttp.http_exceptions import HttpProcessingError

        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            # The reason only: aiohttp's message goes on to quote the refused bytes (a header's
            # value, e.g. a bearer token), which must not reach a log.
            reason = str(error.message).split(":", 1)[0].strip()[:200]
            record.args = (record.getMessage(), reason)
            record.msg = "%s; refused with HTTP 400: %s"
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def setup_logging(level: str, as_json: bool) -> None:
    """One handler on stderr, for GreenKube's loggers and aiohttp's server errors; JSON lines
    when GREENKUBE_LOG_JSON is true."""
    handler = logging.StreamHandler()
    plain = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(_JsonFormatter() if as_json else plain)
    root = logging.getLogger("greenkube")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    server = logging.getLogger("aiohttp.server")
    server.handlers[:] = [handler]
    server.filters[:] = [MalformedRequestFilter()]
    server.propagate = False


def run_until_signal(main: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> None:
    """Run `main(stop)` and set `stop` on SIGINT or SIGTERM."""

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    asyncio.run(runner())


def _warn_unknown_variables() -> None:
    """One warning naming GREENKUBE_* variables neither process reads (likely typos)."""
    from queryapi.config import ApiSettings

    unknown = unknown_variables(ExporterSettings, ApiSettings)
    if unknown:
        log.warning("ignoring unknown environment variable(s) %s: no GreenKube setting has that name",
                    ", ".join(unknown))


def _exporter(args: argparse.Namespace) -> None:
    settings = load_settings(ExporterSettings, args.config)  # before the heavy imports: fail fast
    setup_logging(settings.log_level, settings.log_json)
    _warn_unknown_variables()
    from exporter.service import serve

    run_until_signal(lambda stop: serve(settings, stop))


def _api(args: argparse.Namespace) -> None:
    from queryapi.config import ApiSettings

    settings = load_settings(ApiSettings, args.config)
    setup_logging(settings.log_level, settings.log_json)
    _warn_unknown_variables()
    from queryapi.app import serve as serve_api

    run_until_signal(lambda stop: serve_api(settings, stop))


class _CommandParser(argparse.ArgumentParser):
    """A command's parser; with `one_line_errors` a bad option is one line and exit 2, like a bad setting."""

    def __init__(self, *args: Any, one_line_errors: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.one_line_errors = one_line_errors

    def error(self, message: str) -> NoReturn:
        if not self.one_line_errors:
            super().error(message)
        self.exit(2, f"greenkube: {message} (see {self.prog} --help)\n")


def _demo(args: argparse.Namespace) -> None:
    from exporter.demo.runner import run_demo

    setup_logging("INFO", False)
    run_demo(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="greenkube", description="Energy, carbon and cost of Kubernetes workloads, stored in Prometheus."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_CommandParser)
    config_help = "YAML file of settings (GREENKUBE_* environment variables override it)"

    exporter = commands.add_parser("exporter", help="estimate per-pod energy, carbon and cost; serve /metrics",
                                   description="Run the exporter: read Prometheus and Kubernetes every cycle, "
                                               "estimate, and expose the results on /metrics.")
    exporter.add_argument("--config", type=Path, help=config_help)
    exporter.set_defaults(run=_exporter)

    api = commands.add_parser("api", help="serve the /api/v1 REST API over PromQL",
                              description="Run the query API: answer /api/v1 by querying Prometheus.")
    api.add_argument("--config", type=Path, help=config_help)
    api.set_defaults(run=_api)

    demo = commands.add_parser("demo", help="run everything on a simulated cluster built from real data",
                               description="Start a demo cluster, Prometheus (with GreenKube's rules), the "
                                           "exporter and the API on 127.0.0.1, and print where each runs. "
                                           "Ctrl-C stops them all.", one_line_errors=True)
    from exporter.demo.options import add_demo_arguments

    add_demo_arguments(demo)
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `greenkube` command; a bad setting is one line on stderr and exit 2."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except ConfigError as err:
        print(f"greenkube: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # e.g. the listen port is taken
        print(f"greenkube: cannot start: {err.strerror or err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
