"""test_bgp_7606: the real binary's BGP speaker against a scripted raw-socket
peer on loopback: RFC 7606 error handling and the reconnect backoff.

steerdns (anycast mode, announcing 198.51.100.0/24, AS 65001) connects to
a peer this test plays on 127.0.0.1:<free port> (AS 64512, 4-octet AS,
hold time 0 so neither side sends KEEPALIVEs and any byte from steerdns is
something it chose to send). No root, no namespaces: nothing listens on
179 (the peer is not passive).

- test_malformed_updates_keep_session: after steerdns announced its
  prefix, the peer sends one UPDATE per malformed attribute (each built
  here from the attribute's definition, with the RFC section that names
  its action: treat-as-withdraw, attribute discard, AFI/SAFI disable).
  Nothing may come back (no NOTIFICATION, no withdraw), the connection
  stays open, and a ROUTE-REFRESH still gets our UPDATE. Each is logged
  once with its attribute; 2000 more of one kind add at most a few lines.
- test_reset_cases_reset: the UPDATEs RFC 7606 still resets on get their
  NOTIFICATION (3/1, 3/10, 3/6) and the connection is closed.
- test_backoff_grows: a peer that resets every session right after it
  comes up is retried after 0.1, 0.2, 0.4, 0.8, 1.6, 1.6 s (backoff
  min 0.1 s, max 1.6 s, doubling; the README rule), not every 0.1 s.
"""

import contextlib
import socket
import struct
import time

import harness as H

BIN = None
ORIGIN_NAME = 'anycast.test.'
PFX4 = '198.51.100.0/24'
OUR_NLRI = bytes([24, 198, 51, 100])      # 198.51.100.0/24
OUR_AS, PEER_AS = 65001, 64512
PEER_ID = bytes([10, 0, 0, 2])

OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE_REFRESH = 1, 2, 3, 4, 5


def setup_module(binary):
    global BIN
    BIN = binary


# ---- BGP bytes, from RFC 4271 section 4 ----

def msg(mtype, body=b''):
    return b'\xff' * 16 + struct.pack('!HB', 19 + len(body), mtype) + body


def attr(flags, code, value):
    """One path attribute; the Extended Length bit when the value needs it."""
    if len(value) > 255:
        return struct.pack('!BBH', flags | 0x10, code, len(value)) + value
    return struct.pack('!BBB', flags, code, len(value)) + value


def update(attrs=b'', nlri=b'', withdrawn=b''):
    return (struct.pack('!H', len(withdrawn)) + withdrawn + struct.pack('!H', len(attrs)) + attrs
            + nlri)


ORIGIN = attr(0x40, 1, b'\x00')                                  # IGP
PATH = attr(0x40, 2, b'\x02\x01' + struct.pack('!I', PEER_AS))   # AS_SEQUENCE 64512
NH = attr(0x40, 3, bytes([10, 0, 0, 2]))
BASE = ORIGIN + PATH + NH
PEER_NLRI = bytes([24, 203, 0, 113])                             # 203.0.113.0/24
V6_NLRI = bytes([48, 0x20, 0x01, 0x0d, 0xb8, 0x02, 0x00])        # 2001:db8:200::/48

# (RFC section and what is wrong, the attribute the log names, the action the
# section names, the path attributes, with the IPv4 NLRI)
HANDLED = [
    ('7.1 ORIGIN value 5', 'ORIGIN', 'treat-as-withdraw', attr(0x40, 1, b'\x05') + PATH + NH, True),
    ('7.1 ORIGIN length 2', 'ORIGIN', 'treat-as-withdraw', attr(0x40, 1, b'\x00\x00') + PATH + NH, True),
    ('3.c ORIGIN flagged optional', 'ORIGIN', 'treat-as-withdraw', attr(0xc0, 1, b'\x00') + PATH + NH, True),
    ('7.2 AS_PATH segment type 7', 'AS_PATH', 'treat-as-withdraw', ORIGIN + attr(0x40, 2, b'\x07\x01' + struct.pack('!I', PEER_AS)) + NH,
     True),
    ('7.2 AS_PATH segment length 0', 'AS_PATH', 'treat-as-withdraw', ORIGIN + attr(0x40, 2, b'\x02\x00') + NH, True),
    ('7.3 NEXT_HOP length 5', 'NEXT_HOP', 'treat-as-withdraw', ORIGIN + PATH + attr(0x40, 3, bytes([10, 0, 0, 2, 0])), True),
    ('3.e NEXT_HOP 0.0.0.0', 'NEXT_HOP', 'treat-as-withdraw', ORIGIN + PATH + attr(0x40, 3, bytes(4)), True),
    ('7.4 MED length 3', 'MULTI_EXIT_DISC', 'treat-as-withdraw', BASE + attr(0x80, 4, b'\x00\x00\x01'), True),
    ('3.c MED flagged transitive', 'MULTI_EXIT_DISC', 'treat-as-withdraw', BASE + attr(0x40, 4, struct.pack('!I', 7)), True),
    ('7.5 LOCAL_PREF from an external peer', 'LOCAL_PREF', 'attribute-discard', BASE + attr(0x40, 5, struct.pack('!I', 100)), True),
    ('7.6 ATOMIC_AGGREGATE length 2', 'ATOMIC_AGGREGATE', 'attribute-discard', BASE + attr(0x40, 6, b'\x00\x00'), True),
    ('7.7 AGGREGATOR length 6 (4-octet AS session)', 'AGGREGATOR', 'attribute-discard',
     BASE + attr(0xc0, 7, struct.pack('!H', PEER_AS) + PEER_ID), True),
    ('7.8 COMMUNITIES length 5', 'COMMUNITIES', 'treat-as-withdraw', BASE + attr(0xc0, 8, bytes(5)), True),
    ('7.8 COMMUNITIES length 0', 'COMMUNITIES', 'treat-as-withdraw', BASE + attr(0xc0, 8, b''), True),
    ('7.9 ORIGINATOR_ID from an external peer', 'ORIGINATOR_ID', 'attribute-discard', BASE + attr(0x80, 9, PEER_ID), True),
    ('7.10 CLUSTER_LIST from an external peer', 'CLUSTER_LIST', 'attribute-discard', BASE + attr(0x80, 10, bytes(5)), True),
    ('7.14 EXTENDED_COMMUNITIES length 7', 'EXTENDED_COMMUNITIES', 'treat-as-withdraw', BASE + attr(0xc0, 16, bytes(7)), True),
    ('RFC 8092 6 LARGE_COMMUNITY length 11', 'LARGE_COMMUNITY', 'treat-as-withdraw', BASE + attr(0xc0, 32, bytes(11)), True),
    ('RFC 6793 4.1 AS4_PATH from a 4-octet speaker', 'AS4_PATH', 'attribute-discard',
     BASE + attr(0xc0, 17, b'\x02\x01' + struct.pack('!I', PEER_AS)), True),
    ('RFC 6793 4.1 AS4_AGGREGATOR from a 4-octet speaker', 'AS4_AGGREGATOR', 'attribute-discard',
     BASE + attr(0xc0, 18, struct.pack('!I', PEER_AS) + PEER_ID), True),
    ('3.g COMMUNITIES twice', 'COMMUNITIES', 'attribute-discard', BASE + attr(0xc0, 8, b'\xfc\x00\x00\x01') * 2, True),
    ('3.c unknown type 200 flagged well-known', 'attribute (type 200)', 'treat-as-withdraw', BASE + attr(0x40, 200, b'\x00'), True),
    ('3.d NEXT_HOP missing', 'NEXT_HOP', 'treat-as-withdraw', ORIGIN + PATH, True),
    ('3.d ORIGIN missing', 'ORIGIN', 'treat-as-withdraw', PATH + NH, True),
    ('4 attribute length overrunning the path attributes', 'path attributes', 'treat-as-withdraw', BASE + bytes([0xc0, 8, 40]) + bytes(4), True),
    ('4 attribute header cut short', 'path attributes', 'treat-as-withdraw', BASE + bytes([0xc0, 8]), True),
    ('7.11 MP_REACH_NLRI IPv6 next hop length 4', 'MP_REACH_NLRI', 'AFI/SAFI-disable',
     attr(0x80, 14, struct.pack('!HBB', 2, 1, 4) + PEER_ID + b'\x00' + V6_NLRI) + ORIGIN + PATH, False),
    ('5.3 MP_REACH_NLRI IPv6 prefix /129', 'MP_REACH_NLRI', 'AFI/SAFI-disable',
     attr(0x80, 14, struct.pack('!HBB', 2, 1, 16) + socket.inet_pton(socket.AF_INET6, '2001:db8::2')
          + b'\x00' + bytes([129]) + bytes(16)) + ORIGIN + PATH, False),
    ('5.3 MP_UNREACH_NLRI IPv6 prefix past the attribute', 'MP_UNREACH_NLRI', 'AFI/SAFI-disable',
     attr(0x80, 15, struct.pack('!HB', 2, 1) + bytes([48, 0x20, 0x01])), False),
]

# (section, UPDATE body, NOTIFICATION subcode it must send)
RESETS = [
    ('3.b total path attribute length past the message', struct.pack('!HH', 0, 100) + ORIGIN, 1),
    ('3.g MP_UNREACH_NLRI twice', update(attr(0x80, 15, struct.pack('!HB', 2, 1)) * 2), 1),
    ('5.3 NLRI of length 33', update(BASE, bytes([33, 1, 2, 3, 4, 5])), 10),
    ('5.3 withdrawn route cut short', update(BASE, withdrawn=bytes([24, 203])), 10),
    ('5.2 withdrawn routes only, ORIGIN 5', update(attr(0x40, 1, b'\x05'), withdrawn=PEER_NLRI), 6),
]


class Conn:
    """One BGP connection of the scripted peer."""

    def __init__(self, sock):
        self.s = sock
        self.buf = b''

    def send(self, mtype, body=b''):
        self.s.sendall(msg(mtype, body))

    def recv(self, timeout):
        """(type, body) of the next message, None on timeout; EOFError on close."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 19:
                n = struct.unpack('!H', self.buf[16:18])[0]
                if len(self.buf) >= n:
                    m, self.buf = self.buf[:n], self.buf[n:]
                    return m[18], m[19:]
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                data = self.s.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise EOFError('steerdns closed the connection')
            self.buf += data

    def expect(self, mtype, timeout=5.0, skip=()):
        while True:
            m = self.recv(timeout)
            assert m is not None, 'no message of type %d within %.1fs' % (mtype, timeout)
            if m[0] in skip:
                continue
            assert m[0] == mtype, 'expected message type %d, got %d %s' % (mtype, m[0], m[1].hex())
            return m[1]

    def establish(self):
        """OPEN both ways (ours: AS 64512, hold 0, IPv4 unicast, 4-octet AS), KEEPALIVEs."""
        body = self.expect(OPEN)
        assert body[0] == 4 and struct.unpack('!H', body[1:3])[0] == OUR_AS, body.hex()
        caps = (b'\x01\x04\x00\x01\x00\x01'                          # MP IPv4 unicast
                + b'\x01\x04\x00\x02\x00\x01'                        # MP IPv6 unicast
                + b'\x02\x00'                                        # route refresh
                + b'\x41\x04' + struct.pack('!I', PEER_AS))          # 4-octet AS
        params = b'\x02' + bytes([len(caps)]) + caps
        self.send(OPEN, struct.pack('!BHH', 4, PEER_AS, 0) + PEER_ID + bytes([len(params)]) + params)
        self.send(KEEPALIVE)
        self.expect(KEEPALIVE)

    def close(self):
        self.s.close()


class Peer:
    """The listening side; steerdns connects here."""

    def __init__(self):
        self.ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(('127.0.0.1', 0))
        self.ls.listen(8)
        self.port = self.ls.getsockname()[1]

    def accept(self, timeout=10.0):
        self.ls.settimeout(timeout)
        s, _ = self.ls.accept()
        return Conn(s)

    def close(self):
        self.ls.close()


@contextlib.contextmanager
def peer_and_steerdns(backoff_min=0.1, backoff_max=2):
    """The scripted peer's listener and a steerdns connecting to it; both
    are closed and cleaned up however the test ends."""
    peer = Peer()
    srv = None
    try:
        srv = steerdns(peer, backoff_min, backoff_max)
        yield peer, srv
    finally:
        peer.close()
        if srv:
            srv.cleanup()


def steerdns(peer, backoff_min, backoff_max):
    zone = H.geo_zone_yaml(ORIGIN_NAME, steered=(('www', 30, 1),), static=(('static', '192.0.2.80'),))
    conf = '\n'.join([
        'anycast:',
        '  ipv4: 198.51.100.1',
        '  bgp:',
        '    local_as: %d' % OUR_AS,
        '    router_id: 10.0.0.1',
        '    hold_time: 0',
        '    prefix4: %s' % PFX4,
        '    backoff: { min: %s, max: %s }' % (backoff_min, backoff_max),
        '    peers:',
        '      - { address: "127.0.0.1:%d", as: %d, next_hop: [192.0.2.1] }' % (peer.port, PEER_AS),
        '  health:',
        '    self_check: { name: www.anycast.test, type: A }',
        '    interval: 0.2',
        '    fast_interval: 0.1',
        '    rise: 2',
        '    fall: 2',
        '  linger: 0',
    ]) + '\n'
    srv = H.Steerdns(BIN, [('anycast.test.yaml', zone)], server={'workers': 1, 'mode': 'anycast'},
                     v6=False, extra_config=conf)
    return srv.start()


def wait_announce(c, timeout=10.0):
    """Read until steerdns announces 198.51.100.0/24 (End-of-RIB may come first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = c.expect(UPDATE, timeout=deadline - time.monotonic())
        wlen = struct.unpack('!H', body[:2])[0]
        alen = struct.unpack('!H', body[2 + wlen:4 + wlen])[0]
        assert wlen == 0, 'steerdns withdrew: %s' % body.hex()
        if body[4 + wlen + alen:] == OUR_NLRI:
            return body
    raise AssertionError('steerdns did not announce %s' % PFX4)


def wait_announce_and_eor(c, timeout=10.0):
    """Both the announcement and the End-of-RIB (RFC 4724: an empty UPDATE),
    in either order (the announcement waits for the health checks)."""
    deadline = time.monotonic() + timeout
    seen_eor = seen_route = False
    while not (seen_eor and seen_route):
        body = c.expect(UPDATE, timeout=max(0.1, deadline - time.monotonic()))
        if body == b'\x00\x00\x00\x00':
            seen_eor = True
            continue
        wlen = struct.unpack('!H', body[:2])[0]
        alen = struct.unpack('!H', body[2 + wlen:4 + wlen])[0]
        assert wlen == 0, 'steerdns withdrew: %s' % body.hex()
        seen_route |= body[4 + wlen + alen:] == OUR_NLRI


def malformed_lines(srv):
    return [ln for ln in srv.stderr().splitlines() if 'malformed UPDATE' in ln]


def test_malformed_updates_keep_session():
    with peer_and_steerdns() as (peer, srv):
        c = peer.accept()
        c.establish()
        wait_announce_and_eor(c)
        for what, _, _, attrs, with_nlri in HANDLED:
            c.send(UPDATE, update(attrs, PEER_NLRI if with_nlri else b''))
        # Nothing may come back: hold time 0 means no KEEPALIVEs, so any
        # message would be a NOTIFICATION or a withdraw.
        m = c.recv(1.5)
        assert m is None, 'steerdns sent type %d %s after the malformed UPDATEs' % (m[0], m[1].hex())
        # ... and our route is still out: a ROUTE-REFRESH gets it again.
        c.send(ROUTE_REFRESH, struct.pack('!HBB', 1, 0, 1))
        wait_announce(c, 5.0)
        # Logged once per peer, attribute and action (RFC 7606 section 6: the
        # error, the routes and the UPDATE), so one line per distinct pair.
        lines = malformed_lines(srv)
        pairs = {(name, act) for _, name, act, _, _ in HANDLED}
        for name, act in pairs:
            head = 'UPDATE: ' + name + ('' if name.endswith(')') else ' (type')
            hits = [ln for ln in lines if head in ln and '-> ' + act + ' (' in ln]
            assert len(hits) == 1, '%d log lines for %s %s:\n%s' % (len(hits), name, act, '\n'.join(lines))
        assert len(lines) == len(pairs), '%d malformed-UPDATE lines for %d kinds' % (len(lines), len(pairs))
        assert 'ORIGIN (type 1) value not IGP, EGP or INCOMPLETE -> treat-as-withdraw (RFC 7606 7.1;' \
            in srv.stderr()
        # A flood of one kind is logged once (plus at most a summary a minute).
        before = len(lines)
        flood = msg(UPDATE, update(HANDLED[0][3], PEER_NLRI)) * 2000
        c.s.sendall(flood)
        assert c.recv(1.0) is None
        c.send(ROUTE_REFRESH, struct.pack('!HBB', 1, 0, 1))
        wait_announce(c, 5.0)
        added = len(malformed_lines(srv)) - before
        assert added <= 1, '%d log lines for 2000 identical malformed UPDATEs' % added
        c.close()


def test_reset_cases_reset():
    with peer_and_steerdns(backoff_min=0.1, backoff_max=0.2) as (peer, _):
        for what, body, sub in RESETS:
            c = peer.accept()
            c.establish()
            c.send(UPDATE, body)
            n = c.expect(NOTIFICATION, skip=(UPDATE,))
            assert n[0] == 3 and n[1] == sub, '%s: NOTIFICATION %d/%d, want 3/%d' % (what, n[0], n[1], sub)
            try:
                extra = c.recv(3.0)
                raise AssertionError('%s: connection still open after the NOTIFICATION (%r)' % (what, extra))
            except EOFError:
                pass
            c.close()


def test_backoff_grows():
    lo, hi = 0.1, 1.6
    with peer_and_steerdns(backoff_min=lo, backoff_max=hi) as (peer, _):
        dropped, gaps = None, []
        t_end = time.monotonic() + 7.0
        while time.monotonic() < t_end:
            try:
                c = peer.accept(timeout=max(0.1, t_end - time.monotonic()))
            except socket.timeout:
                break
            if dropped is not None:
                gaps.append(time.monotonic() - dropped)
            c.establish()
            c.send(UPDATE, RESETS[2][1])          # NLRI /33: a reset every time
            c.expect(NOTIFICATION, skip=(UPDATE,))
            dropped = time.monotonic()
            c.close()
        want = [min(lo * 2 ** i, hi) for i in range(len(gaps))]
        for i, (g, w) in enumerate(zip(gaps, want)):
            assert w - 0.05 <= g <= w + 1.0, 'reconnect %d after %.2fs, rule says %.2fs (all: %s)' % (
                i + 1, g, w, ', '.join('%.2f' % x for x in gaps))
        # 0.1+0.2+0.4+0.8+1.6+1.6 = 4.7 s: about 7 sessions in 7 s, where a
        # backoff starting over at each session would give dozens.
        assert 5 <= len(gaps) + 1 <= 10, '%d sessions in 7 s (gaps %s)' % (
            len(gaps) + 1, ', '.join('%.2f' % x for x in gaps))
