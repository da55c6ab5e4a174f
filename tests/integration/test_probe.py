"""test_probe: `steerdns probe` against three steerdns PoPs on loopback.

Setup (all on one port P, as real PoPs all serve port 53):
  pop-a  127.0.0.2:P and 127.0.0.5:P (the "anycast" address), identity pop-a
  pop-b  127.0.0.3:P, identity pop-b
  pop-c  127.0.0.4:P, identity pop-c
  pop-d  127.0.0.9 in the config only: nothing listens there (or, in one
         test, a socket that swallows every query).
Every PoP serves the same GeoDNS zone with the same config (GeoIP2-City-Test
DB, locations pop-a London, pop-b Frankfurt, pop-c Singapore, pop-d Sydney)
and two cidr rules: 127.0.0.0/8 -> pop-b, 198.51.100.0/24 -> pop-c. pop-a
also acts as the GeoDNS server and, answering authoritatively, as the
"resolver". So, independently of the probe:
  resolver answer (no ECS, asked from 127.0.0.1)     -> pop-b (cidr rule)
  GeoDNS with ECS 198.51.100.0/24                    -> pop-c, scope 24
  GeoDNS with ECS 81.2.69.0/24 (London in the DB)    -> pop-a (nearest)
  anycast address 127.0.0.5                          -> NSID pop-a
"""

import json
import os
import socket
import subprocess
import tempfile
import threading
import time

import harness as H
from harness import Skip

ORIGIN = 'geo.test.'
GEO_NAME = 'www.geo.test'
ADDRS = {'pop-a': '127.0.0.2', 'pop-b': '127.0.0.3', 'pop-c': '127.0.0.4'}
ANYCAST = '127.0.0.5'
DEAD = '127.0.0.9'
POPS = [
    ('pop-a', 51.5, -0.12, [ADDRS['pop-a']], []),
    ('pop-b', 50.11, 8.68, [ADDRS['pop-b']], []),
    ('pop-c', 1.35, 103.82, [ADDRS['pop-c']], []),
    ('pop-d', -33.87, 151.21, [DEAD], []),
]
RULES = [('cidr', ['127.0.0.0/8'], ['pop-b']), ('cidr', ['198.51.100.0/24'], ['pop-c'])]

BIN = None
PORT = None
SERVERS = []
CONFIG = None   # the config the probe reads (pop-a's)
TMP = None


class PopServer(H.Steerdns):
    """A steerdns listening on the given loopback addresses at a fixed port."""

    def __init__(self, binary, zones, listen, port, **kw):
        self._listen = list(listen)
        self._fixed_port = port
        super().__init__(binary, zones, v6=False, **kw)
        self.addr = self._listen[0]

    def _new_port(self):
        self.port = self._fixed_port
        lines = ['server:', '  listen: [%s]' % ', '.join(
            H.yaml_str('%s:%d' % (a, self.port)) for a in self._listen)]
        for k, v in self.server_keys.items():
            if v is not None:
                lines.append('  %s: %s' % (k, H.yaml_str(v) if isinstance(v, str) else v))
        lines.append('zones:')
        for fname in self.zone_names:
            lines.append('  - %s' % fname)
        self.config_text = '\n'.join(lines) + '\n' + self.extra_config
        with open(self.config, 'w') as f:
            f.write(self.config_text)


def common_free_port():
    """A port free for UDP and TCP on every loopback address the test uses."""
    import random
    addrs = ['127.0.0.1', ANYCAST, DEAD] + list(ADDRS.values())
    for _ in range(200):
        port = random.randint(20000, 60000)
        socks = []
        try:
            for a in addrs:
                for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    s = socket.socket(socket.AF_INET, typ)
                    socks.append(s)
                    s.bind((a, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError('no free port common to both')


def setup_module(binary):
    global BIN, PORT, CONFIG, TMP
    BIN = binary
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((ADDRS['pop-b'], 0))
    except OSError:
        raise Skip('cannot bind 127.0.0.3 (loopback is not 127.0.0.0/8 here)')
    city = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    conf = H.geo_config_yaml([city], POPS, RULES)
    zone = H.geo_zone_yaml(ORIGIN, steered=(('www', 30, 1),))
    TMP = tempfile.mkdtemp(prefix='probe-it-')
    for attempt in range(3):
        PORT = common_free_port()
        try:
            for name, addr in sorted(ADDRS.items()):
                listen = [addr, ANYCAST] if name == 'pop-a' else [addr]
                srv = PopServer(BIN, [('geo.test.yaml', zone)], listen, PORT,
                                server={'identity': name}, extra_config=conf)
                SERVERS.append(srv)
                srv.start()
            break
        except AssertionError as e:
            for s in SERVERS:
                s.cleanup()
            del SERVERS[:]
            if attempt == 2 or 'in use' not in str(e).lower():
                raise
    CONFIG = SERVERS[0].config


def teardown_module():
    for s in SERVERS:
        s.cleanup()
    if TMP:
        import shutil
        shutil.rmtree(TMP, ignore_errors=True)


def probe(*args, expect_rc=0, timeout=30):
    """Run the probe; returns (parsed JSON line or None, stdout, stderr, seconds)."""
    t0 = time.monotonic()
    p = subprocess.run([BIN, 'probe'] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    dt = time.monotonic() - t0
    out, err = p.stdout.decode(), p.stderr.decode()
    assert p.returncode == expect_rc, 'probe %s: exit %d (want %d)\nstdout: %s\nstderr: %s' % (
        ' '.join(args), p.returncode, expect_rc, out, err)
    doc = None
    if expect_rc == 0 and out.strip():
        lines = out.splitlines()
        assert len(lines) == 1, 'want one JSON line, got %d: %r' % (len(lines), out)
        doc = json.loads(lines[0])
    return doc, out, err, dt


def full_args(k=5, timeout_ms=1000, extra=()):
    hp = lambda a: '%s:%d' % (a, PORT)  # noqa: E731
    return ['-c', CONFIG, '--name', 'vp-test', '--resolver', hp(ADDRS['pop-a']),
            '--geodns-server', hp(ADDRS['pop-a']), '--geo-name', GEO_NAME,
            '--anycast', hp(ANYCAST), '--port', str(PORT), '-k', str(k),
            '--timeout', str(timeout_ms)] + list(extra)


# ---------------------------------------------------------------------------

def test_probe_expected_pops_and_rtts():
    k, tmo = 5, 1000
    doc, _, err, dt = probe(*full_args(k, tmo, ['--subnet', '198.51.100.0/24']))
    assert doc['vp'] == 'vp-test', doc
    assert doc['vp_addr'] == '127.0.0.1', doc
    assert doc['vp_location'] is None, 'loopback is in no DB: %r' % doc['vp_location']
    assert doc['ts'].endswith('Z') and 'T' in doc['ts'], doc['ts']

    r = doc['geodns_resolver']
    assert r['resolver'] == ADDRS['pop-a'] and r['qname'] == GEO_NAME + '.', r
    assert r['answer'] == [ADDRS['pop-b']] and r['pop'] == 'pop-b', r
    assert r['rcode'] == 'NOERROR', r
    # --subnet is not the VP's own: not sent to the resolver, ECS unknown.
    assert r['ecs'] is None and r['ecs_scope'] is None, r

    e = doc['geodns_ecs']
    assert e['server'] == ADDRS['pop-a'] and e['subnet'] == '198.51.100.0/24', e
    assert e['answer'] == [ADDRS['pop-c']] and e['pop'] == 'pop-c', e
    assert e['scope'] == 24, e

    a = doc['anycast']
    assert a == {'address': ANYCAST, 'nsid': 'pop-a', 'pop': 'pop-a'}, a

    rtt, lost = doc['rtt_ms'], doc['lost']
    assert doc['k'] == k
    for name in ('pop-a', 'pop-b', 'pop-c', 'anycast'):
        assert name in rtt, '%s has no RTT: %r' % (name, doc)
        assert 0 < rtt[name] < tmo, '%s RTT %r' % (name, rtt[name])
        assert lost[name] == 0, '%s lost %d' % (name, lost[name])
    # Nothing listens on pop-d: no RTT, all k lost (ICMP refused: fast).
    assert 'pop-d' not in rtt, rtt
    assert lost['pop-d'] == k, lost
    assert list(rtt) == ['pop-a', 'pop-b', 'pop-c', 'anycast'], list(rtt)
    assert dt < k * tmo / 1000.0 + 5, 'took %.1fs' % dt


def test_probe_defaults_from_source_address():
    """No --subnet, no --vp-addr: the kernel's source towards the GeoDNS
    server (127.0.0.1), ECS 127.0.0.0/24 (private: the server locates the
    resolver instead, so the cidr rule picks pop-b)."""
    doc, _, _, _ = probe(*full_args(2, 500))
    assert doc['vp_addr'] == '127.0.0.1', doc
    e = doc['geodns_ecs']
    assert e['subnet'] == '127.0.0.0/24', e
    assert e['pop'] == 'pop-b', e
    # A private subnet is never sent to the resolver: ECS unknown.
    r = doc['geodns_resolver']
    assert r['ecs'] is None and r['pop'] == 'pop-b', r


def test_probe_vp_location_and_default_subnet():
    """--vp-addr in the DB: located (London, GB), ECS = its /24 -> nearest
    PoP pop-a."""
    doc, _, _, _ = probe(*full_args(2, 500, ['--vp-addr', '81.2.69.142']))
    assert doc['vp_addr'] == '81.2.69.142', doc
    loc = doc['vp_location']
    assert loc is not None and loc['country'] == 'GB' and loc['continent'] == 'EU', loc
    assert abs(loc['lat'] - 51.5) < 1 and abs(loc['lon'] + 0.1) < 1, loc
    e = doc['geodns_ecs']
    assert e['subnet'] == '81.2.69.0/24', e
    assert e['pop'] == 'pop-a' and e['answer'] == [ADDRS['pop-a']], e
    assert isinstance(e['scope'], int) and 0 < e['scope'] <= 32, e
    # The "resolver" (pop-a, answering authoritatively, trusting ECS) got
    # the VP's public /24 as ECS and answered with SCOPE > 0: recorded as a
    # resolver that sends ECS, and its answer is the one for London.
    # (tests/lab has the real case: unbound with and without subnetcache.)
    r = doc['geodns_resolver']
    assert r['ecs'] is True and r['ecs_scope'] == e['scope'], r
    assert r['pop'] == 'pop-a', r


def test_probe_silent_pop_bounded_by_timeout():
    """A PoP that swallows queries (no ICMP): each of the k queries times
    out, so it has no RTT, lost = k, and the run ends within about
    k x timeout while the other targets are measured concurrently."""
    k, tmo = 3, 400
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((DEAD, PORT))
    got = []
    stop = threading.Event()

    def swallow():
        silent.settimeout(0.1)
        while not stop.is_set():
            try:
                got.append(silent.recvfrom(2048)[0])
            except socket.timeout:
                pass

    th = threading.Thread(target=swallow, daemon=True)
    th.start()
    try:
        doc, _, _, dt = probe(*full_args(k, tmo))
    finally:
        stop.set()
        th.join(2)
        silent.close()
    assert len(got) == k, 'silent PoP saw %d queries, want %d' % (len(got), k)
    assert 'pop-d' not in doc['rtt_ms'] and doc['lost']['pop-d'] == k, doc
    for name in ('pop-a', 'pop-b', 'pop-c', 'anycast'):
        assert doc['lost'][name] == 0 and doc['rtt_ms'][name] > 0, (name, doc)
    bound = k * tmo / 1000.0
    assert dt >= bound * 0.9, 'finished in %.2fs, before %d timeouts of %d ms' % (dt, k, tmo)
    assert dt < bound + 2.0, 'took %.2fs, bound %.2fs' % (dt, bound)


def test_probe_only_rtts_and_out_appends():
    """Only -c: no GeoDNS or anycast measurement (nulls), RTTs to the
    PoPs; --out appends one line per run."""
    out = os.path.join(TMP, 'probe.jsonl')
    for _ in range(2):
        doc, stdout, _, _ = probe('-c', CONFIG, '--port', str(PORT), '-k', '1',
                                  '--timeout', '500', '--out', out)
        assert stdout == '' and doc is None
    with open(out) as f:
        lines = f.read().splitlines()
    assert len(lines) == 2, lines
    for line in lines:
        d = json.loads(line)
        assert d['geodns_resolver'] is None and d['geodns_ecs'] is None and d['anycast'] is None, d
        assert set(d['rtt_ms']) == {'pop-a', 'pop-b', 'pop-c'}, d
        assert d['lost'] == {'pop-a': 0, 'pop-b': 0, 'pop-c': 0, 'pop-d': 1}, d
        assert d['vp'], 'default VP name is the host name: %r' % d


def test_probe_usage_errors():
    for args in (['-c', CONFIG, '-k', '0'], ['-c', CONFIG, '--resolver', '127.0.0.1'],
                 ['-c', CONFIG, '--anycast', 'not-an-address'],
                 ['-c', CONFIG, '--subnet', '10.0.0.0/33'], ['-c', CONFIG, 'extra'],
                 ['-c', CONFIG, '--bogus']):
        _, out, err, _ = probe(*args, expect_rc=2)
        assert 'usage: steerdns probe' in err, (args, err)
        assert out == '', (args, out)
    _, _, err, _ = probe('-c', os.path.join(TMP, 'missing.yaml'), expect_rc=1)
    assert 'missing.yaml' in err, err
