"""test_geodns: GeoDNS answers, ECS scopes, health failover and DB reloads end to end.

Expected answers are derived here, independently of the server: a pure
Python MaxMind DB reader (harness.MMDB) gives each client's record, and
harness.GeoModel applies the same policy (rules, then haversine ranking,
then the fallback list). The expected ECS scope (harness.true_scope) is the
shortest prefix around the client over which that ordered PoP list is
constant, computed by walking the DB tree in Python.

Servers used:
  MAIN    GeoIP2-City-Test.mmdb, 5 PoPs on 4 continents, rule SE -> [fra, lon],
          fallback [iad, lon], ECS trusted from all, no clamp, no checks.
  others  started per test (trust list, clamps, health checks, reloads).
"""

import ipaddress
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import harness as H
from harness import Skip

ORIGIN = 'geo.test.'
WWW = 'www.geo.test'
TWO = 'two.geo.test'
POPS = [
    ('lon', 51.5, -0.12, ['192.0.2.1'], ['2001:db8::1']),
    ('fra', 50.11, 8.68, ['192.0.2.2'], ['2001:db8::2']),
    ('iad', 38.95, -77.45, ['192.0.2.3'], []),
    ('sin', 1.35, 103.82, ['192.0.2.4'], ['2001:db8::4']),
    ('syd', -33.87, 151.21, ['192.0.2.5'], []),
]
RULES = [('country', ['SE'], ['fra', 'lon'])]
FALLBACK = ['iad', 'lon']
V4 = {p[0]: p[3] for p in POPS}
V6 = {p[0]: p[4] for p in POPS}
ADDR2POP = {}
for _p in POPS:
    for _a in _p[3] + _p[4]:
        ADDR2POP[_a] = _p[0]

BIN = None
MAIN = None
DB = None
MODEL = None
CITY = None


def zone():
    return H.geo_zone_yaml(ORIGIN, steered=(('www', 30, 1), ('two', 20, 2)))


def geo_server(db_paths, pops=POPS, rules=RULES, fallback=FALLBACK, **kw):
    """A steerdns with the geo config; not started."""
    conf = H.geo_config_yaml(db_paths, pops, rules, fallback, **kw)
    return H.Steerdns(BIN, [('geo.test.yaml', zone())], server={'identity': 'geo-test'},
                      extra_config=conf)


def setup_module(binary):
    global BIN, MAIN, DB, MODEL, CITY
    BIN = binary
    CITY = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    DB = H.MMDB(CITY)
    MODEL = H.GeoModel([(p[0], p[1], p[2]) for p in POPS], RULES, FALLBACK)
    MAIN = geo_server([CITY])
    MAIN.start()


def teardown_module():
    if MAIN:
        MAIN.cleanup()


# ---------------------------------------------------------------------------
# helpers

def pops_of(m, qtype='A'):
    """PoP names answered, in answer order (raises on an unknown address)."""
    t = H.TYPES[qtype]
    out = []
    for rr in m.answer:
        if rr[3] == t:
            assert rr[4] in ADDR2POP, 'answer %s is no PoP address' % rr[4]
            out.append(ADDR2POP[rr[4]])
    return out


def first_with(decision, fam):
    table = V4 if fam == 4 else V6
    for p in decision:
        if table[p]:
            return p
    return None


def expect(subnet, model=None, db=None, clamp=None):
    """(expected PoP for A, expected scope) for an ECS subnet."""
    model = model or MODEL
    db = db or DB
    net = ipaddress.ip_network(subnet, strict=False)
    rec, _ = db.lookup(net.network_address)
    dec = model.decision(rec)
    scope = H.true_scope(db, model, net.network_address)
    if clamp:
        scope = max(clamp[0], min(clamp[1], scope))
    return first_with(dec, 4), scope


def ask(srv, subnet, qname=WWW, qtype='A'):
    m, ecs = H.ecs_query(srv.addr, srv.port, qname, subnet, qtype)
    assert m.rcode == 0, '%s %s ECS %s: %s' % (qname, qtype, subnet, m.rcode_name())
    assert ecs is not None, '%s ECS %s: no ECS option in the reply: %r' % (qname, subnet, m)
    return pops_of(m, qtype), ecs


def wait_for(pred, timeout, step=0.05):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        v = pred()
        if v:
            return time.monotonic() - t0
        time.sleep(step)
    return None


# ---------------------------------------------------------------------------
# answers per continent, with dig and kdig

# (ECS subnet, continent/country in the DB, expected PoP) - the PoP names are
# written out so a wrong Python model cannot make server and test agree.
CONTINENT_CASES = [
    ('81.2.69.160/27', 'EU/GB', 'lon'),
    ('2a02:d180::/29', 'EU/DE', 'fra'),
    ('89.160.20.112/28', 'EU/SE (rule)', 'fra'),
    ('2001:218::/32', 'AS/JP', 'sin'),
    ('67.43.156.0/24', 'AS/BT', 'sin'),
    ('214.0.1.0/24', 'OC/AU', 'syd'),
    ('216.160.83.56/29', 'NA/US', 'iad'),
    ('2001:480:10::/48', 'NA/US', 'iad'),
    ('2a02:e700::/29', 'AF/LY', 'fra'),
]


def test_continents_dig_kdig():
    for subnet, where, want in CONTINENT_CASES:
        pop, scope = expect(subnet)
        assert pop == want, 'Python model gives %s for %s (%s), test table says %s' % (
            pop, subnet, where, want)
        net = ipaddress.ip_network(subnet)
        for tool in ('dig', 'kdig'):
            res = H.run_dig(tool, '127.0.0.1', MAIN.port, WWW, 'A', extra=['+subnet=' + subnet])
            ctx = '%s A +subnet=%s (%s) via %s:\n%s' % (WWW, subnet, where, tool, res.text)
            assert res.rcode == 'NOERROR', ctx
            assert res.answer == [('www.geo.test.', 30, 1, 1, V4[want][0])], \
                'answer %s, want %s (%s)\n%s' % (res.answer, want, V4[want][0], ctx)
            want_ecs = '%s/%d/%d' % (net.network_address, net.prefixlen, scope)
            assert res.ecs == want_ecs, 'ECS %s, want %s\n%s' % (res.ecs, want_ecs, ctx)


def test_lookup_command():
    cfg = MAIN.config
    p = subprocess.run([BIN, 'lookup', '-c', cfg, '89.160.20.112/28'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=10)
    out = p.stdout.decode()
    assert p.returncode == 0, 'lookup exit %d:\n%s' % (p.returncode, out)
    assert re.search(r'country SE continent EU', out), 'location line:\n' + out
    assert re.search(r'DB network 89\.160\.20\.112/28', out), 'DB network:\n' + out
    assert re.search(r'rule:.*policy rule 1 \(country\)', out), 'rule line:\n' + out
    ranked = re.findall(r'^\s+\d+\.\s+(\w+)\s+(\d+) km\s+up', out, re.M)
    assert [n for n, _ in ranked] == ['fra', 'lon'], 'ranked PoPs %s:\n%s' % (ranked, out)
    # Distances as haversine from the DB coordinates (58.4167, 15.6167).
    for name, km in ranked:
        pop = [x for x in POPS if x[0] == name][0]
        want = H.haversine_km(58.4167, 15.6167, pop[1], pop[2])
        assert abs(int(km) - want) <= 2, '%s: %s km, want %.0f' % (name, km, want)
    assert re.search(r'scope:\s+/28\b', out), 'scope line:\n' + out
    # A distance-ranked client, and the resolver fallback.
    p = subprocess.run([BIN, 'lookup', '-c', cfg, '2001:218::/32'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=10)
    out = p.stdout.decode()
    ranked = [n for n, _ in re.findall(r'^\s+\d+\.\s+(\w+)\s+(\d+) km', out, re.M)]
    want = [n for n, _ in MODEL.ranked(35.68536, 139.75309)]
    assert ranked == want, 'JP ranking %s, want %s:\n%s' % (ranked, want, out)
    assert re.search(r'scope:\s+/%d\b' % expect('2001:218::/32')[1], out), 'JP scope:\n' + out
    p = subprocess.run([BIN, 'lookup', '-c', cfg, '10.1.2.0/24', '--resolver', '127.0.0.1'],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
    out = p.stdout.decode()
    assert re.search(r'fallback', out) and re.search(r'^\s+1\.\s+iad\b', out, re.M), \
        'private ECS via lookup should fall back to the resolver (fallback list):\n' + out


# ---------------------------------------------------------------------------
# the scope property over every network of the test DB

def test_scope_never_spans_a_boundary():
    nets = H.json_networks('GeoIP2-City-Test')
    assert len(nets) > 200, 'only %d networks read' % len(nets)
    checked = 0
    for net in nets:
        subnet = str(net)
        want_pop, want_scope = expect(subnet)
        got, ecs = ask(MAIN, subnet)
        assert got == [want_pop], 'ECS %s: answered %s, want %s' % (subnet, got, want_pop)
        fam, src, scope, addr = ecs
        assert (src, addr) == (net.prefixlen, str(net.network_address)), \
            'ECS %s echoed as %s' % (subnet, ecs)
        assert scope == want_scope, 'ECS %s: scope %d, true scope %d' % (subnet, scope, want_scope)
        # Every address of the scope prefix must get the same answer.
        block = ipaddress.ip_network('%s/%d' % (net.network_address, scope), strict=False)
        full = 32 if net.version == 4 else 128
        for a in (block.network_address, block.broadcast_address):
            g2, e2 = ask(MAIN, '%s/%d' % (a, full))
            assert g2 == got, ('scope %s of ECS %s spans a decision boundary: %s gets %s, '
                               'the network %s' % (block, subnet, a, g2, got))
            assert e2[2] == scope, 'ECS %s/%d: scope %d, want %d (same merged block %s)' % (
                a, full, e2[2], scope, block)
        checked += 1
    print('  scope property held for %d networks (%d queries)' % (checked, checked * 3))


MERGE_PL = r'''
use strict; use warnings;
use MaxMind::DB::Writer::Tree;
my %types = (location => 'map', latitude => 'double', longitude => 'double',
             country => 'map', iso_code => 'utf8_string', continent => 'map',
             code => 'utf8_string', city => 'map', names => 'map', en => 'utf8_string');
my $t = MaxMind::DB::Writer::Tree->new(ip_version => 6, record_size => 24,
    database_type => 'steerdns-merge-test', languages => ['en'],
    description => { en => 'merge test' }, map_key_type_callback => sub { $types{$_[0]} },
    alias_ipv6_to_ipv4 => 1, remove_reserved_networks => 0);
sub rec { my ($lat, $lon, $cc, $city) = @_;
  return { location => { latitude => $lat, longitude => $lon }, country => { iso_code => $cc },
           continent => { code => 'EU' }, city => { names => { en => $city } } } }
# Two halves of 11/8, same place (Frankfurt) but different records: one decision.
$t->insert_network('11.0.0.0/9', rec(50.1109, 8.6821, 'DE', 'Frankfurt'));
$t->insert_network('11.128.0.0/9', rec(50.1109, 8.6821, 'DE', 'Frankfurt am Main'));
# Two halves of 12/8 with different decisions (Frankfurt, London).
$t->insert_network('12.0.0.0/9', rec(50.1109, 8.6821, 'DE', 'Frankfurt'));
$t->insert_network('12.128.0.0/9', rec(51.5072, -0.1276, 'GB', 'London'));
# A single London address inside a Frankfurt /24: a /32 decision.
$t->insert_network('13.0.0.0/24', rec(50.1109, 8.6821, 'DE', 'Frankfurt'));
$t->insert_network('13.0.0.1/32', rec(51.5072, -0.1276, 'GB', 'London'));
# IPv6: two /33 halves of 2a0a::/32 with the same place.
$t->insert_network('2a0a::/33', rec(51.5072, -0.1276, 'GB', 'London'));
$t->insert_network('2a0a:0:8000::/33', rec(51.5072, -0.1276, 'GB', 'Westminster'));
open my $fh, '>:raw', $ARGV[0] or die "$ARGV[0]: $!";
$t->write_tree($fh); close $fh or die;
'''


def merge_db(tmpdir):
    perl = shutil.which('perl')
    if not perl:
        raise Skip('perl not installed')
    p = subprocess.run([perl, '-MMaxMind::DB::Writer::Tree', '-e', '1'], stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise Skip('MaxMind::DB::Writer not installed (Debian libmaxmind-db-writer-perl)')
    script = os.path.join(tmpdir, 'merge.pl')
    with open(script, 'w') as f:
        f.write(MERGE_PL)
    out = os.path.join(tmpdir, 'merge.mmdb')
    p = subprocess.run([perl, script, out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    assert p.returncode == 0, 'merge.pl failed:\n%s' % p.stdout.decode()
    return out


MERGE_POPS = POPS[:3]    # lon, fra, iad


def test_scope_merges_adjacent_networks():
    tmp = tempfile.mkdtemp(prefix='geo-merge-')
    srv = None
    try:
        path = merge_db(tmp)
        db = H.MMDB(path)
        model = H.GeoModel([(p[0], p[1], p[2]) for p in MERGE_POPS], (), ['iad'])
        srv = geo_server([path], pops=MERGE_POPS, rules=(), fallback=['iad'])
        srv.start()
        # (subnet, PoP, scope): written out, and cross-checked with the model.
        cases = [('11.0.0.0/9', 'fra', 8), ('11.128.0.0/9', 'fra', 8), ('11.5.6.0/24', 'fra', 8),
                 ('12.0.0.0/9', 'fra', 9), ('12.128.0.0/9', 'lon', 9),
                 ('13.0.0.1/32', 'lon', 32), ('13.0.0.0/32', 'fra', 32), ('13.0.0.128/25', 'fra', 25),
                 ('2a0a::/33', 'lon', 32), ('2a0a:0:8000::/33', 'lon', 32), ('2a0a:0:1::/48', 'lon', 32),
                 ('14.0.0.0/8', 'iad', 7)]   # 14/8 and 15/8 both empty: fallback over /7
        for subnet, pop, scope in cases:
            mp, ms = expect(subnet, model, db)
            assert (mp, ms) == (pop, scope), 'model: %s -> %s/%d, table %s/%d' % (subnet, mp, ms, pop, scope)
            got, ecs = ask(srv, subnet)
            assert got == [pop], 'ECS %s: answered %s, want %s' % (subnet, got, pop)
            assert ecs[2] == scope, 'ECS %s: scope %d, want %d (adjacent equal networks merged)' % (
                subnet, ecs[2], scope)
    finally:
        if srv:
            srv.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def test_scope_clamp():
    tmp = tempfile.mkdtemp(prefix='geo-clamp-')
    srv = None
    try:
        path = merge_db(tmp)
        srv = geo_server([path], pops=MERGE_POPS, rules=(), fallback=['iad'],
                         scope4=(16, 24), scope6=(40, 48))
        srv.start()
        for subnet, pop, scope in [('13.0.0.1/32', 'lon', 24),     # /32 decision, max 24
                                   ('11.0.0.0/9', 'fra', 16),      # /8 decision, min 16
                                   ('12.128.0.0/9', 'lon', 16),    # /9 decision, min 16
                                   ('13.0.0.128/25', 'fra', 24),   # /25 decision, max 24
                                   ('2a0a::/33', 'lon', 40),       # /32 decision, min 40
                                   ('2a0a::1/128', 'lon', 40)]:
            got, ecs = ask(srv, subnet)
            assert got == [pop], 'ECS %s: answered %s, want %s' % (subnet, got, pop)
            assert ecs[2] == scope, 'ECS %s with clamp v4 16..24 v6 40..48: scope %d, want %d' % (
                subnet, ecs[2], scope)
        # Static names keep scope 0 whatever the clamp.
        m, ecs = H.ecs_query(srv.addr, srv.port, 'static.geo.test', '13.0.0.1/32')
        assert ecs and ecs[2] == 0, 'static name with ECS: %s' % (ecs,)
    finally:
        if srv:
            srv.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# ECS edge cases

def test_ecs_formerr_still_formerr():
    base = H.build_query(WWW, 'A', edns=False)
    hdr = base[:10] + b'\x00\x01'     # ARCOUNT 1
    q = base[12:]

    def send(opt_payload, what):
        raw = hdr + q + b'\x00' + struct.pack('!HHIH', 41, 1232, 0, len(opt_payload)) + opt_payload
        r = H.udp_exchange('127.0.0.1', MAIN.port, raw)
        assert r is not None, '%s: no answer' % what
        m = H.decode(r)
        assert m.rcode == 1 and not m.answer, '%s: %s %s, want FORMERR' % (what, m.rcode_name(), m.answer)

    def ecs(fam, src, scope, addr):
        body = struct.pack('!HBB', fam, src, scope) + addr
        return struct.pack('!HH', 8, len(body)) + body

    send(ecs(1, 24, 24, b'\x51\x02\x45'), 'ECS scope 24 in a query')
    send(ecs(3, 24, 0, b'\x51\x02\x45'), 'ECS family 3')
    send(ecs(1, 33, 0, b'\x51\x02\x45\xa0\x00'), 'ECS IPv4 source 33')
    send(ecs(2, 129, 0, b'\x2a' + b'\x00' * 16), 'ECS IPv6 source 129')
    send(ecs(1, 20, 0, b'\x51\x02\x4f'), 'ECS address bits beyond source')
    send(ecs(1, 24, 0, b'\x51\x02\x45\xa0'), 'ECS address longer than source')
    send(ecs(1, 27, 0, b'\x51\x02'), 'ECS address shorter than source')
    send(struct.pack('!HH', 8, 2) + b'\x00\x01', 'ECS option of 2 bytes')


def resolver_answer(srv, qtype='A'):
    """What a client without usable ECS at 127.0.0.1 gets: the fallback list."""
    return first_with(FALLBACK, 4 if qtype == 'A' else 6)


def test_ecs_private_and_zero_use_resolver():
    want = resolver_answer(MAIN)
    assert want == 'iad'
    for subnet in ('10.0.0.0/8', '10.1.2.0/24', '192.168.1.0/24', '172.16.0.0/12', '100.64.0.0/10',
                   '127.0.0.0/8', '169.254.0.0/16', 'fd00::/8', 'fe80::/64', '::1/128'):
        got, ecs = ask(MAIN, subnet)
        assert got == [want], 'private ECS %s: answered %s, want the resolver\'s %s' % (subnet, got, want)
        assert ecs[2] == 0, 'private ECS %s: scope %d, want 0' % (subnet, ecs[2])
    for fam in (1, 2):
        m = MAIN.query(WWW, 'A', options=[(H.OPT_ECS, struct.pack('!HBB', fam, 0, 0))])
        e = H.ecs_of(m)
        assert pops_of(m) == [want], 'ECS family %d source 0: answered %s, want %s' % (fam, pops_of(m), want)
        assert e == (fam, 0, 0, '0.0.0.0' if fam == 1 else '::'), 'ECS /0 echo %s, want scope 0' % (e,)
    res = H.run_dig('dig', '127.0.0.1', MAIN.port, WWW, 'A', extra=['+subnet=10.0.0.0/8'])
    assert res.ecs == '10.0.0.0/8/0' and res.answer == [('www.geo.test.', 30, 1, 1, V4[want][0])], \
        'dig +subnet=10.0.0.0/8:\n' + res.text


def test_ecs_untrusted_resolver():
    srv = geo_server([CITY], ecs_trust=['192.0.2.0/24'])
    try:
        srv.start()
        for subnet in ('81.2.69.160/27', '2001:218::/32', '214.0.1.0/24'):
            got, ecs = ask(srv, subnet)
            assert got == ['iad'], 'ECS %s from untrusted 127.0.0.1: answered %s, want iad (resolver)' % (
                subnet, got)
            assert ecs[2] == 0, 'ECS %s from an untrusted resolver: scope %d, want 0' % (subnet, ecs[2])
        # The same query on MAIN (trust: all) uses the subnet.
        assert ask(MAIN, '81.2.69.160/27')[0] == ['lon']
    finally:
        srv.cleanup()


def test_resolver_fallback_without_ecs():
    m = MAIN.query(WWW, 'A')
    assert pops_of(m) == ['iad'] and m.answer[0][1] == 30, 'no ECS from 127.0.0.1: %r' % m
    assert H.ecs_of(m) is None, 'ECS in a reply to a query without ECS: %s' % m.opt
    m = MAIN.query(WWW, 'A', edns=False)
    assert pops_of(m) == ['iad'], 'no EDNS from 127.0.0.1: %r' % m
    # iad has no IPv6: AAAA goes to the next PoP of the fallback list with IPv6.
    m = MAIN.query(WWW, 'AAAA')
    assert pops_of(m, 'AAAA') == ['lon'], 'AAAA from 127.0.0.1: %r' % m
    m = MAIN.query(TWO, 'A')
    assert pops_of(m) == ['iad', 'lon'] and m.answer[0][1] == 20, 'two A from 127.0.0.1: %r' % m
    if MAIN.v6:
        m = MAIN.query(WWW, 'A', addr='::1')
        assert pops_of(m) == ['iad'], 'no ECS from ::1: %r' % m
    # Static names answer statically with scope 0.
    m, ecs = H.ecs_query(MAIN.addr, MAIN.port, 'static.geo.test', '81.2.69.160/27')
    assert [r[4] for r in m.answer] == ['192.0.2.80'] and ecs[2] == 0, 'static with ECS: %r' % m


def test_answers_two_and_aaaa():
    for subnet in ('81.2.69.160/27', '2001:218::/32', '89.160.20.112/28', '214.0.1.0/24', '216.160.83.56/29'):
        net = ipaddress.ip_network(subnet)
        rec, _ = DB.lookup(net.network_address)
        dec = MODEL.decision(rec)
        scope = H.true_scope(DB, MODEL, net.network_address)
        want4 = [p for p in dec if V4[p]][:2]
        got, ecs = ask(MAIN, subnet, TWO, 'A')
        assert got == want4, 'two A ECS %s: %s, want %s' % (subnet, got, want4)
        assert ecs[2] == scope, 'two A ECS %s: scope %d, want %d' % (subnet, ecs[2], scope)
        want6 = [p for p in dec if V6[p]][:1]
        got, ecs = ask(MAIN, subnet, WWW, 'AAAA')
        assert got == want6, 'www AAAA ECS %s: %s, want %s' % (subnet, got, want6)
        m, _ = H.ecs_query(MAIN.addr, MAIN.port, WWW, subnet, 'AAAA')
        assert [r[4] for r in m.answer] == [V6[want6[0]][0]] and m.answer[0][1] == 30, repr(m)
        want6b = [p for p in dec if V6[p]][:2]
        got, _ = ask(MAIN, subnet, TWO, 'AAAA')
        assert got == want6b, 'two AAAA ECS %s: %s, want %s' % (subnet, got, want6b)
    # Written out for one case: AU gets syd, which has no IPv6; sin is next.
    assert ask(MAIN, '214.0.1.0/24', WWW, 'AAAA')[0] == ['sin']
    assert ask(MAIN, '214.0.1.0/24', TWO, 'A')[0] == ['syd', 'sin']


def test_v4_in_v6_ecs():
    """IPv4 data reached through IPv6 forms: 6to4 (2002::/16) and v4-mapped ECS."""
    # 6to4 of 81.2.69.160/27 is 2002:5102:45a0::/43; MaxMind aliases 2002::/16 to IPv4.
    got, ecs = ask(MAIN, '2002:5102:45a0::/43')
    want_pop, want_scope = expect('2002:5102:45a0::/43')
    assert want_pop == 'lon' and want_scope == 43, (want_pop, want_scope)
    assert got == ['lon'], '6to4 ECS 2002:5102:45a0::/43: %s, want lon' % got
    assert ecs[2] == want_scope, '6to4 ECS: scope %d, want %d' % (ecs[2], want_scope)
    # v4-mapped ECS (family 2): the scope must be in IPv6 bits (RFC 7871 6: SCOPE
    # is a prefix length of the option's FAMILY): 96 + the IPv4 scope.
    got, ecs = ask(MAIN, '::ffff:81.2.69.160/123')
    v4scope = expect('81.2.69.160/27')[1]
    assert got == ['lon'], 'v4-mapped ECS ::ffff:81.2.69.160/123: %s, want lon' % got
    assert ecs[:2] == (2, 123) and ecs[2] == 96 + v4scope, \
        'v4-mapped ECS ::ffff:81.2.69.160/123: echoed %s, want family 2 source 123 scope %d' % (
            ecs, 96 + v4scope)


# ---------------------------------------------------------------------------
# health checks

class TcpTarget:
    """A real listening TCP socket on 127.0.0.1 that accepts and closes."""

    def __init__(self):
        self.port = H.free_port(False)
        self.sock = None
        self.thread = None
        self.stop_ev = threading.Event()

    def up(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', self.port))
        s.listen(64)
        s.settimeout(0.1)
        self.sock = s
        self.stop_ev.clear()
        self.thread = threading.Thread(target=self._run, args=(s,), daemon=True)
        self.thread.start()

    def _run(self, s):
        while not self.stop_ev.is_set():
            try:
                c, _ = s.accept()
                c.close()
            except (socket.timeout, OSError):
                continue

    def down(self):
        self.stop_ev.set()
        if self.thread:
            self.thread.join(1)
        if self.sock:
            self.sock.close()
        self.sock = None


def health_server(state_file, tcp_port):
    checks = {
        'lon': '{type: tcp, port: %d, address: 127.0.0.1, interval: 0.2, timeout: 0.1, rise: 1, fall: 2}'
               % tcp_port,
        'fra': '{type: file, file: %s, interval: 0.2}' % H.yaml_str(state_file),
    }
    return geo_server([CITY], checks=checks)


def write_state(path, text):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text + '\n')
    os.rename(tmp, path)


def test_health_tcp_file_fail_open():
    tmp = tempfile.mkdtemp(prefix='geo-health-')
    state = os.path.join(tmp, 'fra.state')
    write_state(state, 'up')
    tgt = TcpTarget()
    tgt.up()
    srv = health_server(state, tgt.port)
    try:
        srv.start()
        gb, de, se = '81.2.69.160/27', '2a02:d180::/29', '89.160.20.112/28'
        assert wait_for(lambda: ask(srv, gb)[0] == ['lon'], 3), 'GB never got lon with its check up:\n' + srv.stderr()
        assert ask(srv, de)[0] == ['fra'] and ask(srv, se)[0] == ['fra']

        # TCP target down: interval 0.2 x fall 2 = 0.4 s (+ timeout and one interval of phase).
        tgt.down()
        t = wait_for(lambda: ask(srv, gb)[0] == ['fra'], 5)
        assert t is not None, 'GB still on lon 5 s after its tcp target closed:\n' + srv.stderr()
        assert t <= 1.5, 'lon taken out after %.2f s, want about interval x fall = 0.4 s' % t
        assert re.search(r'pop lon: up -> down', srv.stderr()), 'no health change log:\n' + srv.stderr()
        # Scope does not depend on health.
        assert ask(srv, gb)[1][2] == expect(gb)[1]
        tgt.up()
        t = wait_for(lambda: ask(srv, gb)[0] == ['lon'], 5)
        assert t is not None and t <= 1.5, 'lon back after %s s (rise 1 x 0.2 s):\n%s' % (t, srv.stderr())
        assert re.search(r'pop lon: down -> up', srv.stderr()), 'no recovery log:\n' + srv.stderr()

        # File check: down, drain and up.
        for word, want in (('down', ['lon']), ('up', ['fra']), ('drain', ['lon']), ('up', ['fra'])):
            write_state(state, word)
            t = wait_for(lambda: ask(srv, de)[0] == want, 5)
            assert t is not None, 'state file "%s": DE client never got %s (got %s):\n%s' % (
                word, want, ask(srv, de)[0], srv.stderr())
        assert re.search(r'pop fra: \S+ -> drain', srv.stderr()), 'no drain log:\n' + srv.stderr()

        # Every PoP of SE's list [fra, lon] down: fail open to fra, and say so.
        write_state(state, 'down')
        tgt.down()
        t = wait_for(lambda: ask(srv, gb)[0] == ['iad'] and ask(srv, de)[0] == ['iad'], 5)
        assert t is not None, 'fra and lon not both down (GB %s, DE %s):\n%s' % (
            ask(srv, gb)[0], ask(srv, de)[0], srv.stderr())
        got, _ = ask(srv, se)
        assert got == ['fra'], 'SE with fra and lon down: %s, want fra (fail open)' % got
        assert wait_for(lambda: 'every PoP in a client\'s list is down' in srv.stderr(), 2), \
            'no fail-open log line:\n' + srv.stderr()
    finally:
        tgt.down()
        srv.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# DB reloads and start-up errors

POS_RE = r'%s:(\d+):(\d+): '


def test_reload_bad_db_keeps_old():
    srv = geo_server(['geo.mmdb'])
    dbpath = os.path.join(srv.dir, 'geo.mmdb')
    shutil.copy(CITY, dbpath)
    bad_dir = os.path.join(H.mmdb_dir(), 'bad-data')
    bads = [os.path.join(bad_dir, 'libmaxminddb-corrupt-search-tree.mmdb'),
            os.path.join(bad_dir, 'libmaxminddb-metadata-marker-only.mmdb'),
            os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test-Invalid-Node-Count.mmdb'),
            os.path.join(H.mmdb_dir(), 'MaxMind-DB-test-broken-search-tree-24.mmdb')]
    try:
        srv.start()
        # server_start answers queries before server_run installs the SIGHUP
        # handler (reported): a SIGHUP in that window kills the process.
        assert wait_for(lambda: 'ready:' in srv.stderr(), 5) is not None, srv.stderr()
        time.sleep(0.3)
        base = {s: ask(srv, s) for s in ('81.2.69.160/27', '2001:218::/32', '214.0.1.0/24')}
        assert base['81.2.69.160/27'][0] == ['lon']
        for bad in bads:
            n = srv.err.count()
            shutil.copy(bad, dbpath)
            srv.proc.send_signal(signal.SIGHUP)
            t = wait_for(lambda: re.search(POS_RE % re.escape(srv.config), srv.err.since(n)), 5)
            assert t is not None, 'SIGHUP with %s: no file:line:col: error for %s:\n%s' % (
                os.path.basename(bad), srv.config, srv.err.since(n))
            assert srv.alive(), 'server died on reload with %s:\n%s' % (bad, srv.stderr())
            for s, want in base.items():
                got = ask(srv, s)
                assert got == want, 'after a bad reload (%s) ECS %s: %s, want %s' % (
                    os.path.basename(bad), s, got, want)
        # A good DB again reloads.
        n = srv.err.count()
        shutil.copy(CITY, dbpath)
        srv.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert srv.alive() and ask(srv, '81.2.69.160/27')[0] == ['lon'], srv.err.since(n)
    finally:
        srv.cleanup()


def test_missing_db_checkconf():
    srv = geo_server(['/nonexistent/steerdns-none.mmdb'])
    try:
        p = subprocess.run([BIN, 'checkconf', '-c', srv.config], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=10)
        out = p.stdout.decode()
        assert p.returncode == 1, 'checkconf with a missing DB: exit %d, want 1:\n%s' % (p.returncode, out)
        m = re.search(POS_RE % re.escape(srv.config), out)
        assert m, 'no %s:line:col: in:\n%s' % (srv.config, out)
        lines = srv.config_text.split('\n')
        want_line = [i + 1 for i, ln in enumerate(lines) if 'steerdns-none.mmdb' in ln][0]
        assert int(m.group(1)) == want_line, 'error at line %s, the DB is named on line %d:\n%s' % (
            m.group(1), want_line, out)
        assert 'steerdns-none.mmdb' in out, out
        # serve refuses to start the same way.
        p = subprocess.run([BIN, 'serve', '-c', srv.config], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=10)
        assert p.returncode != 0 and re.search(POS_RE % re.escape(srv.config), p.stdout.decode()), \
            'serve with a missing DB: exit %d:\n%s' % (p.returncode, p.stdout.decode())
    finally:
        srv.cleanup()


def test_cidr_and_asn_rules():
    """Policy rules on client networks and ASNs, in rule order: a cidr rule
    for loopback (the resolver fallback for local queries), an asn rule from
    GeoLite2-ASN-Test ahead of a country rule that also matches."""
    asn_db = os.path.join(H.mmdb_dir(), 'GeoLite2-ASN-Test.mmdb')
    rules = [('cidr', ['127.0.0.0/8', '"::1/128"', '81.2.69.176/28'], ['syd']),
             ('asn', ['29518'], ['sin']),
             ('country', ['SE'], ['fra', 'lon'])]
    conf = H.geo_config_yaml([CITY], POPS, rules, FALLBACK)
    conf = conf.replace('  schema: maxmind\n',
                        '  schema: maxmind\n  asn_database: %s\n' % H.yaml_str(asn_db))
    srv = H.Steerdns(BIN, [('geo.test.yaml', zone())], server={'identity': 'geo-test'},
                     extra_config=conf)
    srv.start()
    try:
        # From loopback without ECS: the cidr rule, not the fallback list.
        m = srv.query(WWW, 'A')
        assert pops_of(m) == ['syd'], 'no ECS from 127.0.0.1: %r' % m
        if srv.v6:
            m = srv.query(WWW, 'A', addr='::1')
            assert pops_of(m) == ['syd'], 'no ECS from ::1: %r' % m
        # A cidr rule inside a DB network splits it: scope /28 on both sides.
        for subnet, want in (('81.2.69.176/28', 'syd'), ('81.2.69.160/28', 'lon')):
            pops, ecs = ask(srv, subnet)
            assert pops == [want] and ecs[2] == 28, 'ECS %s: %s scope %s' % (subnet, pops, ecs)
        # AS29518 (Bredband2) is in Sweden: the asn rule comes first.
        pops, ecs = ask(srv, '89.160.20.112/28')
        assert pops == ['sin'], '89.160.20.112/28 (SE, AS29518): %s' % pops
        # `steerdns lookup` shows the ASN and names the rule that matched.
        out = subprocess.run([BIN, 'lookup', '-c', srv.config, '89.160.20.112'],
                             capture_output=True, text=True, timeout=10)
        assert out.returncode == 0, out.stderr
        assert 'asn 29518' in out.stdout and 'policy rule 2 (asn)' in out.stdout, out.stdout
    finally:
        srv.cleanup()
