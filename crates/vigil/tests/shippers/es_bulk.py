"""Sends documents to Vigil's Elasticsearch-compatible `_bulk` endpoint with
the official Elasticsearch Python client: `info()` (GET /, where the client
also checks the product header) and `helpers.bulk` in chunks, with the
token as Basic authentication's password or as an API key.

    python3 es_bulk.py URL TOKEN AUTH COUNT

AUTH is `basic` or `apikey`. Prints one JSON line: the version the node
claims, the documents acknowledged, and the failed items.
"""

import json
import sys
from datetime import datetime, timezone

from elasticsearch import Elasticsearch, helpers


def main():
    url, token, auth, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if auth == "basic":
        client = Elasticsearch(url, basic_auth=("elastic", token), request_timeout=30)
    else:
        client = Elasticsearch(url, api_key=("key-id", token), request_timeout=30)
    version = client.info()["version"]["number"]
    actions = [
        {
            "_index": "logs-app-default",
            "_source": {
                "@timestamp": datetime.now(timezone.utc).isoformat(),
                "message": "Failed password for root",
                "user": "root",
                "n": n,
            },
        }
        for n in range(count)
    ]
    # One update among them: Vigil keeps events as they came, so the item
    # fails (and is kept as a dead letter) while the others are stored.
    actions.append({"_op_type": "update", "_index": "logs-app-default", "_id": "1", "doc": {"a": 1}})
    ok, errors = helpers.bulk(client, actions, chunk_size=50, raise_on_error=False)
    print(
        json.dumps(
            {
                "version": version,
                "ok": ok,
                "errors": [list(e.keys())[0] + ":" + str(list(e.values())[0]["status"]) for e in errors],
            }
        )
    )


if __name__ == "__main__":
    main()
