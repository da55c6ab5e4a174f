"""test_dnssec: online signing of a GeoDNS zone, checked by real validators.

  - the DS `steerdns dnssec ds` prints equals what dnssec-dsfromkey
    (BIND) computes from the DNSKEY the server publishes;
  - delv (BIND's validator) with that DNSKEY as the only trust anchor
    validates positive answers (steered and static, wildcard, CNAME),
    NXDOMAIN and NODATA (compact denial, RFC 9824), and the NXDOMAIN
    answer's NSEC carries NXNAME;
  - PowerDNS Recursor with dnssec=validate, forwarding geo.test to us with
    the client's ECS, answers clients in different places with their own
    PoP (expected from the DB by the Python model of test_geodns) and AD.
"""

import os
import shutil
import subprocess
import tempfile
import time

import harness as H
from harness import Skip
import test_geodns as G

ORIGIN = 'geo.test.'
STATE = {}


def _zone():
    z = H.geo_zone_yaml(ORIGIN, steered=(('www', 30, 1),))
    return z + ('  "*.wild": { A: 192.0.2.99 }\n  alias: { CNAME: www }\n'
                '  txt: { TXT: "hello" }\n  sub: { NS: ns.sub }\n  ns.sub: { A: 192.0.2.54 }\n')


def setup_module(binary):
    for t in ('delv', 'dnssec-dsfromkey'):
        H.tool(t)
    G.BIN = binary
    G.CITY = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    G.DB = H.MMDB(G.CITY)
    G.MODEL = H.GeoModel([(p[0], p[1], p[2]) for p in G.POPS], G.RULES, G.FALLBACK)
    conf = H.geo_config_yaml([G.CITY], G.POPS, G.RULES, G.FALLBACK)
    srv = H.Steerdns(binary, [('geo.test.yaml', _zone())], server={'identity': 'sign-test'},
                     extra_config=conf)
    srv.zone_names = ['{ file: geo.test.yaml, dnssec: { key_dir: keys, algorithm: ecdsap256sha256 } }']
    srv._new_port()
    STATE['srv'] = srv
    srv.start()
    STATE['dir'] = tempfile.mkdtemp(prefix='steerdns-dnssec-')


def teardown_module():
    for k in ('rec', 'srv'):
        if STATE.get(k):
            STATE[k].cleanup()
    if STATE.get('dir'):
        shutil.rmtree(STATE['dir'], ignore_errors=True)


def _dnskey():
    """The DNSKEY RRset as served, as dig prints it (one line per key)."""
    srv = STATE['srv']
    out = subprocess.run(['dig', '+norec', '+noall', '+answer', '-p', str(srv.port), '@' + srv.addr,
                          'geo.test', 'DNSKEY'], capture_output=True, text=True, timeout=10).stdout
    lines = [l for l in out.splitlines() if '\tDNSKEY\t' in l or ' DNSKEY ' in l]
    assert len(lines) == 1, 'expected one DNSKEY (one CSK): %r' % out
    return lines[0]


def _anchor_file():
    f = lambda l: l.split()
    parts = f(_dnskey())
    flags, proto, alg, key = parts[4], parts[5], parts[6], ''.join(parts[7:])
    path = os.path.join(STATE['dir'], 'anchor.conf')
    with open(path, 'w') as fh:
        fh.write('trust-anchors { geo.test. static-key %s %s %s "%s"; };\n' % (flags, proto, alg, key))
    return path


def _delv(name, qtype):
    srv = STATE['srv']
    r = subprocess.run(['delv', '@' + srv.addr, '-p', str(srv.port), '-a', _anchor_file(),
                        '+root=geo.test', name, qtype], capture_output=True, text=True, timeout=20)
    return r.stdout + r.stderr


def test_ds_matches_dnssec_dsfromkey():
    srv = STATE['srv']
    path = os.path.join(STATE['dir'], 'dnskey.txt')
    with open(path, 'w') as fh:
        fh.write(_dnskey() + '\n')
    want = subprocess.run(['dnssec-dsfromkey', '-2', '-f', path, 'geo.test'], capture_output=True,
                          text=True, timeout=10)
    assert want.returncode == 0, want.stderr
    got = subprocess.run([srv.binary, 'dnssec', '-c', srv.config, 'ds', 'geo.test'],
                         capture_output=True, text=True, timeout=10)
    assert got.returncode == 0, got.stderr
    assert got.stdout.split() == want.stdout.split(), 'steerdns %r\ndnssec-dsfromkey %r' % (
        got.stdout, want.stdout)
    # The key is reused: a second run prints the same DS, the key_dir holds one key.
    again = subprocess.run([srv.binary, 'dnssec', '-c', srv.config, 'ds', 'geo.test'],
                           capture_output=True, text=True, timeout=10)
    assert again.stdout == got.stdout
    assert len([f for f in os.listdir(os.path.join(srv.dir, 'keys')) if f.endswith('.pem')]) == 1


def test_delv_validates_positive_answers():
    # www is steered: delv asks from 127.0.0.1, which the DB cannot place,
    # so the answer is the fallback's first PoP (iad).
    cases = [('www.geo.test', 'A', G.V4['iad'][0]), ('static.geo.test', 'A', '192.0.2.80'),
             ('x.wild.geo.test', 'A', '192.0.2.99'), ('txt.geo.test', 'TXT', '"hello"'),
             ('geo.test', 'SOA', 'ns1.geo.test.'), ('alias.geo.test', 'A', G.V4['iad'][0])]
    for name, qtype, want in cases:
        out = _delv(name, qtype)
        assert '; fully validated' in out and want in out, '%s %s:\n%s' % (name, qtype, out)


def test_delv_validates_denial():
    for name, qtype in (('nope.geo.test', 'A'), ('a.b.nope.geo.test', 'AAAA'),
                        ('static.geo.test', 'TXT'), ('www.geo.test', 'MX'), ('geo.test', 'AAAA')):
        out = _delv(name, qtype)
        assert 'negative response, fully validated' in out, '%s %s:\n%s' % (name, qtype, out)
    # Compact denial: the name that does not exist has an NSEC owned by
    # itself, next name \000.<name>, bitmap RRSIG NSEC NXNAME (128).
    srv = STATE['srv']
    m = H.query(srv.addr, srv.port, 'nope.geo.test', 'A', do=True)
    nsec = [r for r in m.authority if r[3] == 47]
    assert m.rcode == 0 and len(nsec) == 1 and nsec[0][0] == 'nope.geo.test.', m
    rd = bytes.fromhex(nsec[0][4].split()[2])
    nxt = H.encode_name('nope.geo.test')
    assert rd[:2 + len(nxt)] == b'\x01\x00' + nxt, rd.hex()
    bitmap = rd[2 + len(nxt):]
    # window 0: RRSIG (46) NSEC (47) and NXNAME (128): bytes 5 and 16
    assert bitmap[0] == 0 and bitmap[1] == 17 and bitmap[2 + 5] == 0x03 and bitmap[2 + 16] == 0x80, \
        bitmap.hex()
    # Without DO the same name is a plain NXDOMAIN.
    assert H.query(srv.addr, srv.port, 'nope.geo.test', 'A').rcode == 3


def test_signature_cache_signs_once():
    # ECDSA signatures are randomised: the same RRSIG twice means it came
    # from the cache, a fresh one for another RRset means it was signed.
    srv = STATE['srv']
    sigs = set()
    for _ in range(20):
        m = H.query(srv.addr, srv.port, 'static.geo.test', 'A', do=True)
        sigs.update(r[4] for r in m.answer if r[3] == 46)
    assert len(sigs) <= 2, 'static A signed %d times (2 workers may sign once each)' % len(sigs)


PDNS_CONF = """
local-address=127.0.0.1
local-port={port}
socket-dir={dir}
daemon=no
write-pid=no
dnssec=validate
forward-zones=geo.test.=127.0.0.1:{auth}
lua-config-file={dir}/rec.lua
use-incoming-edns-subnet=yes
edns-subnet-allow-list=geo.test.
ecs-ipv4-bits=32
ecs-ipv6-bits=128
threads=1
quiet=yes
loglevel=3
"""


class Recursor(H._Daemon):
    def __init__(self, auth_port, ds):
        self.name = 'pdns_recursor'
        self.dir = tempfile.mkdtemp(prefix='pdns-rec-')
        self.addr = '127.0.0.1'
        self.port = H.free_port(False)
        with open(os.path.join(self.dir, 'recursor.conf'), 'w') as f:
            f.write(PDNS_CONF.format(port=self.port, dir=self.dir, auth=auth_port))
        with open(os.path.join(self.dir, 'rec.lua'), 'w') as f:
            f.write('addTA("geo.test", "%s")\n' % ds)
        self.proc = None
        self.err = None

    def start(self, timeout=15.0):
        self._launch([H.tool('pdns_recursor'), '--config-dir=' + self.dir])
        probe = H.build_query('static.geo.test', 'A', rd=True)
        return self._wait_serving(
            lambda: H.udp_exchange(self.addr, self.port, probe, timeout=0.3) is not None,
            timeout, 'static.geo.test A')


def test_recursor_validates_steered_answers_per_client():
    srv = STATE['srv']
    ds = subprocess.run([srv.binary, 'dnssec', '-c', srv.config, 'ds', 'geo.test'],
                        capture_output=True, text=True, timeout=10).stdout.split()
    rec = STATE['rec'] = Recursor(srv.port, ' '.join(ds[3:]))
    rec.start()
    seen = set()
    for subnet, where, pop in G.CONTINENT_CASES:
        if ':' in subnet:
            continue
        want, _ = G.expect(subnet)
        assert want == pop, 'model %s for %s, table says %s' % (want, subnet, pop)
        net = subnet.split('/')
        m = H.query(rec.addr, rec.port, 'www.geo.test', 'A', rd=True, do=True, timeout=5.0,
                    options=[H.ecs_option(net[0], int(net[1]))])
        addrs = [r[4] for r in m.answer if r[3] == 1]
        assert m.rcode == 0 and addrs == G.V4[want], '%s (%s): %r' % (subnet, where, m)
        assert m.ad, '%s (%s): no AD bit from the validating recursor: %r' % (subnet, where, m)
        seen.add(want)
    assert len(seen) >= 3, 'clients in different places got only %s' % seen
    # Denial through the validator: AD on the NXDOMAIN-by-NSEC answer too.
    m = H.query(rec.addr, rec.port, 'nope.geo.test', 'A', rd=True, do=True, timeout=5.0)
    assert m.ad and m.rcode in (0, 3), m
