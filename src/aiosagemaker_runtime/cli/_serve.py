"""``aiosagemaker-runtime serve-local``: run a local SageMaker Runtime endpoint."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_serve_parser", "run_serve"]

_EPILOG = """\
examples:
  aiosagemaker-runtime serve-local --endpoint my-echo=echo
  aiosagemaker-runtime serve-local --endpoint busy=echo --capacity busy=4
  aiosagemaker-runtime serve-local --port 0 --endpoint llm=http://127.0.0.1:9000 \\
      --access-key-id AKIDLOCAL --secret-access-key local-secret --s3-root ./s3

Then point any client at it, e.g.
  aws sagemaker-runtime invoke-endpoint --endpoint-url http://127.0.0.1:8080 \\
      --endpoint-name my-echo --body '{"x": 1}' out.json
"""


def add_serve_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    parser = commands.add_parser(
        "serve-local",
        parents=parents,
        help="run a local endpoint that speaks the SageMaker Runtime wire protocol",
        description=(
            "Run a local endpoint that speaks the SageMaker Runtime wire protocol "
            "(InvokeEndpoint, InvokeEndpointAsync, InvokeEndpointWithResponseStream), "
            "HTTP/1.1 and HTTP/2 on one port (HTTPS with --certfile/--keyfile). "
            "The first line on stdout is 'serving on URL'. Stop it with Ctrl-C or SIGTERM."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1: loopback only)")
    parser.add_argument(
        "--port", type=int, help="port to listen on (default 8080; 0 picks a free one)"
    )
    parser.add_argument(
        "--endpoint",
        action="append",
        default=[],
        metavar="NAME=TARGET",
        help="serve endpoint NAME by TARGET: 'echo' or the URL of a model container "
        "(POST /invocations, GET /ping); repeatable",
    )
    parser.add_argument(
        "--capacity",
        action="append",
        default=[],
        metavar="NAME=N",
        help="endpoint NAME serves at most N InvokeEndpoint calls at a time; more get "
        "ThrottlingException (status 400) as SageMaker sends it; repeatable",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="JSON config file (endpoints, credentials, s3_root, ...)",
    )
    parser.add_argument(
        "--certfile",
        metavar="PEM",
        help="serve HTTPS with this certificate (chain, PEM); ALPN offers HTTP/2 and HTTP/1.1",
    )
    parser.add_argument("--keyfile", metavar="PEM", help="the private key of --certfile (PEM)")
    parser.add_argument("--access-key-id", help="verify SigV4 signatures made with this key id")
    parser.add_argument("--secret-access-key", help="the secret key of --access-key-id")
    parser.add_argument(
        "--s3-root",
        type=Path,
        metavar="DIR",
        help="directory standing in for S3 for InvokeEndpointAsync (s3://bucket/key is DIR/bucket/key)",
    )
    parser.add_argument(
        "--async-output",
        metavar="S3URI",
        help="where async results go (default s3://sagemaker-local/async-output)",
    )
    parser.add_argument(
        "--async-failure",
        metavar="S3URI",
        help="where async failures go (default s3://sagemaker-local/async-failures)",
    )
    parser.add_argument(
        "--container-timeout",
        type=float,
        metavar="SECONDS",
        help="how long a container may take to answer (default 60, as the service)",
    )
    parser.add_argument(
        "--account-id", help="account id used in messages and ARNs (default 123456789012)"
    )
    parser.add_argument(
        "--variant", help="production variant name reported for every endpoint (default AllTraffic)"
    )


def run_serve(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ..local import LocalConfig, TLSFiles, run_server
    from ..local._config import (
        load_config_file,
        merge_endpoints,
        parse_capacity_option,
        parse_endpoint_option,
        with_capacity,
    )

    settings = load_config_file(args.config) if args.config is not None else {}
    from_options = [parse_endpoint_option(value) for value in args.endpoint]
    endpoints = merge_endpoints(settings.pop("endpoints", {}).values(), from_options)
    if args.variant:
        endpoints = {
            name: replace(target, variant=args.variant) for name, target in endpoints.items()
        }
    endpoints = with_capacity(endpoints, dict(parse_capacity_option(v) for v in args.capacity))
    if bool(args.access_key_id) != bool(args.secret_access_key):
        raise ValueError("--access-key-id and --secret-access-key go together")
    credentials = dict(settings.pop("credentials", {}))
    if args.access_key_id:
        credentials[args.access_key_id] = args.secret_access_key
    overrides = {
        "host": args.host,
        "port": args.port,
        "s3_root": args.s3_root,
        "async_output": args.async_output,
        "async_failure": args.async_failure,
        "container_timeout": args.container_timeout,
        "account_id": args.account_id,
        "region": args.region,
    }
    settings.update({key: value for key, value in overrides.items() if value is not None})
    if not endpoints:
        raise ValueError("no endpoints: pass --endpoint NAME=echo (or NAME=URL) or --config FILE")
    if bool(args.certfile) != bool(args.keyfile):
        raise ValueError("--certfile and --keyfile go together")
    tls = TLSFiles(args.certfile, args.keyfile) if args.certfile else None
    config = LocalConfig(endpoints=endpoints, credentials=credentials, **settings)
    run_server(config, tls=tls)
    return 0
