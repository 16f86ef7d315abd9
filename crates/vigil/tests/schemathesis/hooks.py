"""Schemathesis hooks for Vigil's API contract test (api_contract_e2e.rs).

The ingest endpoints take NDJSON (`application/x-ndjson`), documented as a
string body; schemathesis has no serializer for that media type of its own,
so generated strings are sent as UTF-8 bytes, as a shipper sends its lines.
"""

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        value = str(value)
    return value.encode("utf-8", "surrogatepass")
