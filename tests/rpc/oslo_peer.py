#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""oslo.messaging itself (Debian's python3-oslo.messaging), as the peer
and the oracle of sriov's rpc layer.

  oslo_peer.py serve URL EXCHANGE TOPIC SERVER
        an RPC server (oslo_messaging.get_rpc_server): echo returns its
        arguments and context, fail raises ValueError; prints "ready"
  oslo_peer.py call URL EXCHANGE TOPIC METHOD ARGS [--server S]
        [--timeout S] [--count N]
        prints the result as JSON (N calls: the latency), exit 3 on a
        remote failure (prints class and message), 4 on a timeout
  oslo_peer.py cast URL EXCHANGE TOPIC METHOD ARGS [--fanout] [--server S]
  oslo_peer.py url URL
        what oslo.messaging and kombu make of a transport_url, as JSON
        (each host as kombu will connect, and the [oslo_messaging_rabbit]
        options sriov reads), or {"error": ...}
  oslo_peer.py golden URL DIR
        capture, from the broker, the bodies oslo.messaging sends (a cast,
        a fanout cast, a call, a reply, a failure reply) into DIR

ARGS is a JSON object. Run with /usr/bin/python3 (Debian's packages).
"""
import argparse
import json
import os
import sys
import threading
import time

import oslo_messaging as om
from oslo_config import cfg

CONTEXT = {"user_id": None, "project_id": None, "tenant_id": None,
           "is_admin": True, "request_id": "req-sriov-test",
           "roles": ["admin"]}


def transport(url):
    cfg.CONF([], project="sriov-test")
    om.set_transport_defaults(control_exchange="openstack")
    return om.get_rpc_transport(cfg.CONF, url=url)


class Endpoint:
    def echo(self, ctxt, **kwargs):
        return {"args": kwargs, "request_id": ctxt.get("request_id")}

    def fail(self, ctxt, **kwargs):
        raise ValueError("boom: %s" % json.dumps(kwargs, sort_keys=True))


def cmd_serve(a):
    t = transport(a.url)
    target = om.Target(topic=a.topic, server=a.server, exchange=a.exchange)
    srv = om.get_rpc_server(t, target, [Endpoint()], executor="threading")
    srv.start()
    print("ready", flush=True)
    stop = threading.Event()
    import signal
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.2):
        pass
    srv.stop()
    srv.wait()
    t.cleanup()
    return 0


def client(a, **prep):
    t = transport(a.url)
    target = om.Target(topic=a.topic, exchange=a.exchange)
    c = om.get_rpc_client(t, target, timeout=a.timeout)
    if prep:
        c = c.prepare(**prep)
    return t, c


def cmd_call(a):
    prep = {"server": a.server} if a.server else {}
    t, c = client(a, **prep)
    args = json.loads(a.args)
    rc = 0
    try:
        if a.count:
            c.call(CONTEXT, a.method, **args)  # warm: the reply queue
            lat = []
            for _ in range(a.count):
                t0 = time.perf_counter()
                c.call(CONTEXT, a.method, **args)
                lat.append(time.perf_counter() - t0)
            lat.sort()
            print(json.dumps({"calls": a.count,
                              "mean_us": sum(lat) / len(lat) * 1e6,
                              "p50_us": lat[len(lat) // 2] * 1e6,
                              "p99_us": lat[int(len(lat) * 0.99)] * 1e6}))
        else:
            print(json.dumps(c.call(CONTEXT, a.method, **args),
                             sort_keys=True))
    except om.MessagingTimeout as e:
        print("timeout: %s" % e)
        rc = 4
    except om.RemoteError as e:
        print("remote %s: %s" % (e.exc_type, e.value))
        rc = 3
    except Exception as e:  # a builtin exception rebuilt by oslo
        print("remote %s: %s" % (type(e).__name__, str(e).split("\n")[0]))
        rc = 3
    sys.stdout.flush()
    t.cleanup()
    return rc


def cmd_cast(a):
    prep = {}
    if a.fanout:
        prep["fanout"] = True
    if a.server:
        prep["server"] = a.server
    t, c = client(a, **prep)
    c.cast(CONTEXT, a.method, **json.loads(a.args))
    t.cleanup()
    return 0


def cmd_url(a):
    print(json.dumps(oslo_url(a.url), sort_keys=True))
    return 0


_URL_CONF = None


def oslo_url(text):
    """What oslo.messaging's rabbit driver and kombu make of a URL."""
    global _URL_CONF
    import kombu
    from oslo_messaging._drivers import common, impl_rabbit
    from oslo_messaging import transport as omt
    from oslo_messaging._drivers import amqp as rpc_amqp, base
    if _URL_CONF is None:
        _URL_CONF = cfg.ConfigOpts()
        _URL_CONF([])
        for opts in (impl_rabbit.rabbit_opts, rpc_amqp.amqp_opts,
                     base.base_opts):
            _URL_CONF.register_opts(opts, group="oslo_messaging_rabbit")
    conf = _URL_CONF
    try:
        url = omt.TransportURL.parse(conf, text)
        if url.transport != "rabbit":
            raise ValueError("not the rabbit driver: %s" % url.transport)
        proxy = common.ConfigOptsProxy(conf, url, "oslo_messaging_rabbit")
        g = proxy.oslo_messaging_rabbit

        class Dummy:
            _parse_url_hostname = impl_rabbit.Connection._parse_url_hostname

        d = Dummy()
        tr = impl_rabbit.Connection._transform_transport_url
        if url.hosts:
            urls = [tr(d, url, h) for h in url.hosts]
        else:
            urls = [tr(d, url, omt.TransportHost(""), default_username="guest",
                       default_password="guest", default_hostname="localhost")]
        joined = ";".join(urls)
        conn = kombu.Connection(joined)
        alts = conn.alt if conn.alt else [joined]
        hosts = []
        for u in alts:
            info = kombu.Connection(u).info()
            hosts.append({"host": info["hostname"], "port": info["port"],
                          "user": info["userid"],
                          "password": info["password"],
                          "vhost": info["virtual_host"]})
        out = {"hosts": hosts,
               "ssl": g.ssl, "ssl_ca_file": g.ssl_ca_file,
               "ssl_cert_file": g.ssl_cert_file,
               "ssl_key_file": g.ssl_key_file,
               "ssl_enforce_hostname_verification":
                   g.ssl_enforce_hostname_verification,
               "heartbeat_timeout_threshold": g.heartbeat_timeout_threshold,
               "rabbit_retry_interval": g.rabbit_retry_interval,
               "rabbit_retry_backoff": g.rabbit_retry_backoff,
               "rabbit_interval_max": g.rabbit_interval_max,
               "amqp_durable_queues": g.amqp_durable_queues,
               "amqp_auto_delete": g.amqp_auto_delete,
               "rabbit_transient_queues_ttl": g.rabbit_transient_queues_ttl,
               "query_keys": sorted(url.query.keys())}
    except Exception as e:
        out = {"error": "%s: %s" % (type(e).__name__, e)}
    return out


def cmd_golden(a):
    """Bodies as the broker delivers them, with their properties."""
    import amqp
    port = int(a.url.rsplit(":", 1)[1].strip("/"))
    raw = amqp.Connection("127.0.0.1:%d" % port)
    raw.connect()
    ch = raw.channel()
    ch.exchange_declare("golden", "topic", durable=False, auto_delete=False)
    ch.queue_declare("gold", durable=False, auto_delete=False)
    ch.queue_bind("gold", "golden", "gold")
    ch.exchange_declare("gold_fanout", "fanout", durable=False,
                        auto_delete=True)
    ch.queue_bind("gold", "gold_fanout", "gold")
    a.exchange, a.topic, a.timeout = "golden", "gold", 30
    t, c = client(a)
    ctx = {"user_id": "u1", "project_id": "p1", "is_admin": False,
           "request_id": "req-1", "roles": ["member"]}
    c.prepare(version="1.5").cast(ctx, "port_update",
                                  port={"id": "p", "mac_address": "fa:16"},
                                  network_type="vlan", segmentation_id=7)
    c.prepare(fanout=True, version="1.1").cast(ctx, "network_update",
                                               network={"id": "n"})
    c.prepare(namespace="state", version="1.0").cast(
        ctx, "report_state", agent_state={"agent": {"binary": "x"}},
        time="2024-01-01T00:00:00.000000")
    result = {}

    def do_call():
        try:
            result["r"] = c.prepare(version="1.5", timeout=30).call(
                ctx, "get_devices_details_list", devices=["fa:16:3e:00:00:01"],
                agent_id="nic-switch-agent.h1", host="h1")
        except Exception as e:
            result["r"] = repr(e)

    th = threading.Thread(target=do_call)
    th.start()
    msgs = []
    deadline = time.time() + 20
    while len(msgs) < 4 and time.time() < deadline:
        m = ch.basic_get("gold", no_ack=True)
        if m is None:
            time.sleep(0.05)
            continue
        msgs.append(m)
    names = ["cast", "fanout", "cast-namespace", "call"]
    os.makedirs(a.dir, exist_ok=True)
    for name, m in zip(names, msgs):
        with open(os.path.join(a.dir, name + ".json"), "wb") as f:
            f.write(m.body if isinstance(m.body, bytes) else m.body.encode())
        print(name, m.delivery_info["exchange"],
              m.delivery_info["routing_key"], m.properties)
    th.join()
    print("call returned (no server: a timeout)", result["r"])
    # replies as an oslo.messaging RPC server sends them: serve "gold" and
    # send it raw calls whose _reply_q is a queue we read
    srv = om.get_rpc_server(t, om.Target(topic="gold_srv", server="s1",
                                         exchange="golden"),
                            [GoldenEndpoint()], executor="threading")
    srv.start()
    ch.queue_declare("gold_reply", durable=False, auto_delete=False)
    for name, method in (("reply", "get_devices_details_list"),
                         ("reply-failure", "fail")):
        req = {"method": method, "args": {"devices": ["fa:16:3e:00:00:01"]},
               "version": "1.5", "_msg_id": name.replace("-", "") + "1" * 20,
               "_reply_q": "gold_reply", "_timeout": None,
               "_unique_id": (name.replace("-", "") + "3" * 32)[:32],
               "_context_request_id": "req-2"}
        env = json.dumps({"oslo.version": "2.0",
                          "oslo.message": json.dumps(req)})
        ch.basic_publish(amqp.Message(env, content_type="application/json",
                                      content_encoding="utf-8"),
                         exchange="golden", routing_key="gold_srv.s1")
        m = None
        deadline = time.time() + 20
        while m is None and time.time() < deadline:
            m = ch.basic_get("gold_reply", no_ack=True)
            time.sleep(0.05)
        with open(os.path.join(a.dir, name + ".json"), "wb") as f:
            f.write(m.body if isinstance(m.body, bytes) else m.body.encode())
        print(name, m.delivery_info["exchange"],
              m.delivery_info["routing_key"], m.properties)
    srv.stop()
    srv.wait()
    t.cleanup()
    raw.close()
    return 0


class GoldenEndpoint:
    target = om.Target(version="1.5")

    def get_devices_details_list(self, ctxt, devices):
        return [{"device": d, "port_id": "p"} for d in devices]

    def fail(self, ctxt, devices):
        raise ValueError("no such device: %s" % devices[0])


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    for k in ("url", "exchange", "topic", "server"):
        s.add_argument(k)
    s.set_defaults(fn=cmd_serve)
    for name, fn in (("call", cmd_call), ("cast", cmd_cast)):
        s = sub.add_parser(name)
        for k in ("url", "exchange", "topic", "method", "args"):
            s.add_argument(k)
        s.add_argument("--server")
        s.add_argument("--timeout", type=float, default=10)
        s.add_argument("--count", type=int, default=0)
        s.add_argument("--fanout", action="store_true")
        s.set_defaults(fn=fn)
    s = sub.add_parser("url")
    s.add_argument("url")
    s.set_defaults(fn=cmd_url)
    s = sub.add_parser("golden")
    s.add_argument("url")
    s.add_argument("dir")
    s.set_defaults(fn=cmd_golden, timeout=30)
    a = p.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    rc = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # oslo.messaging's heartbeat thread would hold the exit for seconds
    os._exit(rc)
