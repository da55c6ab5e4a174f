#!/usr/bin/env python3
"""make_seeds.py: write the seed corpora tests/fuzz/corpus/<target>/.

Run from the repository root: python3 tests/fuzz/make_seeds.py
Seeds are meaningful inputs, each named for what it is: real queries, the
BGP messages of tests/unit/bgp_test_util.h, records of MaxMind's test DBs
(tests/data/mmdb), the configs and zones of config/, and compare inputs in
the formats of compare/formats.md and tests/data/atlas. Rewrites the
corpus directories (inputs libFuzzer found stay in build-fuzz/corpus).
"""
import os
import shutil
import struct
import sys

sys.path.insert(0, 'tests/integration')
import harness  # noqa: E402  (its MaxMind DB reader, written from the spec)

OUT = 'tests/fuzz/corpus'


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# ---- DNS -----------------------------------------------------------------

def qname(name):
    out = b''
    for label in name.rstrip('.').split('.'):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def opt(payload=1232, do=False, options=b''):
    return b'\0' + struct.pack('!HHIH', 41, payload, 0x8000 if do else 0, len(options)) + options


def ecs(family, source, addr):
    a = addr[:(source + 7) // 8]
    return struct.pack('!HHHBB', 8, 4 + len(a), family, source, 0) + a


def query(name, qtype, qclass=1, flags=0x0100, edns=None, qid=0x1234):
    ar = 1 if edns is not None else 0
    msg = struct.pack('!HHHHHH', qid, flags, 1, 0, 0, ar) + qname(name) + struct.pack('!HH', qtype, qclass)
    return msg + (edns or b'')


V4 = bytes([81, 2, 69, 142]) + bytes(12)            # in GeoIP2-City-Test (GB)
V6 = bytes.fromhex('2001021800000000000000000000000a')  # in GeoIP2-City-Test (JP)


def dns_seeds():
    A, NS, CNAME, SOA, MX, TXT, AAAA, SRV, ANY = 1, 2, 5, 6, 15, 16, 28, 33, 255
    qs = {
        'a-www': query('www.example.test', A),
        'aaaa-www': query('www.example.test', AAAA),
        'mx-apex': query('example.test', MX),
        'any-apex': query('example.test', ANY),
        'soa-apex-edns': query('example.test', SOA, edns=opt()),
        'cname-alias': query('alias.example.test', A),
        'wildcard': query('x.wild.example.test', TXT),
        'delegation': query('www.sub.example.test', A),
        'srv': query('_sip._udp.example.test', SRV),
        'nxdomain-edns-do': query('nope.example.test', A, edns=opt(4096, do=True)),
        'refused-other-zone': query('www.example.org', A),
        'chaos-id-server': query('id.server', TXT, qclass=3),
        'chaos-version-bind': query('version.bind', TXT, qclass=3),
        'nsid': query('www.example.test', A, edns=opt(options=struct.pack('!HH', 3, 0))),
        'geo-www-ecs4': query('www.geo.test', A, edns=opt(options=ecs(1, 24, bytes([81, 2, 69, 0])))),
        'geo-api-ecs6': query('api.geo.test', AAAA, edns=opt(options=ecs(2, 56, bytes.fromhex('20010218000000')))),
        'geo-all-noecs': query('all.geo.test', A, edns=opt()),
        'geo-wild-txt': query('x.w.geo.test', A),
        'geo-cname': query('to-www.geo.test', A),
        'ecs-bad-scope': query('www.geo.test', A, edns=opt(options=struct.pack('!HHHBB', 8, 7, 1, 24, 8) + bytes([81, 2, 69]))),
        'badvers': query('www.example.test', A, edns=b'\0' + struct.pack('!HHIH', 41, 1232, 0x00010000, 0)),
        'notify-opcode': query('example.test', SOA, flags=0x2000),
        'compressed-q': struct.pack('!HHHHHH', 7, 0x0100, 1, 0, 0, 0) + b'\x03www\xc0\x0c' + struct.pack('!HH', 1, 1),
        'two-questions': struct.pack('!HHHHHH', 8, 0, 2, 0, 0, 0) + (qname('www.example.test') + struct.pack('!HH', 1, 1)) * 2,
        'mixed-case': query('WwW.ExAmPlE.TeSt', A),
    }
    for name, q in qs.items():
        put('query', name + '-udp4', bytes([0]) + V4 + q)
    for name in ('a-www', 'any-apex', 'geo-api-ecs6', 'srv'):
        put('query', name + '-tcp6', bytes([3]) + V6 + qs[name])
    # EDNS: OPT CLASS, TTL, RDATA
    def e(name, payload, ttl, rdata):
        put('edns', name, struct.pack('!HI', payload, ttl) + rdata)
    e('empty', 1232, 0, b'')
    e('do-bit', 4096, 0x8000, b'')
    e('ecs4-24', 1232, 0, ecs(1, 24, bytes([198, 51, 100, 0])))
    e('ecs4-32', 1232, 0, ecs(1, 32, bytes([192, 0, 2, 1])))
    e('ecs4-0', 1232, 0, ecs(1, 0, b''))
    e('ecs6-56', 1232, 0, ecs(2, 56, bytes.fromhex('20010db8000100')))
    e('ecs6-128', 1232, 0, ecs(2, 128, bytes.fromhex('20010db8000000000000000000000001')))
    e('ecs-host-bits', 1232, 0, struct.pack('!HHHBB', 8, 7, 1, 20, 0) + bytes([198, 51, 101]))
    e('ecs-scope-set', 1232, 0, struct.pack('!HHHBB', 8, 7, 1, 24, 24) + bytes([198, 51, 100]))
    e('ecs-family-3', 1232, 0, struct.pack('!HHHBB', 8, 4, 3, 0, 0))
    e('nsid-cookie-ecs', 1232, 0x8000, struct.pack('!HH', 3, 0) + struct.pack('!HH', 10, 8) + b'clientck' + ecs(1, 24, bytes([81, 2, 69])))
    e('option-cut', 1232, 0, struct.pack('!HH', 8, 20) + b'\x00\x01')
    e('version-1', 1232, 0x00010000, b'')


# ---- BGP (the bytes of tests/unit/bgp_test_util.h) -------------------------

M16 = b'\xff' * 16


def bgp(mtype, body):
    return M16 + struct.pack('!HB', 19 + len(body), mtype) + body


PEER_OPEN = bgp(1, bytes.fromhex('04fdea005a0a000002'
                                  '14' '0212' '010400010001' '010400020001' '41040000fdea'))
KEEPALIVE = bgp(4, b'')
UPD_V4 = bgp(2, bytes.fromhex('0000001b' '40010100' '400206020100' '00fde9' '400304c0000201'
                              'c00804fde90064' '18c63364'))
UPD_V6 = bgp(2, bytes.fromhex('00000033' '800e1c00020110' '20010db8000000000000000000000001'
                              '00' '3020010db80100' '40010100' '40020602010000fde9' 'c00804fde90064'))
WD_V4 = bgp(2, bytes.fromhex('000418c633640000'))
WD_V6 = bgp(2, bytes.fromhex('0000000d' '800f0a000201' '3020010db80100'))
EOR_V4 = bgp(2, bytes.fromhex('00000000'))
EOR_V6 = bgp(2, bytes.fromhex('00000006' '800f03000201'))
SHUTDOWN = bgp(3, bytes([6, 2, 11]) + b'maintenance')
HOLD_EXPIRED = bgp(3, bytes([4, 0]))
ROUTE_REFRESH = bgp(5, bytes.fromhex('00010001'))


def bgp_seeds():
    msgs = {'open': PEER_OPEN, 'keepalive': KEEPALIVE, 'update-v4': UPD_V4, 'update-v6': UPD_V6,
            'withdraw-v4': WD_V4, 'withdraw-v6': WD_V6, 'eor-v4': EOR_V4, 'eor-v6': EOR_V6,
            'notification-shutdown': SHUTDOWN, 'notification-hold': HOLD_EXPIRED,
            'route-refresh': ROUTE_REFRESH}
    for name, m in msgs.items():
        put('bgp_msg', name + '-as4', bytes([1]) + m)
    put('bgp_msg', 'update-v4-2octet-ibgp', bytes([2]) + UPD_V4)
    up = PEER_OPEN + KEEPALIVE
    put('bgp_session', 'open-keepalive', up)
    put('bgp_session', 'established-updates', up + KEEPALIVE + UPD_V4 + UPD_V6 + EOR_V4 + EOR_V6)
    put('bgp_session', 'established-withdraw', up + WD_V4 + WD_V6 + KEEPALIVE)
    put('bgp_session', 'established-shutdown', up + UPD_V4 + SHUTDOWN)
    put('bgp_session', 'route-refresh', up + ROUTE_REFRESH + KEEPALIVE)
    put('bgp_session', 'open-twice', PEER_OPEN + PEER_OPEN)
    put('bgp_session', 'keepalive-first', KEEPALIVE + PEER_OPEN)
    put('bgp_session', 'open-split-by-update', up + UPD_V4[:10])


# ---- MaxMind DB records ---------------------------------------------------

def mmdb_seeds():
    d = 'tests/data/mmdb'
    for db, ips in (('GeoIP2-City-Test.mmdb', ['81.2.69.142', '2001:218::1', '89.160.20.112']),
                    ('GeoIP2-Country-Test.mmdb', ['81.2.69.142', '2a02:d300::1']),
                    ('GeoLite2-ASN-Test.mmdb', ['1.128.0.1']),
                    ('MaxMind-DB-test-mixed-24.mmdb', ['1.1.1.1'])):
        m = harness.MMDB(os.path.join(d, db))
        marker = m.buf.rfind(m.MARKER)
        data = m.buf[m.data_start:marker]
        for ip in ips:
            off = record_offset(m, ip)
            if off is None:
                continue
            put('mmdb_record', '%s-%s' % (db[:-5], ip.replace(':', '_')), struct.pack('!I', off) + data)


def record_offset(m, ip):
    import ipaddress
    a = ipaddress.ip_address(ip)
    if a.version == 4:
        bits, node = format(int(a), '032b'), m.v4_root
    else:
        bits, node = format(int(a), '0128b'), 0
    for b in bits:
        if node >= m.node_count:
            break
        node = m.child(node, int(b))
    if node <= m.node_count:
        return None
    return node - m.node_count - 16


def mmdb_meta_seeds():
    for f in ('MaxMind-DB-test-ipv4-24.mmdb', 'MaxMind-DB-test-mixed-24.mmdb',
              'MaxMind-DB-no-ipv4-search-tree.mmdb'):
        shutil.copy(os.path.join('tests/data/mmdb', f), os.path.join(OUT, 'mmdb_meta', f))
    for f in ('libmaxminddb-empty-array-last-in-metadata.mmdb',
              'libmaxminddb-empty-map-last-in-metadata.mmdb', 'libmaxminddb-metadata-marker-only.mmdb'):
        shutil.copy(os.path.join('tests/data/mmdb/bad-data', f), os.path.join(OUT, 'mmdb_meta', f))
    shutil.copy('tests/data/findings/libmaxminddb-1.7.1-MMDB_open-leak.mmdb',
                os.path.join(OUT, 'mmdb_meta', 'languages-pointer-leak.mmdb'))


# ---- configs, zones, compare inputs ---------------------------------------

def text_seeds():
    for f in ('example.yaml', 'anycast-example.yaml', 'geodns-example.yaml'):
        s = open(os.path.join('config', f)).read()
        s = s.replace('/var/lib/GeoIP/GeoLite2-City.mmdb', 'mmdb/GeoIP2-City-Test.mmdb')
        s = s.replace('/var/lib/GeoIP/GeoLite2-ASN.mmdb', 'mmdb/GeoLite2-ASN-Test.mmdb')
        put('config', f, s)
    q = open('tests/data/fuzz/query.yaml').read()
    q = q.replace('../mmdb/', 'mmdb/').replace('../../../config/zones/', 'zones/').replace('  - geo.test.yaml\n', '')
    put('config', 'query.yaml', q)
    for f in sorted(os.listdir('config/zones')):
        shutil.copy(os.path.join('config/zones', f), os.path.join(OUT, 'zone', f))
    shutil.copy('tests/data/fuzz/geo.test.yaml', os.path.join(OUT, 'zone', 'geo.test.yaml'))
    for f in ('dns-results.jsonl', 'ping-results.jsonl'):
        lines = open(os.path.join('tests/data/atlas', f)).read().splitlines(True)
        put('cmp_input', 'atlas-' + f, ''.join(lines[:6]))
    put('cmp_input', 'decision-log.jsonl',
        '{"ts":"2026-11-22T10:00:00.123Z","server":"fra1","method":"geodns","arm":"geodns",'
        '"qname":"www.example.test.","qtype":"A","resolver":"192.0.2.53","ecs":"81.2.69.0/24",'
        '"client":"81.2.69.0/24","country":"GB","continent":"EU","lat":51.5,"lon":-0.1,'
        '"pop":"fra","nearest":"fra","pop_km":640.0,"nearest_km":640.0,"scope":24}\n'
        '{"ts":"2026-11-22T10:00:01.000Z","server":"iad","method":"anycast","arm":null,'
        '"qname":"www.example.test.","qtype":"AAAA","resolver":"2001:db8::53","ecs":null,'
        '"client":"2001:db8::53/128","country":null,"continent":null,"lat":null,"lon":null,'
        '"pop":"iad","nearest":null,"pop_km":null,"nearest_km":null,"scope":null}\n')
    put('cmp_input', 'rtt.csv', 'client,pop,rtt_ms\n81.2.69.10,fra,30\n81.2.69.200,iad,90\n2001:218::1,sin,70\n')
    put('cmp_input', 'probe.jsonl',
        '{"ts":"2026-11-22T10:00:00.123Z","vp":"p1","vp_addr":"203.0.113.5",'
        '"vp_location":{"lat":52.37,"lon":4.9,"country":"NL","continent":"EU"},'
        '"geodns_resolver":{"resolver":"9.9.9.9","qname":"www.geo.test.","answer":["192.0.2.10"],"pop":"fra"},'
        '"geodns_ecs":{"server":"192.0.2.53","subnet":"203.0.113.0/24","answer":["192.0.2.10"],"pop":"fra","scope":24},'
        '"anycast":{"address":"198.51.100.1","nsid":"iad","pop":"iad"},'
        '"rtt_ms":{"fra":12.3,"iad":85.0,"sin":150,"anycast":84.3},"k":5,"lost":{"fra":0,"iad":0,"sin":1,"anycast":0}}\n')
    put('cmp_input', 'probe-array.json', '[{"vp":"p2","vp_location":null,"geodns_resolver":null,'
        '"geodns_ecs":{"pop":"sin"},"anycast":null,"rtt_ms":{"sin":3},"k":1}]\n')


# ---- compare: decision-log lines, partial files ---------------------------

def v4m(a, b, c, d):
    return bytes(10) + b'\xff\xff' + bytes([a, b, c, d])


def qlog_rec(ts=1764950400123, method=1, arm=0, qtype=1, qname='www.geo.test.', resolver=None,
             ecs=None, client=None, country=b'', continent=b'', coords=None, pop='', nearest='',
             pop_km=None, nearest_km=None, scope=-1, server=''):
    """The bytes fuzz_cmp_decision's rec_from_bytes turns into a qlog_rec
    (a leading 0x00 selects it): fields in its order, strings as a length
    byte and the bytes, numbers little-endian."""
    def s(x):
        x = x.encode() if isinstance(x, str) else x
        return bytes([len(x)]) + x
    ef, es, ea = ecs or (0, 0, bytes(16))
    cl, cb = client or (0, bytes(16))
    lat, lon = coords or (0.0, 0.0)
    out = b'\0' + struct.pack('<qBBH', ts, method - 1, arm, qtype) + s(qname)
    out += bytes([resolver is not None]) + (resolver or bytes(16))
    out += bytes([ef, es]) + ea.ljust(16, b'\0')
    out += bytes([client is not None, cl]) + cb
    out += country.ljust(2, b'\0') + continent.ljust(2, b'\0')
    out += bytes([coords is not None]) + struct.pack('<dd', lat, lon)
    out += s(pop) + s(nearest)
    out += bytes([(pop_km is not None) | (nearest_km is not None) << 1])
    out += struct.pack('<ddh', pop_km or 0.0, nearest_km or 0.0, scope) + s(server)
    return out


def cmp_decision_seeds():
    t = 'cmp_decision'
    lines = open('tests/data/compare/attribution/decisions.jsonl').read().splitlines(True)
    for i, line in enumerate(lines):
        put(t, 'attribution-D%d.jsonl' % (i + 1), line)
    put(t, 'attribution-all.jsonl', ''.join(lines))
    fixed = lines[0].rstrip('\n')

    def edit(name, old, new):
        assert old in fixed, old
        put(t, name, fixed.replace(old, new) + '\n')
    # Lines in the fixed form with values at the edges: the scanner reads
    # or refuses them, jansson says whether it may.
    edit('pop-known.jsonl', '"pop":"fra"', '"pop":"sin"')
    edit('arm-anycast.jsonl', '"arm":null', '"arm":"anycast"')
    edit('qname-escaped.jsonl', '"qname":"www.example.test."', r'"qname":"a\\\\000b\\\\.c\"d.test."')
    edit('server-utf8.jsonl', '"server":"fra1"', '"server":"fr\u00e4-\u00fc1"')
    edit('server-u-escape.jsonl', '"server":"fra1"', r'"server":"fra\u00001"')
    edit('ipv6.jsonl', '"ecs":"198.51.100.0/24","client":"198.51.100.0/24"',
         '"ecs":"2001:218:0:1::/56","client":"2001:218:0:1::/56"')
    edit('mapped-v4.jsonl', '"client":"198.51.100.0/24"', '"client":"::ffff:198.51.100.0/120"')
    edit('nulls.jsonl', '"country":"DE","continent":"EU","lat":50.11,"lon":8.68',
         '"country":null,"continent":null,"lat":null,"lon":null')
    edit('lat-null-lon-set.jsonl', '"lat":50.11', '"lat":null')
    edit('minus-zero.jsonl', '"lat":50.11,"lon":8.68', '"lat":-0.0,"lon":-0')
    edit('int-coords.jsonl', '"lat":50.11,"lon":8.68', '"lat":50,"lon":8')
    edit('exp-coords.jsonl', '"lat":50.11,"lon":8.68', '"lat":5.011e1,"lon":868E-2')
    edit('huge.jsonl', '"lat":50.11,"lon":8.68,"pop":"fra","nearest":"fra","pop_km":0.0',
         '"lat":1e300,"lon":-1e309,"pop":"fra","nearest":"fra","pop_km":' + '9' * 400 + '.0')
    edit('big-int.jsonl', '"scope":24', '"scope":123456789012345678901')
    edit('plus-sign.jsonl', '"lat":50.11', '"lat":+50.11')
    edit('leading-dot.jsonl', '"lon":8.68', '"lon":.68')
    edit('ts-bad.jsonl', '"ts":"2026-11-22T10:00:00.000Z"', '"ts":"2026-13-40T25:61:61.5Z"')
    edit('ts-no-ms.jsonl', '"ts":"2026-11-22T10:00:00.000Z"', '"ts":"2026-11-22T10:00:00Z"')
    edit('long-server.jsonl', '"server":"fra1"', '"server":"' + 'x' * 3000 + '"')
    edit('long-resolver.jsonl', '"resolver":"192.0.2.53"', '"resolver":"' + '1' * 100 + '"')
    edit('trailing-space.jsonl', '"scope":24}', '"scope":24} \t')
    edit('crlf.jsonl', '"scope":24}', '"scope":24}\r')
    edit('method-bad.jsonl', '"method":"geodns"', '"method":"geo"')
    edit('numbers-for-strings.jsonl', '"server":"fra1"', '"server":1')
    # Lines qlog_format writes (the server's own formatter).
    g = v4m
    put(t, 'fmt-geodns-ecs.bin', qlog_rec(resolver=g(192, 0, 2, 53), ecs=(1, 24, bytes([81, 2, 69])),
        client=(120, g(81, 2, 69, 0)), country=b'GB', continent=b'EU', coords=(51.5142, -0.00005),
        pop='fra', nearest='fra', pop_km=640.25, nearest_km=640.25, scope=24, server='fra1'))
    put(t, 'fmt-anycast-ab.bin', qlog_rec(method=2, arm=1, qtype=28, resolver=g(192, 0, 2, 53),
        client=(128, g(192, 0, 2, 53)), pop='iad', scope=-1, server='iad1'))
    put(t, 'fmt-ipv6.bin', qlog_rec(qtype=28, resolver=bytes.fromhex('20010218000000000000000000000053'),
        ecs=(2, 56, bytes.fromhex('20010218000000')), client=(56, bytes.fromhex('20010218000000') + bytes(9)),
        country=b'JP', continent=b'AS', coords=(35.685, 139.7514), pop='sin', nearest='sin', scope=56))
    put(t, 'fmt-escapes.bin', qlog_rec(qname='a\\000\\"b.test.', pop='fr"a', server='pop\\1\x01'))
    put(t, 'fmt-minus-zero.bin', qlog_rec(coords=(-0.00001, -0.0), pop='fra', pop_km=0.05,
        nearest_km=1e5 + 0.25, client=(96, g(0, 0, 0, 0))))
    put(t, 'fmt-nulls.bin', qlog_rec(qtype=65280, qname='.', ts=999))


def cmp_partial_seeds():
    """Partial files the real binary writes from the attribution and
    failover fixtures (and the Atlas samples) with the PoPs of the fuzz config, as
    fuzz_cmp_partial reads them. Needs build/steerdns; without it the
    committed seeds stay."""
    import subprocess
    import tempfile
    binary = 'build/steerdns'
    if not os.access(binary, os.X_OK):
        print('cmp_partial: no %s, seeds kept' % binary)
        return
    shutil.rmtree(os.path.join(OUT, 'cmp_partial'), ignore_errors=True)
    a = 'tests/data/compare/attribution/'
    sets = {
        'decisions': [a + 'decisions.jsonl'],
        'probes-rtt': [a + 'rtt.csv', a + 'probes.jsonl'],
        'attribution-all': [a + 'rtt.csv', a + 'decisions.jsonl', a + 'probes.jsonl'],
        'atlas': ['tests/data/atlas/dns-results.jsonl', 'tests/data/atlas/ping-results.jsonl'],
        'failover': ['tests/data/compare/failover/decisions.jsonl'],   # health lines, runs
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, inputs in sets.items():
            out = os.path.join(tmp, name)
            subprocess.run([binary, 'compare', '-c', 'tests/data/fuzz/query.yaml',
                            '--save-partial', out] + inputs, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            put('cmp_partial', name + '.partial', open(out, 'rb').read())


def main():
    for t in ('query', 'edns', 'bgp_msg', 'bgp_session', 'mmdb_record', 'mmdb_meta', 'config', 'zone',
              'cmp_input', 'cmp_decision'):
        shutil.rmtree(os.path.join(OUT, t), ignore_errors=True)
        os.makedirs(os.path.join(OUT, t))
    dns_seeds()
    bgp_seeds()
    mmdb_seeds()
    mmdb_meta_seeds()
    text_seeds()
    cmp_decision_seeds()
    cmp_partial_seeds()
    for t in sorted(os.listdir(OUT)):
        fs = os.listdir(os.path.join(OUT, t))
        size = sum(os.path.getsize(os.path.join(OUT, t, f)) for f in fs)
        print('%-12s %3d seeds, %6d bytes' % (t, len(fs), size))


if __name__ == '__main__':
    main()
