"""test_malformed: hostile and broken packets get exactly the specified reaction.

Each case is one raw packet with one expectation: FORMERR (ID echoed, QR set,
rcode 1), NOTIMP, another rcode, or a drop (no reply within 300 ms). After
every case a normal query must still be answered correctly, and at the end
the process must still be alive.
"""

import socket
import struct
import time

import harness as H

ORIGIN = 'example.test.'
SOA = {'mname': 'ns1', 'rname': 'hostmaster', 'serial': 1, 'refresh': 3600,
       'retry': 900, 'expire': 1209600, 'minimum': 300}
RECORDS = [('@', {'NS': ['ns1']}), ('ns1', {'A': '192.0.2.1'}),
           ('www', {'A': '192.0.2.80'})]

SRV = None
QID = 0x4d41


def setup_module(binary):
    global SRV
    SRV = H.serve_zone(binary, ORIGIN, SOA, RECORDS)


def teardown_module():
    H.cleanup_all(SRV)


def hdr(qid=QID, flags=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack('!HHHHHH', qid, flags, qd, an, ns, ar)


WWW = H.encode_name('www.example.test')
Q_WWW = WWW + struct.pack('!HH', 1, 1)
OPT = H.opt_rr()


def opt_with(options=(), **kw):
    return H.opt_rr(options=options, **kw)


def ecs_raw(family, source, scope, addr_bytes):
    """An ECS option with fields exactly as given (no validation, no truncation)."""
    return (H.OPT_ECS, struct.pack('!HBB', family, source, scope) + addr_bytes)


def opt_raw_rdata(rdata):
    return b'\x00' + struct.pack('!HHIH', 41, 1232, 0, len(rdata)) + rdata


def long_name(lens):
    return b''.join(bytes([n]) + b'a' * n for n in lens) + b'\x00'


# (name, packet, expectation). Expectation: 'drop', or an rcode number.
FORMERR, NOTIMP, REFUSED, NOERROR = 1, 4, 5, 0
# steerdns implements no UPDATE at all, so NOTIMP (RFC 1035 4.1.1 "does not
# support the requested kind of query"); a deliberate difference from Knot 3.2,
# which answers FORMERR when ZTYPE is not SOA and NOTAUTH otherwise.
UPDATE_RCODE = NOTIMP
Q_UPDATE_ZONE = H.encode_name('example.test') + struct.pack('!HH', 6, 1)   # RFC 2136 2.3
UDP_CASES = [
    ('empty_datagram', b'', 'drop'),
    ('header_2_bytes', hdr()[:2], 'drop'),
    ('header_11_bytes', hdr()[:11], 'drop'),
    ('qr_set', hdr(flags=0x8000) + Q_WWW, 'drop'),
    ('qr_set_with_opt', hdr(flags=0x8000, ar=1) + Q_WWW + OPT, 'drop'),
    ('qdcount_0', hdr(qd=0), FORMERR),
    ('qdcount_0_with_opt', hdr(qd=0, ar=1) + OPT, FORMERR),
    ('qdcount_2', hdr(qd=2) + Q_WWW + Q_WWW, FORMERR),
    ('truncated_question_name', hdr() + WWW[:8], FORMERR),
    ('missing_qtype_qclass', hdr() + WWW, FORMERR),
    ('missing_qclass', hdr() + WWW + b'\x00\x01', FORMERR),
    ('label_length_64', hdr() + b'\x40' + b'a' * 64 + b'\x00' + b'\x00\x01\x00\x01', FORMERR),
    ('bad_label_type_0x80', hdr() + b'\x80abc\x00' + b'\x00\x01\x00\x01', FORMERR),
    ('bad_label_type_0x41', hdr() + b'\x41' + b'a' * 65 + b'\x00\x00\x01\x00\x01', FORMERR),
    ('name_256_bytes', hdr() + long_name([63, 63, 63, 62]) + b'\x00\x01\x00\x01', FORMERR),
    ('name_320_bytes', hdr() + long_name([63] * 5) + b'\x00\x01\x00\x01', FORMERR),
    ('name_255_bytes_ok_refused', hdr() + long_name([63, 63, 63, 61]) + b'\x00\x01\x00\x01', REFUSED),
    ('compression_pointer_in_question', hdr() + b'\x03www\xc0\x00' + b'\x00\x01\x00\x01', FORMERR),
    ('compression_loop', hdr() + b'\xc0\x0c' + b'\x00\x01\x00\x01', FORMERR),
    ('compression_forward_pointer', hdr() + b'\xc0\x12' + b'\x00\x01\x00\x01' + WWW, FORMERR),
    ('arcount_1_nothing_follows', hdr(ar=1) + Q_WWW, FORMERR),
    ('opt_option_past_rdata', hdr(ar=1) + Q_WWW + opt_raw_rdata(struct.pack('!HH', 3, 10) + b'x'), FORMERR),
    ('opt_rdlen_past_packet', hdr(ar=1) + Q_WWW + b'\x00' + struct.pack('!HHIH', 41, 1232, 0, 100) + b'\x00\x03', FORMERR),
    ('opt_half_option_header', hdr(ar=1) + Q_WWW + opt_raw_rdata(b'\x00\x03\x00'), FORMERR),
    ('two_opts', hdr(ar=2) + Q_WWW + OPT + OPT, FORMERR),
    ('opt_non_root_owner', hdr(ar=1) + Q_WWW + H.opt_rr(owner=H.encode_name('x')), FORMERR),
    ('ecs_scope_nonzero', hdr(ar=1) + Q_WWW + opt_with([H.ecs_option('192.0.2.0', 24, scope=24)]), FORMERR),
    ('ecs_family_3', hdr(ar=1) + Q_WWW + opt_with([ecs_raw(3, 24, 0, b'\xc0\x00\x02')]), FORMERR),
    ('ecs_ipv4_source_33', hdr(ar=1) + Q_WWW + opt_with([ecs_raw(1, 33, 0, b'\xc0\x00\x02\x00\x00')]), FORMERR),
    ('ecs_ipv6_source_129', hdr(ar=1) + Q_WWW + opt_with([ecs_raw(2, 129, 0, b'\x20' + b'\x00' * 16)]), FORMERR),
    ('ecs_address_longer_than_prefix', hdr(ar=1) + Q_WWW + opt_with([ecs_raw(1, 24, 0, b'\xc0\x00\x02\x00')]), FORMERR),
    ('ecs_address_shorter_than_prefix', hdr(ar=1) + Q_WWW + opt_with([ecs_raw(1, 24, 0, b'\xc0\x00')]), FORMERR),
    ('ecs_option_too_short', hdr(ar=1) + Q_WWW + opt_with([(H.OPT_ECS, b'\x00\x01')]), FORMERR),
    ('ecs_bits_beyond_prefix', hdr(ar=1) + Q_WWW + opt_with([ecs_raw(1, 20, 0, b'\xc0\x00\x0f')]), FORMERR),
    ('ecs_source_0_ok', hdr(ar=1) + Q_WWW + opt_with([ecs_raw(1, 0, 0, b'')]), NOERROR),
    ('opcode_1_iquery', hdr(flags=1 << 11) + Q_WWW, NOTIMP),
    ('opcode_2_status', hdr(flags=2 << 11) + Q_WWW, NOTIMP),
    ('opcode_5_update', hdr(flags=5 << 11) + Q_WWW, UPDATE_RCODE),
    ('opcode_5_update_zone_soa', hdr(flags=5 << 11) + Q_UPDATE_ZONE, UPDATE_RCODE),
    ('opcode_15', hdr(flags=15 << 11) + Q_WWW, NOTIMP),
    ('trailing_garbage_after_question', hdr() + Q_WWW + b'\xde\xad\xbe\xef', FORMERR),
    ('trailing_garbage_after_opt', hdr(ar=1) + Q_WWW + OPT + b'\x00', FORMERR),
]

TRACE = []


def normal_query_ok(tcp=False):
    """The follow-up check after every case."""
    m = SRV.query('www.example.test', 'A', tcp=tcp)
    assert m.rcode == 0 and m.answer == [('www.example.test.', 3600, 1, 1, '192.0.2.80')], \
        'follow-up query answered wrongly: %r' % m
    assert SRV.alive(), 'steerdns died; stderr:\n%s' % SRV.stderr()


def check_reply(name, pkt, expect, raw, transport):
    if expect == 'drop':
        assert raw is None, '%s (%s): expected drop, got reply %s' % (name, transport, raw.hex())
        return
    assert raw is not None, '%s (%s): expected rcode %s, got no reply within the timeout' % (
        name, transport, H.RCODES.get(expect, expect))
    assert len(raw) >= 12, '%s: reply shorter than a header: %s' % (name, raw.hex())
    qid, flags = struct.unpack('!HH', raw[:4])
    want_id = struct.unpack('!H', pkt[:2])[0]
    assert qid == want_id, '%s: reply ID %#x, want %#x' % (name, qid, want_id)
    assert flags & 0x8000, '%s: QR clear in reply' % name
    rcode = flags & 0xF
    assert rcode == expect, '%s (%s): rcode %s, want %s; reply %s' % (
        name, transport, H.RCODES.get(rcode, rcode), H.RCODES.get(expect, expect), raw.hex())
    if expect in (NOTIMP,):
        op_q = (struct.unpack('!H', pkt[2:4])[0] >> 11) & 0xF
        assert (flags >> 11) & 0xF == op_q, '%s: opcode not echoed' % name
    if expect in (NOERROR, REFUSED):
        H.decode(raw)   # a normal answer must be fully well-formed


def _make_udp_test(name, pkt, expect):
    def t():
        raw = H.udp_exchange(SRV.addr, SRV.port, pkt, timeout=0.3 if expect == 'drop' else 1.0)
        check_reply(name, pkt, expect, raw, 'UDP')
        normal_query_ok()
    t.__name__ = 'test_udp_' + name
    return t


for _name, _pkt, _exp in UDP_CASES:
    globals()['test_udp_' + _name] = _make_udp_test(_name, _pkt, _exp)


def _tcp_send_expect(name, pkt, expect):
    raw = H.tcp_exchange(SRV.addr, SRV.port, pkt, timeout=1.0)
    check_reply(name, pkt, expect, raw, 'TCP')


def test_tcp_formerr_cases():
    """Every UDP case that expects a reply gets the same reply over TCP."""
    bad = []
    n = 0
    for name, pkt, exp in UDP_CASES:
        if exp == 'drop' or len(pkt) < 12:
            continue
        n += 1
        try:
            _tcp_send_expect(name, pkt, exp)
        except AssertionError as e:
            bad.append(str(e))
    normal_query_ok(tcp=True)
    assert not bad, '%d of %d TCP cases wrong:\n  %s' % (len(bad), n, '\n  '.join(bad))


def test_tcp_qr_set_no_answer():
    pkt = hdr(flags=0x8000) + Q_WWW
    raw = H.tcp_exchange(SRV.addr, SRV.port, pkt, timeout=0.5)
    assert raw is None, 'reply to a QR=1 message over TCP: %s' % raw.hex()
    normal_query_ok(tcp=True)


def test_tcp_length_prefix_no_body():
    a = H.tcp_connect(SRV.addr, SRV.port, timeout=3.0)
    try:
        a.sendall(b'\x00\x40')   # promises 64 bytes, sends none
        # The server must keep serving others while this connection hangs.
        normal_query_ok(tcp=True)
        normal_query_ok(tcp=False)
        a.shutdown(socket.SHUT_WR)
        t0 = time.monotonic()
        try:
            data = a.recv(100)
        except socket.timeout:
            data = None
        assert data == b'', 'after EOF mid-length the server should close; got %r after %.1fs' % (
            data, time.monotonic() - t0)
    finally:
        a.close()
    normal_query_ok(tcp=True)


def test_tcp_half_length_prefix():
    a = H.tcp_connect(SRV.addr, SRV.port, timeout=3.0)
    try:
        a.sendall(b'\x00')       # one byte of the two-byte length
        normal_query_ok(tcp=True)
        a.shutdown(socket.SHUT_WR)
        try:
            data = a.recv(100)
        except socket.timeout:
            data = None
        assert data == b'', 'half a length prefix then EOF: server should close, got %r' % (data,)
    finally:
        a.close()
    normal_query_ok(tcp=True)


def test_tcp_length_zero():
    with H.tcp_connect(SRV.addr, SRV.port, timeout=1.0) as s:
        s.sendall(b'\x00\x00')
        try:
            data = s.recv(100)
        except socket.timeout:
            data = None
        # A zero-length message is shorter than a header: nothing to answer.
        # Closing the connection (b'') or silently ignoring it (timeout) are both fine.
        assert data in (b'', None), 'reply to a zero-length TCP message: %r' % data
    normal_query_ok(tcp=True)
    assert SRV.alive(), 'died after zero-length TCP message'


# Garbage may make the server reset the connection instead of answering.
QUIET_TCP = (socket.timeout, ConnectionResetError)


def test_tcp_64k_garbage():
    body = hdr(qd=1) + b'\xff' * (65535 - 12)
    raw = H.tcp_exchange(SRV.addr, SRV.port, body, timeout=2.0, quiet=QUIET_TCP)
    if raw is not None:
        check_reply('tcp_64k_garbage', body, FORMERR, raw, 'TCP')
    normal_query_ok(tcp=True)
    normal_query_ok()


def test_tcp_random_garbage_then_valid_elsewhere():
    import random
    rnd = random.Random(1234)
    for i in range(20):
        ln = rnd.randint(12, 600)
        body = bytes(rnd.getrandbits(8) for _ in range(ln))
        body = struct.pack('!H', 0x7700 + i) + bytes([body[2] & 0x7f]) + body[3:]  # QR=0
        raw = H.tcp_exchange(SRV.addr, SRV.port, body, timeout=1.0, quiet=QUIET_TCP)
        if raw is not None:
            assert raw[:2] == body[:2] and raw[2] & 0x80, 'garbage %d: bad reply %s' % (i, raw[:12].hex())
    normal_query_ok(tcp=True)


def test_udp_random_fuzz_survives():
    import random
    rnd = random.Random(42)
    base = hdr(ar=1) + Q_WWW + opt_with([H.ecs_option('192.0.2.0', 24)])
    fam = socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        for i in range(500):
            b = bytearray(base)
            for _ in range(rnd.randint(1, 4)):
                b[rnd.randrange(len(b))] = rnd.getrandbits(8)
            if rnd.random() < 0.3:
                b = b[:rnd.randrange(len(b))]
            s.sendto(bytes(b), (SRV.addr, SRV.port))
    time.sleep(0.2)
    normal_query_ok()


def test_zz_still_alive():
    assert SRV.alive(), 'steerdns is not running at the end; stderr:\n%s' % SRV.stderr()
    normal_query_ok()
    normal_query_ok(tcp=True)
