"""How long until another instance refuses a revoked token.

    python3 benches/propagation.py http://127.0.0.1:A http://127.0.0.1:B [TRIALS]

Two instances of the blocklist example on the same Redis. Each trial logs
in through A, checks that B accepts the access token, revokes it through A
(DELETE /logout), then asks B as fast as it can until B refuses it. The time
is counted from the moment A's DELETE answered. Prints the distribution in
milliseconds and fails if any trial is lost (B still accepts after 5 s) or
if A itself ever accepts the token after revoking it.
"""

import http.client
import json
import statistics
import sys
import time
from urllib.parse import urlparse


def connection(url):
    parsed = urlparse(url)
    return http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)


def call(conn, method, path, token=None, body=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"null")


def trial(a, b):
    status, tokens = call(a, "POST", "/login", body={"username": "test", "password": "test"})
    assert status == 200, (status, tokens)
    token = tokens["access_token"]
    status, body = call(b, "GET", "/protected", token)
    assert status == 200, (status, body)
    status, body = call(a, "DELETE", "/logout", token)
    assert status == 200, (status, body)
    revoked = time.perf_counter()
    status, body = call(a, "GET", "/protected", token)
    assert status == 401, ("the revoking instance accepted it", status, body)
    while True:
        status, body = call(b, "GET", "/protected", token)
        elapsed = time.perf_counter() - revoked
        if status == 401:
            assert body == {"msg": "Token has been revoked"}, body
            return elapsed
        assert status == 200, (status, body)
        if elapsed > 5:
            raise SystemExit("lost: B still accepts a token revoked 5 s ago")


def main():
    a_url, b_url = sys.argv[1], sys.argv[2]
    trials = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    a, b = connection(a_url), connection(b_url)
    times = sorted(trial(a, b) * 1000 for _ in range(trials))
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(
        f"trials {trials}, lost 0, ms: min {times[0]:.2f} median {statistics.median(times):.2f} "
        f"p90 {p(0.9):.2f} p99 {p(0.99):.2f} max {times[-1]:.2f}"
    )


if __name__ == "__main__":
    main()
