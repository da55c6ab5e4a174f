"""test_basic: steerdns answers a small zone correctly, checked with dig AND kdig.

Every test names the query it sends and compares exact RRs (owner, TTL,
class, type, rdata) so a wrong TTL or a missing record fails.
"""

import struct

import harness as H
from harness import Skip

ORIGIN = 'example.test.'
SOA = {'mname': 'ns1', 'rname': 'hostmaster', 'serial': 2026112201, 'refresh': 3600,
       'retry': 900, 'expire': 1209600, 'minimum': 300}
RECORDS = [
    ('@', {'NS': ['ns1', 'ns2'], 'MX': '10 mail', 'TXT': 'v=spf1 -all'}),
    ('ns1', {'A': '192.0.2.251'}),
    ('ns2', {'A': '192.0.2.252'}),
    ('mail', {'A': '192.0.2.25'}),
    ('www', {'A': ['192.0.2.1', '192.0.2.2'], 'AAAA': '2001:db8::1', 'ttl': 300}),
    ('*.wild', {'A': '192.0.2.3'}),
    ('sub', {'NS': ['ns.sub', 'ns.other.net.']}),
    ('ns.sub', {'A': '192.0.2.53'}),
    ('_sip._udp', {'SRV': '10 5 5060 sip'}),
    ('sip', {'A': '192.0.2.60'}),
    ('alias', {'CNAME': 'www'}),
    ('alias2', {'CNAME': 'alias'}),
    ('caa', {'CAA': '0 issue "ca.example.net"'}),
    ('big', {'A': ['192.0.2.%d' % i for i in range(100, 140)]}),
]
SOA_RR = ('example.test.', 300, 1, 6,
          'ns1.example.test. hostmaster.example.test. 2026112201 3600 900 1209600 300')

SRV = None


def setup_module(binary):
    global SRV
    SRV = H.serve_zone(binary, ORIGIN, SOA, RECORDS)


def teardown_module():
    H.cleanup_all(SRV)


def rr(owner, ttl, typ, rdata, cls=1):
    return (owner, ttl, cls, H.TYPES[typ], rdata)


def same(got, want):
    return sorted(got) == sorted(want)


def check(res, what, rcode='NOERROR', answer=None, authority=None, aa=True):
    ctx = '%s\n$ %s\n%s' % (what, getattr(res, 'cmd', ''), res.text)
    assert res.rcode == rcode, 'rcode %s, want %s: %s' % (res.rcode, rcode, ctx)
    assert ('aa' in res.flags) == aa, 'AA %s, want %s: %s' % ('aa' in res.flags, aa, ctx)
    assert 'ra' not in res.flags, 'RA set: %s' % ctx
    assert 'qr' in res.flags, 'QR clear: %s' % ctx
    if answer is not None:
        assert same(res.answer, answer), 'answer %s, want %s: %s' % (
            sorted(res.answer), sorted(answer), ctx)
    if authority is not None:
        assert same(res.authority, authority), 'authority %s, want %s: %s' % (
            sorted(res.authority), sorted(authority), ctx)


POSITIVE = [
    ('www.example.test', 'A', [rr('www.example.test.', 300, 'A', '192.0.2.1'),
                               rr('www.example.test.', 300, 'A', '192.0.2.2')]),
    ('www.example.test', 'AAAA', [rr('www.example.test.', 300, 'AAAA', '2001:db8::1')]),
    ('example.test', 'MX', [rr('example.test.', 3600, 'MX', '10 mail.example.test.')]),
    ('example.test', 'NS', [rr('example.test.', 3600, 'NS', 'ns1.example.test.'),
                            rr('example.test.', 3600, 'NS', 'ns2.example.test.')]),
    ('example.test', 'TXT', [rr('example.test.', 3600, 'TXT', '"v=spf1 -all"')]),
    ('_sip._udp.example.test', 'SRV', [rr('_sip._udp.example.test.', 3600, 'SRV',
                                          '10 5 5060 sip.example.test.')]),
    ('caa.example.test', 'CAA', [rr('caa.example.test.', 3600, 'CAA', '0 issue "ca.example.net"')]),
]


def _matrix(tool, tcp, addr):
    if addr == '::1' and not SRV.v6:
        raise Skip('no IPv6 on loopback')
    for qname, qtype, want in POSITIVE:
        res = H.run_dig(tool, addr, SRV.port, qname, qtype, tcp=tcp)
        check(res, '%s %s via %s %s %s' % (qname, qtype, tool, 'TCP' if tcp else 'UDP', addr),
              answer=want)
        assert 'rd' in res.flags, 'RD not copied for %s' % qname


def test_records_dig_udp_v4():
    _matrix('dig', False, '127.0.0.1')


def test_records_dig_tcp_v4():
    _matrix('dig', True, '127.0.0.1')


def test_records_dig_udp_v6():
    _matrix('dig', False, '::1')


def test_records_dig_tcp_v6():
    _matrix('dig', True, '::1')


def test_records_kdig_udp_v4():
    _matrix('kdig', False, '127.0.0.1')


def test_records_kdig_tcp_v4():
    _matrix('kdig', True, '127.0.0.1')


def test_records_kdig_udp_v6():
    _matrix('kdig', False, '::1')


def test_records_kdig_tcp_v6():
    _matrix('kdig', True, '::1')


def test_rd_copied_and_ra_never():
    for tool in ('dig', 'kdig'):
        res = H.run_dig(tool, '127.0.0.1', SRV.port, 'www.example.test', 'A', extra=['+norec'])
        check(res, 'www A +norec via ' + tool)
        assert 'rd' not in res.flags, 'RD set in reply to RD=0 query (%s)' % tool
    m = SRV.query('www.example.test', 'A', rd=True)
    assert m.rd and not m.ra and m.aa, 'raw RD=1: %r' % m
    m = SRV.query('www.example.test', 'A', rd=False)
    assert not m.rd and not m.ra, 'raw RD=0: %r' % m


def test_nxdomain_soa():
    for tool in ('dig', 'kdig'):
        for tcp in (False, True):
            res = H.run_dig(tool, '127.0.0.1', SRV.port, 'nope.example.test', 'A', tcp=tcp)
            check(res, 'nope.example.test A', rcode='NXDOMAIN', answer=[], authority=[SOA_RR])


def test_nodata_soa():
    for tool in ('dig', 'kdig'):
        res = H.run_dig(tool, '127.0.0.1', SRV.port, 'www.example.test', 'MX')
        check(res, 'www.example.test MX', answer=[], authority=[SOA_RR])
    # An empty non-terminal (the parent of *.wild) exists: NODATA, not NXDOMAIN.
    res = H.run_dig('dig', '127.0.0.1', SRV.port, 'wild.example.test', 'A')
    check(res, 'wild.example.test A (empty non-terminal)', answer=[], authority=[SOA_RR])


def test_refused_outside_zones():
    for tool in ('dig', 'kdig'):
        res = H.run_dig(tool, '127.0.0.1', SRV.port, 'www.example.org', 'A')
        check(res, 'www.example.org A', rcode='REFUSED', answer=[], aa=False)
    m = SRV.query('test', 'SOA')
    assert m.rcode == 5, 'parent of the zone (test. SOA): want REFUSED, got %s' % m.rcode_name()


def test_referral():
    for tool in ('dig', 'kdig'):
        res = H.run_dig(tool, '127.0.0.1', SRV.port, 'host.sub.example.test', 'A', extra=['+norec'])
        check(res, 'host.sub.example.test A (referral)', answer=[], aa=False,
              authority=[rr('sub.example.test.', 3600, 'NS', 'ns.sub.example.test.'),
                         rr('sub.example.test.', 3600, 'NS', 'ns.other.net.')])
        assert same(res.additional, [rr('ns.sub.example.test.', 3600, 'A', '192.0.2.53')]), \
            'glue: got %s\n%s' % (res.additional, res.text)


def test_wildcard():
    for tool in ('dig', 'kdig'):
        res = H.run_dig(tool, '127.0.0.1', SRV.port, 'foo.wild.example.test', 'A')
        check(res, 'foo.wild.example.test A', answer=[rr('foo.wild.example.test.', 3600, 'A', '192.0.2.3')])
    res = H.run_dig('dig', '127.0.0.1', SRV.port, 'a.b.wild.example.test', 'A')
    check(res, 'a.b.wild.example.test A', answer=[rr('a.b.wild.example.test.', 3600, 'A', '192.0.2.3')])
    res = H.run_dig('dig', '127.0.0.1', SRV.port, 'foo.wild.example.test', 'AAAA')
    check(res, 'foo.wild.example.test AAAA (wildcard NODATA)', answer=[], authority=[SOA_RR])


def test_cname_chain():
    www = [rr('www.example.test.', 300, 'A', '192.0.2.1'), rr('www.example.test.', 300, 'A', '192.0.2.2')]
    for tool in ('dig', 'kdig'):
        res = H.run_dig(tool, '127.0.0.1', SRV.port, 'alias.example.test', 'A')
        check(res, 'alias.example.test A', answer=[rr('alias.example.test.', 3600, 'CNAME', 'www.example.test.')] + www)
        res = H.run_dig(tool, '127.0.0.1', SRV.port, 'alias2.example.test', 'A')
        check(res, 'alias2.example.test A', answer=[
            rr('alias2.example.test.', 3600, 'CNAME', 'alias.example.test.'),
            rr('alias.example.test.', 3600, 'CNAME', 'www.example.test.')] + www)
    res = H.run_dig('dig', '127.0.0.1', SRV.port, 'alias.example.test', 'CNAME')
    check(res, 'alias.example.test CNAME', answer=[rr('alias.example.test.', 3600, 'CNAME', 'www.example.test.')])


def test_case_preserved():
    # kdig lowercases the query name itself, so only dig and raw packets can check this.
    res = H.run_dig('dig', '127.0.0.1', SRV.port, 'WwW.ExAmPlE.TeSt', 'A')
    check(res, 'WwW.ExAmPlE.TeSt A', answer=[rr('www.example.test.', 300, 'A', '192.0.2.1'),
                                            rr('www.example.test.', 300, 'A', '192.0.2.2')])
    assert res.question and res.question[0][0] == 'WwW.ExAmPlE.TeSt.', 'question %s' % res.question
    assert res.answer_owners == ['WwW.ExAmPlE.TeSt.'] * 2, 'answer owners %s' % res.answer_owners
    m = SRV.query('WwW.ExAmPlE.TeSt', 'A')
    assert m.question[0][0] == 'WwW.ExAmPlE.TeSt.', 'raw question %s' % m.question
    assert m.answer_owners == ['WwW.ExAmPlE.TeSt.'] * 2, 'raw answer owners %s' % m.answer_owners


def test_edns_echo():
    res = H.run_dig('dig', '127.0.0.1', SRV.port, 'www.example.test', 'A', extra=['+bufsize=4096'])
    assert res.edns and res.edns['version'] == 0 and res.edns['udp'] == 1232, 'dig EDNS %s\n%s' % (res.edns, res.text)
    res = H.run_dig('kdig', '127.0.0.1', SRV.port, 'www.example.test', 'A', extra=['+edns'])
    assert res.edns and res.edns['version'] == 0 and res.edns['udp'] == 1232, 'kdig EDNS %s\n%s' % (res.edns, res.text)
    res = H.run_dig('dig', '127.0.0.1', SRV.port, 'www.example.test', 'A', extra=['+noedns'])
    assert res.edns is None, 'OPT in reply to a query without EDNS:\n%s' % res.text
    m = SRV.query('www.example.test', 'A', payload=4096, do=True)
    assert m.opt and m.opt['payload'] == 1232 and m.opt['version'] == 0, 'raw OPT %s' % m.opt
    assert m.opt_count == 1 and m.opt['owner'] == '.', 'OPT count/owner %s %s' % (m.opt_count, m.opt)


def test_nsid():
    res = H.run_dig('dig', '127.0.0.1', SRV.port, 'www.example.test', 'A', extra=['+nsid'])
    assert res.nsid == 'test-pop', 'dig NSID %r\n%s' % (res.nsid, res.text)
    res = H.run_dig('kdig', '127.0.0.1', SRV.port, 'www.example.test', 'A', extra=['+nsid'])
    assert res.nsid == 'test-pop', 'kdig NSID %r\n%s' % (res.nsid, res.text)
    m = SRV.query('www.example.test', 'A')
    assert not any(c == H.OPT_NSID for c, _ in m.opt['options']), 'NSID sent unasked: %s' % m.opt


def test_chaos():
    for tool in ('dig', 'kdig'):
        for qname, want in (('id.server', 'test-pop'), ('hostname.bind', 'test-pop'),
                            ('version.bind', 'steerdns-test')):
            res = H.run_dig(tool, '127.0.0.1', SRV.port, qname, 'TXT', qclass='CH')
            assert res.rcode == 'NOERROR', '%s CH TXT via %s: %s\n%s' % (qname, tool, res.rcode, res.text)
            assert same(res.answer, [(qname + '.', res.answer[0][1] if res.answer else 0, 3, 16,
                                      '"%s"' % want)]), '%s CH TXT via %s: %s\n%s' % (
                qname, tool, res.answer, res.text)
    # CHAOS names hold only TXT: any other type is refused.
    m = SRV.query('version.bind', 'ANY', qclass='CH')
    assert m.rcode == 5, 'version.bind CH ANY: %s' % m.rcode_name()


def test_chaos_version_unset_refused():
    srv = H.Steerdns(SRV.binary, [('example.test.yaml', H.zone_yaml(ORIGIN, 3600, SOA, RECORDS))],
                     server={'version': None})
    try:
        srv.start()
        res = H.run_dig('dig', '127.0.0.1', srv.port, 'version.bind', 'TXT', qclass='CH')
        assert res.rcode == 'REFUSED' and not res.answer, 'version.bind without version: %s\n%s' % (
            res.rcode, res.text)
        res = H.run_dig('dig', '127.0.0.1', srv.port, 'id.server', 'TXT', qclass='CH')
        assert res.rcode == 'NOERROR' and res.answer, 'id.server still answered: %s' % res.text
    finally:
        srv.cleanup()


def test_badvers():
    res = H.run_dig('dig', '127.0.0.1', SRV.port, 'www.example.test', 'A', extra=['+edns=1'])
    assert res.rcode == 'BADVERS', 'dig +edns=1: %s\n%s' % (res.rcode, res.text)
    assert not res.answer, 'BADVERS with answers:\n%s' % res.text
    res = H.run_dig('kdig', '127.0.0.1', SRV.port, 'www.example.test', 'A', extra=['+edns=1'])
    assert res.rcode == 'BADVERS', 'kdig +edns=1: %s\n%s' % (res.rcode, res.text)
    m = SRV.query('www.example.test', 'A', version=1)
    assert m.rcode == 16 and m.opt and m.opt['version'] == 0, 'raw BADVERS (RFC 6891 6.1.3): %r' % m


def test_ecs_echo():
    res = H.run_dig('dig', '127.0.0.1', SRV.port, 'www.example.test', 'A', extra=['+subnet=192.0.2.0/24'])
    assert res.ecs == '192.0.2.0/24/0', 'dig ECS %r\n%s' % (res.ecs, res.text)
    check(res, 'www A +subnet', answer=[rr('www.example.test.', 300, 'A', '192.0.2.1'),
                                        rr('www.example.test.', 300, 'A', '192.0.2.2')])
    res = H.run_dig('kdig', '127.0.0.1', SRV.port, 'www.example.test', 'A', extra=['+subnet=192.0.2.0/24'])
    assert res.ecs == '192.0.2.0/24/0', 'kdig ECS %r\n%s' % (res.ecs, res.text)
    m = SRV.query('www.example.test', 'A', options=[H.ecs_option('2001:db8:1::', 48)])
    ecs = [v for c, v in m.opt['options'] if c == H.OPT_ECS]
    want = struct.pack('!HBB', 2, 48, 0) + bytes.fromhex('20010db80001')
    assert ecs == [want], 'raw IPv6 ECS echo %s, want %s' % ([e.hex() for e in ecs], want.hex())


def test_truncation():
    res = H.run_dig('dig', '127.0.0.1', SRV.port, 'big.example.test', 'A', extra=['+bufsize=512', '+ignore'])
    assert 'tc' in res.flags, 'no TC for 40 A RRs with bufsize 512:\n%s' % res.text
    res = H.run_dig('kdig', '127.0.0.1', SRV.port, 'big.example.test', 'A', extra=['+bufsize=512', '+ignore'])
    assert 'tc' in res.flags, 'kdig: no TC for 40 A RRs with bufsize 512:\n%s' % res.text
    m = SRV.query('big.example.test', 'A', edns=False)
    assert m.tc and len(m.raw) <= 512, 'no-EDNS: TC=%s len=%d' % (m.tc, len(m.raw))
    m = SRV.query('big.example.test', 'A', payload=512)
    assert m.tc and len(m.raw) <= 512, 'bufsize 512: TC=%s len=%d' % (m.tc, len(m.raw))
    want = [rr('big.example.test.', 3600, 'A', '192.0.2.%d' % i) for i in range(100, 140)]
    for tool in ('dig', 'kdig'):
        res = H.run_dig(tool, '127.0.0.1', SRV.port, 'big.example.test', 'A', tcp=True, extra=['+bufsize=512'])
        check(res, 'big A over TCP via ' + tool, answer=want)
        assert 'tc' not in res.flags, 'TC over TCP:\n%s' % res.text
    # 40 A RRs fit in 1232 bytes: no TC at the default payload.
    m = SRV.query('big.example.test', 'A', payload=1232)
    assert not m.tc and len(m.answer) == 40, 'bufsize 1232: TC=%s answers=%d' % (m.tc, len(m.answer))


def test_tcp_pipelining():
    qs = [H.build_query(n, t, qid=0x1000 + i) for i, (n, t) in
          enumerate((('www.example.test', 'A'), ('example.test', 'MX'), ('nope.example.test', 'A')))]
    with H.tcp_connect('127.0.0.1', SRV.port) as s:
        s.sendall(b''.join(struct.pack('!H', len(q)) + q for q in qs))
        got = {}
        for _ in range(3):
            raw = H.tcp_read_msg(s)
            assert raw is not None, 'connection closed after %d of 3 answers' % len(got)
            m = H.decode(raw)
            got[m.id] = m
    assert sorted(got) == [0x1000, 0x1001, 0x1002], 'answer IDs %s' % sorted(got)
    assert len(got[0x1000].answer) == 2 and got[0x1000].rcode == 0, got[0x1000]
    assert got[0x1001].answer == [rr('example.test.', 3600, 'MX', '10 mail.example.test.')], got[0x1001]
    assert got[0x1002].rcode == 3, got[0x1002]
    # The same connection keeps working for a 4th query sent afterwards.
    with H.tcp_connect('127.0.0.1', SRV.port) as s:
        for i in range(3):
            q = H.build_query('www.example.test', 'AAAA', qid=0x2000 + i)
            s.sendall(struct.pack('!H', len(q)) + q)
            m = H.decode(H.tcp_read_msg(s))
            assert m.id == 0x2000 + i and len(m.answer) == 1, 'sequential query %d: %r' % (i, m)


def test_axfr_refused():
    # We offer no zone transfers: REFUSED over both transports (a deliberate
    # difference from Knot 3.2, which answers NOTAUTH when no ACL matches).
    for qtype in ('AXFR', 'IXFR'):
        for tcp in (True, False):
            m = SRV.query('example.test', qtype, tcp=tcp)
            assert m.rcode == 5, '%s over %s: %s, want REFUSED' % (
                qtype, 'TCP' if tcp else 'UDP', m.rcode_name())
            assert not m.answer and not m.authority, '%s returned records: %s' % (qtype, m.answer)
