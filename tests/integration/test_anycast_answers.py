"""test_anycast_answers: a running server in anycast mode, end to end.

Servers used:
  ANY   `anycast:` section only (so server.mode defaults to anycast), no BGP:
        steered names answer 198.51.100.1 / 2001:db8:100::1, the zone's
        static names answer as written, identity 'pop-ams-1'.
  V4    anycast with only an IPv4 address: AAAA of a steered name is NODATA.
  GEO   a GeoDNS server (MaxMind's test DB, two PoPs) whose zone has one
        name with `steer: {mode: anycast}` beside GeoDNS names.

Answers are checked with our own decoder (harness.query) and with dig and
kdig, so a wire detail one tool forgives is still caught by another.
"""

import os

import harness as H
from harness import Skip

ORIGIN = 'any.test.'
ANY4 = '198.51.100.1'
ANY6 = '2001:db8:100::1'
IDENTITY = 'pop-ams-1'

BIN = None
ANY = None
V4 = None
GEO = None


def zone(extra=()):
    lines = ['origin: %s' % ORIGIN, 'ttl: 3600',
             'soa: {mname: ns1, rname: hostmaster, serial: 1, refresh: 3600, retry: 900, '
             'expire: 1209600, minimum: 300}',
             'records:', '  "@": { NS: [ns1] }', '  ns1: { A: 192.0.2.53 }',
             '  www: { steer: { ttl: 20 }, TXT: "static text" }',
             '  api: { steer: { ttl: 45, mode: anycast } }',
             '  alias: { CNAME: www }',
             '  static: { A: 192.0.2.80, AAAA: "2001:db8::80" }']
    return '\n'.join(lines + list(extra)) + '\n'


def anycast_section(v4=ANY4, v6=ANY6):
    out = ['anycast:']
    if v4:
        out.append('  ipv4: %s' % v4)
    if v6:
        out.append('  ipv6: %s' % H.yaml_str(v6))
    out.append('  linger: 0')   # nothing to drain from in a test: stop at once
    return '\n'.join(out) + '\n'


def setup_module(binary):
    global BIN, ANY, V4
    BIN = binary
    ANY = H.Steerdns(BIN, [('any.test.yaml', zone())], server={'identity': IDENTITY},
                     extra_config=anycast_section())
    ANY.start()
    V4 = H.Steerdns(BIN, [('any.test.yaml', zone())], server={'identity': 'pop-v4'},
                    extra_config=anycast_section(v6=None))
    V4.start()


def teardown_module():
    for s in (ANY, V4, GEO):
        if s:
            s.cleanup()


def answers(m, rtype):
    return sorted((rr[0], rr[1], rr[4]) for rr in m.answer if rr[3] == H.type_code(rtype))


def ecs_of(m):
    """(family, source, scope, address bytes) of the response's ECS option, or None."""
    for code, val in (m.opt or {}).get('options', []):
        if code == H.OPT_ECS:
            return (int.from_bytes(val[0:2], 'big'), val[2], val[3], val[4:])
    return None


# ---- our decoder ----

def test_steered_a_and_aaaa():
    m = ANY.query('www.any.test', 'A')
    assert m.rcode == 0 and m.aa, m
    assert answers(m, 'A') == [('www.any.test.', 20, ANY4)], m
    assert len(m.answer) == 1 and not m.authority, m
    m = ANY.query('www.any.test', 'AAAA')
    assert answers(m, 'AAAA') == [('www.any.test.', 20, ANY6)], m
    # the name's own TTL, and the same over TCP
    m = ANY.query('api.any.test', 'A', tcp=True)
    assert answers(m, 'A') == [('api.any.test.', 45, ANY4)], m


def test_static_names_unchanged():
    m = ANY.query('static.any.test', 'A')
    assert answers(m, 'A') == [('static.any.test.', 3600, '192.0.2.80')], m
    m = ANY.query('static.any.test', 'AAAA')
    assert answers(m, 'AAAA') == [('static.any.test.', 3600, '2001:db8::80')], m
    # a static TXT beside a steered name
    m = ANY.query('www.any.test', 'TXT')
    assert [rr[4] for rr in m.answer] == ['"static text"'], m
    # a CNAME chain ends in the anycast address
    m = ANY.query('alias.any.test', 'A')
    assert [rr[3] for rr in m.answer] == [5, 1], m
    assert m.answer[1][4] == ANY4, m
    m = ANY.query('nope.any.test', 'A')
    assert m.rcode == 3 and m.aa, m


def test_ecs_echoed_with_scope_zero():
    for addr, src, qtype, want in (('203.0.113.0', 24, 'A', ANY4),
                                   ('2001:db8:1234::', 48, 'AAAA', ANY6),
                                   ('198.18.0.0', 15, 'A', ANY4)):
        m = ANY.query('www.any.test', qtype, options=[H.ecs_option(addr, src)])
        assert answers(m, qtype) == [('www.any.test.', 20, want)], m
        e = ecs_of(m)
        assert e is not None, 'no ECS echoed: %r' % m
        assert e[1] == src and e[2] == 0, 'ECS source/scope %r for %s/%d' % (e, addr, src)


def test_nsid_and_chaos_identity():
    m = ANY.query('www.any.test', 'A', options=[(H.OPT_NSID, b'')])
    nsid = [v for c, v in m.opt['options'] if c == H.OPT_NSID]
    assert nsid == [IDENTITY.encode()], m
    for name in ('id.server', 'hostname.bind'):
        m = ANY.query(name, 'TXT', qclass='CH')
        assert m.rcode == 0, m
        assert [rr[4] for rr in m.answer] == ['"%s"' % IDENTITY], m


def test_missing_family_is_nodata():
    m = V4.query('www.any.test', 'AAAA')
    assert m.rcode == 0 and m.aa and not m.answer, m
    assert [rr[3] for rr in m.authority] == [6], m   # SOA
    m = V4.query('www.any.test', 'A')
    assert answers(m, 'A') == [('www.any.test.', 20, ANY4)], m


# ---- dig and kdig ----

def _tool_or_skip(name):
    try:
        H.tool(name)
    except Exception as e:  # noqa: BLE001 - a missing tool is a skip
        raise Skip('%s not installed: %s' % (name, e))


def test_dig_and_kdig():
    for tool in ('dig', 'kdig'):
        _tool_or_skip(tool)
        r = H.run_dig(tool, ANY.addr, ANY.port, 'www.any.test', 'A')
        assert r.rcode == 'NOERROR' and 'aa' in r.flags, r.text
        assert [a[-1] for a in r.answer] == [ANY4], r.text
        r = H.run_dig(tool, ANY.addr, ANY.port, 'www.any.test', 'AAAA', tcp=True)
        assert [a[-1] for a in r.answer] == [ANY6], r.text
        r = H.run_dig(tool, ANY.addr, ANY.port, 'static.any.test', 'A')
        assert [a[-1] for a in r.answer] == ['192.0.2.80'], r.text
        r = H.run_dig(tool, ANY.addr, ANY.port, 'www.any.test', 'A',
                      extra=['+nsid', '+subnet=203.0.113.7/24'])
        assert r.nsid == IDENTITY, r.text
        assert r.ecs is not None and r.ecs.endswith('/24/0'), (r.ecs, r.text)
        r = H.run_dig(tool, ANY.addr, ANY.port, 'id.server', 'TXT', qclass='CH')
        assert any(IDENTITY in str(a) for a in r.answer), r.text


# ---- per-name anycast in a GeoDNS server ----

def test_anycast_name_in_geodns_server():
    global GEO
    city = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    if not os.path.exists(city):
        raise Skip('MaxMind test DB not found at %s' % city)
    pops = [('lon', 51.5, -0.12, ['192.0.2.1'], []), ('iad', 38.95, -77.45, ['192.0.2.3'], [])]
    conf = H.geo_config_yaml([city], pops, fallback=['iad', 'lon']) + anycast_section()
    GEO = H.Steerdns(BIN, [('any.test.yaml', zone())], server={'identity': 'geo-any'},
                     extra_config=conf)
    GEO.start()
    db = H.MMDB(city)
    model = H.GeoModel([(p[0], p[1], p[2]) for p in pops], fallback=['iad', 'lon'])
    v4 = {p[0]: p[3][0] for p in pops}
    # api has mode: anycast; www follows the server's mode, geodns here
    for client in ('81.2.69.142', '216.160.83.56'):
        ecs = [H.ecs_option(client, 32)]
        m = GEO.query('api.any.test', 'A', options=ecs)
        assert answers(m, 'A') == [('api.any.test.', 45, ANY4)], m
        assert ecs_of(m)[2] == 0, m
        rec, _ = db.lookup(client)
        want = v4[model.decision(rec)[0]]
        m = GEO.query('www.any.test', 'A', options=ecs)
        assert answers(m, 'A') == [('www.any.test.', 20, want)], (client, want, m)
        assert ecs_of(m)[2] > 0, m   # a GeoDNS answer carries a scope
    m = GEO.query('api.any.test', 'AAAA')
    assert answers(m, 'AAAA') == [('api.any.test.', 45, ANY6)], m
    # no PoP has IPv6: the GeoDNS name has no AAAA, the anycast one does
    m = GEO.query('www.any.test', 'AAAA')
    assert m.rcode == 0 and not m.answer, m
