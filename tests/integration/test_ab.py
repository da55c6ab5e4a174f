"""test_ab: the A/B split between GeoDNS and anycast, end to end.

A server with GeoDNS (MaxMind's City test DB, PoPs lon and iad), an
anycast address and `ab: {anycast_percent: P}`; the zone has `www` in
`mode: ab`. Each ECS /24 must land in the arm that the stable hash
(FNV-1a 64 over a family byte and the /24 or /56, then MurmurHash3's
fmix64; steer/ab.h) gives, which this test computes itself; the shares
follow the setting; the ECS scope is never shorter than /24 (/56); and
the first and last address of every returned scope prefix get the same
arm and the same answer.
"""

import ipaddress
import os
import random

import harness as H
from harness import Skip

ORIGIN = 'ab.test.'
ANY4 = '198.51.100.1'
ANY6 = '2001:db8:100::1'
POPS = [('lon', 51.5, -0.12, ['192.0.2.1'], ['2001:db8:1::1']),
        ('iad', 38.95, -77.45, ['192.0.2.3'], ['2001:db8:3::1'])]

BIN = None
SERVERS = {}

M64 = (1 << 64) - 1


def _fmix64(k):
    k ^= k >> 33
    k = (k * 0xff51afd7ed558ccd) & M64
    k ^= k >> 33
    k = (k * 0xc4ceb9fe1a85ec53) & M64
    k ^= k >> 33
    return k


def ab_hash(addr):
    """The split's hash of addr's /24 (IPv4) or /56 (IPv6)."""
    ip = ipaddress.ip_address(addr)
    key = bytes([4]) + ip.packed[:3] if ip.version == 4 else bytes([6]) + ip.packed[:7]
    h = 0xcbf29ce484222325
    for b in key:
        h ^= b
        h = (h * 0x100000001b3) & M64
    return _fmix64(h)


def want_arm(addr, percent):
    return 'anycast' if ab_hash(addr) % 10000 < round(percent * 100) else 'geodns'


def zone():
    return '\n'.join([
        'origin: %s' % ORIGIN, 'ttl: 3600',
        'soa: {mname: ns1, rname: hostmaster, serial: 1, refresh: 3600, retry: 900, '
        'expire: 1209600, minimum: 300}',
        'records:', '  "@": { NS: [ns1] }', '  ns1: { A: 192.0.2.53 }',
        '  www: { steer: { ttl: 20, mode: ab } }',
        '  geo: { steer: { mode: geodns } }']) + '\n'


def server(percent):
    if percent in SERVERS:
        return SERVERS[percent]
    city = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    if not os.path.exists(city):
        raise Skip('MaxMind test DB not found at %s' % city)
    # scope max 16: the A/B floor of 24 must win over it
    conf = (H.geo_config_yaml([city], POPS, fallback=['iad', 'lon'], scope4=(0, 16)) +
            'anycast: { ipv4: %s, ipv6: %s, linger: 0 }\n' % (ANY4, H.yaml_str(ANY6)) +
            'ab: { anycast_percent: %s }\n' % percent)
    s = H.Steerdns(BIN, [('ab.test.yaml', zone())], server={'identity': 'lon'},
                   extra_config=conf)
    s.start()
    SERVERS[percent] = s
    return s


def setup_module(binary):
    global BIN
    BIN = binary


def teardown_module():
    for s in SERVERS.values():
        s.cleanup()


def ecs_of(m):
    for code, val in (m.opt or {}).get('options', []):
        if code == H.OPT_ECS:
            return (int.from_bytes(val[0:2], 'big'), val[2], val[3], val[4:])
    return None


def ask(s, addr, source, qtype='A'):
    """(arm, answer list, scope) for a client subnet addr/source."""
    m = s.query('www.ab.test', qtype, options=[H.ecs_option(addr, source)])
    assert m.rcode == 0 and m.answer, (addr, m)
    got = sorted(rr[4] for rr in m.answer)
    arm = 'anycast' if got in ([ANY4], [ANY6]) else 'geodns'
    e = ecs_of(m)
    assert e is not None, m
    return arm, got, e[2]


def public_v4_subnets(n, seed):
    rnd = random.Random(seed)
    out = set()
    while len(out) < n:
        a = rnd.randint(1, 223)
        if a in (10, 100, 127, 169, 172, 192, 198):
            continue
        out.add('%d.%d.%d.0' % (a, rnd.randint(0, 255), rnd.randint(0, 255)))
    return sorted(out)


def check_split(percent, n, tol):
    s = server(percent)
    subnets = public_v4_subnets(n, seed=percent)
    anycast = 0
    for net in subnets:
        arm, got, scope = ask(s, net, 24)
        assert arm == want_arm(net, percent), (net, arm, got)
        assert scope >= 24, (net, arm, scope)
        anycast += arm == 'anycast'
        # the ends of the scope prefix: same arm, same answer
        pfx = ipaddress.ip_network('%s/%d' % (net, scope), strict=False)
        for end in (pfx[0], pfx[-1]):
            a2, g2, s2 = ask(s, str(end), 32)
            assert (a2, g2) == (arm, got), (net, scope, str(end), a2, g2, arm, got)
            assert s2 >= 24, (str(end), s2)
    share = 100.0 * anycast / n
    assert abs(share - percent) <= tol, 'anycast share %.1f%% for setting %s%%' % (share, percent)
    return share


def test_split_50():
    check_split(50, 300, 8)


def test_split_12_5():
    check_split(12.5, 300, 6)


def test_same_arm_every_time_and_per_host():
    s = server(50)
    for net in public_v4_subnets(40, seed=7):
        first = ask(s, net, 24)
        for _ in range(3):
            assert ask(s, net, 24) == first, net
        # hosts of the /24 sent as /32 get the same arm
        base = net.rsplit('.', 1)[0]
        for host in (1, 77, 254):
            a, g, sc = ask(s, '%s.%d' % (base, host), 32)
            assert a == first[0], (net, host, a, first)


def test_ipv6_scope_and_arm():
    s = server(50)
    rnd = random.Random(56)
    seen = set()
    for _ in range(60):
        hi = rnd.getrandbits(56) << 72
        addr = str(ipaddress.IPv6Address((0x2a00 << 112) | (hi >> 16)))
        arm, got, scope = ask(s, addr, 56, 'AAAA')
        assert arm == want_arm(addr, 50), (addr, arm, got)
        assert scope >= 56, (addr, scope)
        seen.add(arm)
    assert seen == {'geodns', 'anycast'}, seen
    # v4-mapped IPv6 ECS: the floor is 96 + 24
    arm, got, scope = ask(s, '::ffff:81.2.69.0', 120)
    assert scope >= 120, scope
    assert arm == want_arm('81.2.69.0', 50), arm


def test_resolver_address_decides_without_ecs():
    s = server(50)
    m = s.query('www.ab.test', 'A')
    got = sorted(rr[4] for rr in m.answer)
    arm = 'anycast' if got == [ANY4] else 'geodns'
    assert arm == want_arm('127.0.0.1', 50), (arm, got)


def test_config_errors():
    city = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    d = H.Steerdns(BIN, [('ab.test.yaml', zone())],
                   extra_config=H.geo_config_yaml([city], POPS))
    try:
        import subprocess
        p = subprocess.run([BIN, 'checkconf', '-c', d.config], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20)
        err = p.stderr.decode()
        assert p.returncode == 1 and 'ab.test.yaml:' in err and \
            'mode ab requires anycast ipv4 or ipv6' in err, err
        for bad, what in (('ab: { anycast_percent: 100.5 }', 'out of range'),
                          ('ab: { anycast_percent: lots }', 'expected a number')):
            with open(d.config, 'w') as f:
                f.write(d.config_text + 'anycast: { ipv4: %s }\n' % ANY4 + bad + '\n')
            p = subprocess.run([BIN, 'checkconf', '-c', d.config], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=20)
            err = p.stderr.decode()
            assert p.returncode == 1 and what in err and d.config in err, err
        with open(d.config, 'w') as f:
            f.write(d.config_text.replace('server:\n', 'server:\n  mode: ab\n', 1))
        p = subprocess.run([BIN, 'checkconf', '-c', d.config], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20)
        err = p.stderr.decode()
        assert p.returncode == 1 and 'mode: ab requires anycast ipv4 or ipv6' in err, err
    finally:
        d.cleanup()
