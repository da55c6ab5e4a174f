"""test_dnstap: dnstap output (`dnstap:`), read back by Debian's dnstap-ldns.

A GeoDNS server (MaxMind's City test DB, PoPs lon and iad) writes dnstap
to a file, then to fstrm_capture's Unix socket. For N queries (steered
ones with ECS from known clients, static ones, some over TCP) dnstap-ldns
must show exactly one AUTH_QUERY and one AUTH_RESPONSE per query with its
ID and name, the identity and the client's address. dnstap-ldns does not
print the `extra` field, so each frame is also decoded by protoc against
the published schema (tests/data/dnstap/dnstap.proto): steered answers
carry an `extra` whose pop and scope are the ones of the answer itself
(its A record names the PoP, its ECS option the scope), others none.
log_queries: false gives responses only; a reload that changes the
identity and log_queries applies them to the next query. With fstrm_capture stopped
(SIGSTOP) under a load, every query is still answered and what does not
reach the capture is exactly steerdns_dnstap_dropped_total.
"""

import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import urllib.request

import harness as H
from harness import Skip

POPS = [('lon', 51.5, -0.12, ['192.0.2.1'], []), ('iad', 38.95, -77.45, ['192.0.2.3'], [])]
POP_OF = {'192.0.2.1': 'lon', '192.0.2.3': 'iad'}
KNOWN = ['81.2.69.142', '216.160.83.56', '89.160.20.112', '2.125.160.216']

BIN = None
CITY = None
SERVERS = []
PROCS = []


# TXT strings: `big` answers ~41 KB (TCP only; a 3-byte length in the
# frame), `mid` ~900 bytes (fits UDP at 1232), so a few thousand answers
# go round a thread's 1 MiB frame ring several times.
BIG_TXT = ['big%03d-' % i + 'x' * 192 for i in range(200)]
MID_TXT = ['mid%d-' % i + 'y' * 200 for i in range(4)]


def zone():
    return '\n'.join([
        'origin: tap.test.', 'ttl: 3600',
        'soa: {mname: ns1, rname: hostmaster, serial: 1, refresh: 3600, retry: 900, '
        'expire: 1209600, minimum: 300}',
        'records:', '  "@": { NS: [ns1] }', '  ns1: { A: 192.0.2.53 }',
        '  geo: { steer: { mode: geodns } }',
        '  static: { A: 192.0.2.80 }',
        '  big: { TXT: [%s] }' % ', '.join(BIG_TXT),
        '  mid: { TXT: [%s] }' % ', '.join(MID_TXT)]) + '\n'


def start(dnstap_yaml, more=''):
    conf = (H.geo_config_yaml([CITY], POPS, fallback=['iad', 'lon']) + 'dnstap: %s\n' % dnstap_yaml +
            more)
    s = H.Steerdns(BIN, [('tap.test.yaml', zone())], server={'identity': 'tap1', 'workers': 2},
                   extra_config=conf)
    s.start()
    SERVERS.append(s)
    # Modules start once the listeners answer (server_run): queries
    # answered before the output is up are not logged.
    for _ in range(200):
        if 'dnstap: writing to' in s.err.since(0):
            break
        time.sleep(0.025)
    return s


def setup_module(binary):
    global BIN, CITY
    BIN = binary
    CITY = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    if not os.path.exists(CITY):
        raise Skip('MaxMind test DB not found at %s' % CITY)
    for t in ('dnstap-ldns', 'fstrm_capture', 'protoc'):
        if not H.tool(t):
            raise Skip('%s not installed (Debian dnstap-ldns, fstrm-bin, protobuf-compiler)' % t)


def teardown_module():
    for s in SERVERS:
        s.cleanup()
    for p in PROCS:
        if p.poll() is None:
            p.terminate()
            p.wait(5)


def send_queries(s, n, base=1000):
    """n queries; returns [(id, qname, expected extra or None)] where the
    expected pop/scope come from the answer's own A record and ECS option."""
    sent = []
    for i in range(n):
        qid = base + i
        tcp = i % 5 == 4
        if i % 3 == 2:
            name = 'static.tap.test'
            m = s.query(name, 'A', qid=qid, tcp=tcp)
            sent.append((qid, name, None))
            continue
        name = 'geo.tap.test'
        client = KNOWN[i % len(KNOWN)]
        m = s.query(name, 'A', qid=qid, tcp=tcp, options=[H.ecs_option(client, 32)])
        assert m.answer, 'no answer for %s from %s' % (name, client)
        pop = POP_OF[m.answer[0][4]]
        scope = None
        for code, val in m.opt['options']:
            if code == 8:
                scope = val[3]
        assert scope is not None, 'no ECS in the answer'
        sent.append((qid, name, {'method': 'geodns', 'arm': '', 'pop': pop, 'scope': str(scope)}))
    return sent


OURS = ('geo.tap.test', 'static.tap.test')   # not the harness's start-up probes


def frames(path):
    """The data frames of a Frame Streams file (control frames skipped):
    each a 32-bit big-endian length, 0 escaping a control frame."""
    with open(path, 'rb') as f:
        data = f.read()
    out, pos = [], 0
    while pos + 4 <= len(data):
        n = struct.unpack('!I', data[pos:pos + 4])[0]
        pos += 4
        if n == 0:
            clen = struct.unpack('!I', data[pos:pos + 4])[0]
            pos += 4 + clen
            continue
        out.append(data[pos:pos + n])
        pos += n
    assert pos == len(data), 'trailing bytes in %s' % path
    return out


def protoc_fields(frame):
    """(message type, extra or None) of one frame, decoded by protoc."""
    proto = H.data_dir('dnstap', 'dnstap.proto')
    out = subprocess.run([H.tool('protoc'), '--decode=dnstap.Dnstap', '-I', os.path.dirname(proto),
                          os.path.basename(proto)], input=frame, capture_output=True, timeout=30)
    assert out.returncode == 0, 'protoc: %s' % out.stderr
    text = out.stdout.decode()
    mt = re.search(r'^  type: (\w+)$', text, re.M)
    ex = re.search(r'^extra: "(.*)"$', text, re.M)
    return mt.group(1), ex.group(1) if ex else None


def read_tap(path):
    """dnstap-ldns -y, one dict per message of ours: type, identity,
    address, protocol, DNS id and name; extra from protoc (frames are in
    file order, as dnstap-ldns prints them)."""
    out = subprocess.run([H.tool('dnstap-ldns'), '-y', '-r', path], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, 'dnstap-ldns failed: %s' % out.stderr
    docs = [doc for doc in out.stdout.split('---\n') if doc.strip()]
    fr = frames(path)
    assert len(docs) == len(fr), '%d messages for %d frames' % (len(docs), len(fr))
    msgs = []
    for doc, frame in zip(docs, fr):
        d = {}
        for key, ind in (('type', '  '), ('identity', ''), ('query_address', '  '),
                         ('socket_protocol', '  ')):
            mm = re.search(r'^%s%s: (.*)$' % (ind, key), doc, re.M)
            d[key] = mm.group(1).strip().strip('"') if mm else None
        mm = re.search(r';; ->>HEADER<<- opcode: \w+, rcode: \w+, id: (\d+)', doc)
        d['id'] = int(mm.group(1)) if mm else None
        mm = re.search(r';; QUESTION SECTION:\s*\n\s*;\s*(\S+)', doc)
        d['qname'] = mm.group(1).rstrip('.').lower() if mm else None
        ptype, d['extra'] = protoc_fields(frame)
        assert ptype == d['type'], 'protoc says %s, dnstap-ldns %s' % (ptype, d['type'])
        if d['qname'] in OURS:
            msgs.append(d)
    return msgs


def ldns_docs(path):
    """dnstap-ldns -y of a whole file, one YAML document per frame."""
    out = subprocess.run([H.tool('dnstap-ldns'), '-y', '-r', path], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, 'dnstap-ldns failed: %s' % out.stderr
    docs = [doc for doc in out.stdout.split('---\n') if doc.strip()]
    assert len(docs) == len(frames(path)), '%d messages for %d frames' % (len(docs),
                                                                        len(frames(path)))
    return docs


def response_txt(doc):
    """(DNS id, TXT strings of the answer section) of an AUTH_RESPONSE's
    response_message as dnstap-ldns prints it."""
    resp = doc.split('response_message: |', 1)[1]
    mm = re.search(r'id: (\d+)', resp)
    ans = resp.split(';; ANSWER SECTION:', 1)[1].split(';; AUTHORITY SECTION:', 1)[0]
    return int(mm.group(1)), re.findall(r'\tTXT\t"([^"]*)"', ans)


def test_large_and_many_messages():
    """80 TCP answers of 41 KB (more than a thread's 1 MiB ring holds
    before the output thread wakes: the rest are malloc'd), then thousands
    of ~1 KB answers: every frame decodes, each answer's TXT strings are
    the zone's, and what is written plus what is dropped is exactly two
    messages a query; the answers written are several times a ring."""
    from test_decision_log import blast
    mport = H.free_port(False)
    s = start('{ file: tap.fstrm }', 'metrics: { listen: "127.0.0.1:%d" }\n' % mport)
    nbig = 80        # 3.3 MB: more than the rings of both TCP threads hold
    for i in range(nbig):
        m = s.query('big.tap.test', 'TXT', qid=7 + i, tcp=True)
        assert len(m.answer) == len(BIG_TXT), 'big: %d records' % len(m.answer)
    n = 6000
    pkts = [H.build_query('mid.tap.test', 'TXT', qid=10000 + i) for i in range(n)]
    got, _ = blast(s.port, pkts, window=16, rate=4000)
    assert got == n, 'only %d of %d answered' % (got, n)
    dropped = scrape(mport, 'steerdns_dnstap_dropped_total')
    s.stop()
    path = os.path.join(s.dir, 'tap.fstrm')
    big_ids = []
    mid = mid_q = 0
    ids = set()
    for doc in ldns_docs(path):
        if ';big.tap.test.' in doc and 'AUTH_RESPONSE' in doc:
            qid, txt = response_txt(doc)
            assert sorted(txt) == sorted(BIG_TXT), 'big answer %d: %d strings' % (qid, len(txt))
            big_ids.append(qid)
        elif ';mid.tap.test.' in doc and 'type: AUTH_RESPONSE' in doc:
            qid, txt = response_txt(doc)
            assert sorted(txt) == sorted(MID_TXT), 'mid answer %d: %s' % (qid, txt[:1])
            assert 10000 <= qid < 10000 + n and qid not in ids, 'mid answer id %d' % qid
            ids.add(qid)
            mid += 1
        elif ';mid.tap.test.' in doc:
            mid_q += 1
    assert sorted(big_ids) == list(range(7, 7 + nbig)), 'big answers logged: %s' % big_ids
    assert mid + mid_q + dropped == 2 * n, '%d + %d written + %d dropped != %d' % (
        mid, mid_q, dropped, 2 * n)
    assert mid * len(''.join(MID_TXT)) > 3 << 20, 'only %d answers written' % mid


def test_socket_reopen():
    """fstrm_capture goes away under load (frames are discarded, their
    ring space must come back) and a new one takes its socket: fstrm
    reconnects, and the queries after that are all in the new capture."""
    from test_decision_log import blast
    d = tempfile.mkdtemp(prefix='steerdns-tap-')
    p, sock, cap = capture(d)
    s = start('{ socket: %s }' % sock)
    time.sleep(0.5)
    before = send_queries(s, 12)
    time.sleep(1.5)   # written within fstrm's 1 s flush timeout
    end_capture(p)
    pkts = [H.build_query('mid.tap.test', 'TXT', qid=i) for i in range(3000)]
    got, _ = blast(s.port, pkts, window=16)   # ~6 MB of frames with no reader
    assert got == len(pkts), 'only %d of %d answered' % (got, len(pkts))
    if os.path.exists(sock):
        os.unlink(sock)
    cap2 = os.path.join(d, 'captured2.fstrm')
    p2 = subprocess.Popen([H.tool('fstrm_capture'), '-t', 'protobuf:dnstap.Dnstap', '-u', sock,
                           '-w', cap2], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PROCS.append(p2)
    time.sleep(7)     # fstrm retries the output every 5 s
    after = send_queries(s, 12, base=5000)
    s.stop()
    end_capture(p2)
    check(read_tap(cap), before)
    check(read_tap(cap2), after)
    shutil.rmtree(d, ignore_errors=True)


def parse_extra(text):
    return dict(kv.split('=', 1) for kv in text.split(' '))


def check(msgs, sent, want_queries=True):
    by_type = {}
    for m in msgs:
        by_type.setdefault(m['type'], []).append(m)
    queries = by_type.get('AUTH_QUERY', [])
    resps = by_type.get('AUTH_RESPONSE', [])
    assert set(by_type) <= {'AUTH_QUERY', 'AUTH_RESPONSE'}, 'unexpected types %s' % list(by_type)
    assert len(resps) == len(sent), '%d AUTH_RESPONSE for %d queries' % (len(resps), len(sent))
    assert len(queries) == (len(sent) if want_queries else 0), \
        '%d AUTH_QUERY for %d queries' % (len(queries), len(sent))
    for kind in ([queries] if want_queries else []) + [resps]:
        got = sorted((m['id'], m['qname']) for m in kind)
        assert got == sorted((i, n) for i, n, _ in sent), \
            'ids/names differ: %s vs %s' % (got[:5], sorted(sent)[:5])
        for m in kind:
            assert m['identity'] == 'tap1', 'identity %r' % m['identity']
            assert m['query_address'] == '127.0.0.1', 'query_address %r' % m['query_address']
    resp_by_id = {m['id']: m for m in resps}
    for qid, name, exp in sent:
        m = resp_by_id[qid]
        if exp is None:
            assert not m['extra'], 'extra %r on a static answer' % m['extra']
        else:
            assert m['extra'], 'no extra on steered answer %d' % qid
            assert parse_extra(m['extra']) == exp, 'extra %r, want %r' % (m['extra'], exp)
    assert any(m['socket_protocol'] == 'TCP' for m in resps), 'no TCP message'


def test_file():
    s = start('{ file: tap.fstrm }')
    sent = send_queries(s, 60)
    assert len({e['pop'] for _, _, e in sent if e}) == 2, 'queries reached one PoP only'
    s.stop()   # flushes and closes the file
    check(read_tap(os.path.join(s.dir, 'tap.fstrm')), sent)


def capture(d):
    """fstrm_capture on d/tap.sock writing d/captured.fstrm, once listening."""
    sock = os.path.join(d, 'tap.sock')
    cap = os.path.join(d, 'captured.fstrm')
    p = subprocess.Popen([H.tool('fstrm_capture'), '-t', 'protobuf:dnstap.Dnstap', '-u', sock,
                          '-w', cap], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PROCS.append(p)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    return p, sock, cap


def end_capture(p):
    time.sleep(0.3)
    p.terminate()     # fstrm_capture closes its file on SIGTERM
    p.wait(5)


def test_socket():
    d = tempfile.mkdtemp(prefix='steerdns-tap-')
    p, sock, cap = capture(d)
    s = start('{ socket: %s, log_queries: true }' % sock)
    time.sleep(0.5)   # the I/O thread connects
    sent = send_queries(s, 30)
    s.stop()
    end_capture(p)
    check(read_tap(cap), sent)
    shutil.rmtree(d, ignore_errors=True)


def scrape(port, name):
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port, timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + ' '):
                return float(line.split()[1])
    raise AssertionError('%s not in /metrics' % name)


def test_full_queue_drops_and_counts():
    """The reader stops: answers go on, the queues fill, and the messages
    the capture lacks are exactly the dropped count."""
    from test_decision_log import blast   # the windowed UDP load
    d = tempfile.mkdtemp(prefix='steerdns-tap-')
    p, sock, cap = capture(d)
    mport = H.free_port(False)
    s = start('{ socket: %s }' % sock, 'metrics: { listen: "127.0.0.1:%d" }\n' % mport)
    time.sleep(0.5)
    assert scrape(mport, 'steerdns_dnstap_dropped_total') == 0
    p.send_signal(signal.SIGSTOP)
    n = 20000
    pkts = [H.build_query('static.tap.test', 'A', qid=i & 0xffff) for i in range(n)]
    got, _ = blast(s.port, pkts)
    p.send_signal(signal.SIGCONT)
    assert got == n, 'only %d of %d answered while the reader was stopped' % (got, n)
    dropped = scrape(mport, 'steerdns_dnstap_dropped_total')
    assert dropped > 0, 'nothing dropped with the reader stopped'
    s.stop()
    end_capture(p)
    ours = sum(1 for f in frames(cap) if b'\x06static\x03tap\x04test\x00' in f)
    assert ours + dropped == 2 * n, '%d written + %d dropped != %d' % (ours, dropped, 2 * n)
    shutil.rmtree(d, ignore_errors=True)


def test_responses_only():
    s = start('{ file: tap.fstrm, log_queries: false, identity: tap1 }')
    sent = send_queries(s, 15)
    s.stop()
    check(read_tap(os.path.join(s.dir, 'tap.fstrm')), sent, want_queries=False)


def test_reload_applies_identity_and_flags():
    s = start('{ file: tap.fstrm }')
    send_queries(s, 6)
    with open(s.config) as f:
        text = f.read()
    with open(s.config, 'w') as f:
        f.write(text.replace('dnstap: { file: tap.fstrm }',
                             'dnstap: { file: tap.fstrm, identity: tap2, log_queries: false }'))
    n = s.err.count()
    s.proc.send_signal(signal.SIGHUP)
    for _ in range(200):
        if 'reload: serving' in s.err.since(n):
            break
        time.sleep(0.05)
    assert 'reload: serving' in s.err.since(n), 'no reload: %s' % s.err.since(n)
    send_queries(s, 6, base=2000)
    s.stop()
    msgs = read_tap(os.path.join(s.dir, 'tap.fstrm'))
    old = [m for m in msgs if m['id'] < 2000]
    new = [m for m in msgs if m['id'] >= 2000]
    assert len(old) == 12 and all(m['identity'] == 'tap1' for m in old), old[:2]
    assert len(new) == 6, '%d messages after the reload, want 6 responses' % len(new)
    assert all(m['identity'] == 'tap2' and m['type'] == 'AUTH_RESPONSE' for m in new), new[:2]
