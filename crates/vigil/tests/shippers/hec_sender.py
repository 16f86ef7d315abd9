"""Sends events to Vigil's Splunk HEC-compatible endpoint with
splunk-data-sender (a HEC client library from PyPI): JSON event envelopes
to /services/collector/event, gzip-compressed, on a channel
(`X-Splunk-Request-Channel`), then asks /services/collector/ack which of
the acknowledgement ids it was given are durable.

    python3 hec_sender.py HOST PORT TOKEN CHANNEL COUNT BATCH

Prints one JSON line: the answers' ack ids and the ack query's answer.
"""

import json
import logging
import sys

from splunk_data_sender import SplunkSender


def main():
    host, port, token, channel = sys.argv[1:5]
    count, batch = int(sys.argv[5]), int(sys.argv[6])
    logging.getLogger("Splunk-Data-Sender").setLevel(logging.WARNING)
    sender = SplunkSender(
        endpoint=host,
        port=port,
        token=token,
        protocol="http",
        verify=False,
        source="vigil-test",
        source_type="generic_single_line",
        hostname="web-01",
        channel=channel,
        channel_in="header",
        compress=True,
        retry_count=2,
        max_buf_size=batch,
    )
    ack_ids = []
    for n in range(count):
        answer = sender.send_data({"user": "jdoe", "action": "login", "n": n})
        if answer is not None:
            assert answer["code"] == 0, answer
            ack_ids.append(answer["ackId"])
    answer = sender.flush_buffer()
    if answer is not None:
        assert answer["code"] == 0, answer
        ack_ids.append(answer["ackId"])
    acks = sender.send_acks(ack_ids + [len(ack_ids) + 100])
    print(json.dumps({"ackIds": ack_ids, "acks": acks["acks"]}))


if __name__ == "__main__":
    main()
