"""test_gdnsd_diff: steerdns and gdnsd's geoip plugin pick the same PoP, with the same scope.

Both servers load the same MaxMind test DB and the same five PoPs. gdnsd runs
its geoip plugin in city-auto-mode (auto_dc_coords = our PoP coordinates,
auto_dc_limit = 5 so its lists are as long as ours and both merge networks
on the whole ordered list), and for the second policy a continent/country
`map` equivalent to our `policy.rules`. The fallback is the PoP list in
config order on both sides (gdnsd's `datacenters` order, our default).

For every network of the DB's source data, plus random addresses inside the
networks with assorted source lengths, the same ECS query goes to both;
the A answer is mapped back to a PoP and compared, and so is the ECS scope.
Every difference must match one of the documented REASONS below (each one
a precise predicate, computed independently of both servers); anything
else fails the test.
"""

import ipaddress
import os
import random

import harness as H
from harness import Skip

POPS = [
    ('lon', 51.5, -0.12, ['192.0.2.1'], []),
    ('fra', 50.11, 8.68, ['192.0.2.2'], []),
    ('iad', 38.95, -77.45, ['192.0.2.3'], []),
    ('sin', 1.35, 103.82, ['192.0.2.4'], []),
    ('syd', -33.87, 151.21, ['192.0.2.5'], []),
]
ADDR2POP = {p[3][0]: p[0] for p in POPS}
# Our policy rules and the same thing as a gdnsd map (first matching rule
# wins in steerdns; gdnsd walks continent -> country, deeper keys first).
RULES = [('country', ['SE'], ['fra', 'lon']),
         ('continent', ['NA'], ['iad', 'lon']),
         ('continent', ['AS'], ['sin', 'syd'])]
GDNSD_MAP = 'map => { EU => { SE => [fra, lon] }, NA => [iad, lon], AS => [sin, syd] }'
DBS = ['GeoIP2-City-Test', 'GeoLite2-City-Test']
SEED = 20261122

BIN = None
GD = None
SRV = {}     # (db, policy) -> Steerdns


def gdnsd_config():
    names = ', '.join(p[0] for p in POPS)
    coords = ', '.join('%s => [%r, %r]' % (p[0], p[1], p[2]) for p in POPS)
    dcmap = ', '.join('%s => %s' % (p[0], p[3][0]) for p in POPS)
    maps, res = [], []
    for db in DBS:
        for pol in ('auto', 'rules'):
            mname = '%s_%s' % (db.replace('-', '_'), pol)
            maps.append('    %s => {\n      geoip2_db => %s.mmdb\n      datacenters => [%s]\n'
                        '      auto_dc_coords => { %s }\n      auto_dc_limit => %d\n%s    }' %
                        (mname, db, names, coords, len(POPS),
                         ('      %s\n' % GDNSD_MAP) if pol == 'rules' else ''))
            res.append('    %s => { map => %s, dcmap => { %s } }' % (mname, mname, dcmap))
    return ('plugins => { geoip => {\n  maps => {\n%s\n  }\n  resources => {\n%s\n  }\n}}\n' %
            ('\n'.join(maps), '\n'.join(res)))


def gdnsd_zone():
    lines = ['$TTL 3600', '@ SOA ns1 hostmaster 1 3600 900 1209600 300', '@ NS ns1', 'ns1 A 192.0.2.53']
    for db in DBS:
        for pol in ('auto', 'rules'):
            mname = '%s_%s' % (db.replace('-', '_'), pol)
            lines.append('%s 30 DYNA geoip!%s' % (label(db, pol), mname))
    return '\n'.join(lines) + '\n'


def label(db, pol):
    return ('city' if db.startswith('GeoIP2') else 'lite') + '-' + pol


def setup_module(binary):
    global BIN, GD
    BIN = binary
    H.tool('gdnsd')
    d = H.mmdb_dir()
    GD = H.Gdnsd(gdnsd_config(), [('geo.test', gdnsd_zone())],
                 files=[('geoip/%s.mmdb' % db, os.path.join(d, db + '.mmdb')) for db in DBS])
    GD.start('geo.test')
    for db in DBS:
        for pol in ('auto', 'rules'):
            conf = H.geo_config_yaml([os.path.join(d, db + '.mmdb')], POPS,
                                     RULES if pol == 'rules' else ())
            zone = H.geo_zone_yaml('geo.test.', steered=((label(db, pol), 30, 1),))
            s = H.Steerdns(binary, [('geo.test.yaml', zone)], extra_config=conf)
            SRV[(db, pol)] = s      # registered first so teardown removes it on failure
            s.start()


def teardown_module():
    for s in SRV.values():
        s.cleanup()
    if GD:
        GD.cleanup()


def client_subnets(db):
    """Every network, plus random addresses inside each with several source lengths."""
    rnd = random.Random(SEED + len(db))
    out = []
    nets = H.json_networks(db)
    for n in nets:
        out.append(n)
    for n in nets:
        full = n.max_prefixlen
        for _ in range(2):
            a = int(n.network_address) + rnd.randrange(n.num_addresses)
            src = rnd.choice(sorted({n.prefixlen, min(full, n.prefixlen + rnd.randrange(1, 9)),
                                     24 if full == 32 else 56, full, max(1, n.prefixlen - 3)}))
            sub = ipaddress.ip_network((a, src), strict=False)
            if sub not in out:
                out.append(sub)
    return out


def pop_of(m):
    got = [ADDR2POP.get(rr[4], rr[4]) for rr in m.answer if rr[3] == 1]
    return got[0] if len(got) == 1 else tuple(got)


# ---------------------------------------------------------------------------
# Documented reasons for a difference. Each is a predicate over the client's
# DB record (read by harness.MMDB, not by either server) and what both
# servers answered; a difference matching none of them fails the test.

def reason_near_tie(ctx):
    """gdnsd ranks auto_dc_coords by its own distance arithmetic; when the two
    nearest PoPs are within 1% of each other, float differences may swap them.
    Only the PoP may differ, and only to the second-nearest one."""
    if not ctx['model'].near_tie(ctx['rec']):
        return False
    lat, lon = H.GeoModel.fields(ctx['rec'])[:2]
    two = [n for n, _ in ctx['model'].ranked(lat, lon)[:2]]
    return {ctx['steer_pop'], ctx['gdnsd_pop']} == set(two)


REASONS = [
    ('near-tie: two nearest PoPs within 1%', reason_near_tie),
]


def compare(db, pol):
    srv = SRV[(db, pol)]
    qname = '%s.geo.test' % label(db, pol)
    mmdb = H.MMDB(os.path.join(H.mmdb_dir(), db + '.mmdb'))
    model = H.GeoModel([(p[0], p[1], p[2]) for p in POPS], RULES if pol == 'rules' else ())
    stats = {'total': 0, 'pop_same': 0, 'scope_same': 0, 'both_same': 0, 'near_ties': 0}
    seen_pops = set()
    explained = {}
    unexplained = []
    for sub in client_subnets(db):
        s = str(sub)
        ms, es = H.ecs_query(srv.addr, srv.port, qname, s)
        mg, eg = H.ecs_query(GD.addr, GD.port, qname, s)
        rec, _ = mmdb.lookup(sub.network_address)
        ctx = {'subnet': sub, 'rec': rec, 'model': model, 'db': mmdb,
               'steer_pop': pop_of(ms), 'gdnsd_pop': pop_of(mg),
               'steer_scope': es[2] if es else None, 'gdnsd_scope': eg[2] if eg else None}
        stats['total'] += 1
        stats['near_ties'] += model.near_tie(rec)
        seen_pops.add(ctx['steer_pop'])
        assert es and eg, '%s: ECS missing in a reply (steerdns %s, gdnsd %s)' % (s, es, eg)
        ps = ctx['steer_pop'] == ctx['gdnsd_pop']
        ss = ctx['steer_scope'] == ctx['gdnsd_scope']
        stats['pop_same'] += ps
        stats['scope_same'] += ss
        stats['both_same'] += ps and ss
        if ps and ss:
            continue
        for name, pred in REASONS:
            if pred(ctx):
                explained.setdefault(name, []).append(s)
                break
        else:
            unexplained.append('%s: steerdns %s/%s, gdnsd %s/%s (record %s)' % (
                s, ctx['steer_pop'], ctx['steer_scope'], ctx['gdnsd_pop'], ctx['gdnsd_scope'],
                H.GeoModel.fields(rec)))
    print('  %s/%s: %d subnets, same PoP %d (%.1f%%), same scope %d (%.1f%%), both %d; '
          'near-ties in the data %d; PoPs answered %s' % (
              db, pol, stats['total'], stats['pop_same'], 100.0 * stats['pop_same'] / stats['total'],
              stats['scope_same'], 100.0 * stats['scope_same'] / stats['total'], stats['both_same'],
              stats['near_ties'], sorted(seen_pops, key=str)))
    for name, subs in sorted(explained.items()):
        print('    explained (%s): %d, e.g. %s' % (name, len(subs), ', '.join(subs[:3])))
    assert stats['total'] >= 500, 'only %d subnets' % stats['total']
    # A comparison where everything lands on one PoP would prove nothing.
    assert len(seen_pops) >= 4, 'only PoPs %s answered: the comparison is too weak' % seen_pops
    assert not unexplained, '%d unexplained differences:\n%s' % (len(unexplained), '\n'.join(unexplained[:40]))
    return stats


def test_city_auto():
    compare('GeoIP2-City-Test', 'auto')


def test_city_rules():
    compare('GeoIP2-City-Test', 'rules')


def test_lite_auto():
    compare('GeoLite2-City-Test', 'auto')


def test_lite_rules():
    compare('GeoLite2-City-Test', 'rules')


def test_rules_change_answers():
    """The rules map really differs from auto mode (else test_*_rules proves nothing)."""
    qa = '%s.geo.test' % label('GeoIP2-City-Test', 'auto')
    qr = '%s.geo.test' % label('GeoIP2-City-Test', 'rules')
    for subnet, auto, rules in (('2a02:d980::/29', 'fra', 'sin'),      # AS/TR: distance vs AS rule
                                ('89.160.20.112/28', 'fra', 'fra'),    # SE: rule [fra, lon]
                                ('2a02:e700::/29', 'fra', 'fra')):     # AF/LY: no rule
        for q, want in ((qa, auto), (qr, rules)):
            for srv in (SRV[('GeoIP2-City-Test', 'auto' if q == qa else 'rules')], GD):
                m, _ = H.ecs_query(srv.addr, srv.port, q, subnet)
                assert pop_of(m) == want, '%s ECS %s via %s: %s, want %s' % (
                    q, subnet, 'gdnsd' if srv is GD else 'steerdns', pop_of(m), want)


# ---------------------------------------------------------------------------
# Probes outside the DB networks: private ECS and the IPv4-in-IPv6 forms.
# Their differences come from deliberate design choices, each a reason below.

PRIVATE_NETS = [ipaddress.ip_network(n) for n in (
    '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
    '192.168.0.0/16', '224.0.0.0/3', '::/128', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8')]


def v4_decision(ctx, v4int):
    rec, _ = ctx['db'].lookup(ipaddress.IPv4Address(v4int))
    return ctx['model'].decision(rec)[0]


def reason_private(ctx):
    """steerdns ignores a private/reserved ECS subnet (RFC1918, CGNAT, loopback,
    link-local, ULA, multicast, 0/8, ::) and answers for the resolver with
    SCOPE 0 (README: ECS); gdnsd looks the private subnet up in the DB like
    any other. Here the resolver (127.0.0.1) is unlocated: steerdns must give
    the fallback list's first PoP, gdnsd the DB's answer for the subnet."""
    a = ctx['subnet'].network_address
    if not any(a in n for n in PRIVATE_NETS if n.version == a.version):
        return False
    rec, _ = ctx['db'].lookup(a)
    return (ctx['steer_scope'] == 0 and ctx['steer_pop'] == ctx['model'].fallback[0] and
            ctx['gdnsd_pop'] == ctx['model'].decision(rec)[0])


def reason_teredo(ctx):
    """Teredo (2001::/32): steerdns follows MaxMind's alias of 2001::/32 onto
    the IPv4 tree, which is keyed by bits 32..63 (the Teredo *server*);
    gdnsd decodes the client's IPv4 from the last 32 bits (inverted)."""
    a = ctx['subnet'].network_address
    if a not in ipaddress.ip_network('2001::/32'):
        return False
    v = int(a)
    server = (v >> 64) & 0xFFFFFFFF
    client = (v & 0xFFFFFFFF) ^ 0xFFFFFFFF
    return (ctx['steer_pop'] == v4_decision(ctx, server) and
            ctx['gdnsd_pop'] == v4_decision(ctx, client))


def reason_untranslated(ctx):
    """NAT64 well-known prefix 64:ff9b::/96 and SIIT ::ffff:0:0:0/96: gdnsd
    translates them to IPv4; steerdns looks the IPv6 address up as it is (no
    DB data there in MaxMind's layout, so the fallback list) and returns that
    region's scope."""
    a = ctx['subnet'].network_address
    if not (a in ipaddress.ip_network('64:ff9b::/96') or a in ipaddress.ip_network('::ffff:0:0:0/96')):
        return False
    return (ctx['steer_pop'] == ctx['model'].fallback[0] and
            ctx['gdnsd_pop'] == v4_decision(ctx, int(a) & 0xFFFFFFFF) and
            ctx['steer_scope'] == H.true_scope(ctx['db'], ctx['model'], a))


PROBE_REASONS = [
    ('private ECS: steerdns answers for the resolver, scope 0', reason_private),
    ('Teredo: MaxMind alias (server bits) vs gdnsd (client bits)', reason_teredo),
    ('NAT64 WKP / SIIT: translated by gdnsd only', reason_untranslated),
]

PROBES = [
    '10.0.0.0/8', '10.1.2.0/24', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8',
    '169.254.0.0/16', '0.0.0.0/1', 'fd00::/8', 'fe80::/64', '::/1',
    # 214.0.1.0/24 is AU (syd), 81.2.69.160/27 GB (lon), 89.160.20.112/28 SE.
    '2002:d600:100::/40',                          # 6to4 of 214.0.1.0/24
    '2002:5102:45a0::/43',                         # 6to4 of 81.2.69.160/27
    '::d600:100/120',                              # v4compat (where MaxMind stores IPv4)
    '::ffff:d600:100/120',                         # v4-mapped
    '::ffff:59a0:1470/124',                        # v4-mapped 89.160.20.112/28
    '2001:0:5102:45a0::29ff:fefa/128',             # Teredo: server 81.2.69.160, client 214.0.1.5
    '64:ff9b::d600:100/120',                       # NAT64 WKP of 214.0.1.0/24
    '::ffff:0:d600:100/120',                       # SIIT of 214.0.1.0/24
]


def test_probes_private_and_v4_in_v6():
    db = 'GeoIP2-City-Test'
    srv = SRV[(db, 'auto')]
    qname = '%s.geo.test' % label(db, 'auto')
    mmdb = H.MMDB(os.path.join(H.mmdb_dir(), db + '.mmdb'))
    model = H.GeoModel([(p[0], p[1], p[2]) for p in POPS])
    same, explained, unexplained = 0, {}, []
    for s in PROBES:
        sub = ipaddress.ip_network(s)
        ms, es = H.ecs_query(srv.addr, srv.port, qname, s)
        mg, eg = H.ecs_query(GD.addr, GD.port, qname, s)
        ctx = {'subnet': sub, 'db': mmdb, 'model': model, 'steer_pop': pop_of(ms),
               'gdnsd_pop': pop_of(mg), 'steer_scope': es[2], 'gdnsd_scope': eg[2]}
        if (ctx['steer_pop'], es) == (ctx['gdnsd_pop'], eg):
            same += 1
            continue
        for name, pred in PROBE_REASONS:
            if pred(ctx):
                explained.setdefault(name, []).append(s)
                break
        else:
            unexplained.append('%s: steerdns %s ECS %s, gdnsd %s ECS %s' % (
                s, ctx['steer_pop'], es, ctx['gdnsd_pop'], eg))
    print('  probes: %d of %d identical' % (same, len(PROBES)))
    for name, subs in sorted(explained.items()):
        print('    explained (%s): %s' % (name, ', '.join(subs)))
    assert not unexplained, '%d unexplained differences:\n%s' % (len(unexplained), '\n'.join(unexplained))
