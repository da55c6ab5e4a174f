"""test_metrics: the Prometheus endpoint (`metrics: { listen }`).

  * N steered queries for clients whose PoP the test works out itself (the
    pure-Python MaxMind reader and GeoModel, as test_geodns does) add exactly
    N to steerdns_steered_answers_total{method="geodns",arm="",pop=P}, and
    the query counters move by exactly what was sent (UDP and TCP, A/TXT,
    NOERROR/NXDOMAIN/REFUSED, with and without ECS);
  * `promtool check metrics` (Prometheus's own linter) accepts the text;
  * a real Prometheus server scrapes it every second and returns a value we
    sent through its HTTP API;
  * a reload that fails and one that succeeds move
    steerdns_config_reloads_total{result}; a bad `metrics:` is file:line:col.
"""

import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import harness as H
from harness import Skip

ORIGIN = 'geo.test.'
WWW = 'www.geo.test'
POPS = [
    ('lon', 51.5, -0.12, ['192.0.2.1'], ['2001:db8::1']),
    ('fra', 50.11, 8.68, ['192.0.2.2'], ['2001:db8::2']),
    ('iad', 38.95, -77.45, ['192.0.2.3'], []),
    ('sin', 1.35, 103.82, ['192.0.2.4'], ['2001:db8::4']),
]
FALLBACK = ['iad', 'lon']
ADDR2POP = {a: p[0] for p in POPS for a in p[3]}

BIN = None
SRV = None
MPORT = None
DB = None
MODEL = None


def setup_module(binary):
    global BIN, SRV, MPORT, DB, MODEL
    BIN = binary
    city = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    DB = H.MMDB(city)
    MODEL = H.GeoModel([(p[0], p[1], p[2]) for p in POPS], [], FALLBACK)
    MPORT = H.free_port(False)
    conf = H.geo_config_yaml([city], POPS, [], FALLBACK)
    conf += 'metrics:\n  listen: "127.0.0.1:%d"\n' % MPORT
    SRV = H.Steerdns(BIN, [('geo.test.yaml', H.geo_zone_yaml(ORIGIN))],
                     server={'identity': 'metrics-test'}, extra_config=conf)
    SRV.start()


def teardown_module():
    if SRV:
        SRV.cleanup()


def scrape():
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % MPORT, timeout=5) as r:
        assert r.status == 200
        ctype = r.headers.get('Content-Type', '')
        assert ctype.startswith('text/plain; version=0.0.4'), ctype
        return r.read().decode()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, frozenset(labels.items())): value}, read by our own parser of
    the text format (not the server's code)."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        assert m, 'not a sample line: %r' % line
        labels = dict(LABEL.findall(m.group(3) or ''))
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return out


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def expected_pop(subnet):
    net = ipaddress.ip_network(subnet, strict=False)
    rec, _ = DB.lookup(net.network_address)
    for p in MODEL.decision(rec):
        if any(x[0] == p and x[3] for x in POPS):
            return p
    return None


# Clients in the test DB on three continents.
CLIENTS = ['81.2.69.160/27', '216.160.83.56/29', '67.43.156.0/24', '89.160.20.112/28']


def test_steered_counts_exactly():
    before = parse(scrape())
    sent = {}
    for i, subnet in enumerate(CLIENTS):
        pop = expected_pop(subnet)
        n = 3 + 2 * i
        for _ in range(n):
            m, ecs = H.ecs_query(SRV.addr, SRV.port, WWW, subnet, 'A')
            got = [ADDR2POP[rr[4]] for rr in m.answer if rr[3] == 1]
            assert got == [pop], '%s: answered %s, the model says %s' % (subnet, got, pop)
        sent[pop] = sent.get(pop, 0) + n
    after = parse(scrape())
    for pop, n in sent.items():
        d = (value(after, 'steerdns_steered_answers_total', method='geodns', arm='', pop=pop)
             - value(before, 'steerdns_steered_answers_total', method='geodns', arm='', pop=pop))
        assert d == n, 'pop %s: %d steered answers sent, counter moved %d' % (pop, n, d)
    total = sum(sent.values())
    d = (value(after, 'steerdns_queries_total', transport='udp', qtype='A', rcode='NOERROR')
         - value(before, 'steerdns_queries_total', transport='udp', qtype='A', rcode='NOERROR'))
    assert d == total, 'queries_total udp/A/NOERROR moved %d, sent %d' % (d, total)
    d = (value(after, 'steerdns_ecs_queries_total', source='ecs')
         - value(before, 'steerdns_ecs_queries_total', source='ecs'))
    assert d == total, 'ecs_queries_total{ecs} moved %d, sent %d' % (d, total)


def test_query_counters_by_transport_type_rcode():
    before = parse(scrape())
    for _ in range(4):
        H.query(SRV.addr, SRV.port, 'nope.geo.test', 'TXT', tcp=True)
    for _ in range(3):
        H.query(SRV.addr, SRV.port, 'www.elsewhere.test', 'A')
    after = parse(scrape())

    def moved(**lab):
        return (value(after, 'steerdns_queries_total', **lab)
                - value(before, 'steerdns_queries_total', **lab))
    assert moved(transport='tcp', qtype='TXT', rcode='NXDOMAIN') == 4
    assert moved(transport='udp', qtype='A', rcode='REFUSED') == 3
    d = (value(after, 'steerdns_ecs_queries_total', source='resolver')
         - value(before, 'steerdns_ecs_queries_total', source='resolver'))
    assert d == 7, 'resolver-located queries moved %d, sent 7' % d


def test_gauges_and_build_info():
    s = parse(scrape())
    version = subprocess.run([BIN, '--version'], capture_output=True).stdout.decode().split()[1]
    assert value(s, 'steerdns_build_info', version=version, identity='metrics-test') == 1
    for p in POPS:
        assert value(s, 'steerdns_pop_up', pop=p[0]) == 1, p[0]
        assert value(s, 'steerdns_pop_admin_state', pop=p[0], state='auto') == 1
        assert value(s, 'steerdns_pop_admin_state', pop=p[0], state='down') == 0
    pid = SRV.proc.pid
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    rss = int(fields[21]) * os.sysconf('SC_PAGE_SIZE')
    got = value(s, 'process_resident_memory_bytes')
    assert 0.5 * rss < got < 2 * rss, 'rss %d, metric %d' % (rss, got)
    nfd = len(os.listdir('/proc/%d/fd' % pid))
    assert abs(value(s, 'process_open_fds') - nfd) <= 2, (value(s, 'process_open_fds'), nfd)


def test_promtool_accepts():
    if not shutil.which('promtool'):
        raise Skip('promtool not installed (Debian package prometheus)')
    text = scrape()
    r = subprocess.run(['promtool', 'check', 'metrics'], input=text.encode(),
                       capture_output=True, timeout=30)
    assert r.returncode == 0, 'promtool: %s %s' % (r.stdout.decode(), r.stderr.decode())


def test_reload_counters():
    s0 = parse(scrape())
    with open(SRV.config) as f:
        good = f.read()
    try:
        with open(SRV.config, 'w') as f:
            f.write(good + 'metrics:\n  nope: 1\n')
        SRV.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
    finally:
        with open(SRV.config, 'w') as f:
            f.write(good)
    SRV.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        s1 = parse(scrape())
        if value(s1, 'steerdns_config_reloads_total', result='success') > \
                value(s0, 'steerdns_config_reloads_total', result='success'):
            break
        time.sleep(0.1)
    assert (value(s1, 'steerdns_config_reloads_total', result='failure')
            - value(s0, 'steerdns_config_reloads_total', result='failure')) == 1
    assert (value(s1, 'steerdns_config_reloads_total', result='success')
            - value(s0, 'steerdns_config_reloads_total', result='success')) == 1
    ts = value(s1, 'steerdns_config_last_reload_success_timestamp_seconds')
    assert abs(ts - time.time()) < 10, ts


def test_bad_metrics_section_is_file_line_col():
    for bad, key in (('metrics:\n  listen: "127.0.0.1"\n', 'listen'),
                     ('metrics:\n  listen: "999.1.1.1:80"\n', 'listen'),
                     ('metrics:\n  port: 80\n', 'port')):
        d = tempfile.mkdtemp(prefix='steerdns-metrics-')
        try:
            p = os.path.join(d, 'c.yaml')
            with open(p, 'w') as f:
                f.write(bad)
            r = subprocess.run([BIN, 'checkconf', '-c', p], capture_output=True, timeout=10)
            err = r.stderr.decode() + r.stdout.decode()
            assert r.returncode != 0, bad
            assert re.search(r'c\.yaml:2:\d+: ', err), err
            assert key in err, err
        finally:
            shutil.rmtree(d, ignore_errors=True)


def test_real_prometheus_scrapes():
    prom = shutil.which('prometheus')
    if not prom:
        raise Skip('prometheus not installed (Debian package prometheus)')
    d = tempfile.mkdtemp(prefix='steerdns-prom-')
    web = H.free_port(False)
    with open(os.path.join(d, 'prometheus.yml'), 'w') as f:
        f.write('global: { scrape_interval: 1s, evaluation_interval: 1s }\n'
                'scrape_configs:\n'
                '  - job_name: steerdns\n'
                '    static_configs: [ { targets: ["127.0.0.1:%d"] } ]\n' % MPORT)
    proc = subprocess.Popen([prom, '--config.file=' + os.path.join(d, 'prometheus.yml'),
                             '--storage.tsdb.path=' + os.path.join(d, 'data'),
                             '--web.listen-address=127.0.0.1:%d' % web],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # A count the test knows: 5 more answers for one client's PoP.
        subnet = CLIENTS[0]
        pop = expected_pop(subnet)
        base = value(parse(scrape()), 'steerdns_steered_answers_total', method='geodns', arm='',
                     pop=pop)
        for _ in range(5):
            H.ecs_query(SRV.addr, SRV.port, WWW, subnet, 'A')
        want = base + 5
        q = 'steerdns_steered_answers_total{method="geodns",arm="",pop="%s"}' % pop
        url = 'http://127.0.0.1:%d/api/v1/query?query=%s' % (web, urllib.request.quote(q))
        got = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    res = json.load(r)
                vals = res['data']['result']
                if vals:
                    got = float(vals[0]['value'][1])
                    if got == want:
                        break
            except OSError:
                pass
            time.sleep(0.5)
        assert got == want, 'Prometheus says %r, expected %d' % (got, want)
        # The scrape itself was healthy in Prometheus's eyes.
        url = 'http://127.0.0.1:%d/api/v1/query?query=up' % web
        with urllib.request.urlopen(url, timeout=5) as r:
            up = json.load(r)['data']['result']
        assert up and up[0]['value'][1] == '1', up
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(d, ignore_errors=True)
