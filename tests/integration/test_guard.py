"""test_guard: DNS Cookies (RFC 7873, RFC 9018) and response rate limiting.

Server cookies are checked byte for byte against an RFC 9018 cookie computed
here with a SipHash-2-4 written in Python from the paper (not from our C),
itself checked against the paper's vector and RFC 9018 Appendix A. dig and
kdig are real clients. RRL is measured as a flooding client sees it: how
many answers come back normal, truncated or not at all.
"""

import os
import socket
import struct
import subprocess
import time

import harness as H
from harness import Skip

ORIGIN = 'guard.test.'
SOA = {'mname': 'ns1', 'rname': 'hostmaster', 'serial': 1, 'refresh': 3600,
       'retry': 900, 'expire': 1209600, 'minimum': 300}
RECORDS = [('@', {'NS': ['ns1']}), ('ns1', {'A': '192.0.2.53'}), ('www', {'A': '192.0.2.80'})]
SECRET = 'e5e973e5a6b2a43f48e7dc849e37bfcf'
OLD_SECRET = '445536bcd2513298075a5d379663c962'
COOKIE = 10

SERVERS = []


# --- SipHash-2-4 and RFC 9018, independently of the server ------------------

def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & 0xFFFFFFFFFFFFFFFF


def siphash24(key, data):
    k0, k1 = struct.unpack('<QQ', key)
    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d,
         k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573]
    M = 0xFFFFFFFFFFFFFFFF

    def rnd():
        v[0] = (v[0] + v[1]) & M; v[1] = _rotl(v[1], 13) ^ v[0]; v[0] = _rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & M; v[3] = _rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & M; v[3] = _rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & M; v[1] = _rotl(v[1], 17) ^ v[2]; v[2] = _rotl(v[2], 32)

    tail = len(data) % 8
    blocks = data[:len(data) - tail]
    for i in range(0, len(blocks), 8):
        m, = struct.unpack('<Q', blocks[i:i + 8])
        v[3] ^= m; rnd(); rnd(); v[0] ^= m
    last = (len(data) & 0xFF) << 56
    for i, b in enumerate(data[len(data) - tail:]):
        last |= b << (8 * i)
    v[3] ^= last; rnd(); rnd(); v[0] ^= last
    v[2] ^= 0xFF
    for _ in range(4):
        rnd()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def server_cookie(secret_hex, client_cookie, ip, ts):
    head = bytes([1, 0, 0, 0]) + struct.pack('!I', ts)
    ipb = socket.inet_pton(socket.AF_INET6 if ':' in ip else socket.AF_INET, ip)
    h = siphash24(bytes.fromhex(secret_hex), client_cookie + head + ipb)
    return head + struct.pack('<Q', h)


def test_python_siphash_matches_published_vectors():
    """The oracle itself: the SipHash paper's vector and RFC 9018 A.1."""
    assert siphash24(bytes(range(16)), bytes(range(15))) == 0xa129ca6149be45e5
    assert server_cookie(SECRET, bytes.fromhex('2464c4abcf10c957'), '198.51.100.100',
                         1559731985).hex() == '010000005cf79f111f8130c3eee29480'


# --- servers ------------------------------------------------------------------

def _server(binary, extra, secret_lines=None):
    srv = H.Steerdns(binary, [(ORIGIN + 'yaml', H.zone_yaml(ORIGIN, 3600, SOA, RECORDS))],
                     extra_config=extra)
    if secret_lines is not None:
        with open(os.path.join(srv.dir, 'cookie.secret'), 'w') as f:
            f.write('\n'.join(secret_lines) + '\n')
    SERVERS.append(srv)
    return srv.start()


def setup_module(binary):
    global A, B, PLAIN, OFF, FLOOD, EXEMPT
    secret = 'cookies: { secret_file: cookie.secret }\n'
    A = _server(binary, secret, [SECRET])
    # B: the same site, rolled over: new secret, A's as the previous one;
    # RRL so tight that only a proven (cookie) source gets through.
    B = _server(binary, secret + 'rrl: { rate: 1, slip: 0 }\n', [OLD_SECRET, SECRET])
    PLAIN = _server(binary, '')                             # random secret
    OFF = _server(binary, 'cookies: { enabled: false }\n')
    FLOOD = _server(binary, secret + 'rrl: { rate: 5, slip: 2, window: 2 }\n', [SECRET])
    EXEMPT = _server(binary, 'rrl: { rate: 1, slip: 0, exempt: ["127.0.0.0/8"] }\n')


def teardown_module():
    H.cleanup_all(*SERVERS)


def ask(srv, cookie=None, qid=None, tcp=False, timeout=1.0):
    opts = [(COOKIE, cookie)] if cookie is not None else []
    q = H.build_query('www.guard.test', 'A', qid=qid, options=opts)
    raw = (H.tcp_exchange(srv.addr, srv.port, q, timeout) if tcp
           else H.udp_exchange(srv.addr, srv.port, q, timeout))
    return None if raw is None else H.decode(raw)


def cookie_of(m):
    got = [v for c, v in (m.opt or {}).get('options', []) if c == COOKIE]
    assert len(got) <= 1, 'two COOKIE options: %r' % m
    return got[0] if got else None


def check_fresh_cookie(m, client, secret_hex, ip='127.0.0.1'):
    ck = cookie_of(m)
    assert ck is not None and len(ck) == 24, 'want client + 16-byte server cookie, got %r' % ck
    assert ck[:8] == client, 'client cookie not echoed'
    ts, = struct.unpack('!I', ck[12:16])
    assert abs(ts - time.time()) < 5, 'timestamp %d is not now (%d)' % (ts, time.time())
    want = server_cookie(secret_hex, client, ip, ts)
    assert ck[8:] == want, 'server cookie %s, RFC 9018 says %s' % (ck[8:].hex(), want.hex())
    return ck


# --- cookies --------------------------------------------------------------------

def test_client_cookie_gets_rfc9018_server_cookie():
    client = os.urandom(8)
    for tcp in (False, True):
        m = ask(A, client, tcp=tcp)
        assert m.rcode == 0 and m.answer, m
        check_fresh_cookie(m, client, SECRET)


def test_full_cookie_renewed_and_stale_one_replaced():
    client = os.urandom(8)
    first = check_fresh_cookie(ask(A, client), client, SECRET)
    # Sending the full cookie back (as a client does): answered, fresh cookie.
    check_fresh_cookie(ask(A, first), client, SECRET)
    # A server cookie that is not ours (or a year old): RFC 7873 5.2.4 -
    # answered as if only the client cookie was there, with a new one.
    stale = client + server_cookie(SECRET, client, '127.0.0.1', int(time.time()) - 366 * 86400)
    m = ask(A, stale)
    assert m.rcode == 0 and m.answer, m
    check_fresh_cookie(m, client, SECRET)


def test_malformed_cookie_is_formerr():
    for n in (0, 7, 9, 15, 41):
        m = ask(A, os.urandom(n))
        assert m is not None and m.rcode == 1, 'cookie of %d bytes: %r' % (n, m)
        assert m.opt is not None, 'FORMERR for a bad cookie should carry an OPT'


def test_no_cookie_no_option_and_disabled():
    m = ask(A)
    assert cookie_of(m) is None
    m = ask(OFF, os.urandom(8))
    assert m.rcode == 0 and cookie_of(m) is None, 'cookies: {enabled: false} still sent %r' % m


def test_random_secret_without_secret_file():
    client = os.urandom(8)
    ck1 = cookie_of(ask(PLAIN, client))
    assert ck1 is not None and len(ck1) == 24
    # Not the file secret (it is random), but stable: a second query within
    # the same second gives the same cookie, or one a second later.
    ck2 = cookie_of(ask(PLAIN, client))
    assert ck2[8:12] == ck1[8:12]
    assert ck1[8:] != server_cookie(SECRET, client, '127.0.0.1', struct.unpack('!I', ck1[12:16])[0])


def _flood(srv, n, cookie=None, spacing=0.0):
    """Send n queries from one socket; return (answered, truncated, badcookie, silent)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    base = int.from_bytes(os.urandom(2), 'big')
    ids = set()
    opts = [(COOKIE, cookie)] if cookie is not None else []
    for i in range(n):
        qid = (base + i) & 0xFFFF
        ids.add(qid)
        s.sendto(H.build_query('www.guard.test', 'A', qid=qid, options=opts), (srv.addr, srv.port))
        if spacing:
            time.sleep(spacing)
    res = {'ok': 0, 'tc': 0, 'badcookie': 0}
    try:
        while True:
            raw, _ = s.recvfrom(4096)
            m = H.decode(raw)
            assert m.id in ids
            ids.discard(m.id)
            if m.rcode == 23:
                res['badcookie'] += 1
            elif m.tc:
                assert not m.answer, 'a slipped answer carries records'
                res['tc'] += 1
            else:
                assert m.answer, m
                res['ok'] += 1
    except socket.timeout:
        pass
    s.close()
    return res['ok'], res['tc'], res['badcookie'], len(ids)


def test_two_servers_one_secret_accept_each_other():
    """B (secret rolled: new one, A's as previous; rate 1/s, slip 0) lets a
    client through without limit only with a valid cookie: one made by A is
    accepted, and B hands out cookies under its new secret."""
    client = os.urandom(8)
    from_a = check_fresh_cookie(ask(A, client), client, SECRET)
    ok, tc, bad, silent = _flood(B, 30, cookie=from_a)
    assert ok == 30, 'A\'s cookie at B: %d of 30 answered (tc %d, silent %d)' % (ok, tc, silent)
    from_b = check_fresh_cookie(ask(B, from_a), client, OLD_SECRET)
    ok, _, _, _ = _flood(B, 30, cookie=from_b)
    assert ok == 30
    # Without a valid cookie B limits: a few in, the rest dropped (slip 0).
    ok, tc, bad, silent = _flood(B, 30)
    assert ok <= 2 and tc == 0 and silent >= 28, (ok, tc, bad, silent)


# --- RRL --------------------------------------------------------------------------

def test_rrl_flood_rate_and_slip():
    """rate 5, slip 2: 200 queries in about 1 s from one address: about 5
    (+5 for a second begun) answered, about half of the rest truncated,
    the others silent; TCP is answered meanwhile."""
    time.sleep(2.5)   # any earlier account has refilled (window 2)
    ok, tc, bad, silent = _flood(FLOOD, 200, spacing=0.005)
    assert 5 <= ok <= 16, 'answered %d' % ok
    over = 200 - ok
    assert abs(tc - over / 2) <= 2 and bad == 0, 'truncated %d of %d over the limit' % (tc, over)
    assert abs(silent - over / 2) <= 2, silent
    m = ask(FLOOD, tcp=True)
    assert m is not None and m.rcode == 0 and m.answer, 'TCP not served under RRL: %r' % m


def test_rrl_cookie_client_not_limited_and_slip_is_badcookie():
    time.sleep(2.5)
    client = os.urandom(8)
    # A client cookie alone does not prove the source: limited, and the
    # slipped answers are BADCOOKIE with a server cookie (RFC 7873 5.2.3).
    ok, tc, bad, silent = _flood(FLOOD, 60, cookie=client)
    assert ok <= 10 and bad >= 20 and tc == 0, (ok, tc, bad, silent)
    full = check_fresh_cookie(ask(FLOOD, client, tcp=True), client, SECRET)
    ok, tc, bad, silent = _flood(FLOOD, 60, cookie=full)
    assert ok == 60, 'valid cookie limited: %d of 60 answered' % ok


def test_rrl_exempt_network():
    ok, tc, bad, silent = _flood(EXEMPT, 50)
    assert ok == 50, '127.0.0.0/8 is exempt, but %d of 50 answered' % ok


def test_dig_and_kdig_cookies():
    """Real clients: dig sends a cookie by default and prints ours; kdig
    +cookie the same; both must see the server cookie we compute."""
    for tool, extra in (('dig', ['+cookie']), ('kdig', ['+cookie'])):
        try:
            exe = H.tool(tool)
        except Skip:
            raise
        p = subprocess.run([exe, '@' + A.addr, '-p', str(A.port), 'www.guard.test', 'A'] + extra,
                           capture_output=True, text=True, timeout=10)
        line = [l for l in p.stdout.splitlines() if 'COOKIE' in l]
        assert line, '%s printed no COOKIE:\n%s' % (tool, p.stdout)
        hexes = [w for w in line[0].replace(';', ' ').split() if len(w) >= 48 and all(c in '0123456789abcdefABCDEF' for c in w)]
        assert hexes, line
        ck = bytes.fromhex(hexes[0][:48])
        ts, = struct.unpack('!I', ck[12:16])
        assert ck[8:] == server_cookie(SECRET, ck[:8], '127.0.0.1', ts), '%s: %s' % (tool, line[0])
        assert 'BADCOOKIE' not in p.stdout and 'status: NOERROR' in p.stdout.replace('rcode: NOERROR', 'status: NOERROR'), p.stdout


def test_zz_alive():
    for srv in SERVERS:
        assert srv.alive(), srv.stderr()
        err = srv.stderr()
        assert 'ERROR: AddressSanitizer' not in err and 'runtime error' not in err, err[-3000:]
