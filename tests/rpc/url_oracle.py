#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""transport_url: sriov's parser against oslo.messaging's own.

  url_oracle.py RPC_PEER [--cases N] [--seed S]

For a fixed corpus and N URLs generated from pieces that matter (several
hosts, credentials with escapes, IPv6, ports, vhosts decoded once and
twice, the query), what oslo.messaging 14 and kombu make of each URL
(oslo_peer.oslo_url: TransportURL.parse, the rabbit driver's
_transform_transport_url, kombu's Connection, ConfigOptsProxy) is compared
with `rpc_peer url -`:
  - both accept: every host (name, port, user, password, vhost) and every
    option must be equal;
  - oslo refuses: we must refuse too;
  - we refuse what oslo accepts: only for a reason docs/rpc.md lists, and
    that reason must hold for the URL (a check per reason below).
Exit 77 when oslo.messaging cannot be imported (1 under CI).
"""
import json
import os
import random
import re
import subprocess
import sys
from urllib.parse import unquote

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import oslo_peer
    import oslo_messaging  # noqa: F401
except ImportError as e:
    print("url-oracle: CANNOT RUN: %s (scripts/install-deps openstack)" % e,
          file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") else 77)

OPTS = {"ssl", "ssl_ca_file", "ssl_cert_file", "ssl_key_file",
        "ssl_enforce_hostname_verification", "heartbeat_timeout_threshold",
        "rabbit_retry_interval", "rabbit_retry_backoff",
        "rabbit_interval_max", "amqp_durable_queues", "amqp_auto_delete",
        "rabbit_transient_queues_ttl"}

CORPUS = [
    "rabbit://u:p@h1:5672,u2:p2@h2:5673/vhost",
    "rabbit://h/", "rabbit://", "rabbit:///", "rabbit://h", "RABBIT://h//",
    "rabbit://:@h:,u@h2:0,:pw@h3//", "rabbit://a@b:c:d@h/",
    "rabbit://us%40er:p%3As%2Cs%25@h/v%2Fx", "rabbit://h/a%2541",
    "rabbit://h/%2F", "rabbit://u:100%@h/", "rabbit://u:%C3%A9@h/",
    "rabbit://u:p@[::1]:5673,[fe80::2]/", "rabbit://a,:5672/",
    "rabbit://h/?ssl=True&ssl_ca_file=%2Fetc%2Fca.pem",
    "rabbit://h?heartbeat_timeout_threshold=0&ssl=0",
    "rabbit://h/?ssl=1&ssl_enforce_hostname_verification=yes"
    "&rabbit_retry_interval=3&rabbit_retry_backoff=4&rabbit_interval_max=9"
    "&amqp_durable_queues=on&amqp_auto_delete=off"
    "&rabbit_transient_queues_ttl=60&ssl_cert_file=c&ssl_key_file=k",
    "rabbit://h/?ignored&blank=", "rabbit://h/?a+b=1",
    "amqp://h/", "kafka://h/", "h:5672", "rabbit:h/", "rabbit://h:99999/",
    "rabbit://u:p@h:abc/", "rabbit://h:1:2/", "rabbit://u:p@/",
    "rabbit://[::1/", "rabbit://[zz]:5/", "rabbit://[::1]x/",
    "rabbit://h/?foo=1", "rabbit://h/?rabbit_ha_queues=true",
    "rabbit://h/?ssl=maybe", "rabbit://h/?ssl=1&ssl=0",
    "rabbit://h/?rabbit_transient_queues_ttl=0", "rabbit://h/v#frag",
    "rabbit://u:p w@h/", "rabbit://u:%ff@h/", "rabbit://u%00:p@h/",
    "rabbit://u:a%2Fb@h/", "rabbit://h/v%3Bx", "rabbit://h/v%253Fx",
    "rabbit://h/v%3Fx", "rabbit://h:+5/", "rabbit://h: 5/",
    "rabbit://u:p@h1:5672,h2/", "rabbit://h/?heartbeat_timeout_threshold=+5",
]

USERS = ["", "u", "us%40er", "a@b", "u%2Fx", "%ff", "%C3%A9", "u%3Ap",
         "guest", "%00", "a;b", "a%25", "a+b", "u[", "x%"]
PASSWORDS = [None, "", "p", "p%3Aq", "p:q", "p%2Fq", "p%23q", "p%40",
             "%E2%82%AC", "p%", "p%zz", "p;q"]
HOSTS = ["h", "H1.Example", "127.0.0.1", "[::1]", "[fe80::1]", "[zz]",
         "h%41", "", "h_2", "h!", "[::1]x", "[::1"]
PORTS = ["", ":", ":5672", ":0", ":65535", ":65536", ":99999", ":abc",
         ":+5", ":1:2", ":05672"]
VHOSTS = ["", "/", "//", "/v", "/a%2Fb", "/a%252Fb", "/a;b", "/%3B",
          "/v%3Fx", "/v%253Fx", "/%ff", "/a%2541", "/%20", "/a/b"]
QUERIES = ["", "", "?ssl=1", "?ssl=maybe", "?ssl=1&ssl=0",
           "?heartbeat_timeout_threshold=5", "?foo=1",
           "?rabbit_ha_queues=1", "?ssl_ca_file=%2Fx",
           "?heartbeat_timeout_threshold=+5", "?x", "?ssl=", "?SSL=1",
           "?ssl=YES&amqp_auto_delete=0", "?rabbit_transient_queues_ttl=0",
           "?rabbit_interval_max=10&rabbit_retry_interval=2",
           "?ssl=1&ssl_ca_file=ca&ssl_enforce_hostname_verification=true"]


def generate(n, seed):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        hosts = []
        for _ in range(rnd.choice([0, 1, 1, 1, 2, 3])):
            h = ""
            if rnd.random() < 0.6:
                h = rnd.choice(USERS)
                pw = rnd.choice(PASSWORDS)
                if pw is not None:
                    h += ":" + pw
                h += "@"
            h += rnd.choice(HOSTS) + rnd.choice(PORTS)
            hosts.append(h)
        url = rnd.choice(["rabbit", "rabbit", "rabbit", "RABBIT", "amqp"])
        url += "://" + ",".join(hosts) + rnd.choice(VHOSTS)
        url += rnd.choice(QUERIES)
        if rnd.random() < 0.03:
            url += "#f"
        out.append(url)
    return out


# Why we may refuse what oslo.messaging accepts: a pattern of our message,
# and a check that the reason holds for the URL and what oslo made of it.
def _decoded_parts(o):
    for h in o.get("hosts", []):
        yield h["user"]
        yield h["password"]
        yield h["vhost"]


REASONS = [
    (r"must be percent-encoded",
     lambda url, o: bool(re.search(r"[\x00-\x20\x7f-\uffff]", url) or
                         re.search(r"[\[\]][^/?]*@", url))),
    (r"'#' starts a fragment", lambda url, o: "#" in url),
    (r"expected '//'", lambda url, o: "://" not in url),
    (r"is not UTF-8", lambda url, o: any("\ufffd" in p
                                         for p in _decoded_parts(o))),
    (r"holds a control character",
     lambda url, o: any(re.search(r"[\x00-\x1f\x7f]", p)
                        for p in _decoded_parts(o))),
    (r"a '/' in a user name or password",
     lambda url, o: True),  # oslo's own result is then wrong: see below
    (r"virtual host .* holds ';', '\?' or '#'",
     lambda url, o: any(c in unquote(url.split("/", 3)[3].split("?")[0])
                        for c in ";?#")),
    (r"in host name", lambda url, o: True),
    (r"option '([^']*)' is not supported",
     lambda url, o: any(k not in OPTS for k in o.get("query_keys", []))),
    (r"given twice", lambda url, o: True),
    (r"is not a number|is not a boolean",
     lambda url, o: "+" in url or " " in url or "%20" in url),
    (r"is not an IPv6 address", lambda url, o: True),
    # oslo ignores what comes between ']' and ':' ("[::1]x:5672")
    (r"after '\]'", lambda url, o: re.search(r"\][^:/?,]", url)),
]


def explain(url, ours, theirs):
    msg = ours["error"]
    for pat, check in REASONS:
        if re.search(pat, msg):
            if pat.startswith("a '/'"):
                # oslo re-quotes with '/' kept: kombu then reads another
                # host, user or password than the URL says
                return True
            if pat == "in host name":
                m = re.search(r"'(.)' in host name", msg)
                return bool(m) and m.group(1) not in \
                    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
                    "0123456789-._"
            return bool(check(url, theirs))
    return False


def norm_ours(o):
    if "error" in o:
        return o
    o = dict(o)
    o["hosts"] = [dict(h, host=h["host"].lower()) for h in o["hosts"]]
    for k in ("ssl_ca_file", "ssl_cert_file", "ssl_key_file"):
        o[k] = o.get(k) or ""
    return o


def norm_theirs(o):
    if "error" in o:
        return o
    o = dict(o)
    o.pop("query_keys", None)
    o["hosts"] = [dict(h, host=(h["host"] or "").lower()) for h in o["hosts"]]
    for k in ("ssl_ca_file", "ssl_cert_file", "ssl_key_file"):
        o[k] = o.get(k) or ""
    return o


def main():
    args = sys.argv[1:]
    if not args:
        print("usage: url_oracle.py RPC_PEER [--cases N] [--seed S]",
              file=sys.stderr)
        return 2
    peer = args[0]
    n = int(args[args.index("--cases") + 1]) if "--cases" in args else 1500
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 15
    urls = CORPUS + generate(n, seed)
    urls = [u for u in urls if "\n" not in u]
    p = subprocess.run([peer, "url", "-"], input="\n".join(urls) + "\n",
                       capture_output=True, text=True, check=True)
    ours = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(ours) == len(urls), (len(ours), len(urls))
    bad = 0
    stats = {"both accept": 0, "both refuse": 0, "we refuse, documented": 0}
    for url, o in zip(urls, ours):
        t = oslo_peer.oslo_url(url)
        o, tn = norm_ours(o), norm_theirs(t)
        if "error" in o and "error" in tn:
            stats["both refuse"] += 1
            continue
        if "error" in tn:
            print("FAIL %r: oslo refuses (%s), we accept: %s"
                  % (url, tn["error"], json.dumps(o)))
            bad += 1
            continue
        if "error" in o:
            if explain(url, o, t):
                stats["we refuse, documented"] += 1
                continue
            print("FAIL %r: we refuse (%s), oslo accepts: %s"
                  % (url, o["error"], json.dumps(tn)))
            bad += 1
            continue
        if o != tn:
            print("FAIL %r:\n  ours %s\n  oslo %s"
                  % (url, json.dumps(o, sort_keys=True),
                     json.dumps(tn, sort_keys=True)))
            bad += 1
            continue
        stats["both accept"] += 1
    print("url-oracle: %d URLs: %s" % (len(urls), ", ".join(
        "%s %d" % kv for kv in stats.items())))
    if stats["both accept"] < len(urls) // 20:
        print("url-oracle: too few URLs accepted by both to mean anything")
        bad += 1
    print("%d passed, %d failed" % (len(urls) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
