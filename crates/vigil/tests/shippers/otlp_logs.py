"""Sends log records to Vigil's `POST /v1/logs` with the OpenTelemetry
Python SDK: the standard `logging` module, the SDK's LoggerProvider and
batch processor, and the OTLP/HTTP (protobuf) log exporter, gzip-compressed,
as an application instrumented with OpenTelemetry does.

    python3 otlp_logs.py ENDPOINT TOKEN COUNT

Prints one JSON line: how many exports the exporter reported as succeeded
and as failed (it retries 429/502/503/504 itself).
"""

import json
import logging
import sys
import warnings

# `LoggingHandler` moves to an instrumentation package in later releases;
# in the pinned SDK it is the supported bridge, with a deprecation warning.
warnings.simplefilter("ignore", DeprecationWarning)

from opentelemetry.exporter.otlp.proto.http import Compression  # noqa: E402
from opentelemetry.exporter.otlp.proto.http._log_exporter import (  # noqa: E402
    OTLPLogExporter,
)
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler  # noqa: E402
from opentelemetry.sdk._logs.export import (  # noqa: E402
    BatchLogRecordProcessor,
    LogRecordExportResult,
)
from opentelemetry.sdk.resources import Resource  # noqa: E402


class Counted(OTLPLogExporter):
    """The SDK's exporter, counting what its exports returned."""

    succeeded = 0
    failed = 0

    def export(self, batch):
        result = super().export(batch)
        if result == LogRecordExportResult.SUCCESS:
            Counted.succeeded += 1
        else:
            Counted.failed += 1
        return result


def main():
    endpoint, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    exporter = Counted(
        endpoint=endpoint,
        headers={"Authorization": f"Bearer {token}"},
        compression=Compression.Gzip,
        timeout=30,
    )
    provider = LoggerProvider(
        resource=Resource.create({"service.name": "checkout", "host.name": "web-01"})
    )
    provider.add_log_record_processor(
        BatchLogRecordProcessor(exporter, max_export_batch_size=50)
    )
    log = logging.getLogger("app.audit")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(LoggingHandler(level=logging.INFO, logger_provider=provider))
    for n in range(count):
        log.warning("login failed for jdoe", extra={"user": "jdoe", "n": n})
    provider.force_flush(30_000)
    provider.shutdown()
    print(json.dumps({"succeeded": Counted.succeeded, "failed": Counted.failed}))


if __name__ == "__main__":
    main()
