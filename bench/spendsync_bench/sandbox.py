"""A platform sandbox in its own process, with the clock scale, rate limits and per-call latency
a benchmark asks for (the `spendsync sandbox` command has no options for them)."""

from __future__ import annotations

import argparse
import json

import uvicorn

from spendsync.sandboxes.control import Latency, RateLimits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("platform", choices=["xero", "qbo"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--scale", type=float, default=1.0, help="sandbox seconds per second")
    parser.add_argument("--limits", default="{}", help="RateLimits as JSON (sandbox seconds)")
    parser.add_argument("--latency", type=float, default=0.0, help="sandbox seconds per call")
    parser.add_argument("--jitter", type=float, default=0.0, help="sandbox seconds, uniform")
    args = parser.parse_args()
    overrides = json.loads(args.limits)
    latency = Latency(seconds=args.latency, jitter_seconds=args.jitter)
    if args.platform == "xero":
        from spendsync.sandboxes.xero.app import XeroSandboxConfig
        from spendsync.sandboxes.xero.app import create_app as create_xero

        app = create_xero(
            XeroSandboxConfig(
                auto_consent=True,
                clock_scale=args.scale,
                rate_limits=RateLimits.model_validate(overrides),
                latency=latency,
            )
        )
    else:
        from spendsync.sandboxes.qbo.app import QboSandboxConfig, qbo_limits
        from spendsync.sandboxes.qbo.app import create_app as create_qbo

        limits = qbo_limits().model_copy(update=overrides)
        app = create_qbo(
            QboSandboxConfig(
                auto_consent=True, clock_scale=args.scale, limits=limits, latency=latency
            )
        )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
