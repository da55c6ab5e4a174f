"""test_tcp: DNS over TCP stream behaviour (RFC 1035 4.2.2, RFC 7766).

These tests pin down what common/tcp.c does with the byte stream, so its
event machinery can be rewritten without changing behaviour: pipelining and
in-order answers, messages split at any byte, half-close, the idle and
write-stall timeouts, the deadline for a whole message, the server-wide
connection limit with eviction of the longest idle, clients that drip bytes
or hold connections idle, a second server on the same port, backpressure from a
client that does not read, answers far larger than a datagram, garbage and
abrupt closes, many concurrent connections, and IPv6.

Every answer is decoded strictly and matched to its query by ID and by the
question as sent (case included), so a lost, duplicated, reordered or torn
answer fails. The only timing assertions are generous bounds.
"""

import socket
import struct
import threading
import time

import harness as H
from harness import Skip

ORIGIN = 'tcp.test.'
SOA = {'mname': 'ns1', 'rname': 'hostmaster', 'serial': 1, 'refresh': 3600,
       'retry': 900, 'expire': 1209600, 'minimum': 300}


def _filler(tag, n):
    """tag + n printable bytes (no quote, backslash or space): one TXT record."""
    alpha = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
    return tag + ''.join(alpha[(i * 7 + len(tag)) % len(alpha)] for i in range(n))


# mid: 4 TXT records of ~1000 bytes, a ~4 KB answer (backpressure test).
# huge: 30 of them, a ~30 KB answer (far over any UDP payload).
# many: 300 A records, a ~4.8 KB answer.
MID_TXT = [_filler('m%02d-' % i, 1000) for i in range(4)]
HUGE_TXT = [_filler('h%02d-' % i, 1000) for i in range(30)]
MANY_A = ['198.51.%d.%d' % (100 + i // 200, i % 200 + 1) for i in range(300)]
RECORDS = [
    ('@', {'NS': ['ns1']}),
    ('ns1', {'A': '192.0.2.53'}),
    ('www', {'A': '192.0.2.80', 'AAAA': '2001:db8::80'}),
    ('mid', {'TXT': MID_TXT}),
    ('huge', {'TXT': HUGE_TXT}),
    ('many', {'A': MANY_A}),
]

SRV = None      # defaults: idle 10 s, 1024 clients
IDLE = None     # tcp_idle_timeout: 1, tcp_io_timeout: 300 ms
LIMIT = None    # tcp_max_clients: 4, one worker (eviction is per worker)
DRIP = None     # tcp_max_clients: 64 (the abuse tests)


def _server(binary, **server):
    srv = H.Steerdns(binary, [(ORIGIN + 'yaml', H.zone_yaml(ORIGIN, 3600, SOA, RECORDS))],
                     server=server or None)
    try:
        return srv.start()
    except BaseException:
        srv.cleanup()
        raise


BINARY = None


def setup_module(binary):
    global SRV, IDLE, LIMIT, DRIP, BINARY
    BINARY = binary
    SRV = _server(binary)
    IDLE = _server(binary, tcp_idle_timeout=1, tcp_io_timeout=300)
    LIMIT = _server(binary, tcp_max_clients=4, workers=1)
    DRIP = _server(binary, tcp_max_clients=64)


def teardown_module():
    H.cleanup_all(SRV, IDLE, LIMIT, DRIP)


# ---------------------------------------------------------------------------
# Helpers

def txt_rdata(text):
    """The decoder's text for a literal TXT value (cut into 255-byte strings)."""
    return ' '.join('"%s"' % text[i:i + 255] for i in range(0, len(text), 255))


def _rrs(owner, typ, values):
    return sorted((owner, 3600, 1, H.TYPES[typ], v) for v in values)


# (lowercase qname, qtype) -> (rcode, sorted expected answer RRs)
EXPECT = {
    ('www.tcp.test.', 'A'): (0, _rrs('www.tcp.test.', 'A', ['192.0.2.80'])),
    ('www.tcp.test.', 'AAAA'): (0, _rrs('www.tcp.test.', 'AAAA', ['2001:db8::80'])),
    ('nope.tcp.test.', 'A'): (3, []),
    ('mid.tcp.test.', 'TXT'): (0, _rrs('mid.tcp.test.', 'TXT', [txt_rdata(t) for t in MID_TXT])),
    ('huge.tcp.test.', 'TXT'): (0, _rrs('huge.tcp.test.', 'TXT', [txt_rdata(t) for t in HUGE_TXT])),
    ('many.tcp.test.', 'A'): (0, _rrs('many.tcp.test.', 'A', MANY_A)),
}


def mixcase(name, i):
    """name with letters upper-cased by the bits of i, so each question differs."""
    out = []
    k = 0
    for c in name:
        if c.isalpha():
            out.append(c.upper() if (i >> (k % 12)) & 1 else c)
            k += 1
        else:
            out.append(c)
    return ''.join(out)


def frame(q):
    """RFC 1035 4.2.2: a two-byte length prefix, then the message."""
    return struct.pack('!H', len(q)) + q


def make_query(qid, qname, qtype):
    return H.build_query(qname, qtype, qid=qid)


def check_answer(raw, q, what):
    """Decode raw strictly and check it answers query q exactly; returns the Msg."""
    assert raw is not None, '%s: connection closed instead of an answer' % what
    m = H.decode(raw)
    qid = struct.unpack('!H', q[:2])[0]
    qm = H.decode(q)   # the query decodes with the same decoder
    assert m.qr and m.id == qid, '%s: reply ID %#x (QR %s), want %#x' % (what, m.id, m.qr, qid)
    assert m.question == qm.question, '%s: question %s, want %s' % (what, m.question, qm.question)
    name, qtype, _ = qm.question[0]
    rcode, answer = EXPECT[(name.lower(), H.type_name(qtype))]
    assert not m.tc, '%s: TC set over TCP (%d bytes)' % (what, len(raw))
    assert m.rcode == rcode, '%s: rcode %s, want %s' % (what, m.rcode_name(), H.RCODES[rcode])
    assert sorted(m.answer) == answer, '%s: %d answer RRs, want %d (first differing: %s)' % (
        what, len(m.answer), len(answer),
        next((a for a, b in zip(sorted(m.answer), answer) if a != b), None))
    return m


def read_msg(s, what):
    """One length-prefixed message; AssertionError on EOF inside or before it."""
    hdr = H.recv_exact(s, 2)
    assert hdr is not None, '%s: EOF where a length prefix was expected' % what
    (ln,) = struct.unpack('!H', hdr)
    body = H.recv_exact(s, ln)
    assert body is not None, '%s: EOF inside a %d-byte message' % (what, ln)
    return body


# Query bytes after the ID -> answer bytes after the ID, fully checked once.
# Decoding a 30 KB answer in Python costs milliseconds; an answer identical
# to an already checked one for the same question needs no second decode.
_CHECKED = {}


def read_answers(s, queries, what):
    """Read len(queries) answers and check the i-th answers queries[i] (in order)."""
    for i, q in enumerate(queries):
        raw = read_msg(s, '%s answer %d' % (what, i))
        if raw[:2] == q[:2] and _CHECKED.get(q[2:]) == raw[2:]:
            continue
        check_answer(raw, q, '%s answer %d' % (what, i))
        _CHECKED[q[2:]] = raw[2:]


def stream_end(s, timeout):
    """Wait up to timeout for the server to end the stream.

    Returns ('eof' or 'reset', seconds, bytes read before it) or ('open',
    timeout, bytes) when the connection is still open."""
    t0 = time.monotonic()
    got = b''
    while True:
        left = timeout - (time.monotonic() - t0)
        if left <= 0:
            return 'open', timeout, got
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return 'open', timeout, got
        except ConnectionResetError:
            return 'reset', time.monotonic() - t0, got
        if not chunk:
            return 'eof', time.monotonic() - t0, got
        got += chunk


def connect(srv, rcvbuf=None, addr=None, timeout=5.0):
    addr = addr or srv.addr
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if rcvbuf:
        # Before connect, so the advertised window is small from the start.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(timeout)
    s.connect((addr, srv.port))
    return s


def rst_close(s):
    """Close with an RST (SO_LINGER 0) instead of a FIN."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()


def www_ok(srv, tcp, qid=0x7777, timeout=2.0):
    """One www A query on a fresh connection (or UDP) answered correctly."""
    q = make_query(qid, 'www.tcp.test', 'A')
    raw = (H.tcp_exchange(srv.addr, srv.port, q, timeout) if tcp
           else H.udp_exchange(srv.addr, srv.port, q, timeout))
    assert raw is not None, 'no %s answer within %.1fs' % ('TCP' if tcp else 'UDP', timeout)
    if tcp:
        check_answer(raw, q, 'www A over TCP')
    else:
        m = H.decode(raw)
        assert m.id == qid and m.answer == EXPECT[('www.tcp.test.', 'A')][1], 'UDP www A: %r' % m


def rss_kb(srv):
    """The server process's resident set size in KiB (Linux /proc)."""
    with open('/proc/%d/status' % srv.proc.pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise AssertionError('no VmRSS for pid %d' % srv.proc.pid)


def sanitized(srv):
    """True for an AddressSanitizer build (make SANITIZE=1)."""
    with open(srv.binary, 'rb') as f:
        return b'__asan_init' in f.read()


def alive(srv):
    assert srv.alive(), 'steerdns died; stderr:\n%s' % srv.stderr()


MIX = [('www.tcp.test', 'A'), ('www.tcp.test', 'AAAA'), ('nope.tcp.test', 'A'),
       ('mid.tcp.test', 'TXT'), ('huge.tcp.test', 'TXT'), ('many.tcp.test', 'A')]


def mixed_queries(n, base):
    """n queries cycling over MIX, IDs base.., each name in a different case."""
    return [make_query((base + i) & 0xFFFF, mixcase(MIX[i % len(MIX)][0], i), MIX[i % len(MIX)][1])
            for i in range(n)]


# ---------------------------------------------------------------------------
# 1. Pipelining and message framing

def test_pipeline_50_in_one_send():
    qs = mixed_queries(50, 0x5000)
    with connect(SRV) as s:
        s.sendall(b''.join(frame(q) for q in qs))
        read_answers(s, qs, 'pipelined')
        # The connection stays usable afterwards.
        q = make_query(0x5100, 'www.tcp.test', 'AAAA')
        s.sendall(frame(q))
        check_answer(read_msg(s, 'after pipeline'), q, 'after pipeline')


def test_split_at_awkward_boundaries():
    qs = mixed_queries(12, 0x6000)
    f = [frame(q) for q in qs]
    chunks = [
        f[0][:1], f[0][1:2] + f[0][2:9], f[0][9:],          # prefix split; header split
        f[1] + f[2][:1], f[2][1:],                          # prefix split across a message end
        f[3][:2], f[3][2:20], f[3][20:],                    # prefix alone, then the body in two
        f[4][:-3], f[4][-3:] + f[5][:len(f[5]) // 2],       # one send ends q4 and starts q5
        f[5][len(f[5]) // 2:] + f[6] + f[7][:3],            # end of q5, all of q6, start of q7
        f[7][3:],
    ]
    assert b''.join(chunks) == b''.join(f[:8])
    # The last four (including the ~30 KB huge answer's query) one byte per send.
    for fr in f[8:]:
        chunks += [fr[i:i + 1] for i in range(len(fr))]
    with connect(SRV) as s:
        for c in chunks:
            s.sendall(c)
            time.sleep(0.003)   # NODELAY + a pause: each piece is its own segment
        read_answers(s, qs, 'split')


def test_answers_arrive_before_next_query_completes():
    """Each complete message is answered without waiting for more bytes:
    a query whose successor is half sent is still answered."""
    q1 = make_query(0x6100, 'www.tcp.test', 'A')
    q2 = make_query(0x6101, 'mid.tcp.test', 'TXT')
    with connect(SRV, timeout=2.0) as s:
        s.sendall(frame(q1) + frame(q2)[:7])
        check_answer(read_msg(s, 'first'), q1, 'first of a half-sent pair')
        s.sendall(frame(q2)[7:])
        check_answer(read_msg(s, 'second'), q2, 'second after completing it')


# ---------------------------------------------------------------------------
# 2. Half-close (RFC 7766 6.2.4: the client may close its side after the query)

def _half_close(qs, rcvbuf, stall, what):
    with connect(SRV, rcvbuf=rcvbuf) as s:
        s.sendall(b''.join(frame(q) for q in qs))
        s.shutdown(socket.SHUT_WR)
        time.sleep(stall)   # the server sees our FIN while answers still wait
        read_answers(s, qs, what)
        how, dt, extra = stream_end(s, 3.0)
        assert how == 'eof' and extra == b'', \
            '%s: after all answers want EOF, got %s after %.1fs with %d extra bytes' % (
                what, how, dt, len(extra))
    alive(SRV)


def test_half_close_small_answers():
    qs = [make_query(0x6200 + i, n, t) for i, (n, t) in
          enumerate((('www.tcp.test', 'A'), ('nope.tcp.test', 'A'), ('www.tcp.test', 'AAAA')))]
    _half_close(qs, None, 0, 'half-close')


def test_half_close_with_answers_pending():
    # ~1.5 MB of answers against a 4 KB receive buffer: many are still
    # queued in the server when it reads our EOF, and it must send them all.
    qs = [make_query(0x6300 + i, 'huge.tcp.test', 'TXT') for i in range(50)]
    _half_close(qs, 4096, 0.3, 'half-close pending')


# ---------------------------------------------------------------------------
# 3. Idle timeout (RFC 7766 6.2.3), with tcp_idle_timeout: 1

def test_idle_connections_closed():
    """An idle connection is closed about 1 s (tcp_idle_timeout) after its
    last query; one idle in the middle of a message about 0.3 s
    (tcp_io_timeout) after the message began, bytes or no bytes."""
    q = make_query(0x6400, 'www.tcp.test', 'A')
    a = connect(IDLE)
    b = connect(IDLE)
    try:
        a.sendall(frame(q))
        check_answer(read_msg(a, 'idle a'), q, 'idle a')
        ta = time.monotonic()
        b.sendall(frame(q)[:9])   # half a message, then silence
        tb = time.monotonic()
        res = {}
        for name, s, t0 in (('idle mid-message', b, tb), ('idle', a, ta)):   # first to close first
            how, _, extra = stream_end(s, 4.0 - (time.monotonic() - t0))
            res[name] = (how, time.monotonic() - t0, extra)
        bounds = {'idle': (0.8, 3.0), 'idle mid-message': (0.2, 0.75)}
        for name, (how, dt, extra) in res.items():
            assert how in ('eof', 'reset') and extra == b'', '%s connection: %s after %.2fs (%d bytes)' % (
                name, how, dt, len(extra))
            lo, hi = bounds[name]
            assert lo <= dt <= hi, '%s connection closed after %.2fs, want %.1f..%.1f s' % (
                name, dt, lo, hi)
    finally:
        a.close()
        b.close()
    alive(IDLE)


def test_idle_timer_resets_on_activity():
    with connect(IDLE) as s:
        t0 = time.monotonic()
        i = 0
        while time.monotonic() - t0 < 2.5:
            q = make_query(0x6500 + i, 'www.tcp.test', 'A')
            s.sendall(frame(q))
            check_answer(read_msg(s, 'active %d at %.1fs' % (i, time.monotonic() - t0)), q,
                         'active query %d' % i)
            i += 1
            time.sleep(0.4)
        assert i >= 5, 'only %d queries in 2.5 s' % i
        # Then idle: closed about 1 s after the last query.
        how, dt, extra = stream_end(s, 4.0)
        assert how in ('eof', 'reset') and extra == b'', 'after activity stops: %s after %.2fs' % (how, dt)
        assert dt <= 3.0, 'closed %.2fs after the last query' % dt


def test_client_that_stops_reading_is_closed():
    """The idle timeout also bounds a stalled write: a client that pipelines
    ~9 MB of answers and never reads is disconnected, not served forever."""
    n = 300
    qs = [make_query(i, 'huge.tcp.test', 'TXT') for i in range(n)]
    with connect(IDLE, rcvbuf=4096) as s:
        s.sendall(b''.join(frame(q) for q in qs))
        time.sleep(2.5)   # the write stalls at once; 1 s later the server gives up
        t0 = time.monotonic()
        count = 0
        end = 'open'
        s.settimeout(3.0)
        try:
            while True:
                hdr = H.recv_exact(s, 2)
                if hdr is None:
                    end = 'eof'
                    break
                body = H.recv_exact(s, struct.unpack('!H', hdr)[0])
                if body is None:
                    end = 'eof'
                    break
                count += 1
        except ConnectionResetError:
            end = 'reset'
        except socket.timeout:
            end = 'timeout'
        assert end in ('eof', 'reset'), 'stalled reader: stream %s after %d answers (%.1fs)' % (
            end, count, time.monotonic() - t0)
        assert count < n, 'stalled reader got all %d answers: it was never disconnected' % n
    alive(IDLE)
    www_ok(IDLE, tcp=True)


# ---------------------------------------------------------------------------
# 4. Connection limit, tcp_max_clients: 4 (server-wide, all workers)

def _rejected(s):
    """True when the server closes s without answering a query on it."""
    q = make_query(0x6600, 'www.tcp.test', 'A')
    try:
        s.sendall(frame(q))
    except (BrokenPipeError, ConnectionResetError):
        return True
    how, dt, got = stream_end(s, 2.0)
    assert got == b'', 'connection over the limit got %d bytes of answer' % len(got)
    return how in ('eof', 'reset')


def _works(s, qid):
    q = make_query(qid, 'www.tcp.test', 'AAAA')
    s.sendall(frame(q))
    check_answer(read_msg(s, 'limit conn'), q, 'connection %#x under the limit' % qid)


def test_connection_limit():
    """At tcp_max_clients a new connection evicts the least recently active
    one (as Knot DNS and NSD do) instead of being turned away."""
    conns = []
    try:
        for i in range(4):
            conns.append(connect(LIMIT))
            _works(conns[-1], 0x6700 + i)
        # Make conns[1..3] active again: conns[0] is now the longest idle.
        for i, s in enumerate(conns[1:]):
            _works(s, 0x6704 + i)
        fifth = connect(LIMIT)
        _works(fifth, 0x6708)   # admitted at the limit...
        assert _rejected(conns[0]), 'the longest idle connection was not evicted'   # ...by evicting it
        conns[0].close()
        conns[0] = fifth
        for i, s in enumerate(conns):
            _works(s, 0x6710 + i)   # the other three and the newcomer are unaffected
        # Again: the least recently active is now conns[0] (the first re-used above).
        sixth = connect(LIMIT)
        _works(sixth, 0x6718)
        assert _rejected(conns[0]), 'the second eviction took the wrong connection'
        conns[0].close()
        conns[0] = sixth
        for i, s in enumerate(conns):
            _works(s, 0x6720 + i)
    finally:
        for s in conns:
            s.close()
    # All closed: four fresh ones work again (the counter did not leak).
    deadline = time.monotonic() + 3.0
    while True:
        fresh = [connect(LIMIT) for _ in range(4)]
        try:
            for i, s in enumerate(fresh):
                _works(s, 0x6730 + i)
            for i, s in enumerate(fresh):
                _works(s, 0x6734 + i)   # nobody evicted: the count is exactly 4
            break
        except (AssertionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        finally:
            for s in fresh:
                s.close()
    alive(LIMIT)


# ---------------------------------------------------------------------------
# 4b. Abuse: dripping bytes, idle crowds, a second server on the port

def _answered(srv, n, base, timeout=2.0):
    """How many of n fresh TCP connections get their www A answered."""
    ok = 0
    for i in range(n):
        q = make_query((base + i) & 0xFFFF, 'www.tcp.test', 'A')
        try:
            raw = H.tcp_exchange(srv.addr, srv.port, q, timeout)
        except OSError:
            raw = None
        if raw is not None:
            check_answer(raw, q, 'client %d beside the abuse' % i)
            ok += 1
    return ok


def test_drip_does_not_starve_tcp():
    """200 connections each sending one byte every 0.2 s (and reconnecting
    when closed) against tcp_max_clients 64: every other TCP client is
    answered. A partial message must complete within tcp_io_timeout, and
    its bytes do not count as activity."""
    stop = threading.Event()
    closed = [0]

    def dripper(k):
        q = frame(make_query(0x7000 + k, 'www.tcp.test', 'A'))
        while not stop.is_set():
            try:
                s = connect(DRIP, timeout=2.0)
            except OSError:
                time.sleep(0.05)
                continue
            try:
                for b in range(len(q)):
                    if stop.is_set():
                        break
                    s.sendall(q[b:b + 1])
                    time.sleep(0.2)
            except OSError:
                closed[0] += 1
            finally:
                s.close()

    threads = [threading.Thread(target=dripper, args=(k,), daemon=True) for k in range(200)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.5)   # the drippers hold (or keep trying for) every slot
        ok = _answered(DRIP, 40, 0x7400)
    finally:
        stop.set()
        for t in threads:
            t.join(5)
    assert ok == 40, 'only %d of 40 TCP clients answered beside 200 drippers' % ok
    assert closed[0] > 0, 'no dripping connection was ever closed'
    alive(DRIP)


def test_idle_crowd_does_not_lock_out():
    """300 connections that asked once and stay idle, against
    tcp_max_clients 64: 60 new clients are all answered (idle ones are
    evicted)."""
    crowd = []
    try:
        for i in range(300):
            try:
                s = connect(DRIP, timeout=2.0)
                q = make_query((0x7800 + i) & 0xFFFF, 'www.tcp.test', 'A')
                s.sendall(frame(q))
                crowd.append(s)
            except OSError:
                pass
        assert len(crowd) == 300, 'could only open %d of 300 connections' % len(crowd)
        ok = _answered(DRIP, 60, 0x7c00)
        assert ok == 60, 'only %d of 60 TCP clients answered beside 300 idle connections' % ok
    finally:
        for s in crowd:
            s.close()
    alive(DRIP)


def test_second_instance_refused():
    """A second server on an address already served exits 1 with "address
    already in use" instead of sharing the port (SO_REUSEPORT)."""
    import subprocess
    r = subprocess.run([BINARY, 'serve', '-c', SRV.config], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 1, 'second instance exit %d: %s' % (r.returncode, r.stderr[-500:])
    assert 'address already in use' in r.stderr.lower(), r.stderr[-500:]
    www_ok(SRV, tcp=True)
    www_ok(SRV, tcp=False)


# ---------------------------------------------------------------------------
# 5. Slow reader: backpressure must not stall the server

def test_slow_reader_does_not_block_others():
    n = 2000
    qs = [make_query(i, 'mid.tcp.test', 'TXT') for i in range(n)]   # ~4 KB answers, ~8 MB
    blob = b''.join(frame(q) for q in qs)
    slow = connect(SRV, rcvbuf=4096, timeout=30.0)
    sent = {}

    def sender():
        try:
            slow.sendall(blob)
            sent['ok'] = True
        except OSError as e:
            sent['err'] = e

    # Warm up (both workers' buffers and allocator) before measuring memory.
    for _ in range(4):
        with connect(SRV) as w:
            w.sendall(b''.join(frame(q) for q in qs[:64]))
            read_answers(w, qs[:64], 'warm-up')
    rss0 = rss_kb(SRV)
    th = threading.Thread(target=sender, daemon=True)
    th.start()
    try:
        time.sleep(0.3)
        # While the slow client holds its answers, others are served promptly.
        worst = 0.0
        for i in range(5):
            t0 = time.monotonic()
            www_ok(SRV, tcp=True, qid=0x6800 + i, timeout=1.0)
            www_ok(SRV, tcp=False, qid=0x6810 + i, timeout=1.0)
            worst = max(worst, time.monotonic() - t0)
            time.sleep(0.05)
        assert worst < 1.0, 'queries beside a stalled client took up to %.2fs' % worst
        # Backpressure: the server stops reading queries once a bounded
        # amount of answers waits (TCP_OUT_HIGH, 256 KiB), instead of
        # buffering all ~8 MB of them (measured: +0.3 MiB here, +7.5 MiB
        # without the limit). ASan's allocator quarantine adds ~3 MiB.
        bound = 2048 + (4096 if sanitized(SRV) else 0)
        grown = rss_kb(SRV) - rss0
        assert grown < bound, \
            'server RSS grew by %d KiB (bound %d) while a client stalled on ~8 MB of answers' % (
                grown, bound)
        # Now read everything: exactly n complete answers, in order.
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        slow.settimeout(10.0)
        read_answers(slow, qs, 'slow reader')
        th.join(10.0)
        assert sent.get('ok'), 'sending the queries failed: %r' % sent
        how, dt, extra = stream_end(slow, 0.3)
        assert how == 'open' and extra == b'', 'after %d answers: %s with %d extra bytes' % (
            n, how, len(extra))
    finally:
        slow.close()
    alive(SRV)


# ---------------------------------------------------------------------------
# 6. Large answers: complete over TCP, truncated over UDP

def test_large_answers_tcp_complete_udp_truncated():
    for name, typ, minsize in (('huge.tcp.test', 'TXT', 20000), ('many.tcp.test', 'A', 4097)):
        q = make_query(0x6900, name, typ)
        raw = H.tcp_exchange(SRV.addr, SRV.port, q, timeout=2.0)
        m = check_answer(raw, q, '%s %s over TCP' % (name, typ))
        assert len(raw) >= minsize, '%s %s: only %d bytes over TCP' % (name, typ, len(raw))
        for payload, edns, limit in ((4096, True, 1232), (1232, True, 1232), (512, False, 512)):
            u = H.decode(H.udp_exchange(SRV.addr, SRV.port,
                                        H.build_query(name, typ, qid=0x6901, payload=payload, edns=edns)))
            assert u.tc and len(u.raw) <= limit, '%s %s over UDP (payload %s): TC %s, %d bytes' % (
                name, typ, payload if edns else 'none', u.tc, len(u.raw))
            assert len(u.answer) < len(m.answer), 'UDP answer not truncated'


# ---------------------------------------------------------------------------
# 7. Garbage and abrupt closes (test_malformed covers bad messages and a
# zero length on a fresh connection)

def test_zero_length_after_answer_closes():
    q = make_query(0x6a00, 'www.tcp.test', 'A')
    with connect(SRV, timeout=2.0) as s:
        s.sendall(frame(q))
        check_answer(read_msg(s, 'before zero'), q, 'before the zero length')
        s.sendall(b'\x00\x00' + frame(q))
        how, dt, extra = stream_end(s, 2.0)
        assert how in ('eof', 'reset') and extra == b'', \
            'zero length prefix: want the connection closed with no answer, got %s after %.1fs, %d bytes' % (
                how, dt, len(extra))
    www_ok(SRV, tcp=True)


def test_abrupt_closes_do_not_affect_others():
    q = make_query(0x6b00, 'mid.tcp.test', 'TXT')
    keep = connect(SRV)
    try:
        for i in range(24):
            c = connect(SRV)
            kind = i % 4
            if kind == 0:
                c.sendall(frame(q)[:11])            # mid-message, FIN
                c.close()
            elif kind == 1:
                c.sendall(frame(q)[:1])             # mid-length, RST
                rst_close(c)
            elif kind == 2:
                # Answers in flight: ~300 KB queued, then RST, so the
                # server's writes fail with ECONNRESET/EPIPE.
                c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                c.sendall(b''.join(frame(make_query(j, 'huge.tcp.test', 'TXT')) for j in range(10)))
                time.sleep(0.02)
                rst_close(c)
            else:
                c.sendall(frame(q) + frame(q)[:5])  # one whole query, half of the next, FIN
                c.close()
            keep.sendall(frame(q))
            check_answer(read_msg(keep, 'kept %d' % i), q, 'kept connection after abrupt close %d' % i)
    finally:
        keep.close()
    alive(SRV)
    www_ok(SRV, tcp=True)
    www_ok(SRV, tcp=False)


# ---------------------------------------------------------------------------
# 8. Many concurrent connections

def test_200_concurrent_connections():
    n = 200
    conns = []
    try:
        for i in range(n):
            conns.append(connect(SRV, timeout=5.0))
        qsets = []
        for i, s in enumerate(conns):
            qs = [make_query((i * 3 + j) & 0xFFFF, mixcase(MIX[(i + j) % 4][0], i),
                             MIX[(i + j) % 4][1]) for j in range(3)]
            s.sendall(b''.join(frame(q) for q in qs))
            qsets.append(qs)
        # Read in reverse connection order: nothing may depend on the
        # earliest connection being drained first.
        for i in reversed(range(n)):
            read_answers(conns[i], qsets[i], 'connection %d' % i)
    finally:
        for s in conns:
            s.close()
    alive(SRV)


# ---------------------------------------------------------------------------
# 9. IPv6

def test_ipv6_tcp():
    if not SRV.v6:
        raise Skip('no IPv6 on loopback')
    qs = mixed_queries(12, 0x6c00)
    with connect(SRV, addr='::1') as s:
        s.sendall(b''.join(frame(q) for q in qs))
        read_answers(s, qs, 'IPv6')
        s.shutdown(socket.SHUT_WR)
        how, dt, extra = stream_end(s, 2.0)
        assert how == 'eof' and extra == b'', 'IPv6 half-close: %s after %.1fs' % (how, dt)


def test_zz_all_alive():
    for srv in (SRV, IDLE, LIMIT, DRIP):
        alive(srv)
        www_ok(srv, tcp=True)
    # No sanitizer or internal error reports on stderr.
    for srv in (SRV, IDLE, LIMIT, DRIP):
        err = srv.stderr()
        assert 'ERROR: AddressSanitizer' not in err and 'runtime error' not in err, err[-3000:]
