"""test_decision_log: the decision log (`decision_log:`), end to end.

A GeoDNS + anycast server (MaxMind's City test DB, PoPs lon and iad,
identity lon1 = PoP lon) logging every steered answer. Checks:
  - 100k queries at full speed (a window of outstanding UDP queries)
    give exactly one valid JSON line per answered steered query, while
    the file is renamed away (the writer notices by itself) and a SIGHUP
    reopens it: old files + new file == answered;
  - the fields of compare/formats.md with their types, and their values
    for known clients (country, PoP, nearest PoP, distances, scope);
  - sample 0.1 logs about a tenth;
  - an unwritable path is a config error naming it;
  - `steerdns compare` reads the log;
  - PoP health event lines: `ctl pop lon down` / `auto` give exactly one
    down and one up line for lon, stamped between the wall-clock times
    around each command (+ 1 s), none for iad, and lon's clients answered
    by the next PoP of their list between the two lines; a PoP whose file
    check fails at once is logged down right after start (and again at the
    top of a rotated file) and up when its file says so; the anycast
    gate's self check (anycast-self) is logged as this server's own PoP.
"""

import datetime
import json
import os
import select
import signal
import socket
import subprocess
import threading
import time

import harness as H
from harness import Skip

ANY4 = '198.51.100.1'
POPS = [('lon', 51.5, -0.12, ['192.0.2.1'], []), ('iad', 38.95, -77.45, ['192.0.2.3'], [])]
FIELDS = ['ts', 'server', 'method', 'arm', 'qname', 'qtype', 'resolver', 'ecs', 'client',
          'country', 'continent', 'lat', 'lon', 'pop', 'nearest', 'pop_km', 'nearest_km', 'scope']
KNOWN = ['81.2.69.142', '216.160.83.56', '89.160.20.112']

BIN = None
CITY = None
SERVERS = []


def zone():
    return '\n'.join([
        'origin: dl.test.', 'ttl: 3600',
        'soa: {mname: ns1, rname: hostmaster, serial: 1, refresh: 3600, retry: 900, '
        'expire: 1209600, minimum: 300}',
        'records:', '  "@": { NS: [ns1] }', '  ns1: { A: 192.0.2.53 }',
        '  geo: { steer: { mode: geodns } }',
        '  any: { steer: { mode: anycast } }',
        '  www: { steer: { mode: ab } }',
        '  static: { A: 192.0.2.80 }']) + '\n'


def start(sample=1.0, workers=2, checks=None, anycast=None, extra=''):
    conf = (H.geo_config_yaml([CITY], POPS, fallback=['iad', 'lon'], checks=checks).replace(
                "  lon: { ", "  lon: { identity: lon1, ") +
            (anycast or 'anycast: { ipv4: %s, linger: 0 }\n' % ANY4) +
            'decision_log: { path: decisions.jsonl, sample: %s }\n' % sample + extra)
    s = H.Steerdns(BIN, [('dl.test.yaml', zone())], server={'identity': 'lon1', 'workers': workers},
                   extra_config=conf)
    s.start()
    SERVERS.append(s)
    s.log = os.path.join(s.dir, 'decisions.jsonl')
    return s


def setup_module(binary):
    global BIN, CITY
    BIN = binary
    CITY = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    if not os.path.exists(CITY):
        raise Skip('MaxMind test DB not found at %s' % CITY)


def teardown_module():
    for s in SERVERS:
        s.cleanup()


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, 'rb') as f:
        data = f.read()
    assert not data or data.endswith(b'\n'), 'partial last line in %s' % path
    return [json.loads(l) for l in data.decode('utf-8').splitlines()]


def wait_count(paths, want, timeout=5.0):
    deadline = time.monotonic() + timeout
    n = -1
    while time.monotonic() < deadline:
        n = sum(len(read_lines(p)) for p in paths)
        if n >= want:
            time.sleep(0.2)   # and nothing more arrives
            return sum(len(read_lines(p)) for p in paths)
        time.sleep(0.05)
    return n


def packets(n):
    """n queries: steered names with varied ECS /24s, some static ones."""
    out = []
    names = ['geo.dl.test', 'any.dl.test', 'www.dl.test', 'static.dl.test']
    for i in range(n):
        net = '%d.%d.%d.0' % (11 + i % 150, (i // 150) % 256, (i * 7) % 256)
        out.append(H.build_query(names[i % 4], 'A', qid=i & 0xffff,
                                 options=[H.ecs_option(net, 24)]))
    return out


def blast(port, pkts, window=128, stall=3.0, hooks=None, rate=None):
    """Send every packet keeping `window` outstanding; returns (received,
    answered steered) where steered = ANCOUNT 1 for a steered name.
    hooks: {packets sent: function} called once the load gets there;
    rate: at most this many queries per second (None: as fast as possible)."""
    hooks = dict(hooks or {})
    t0 = time.monotonic()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.connect(('127.0.0.1', port))
    s.setblocking(False)
    sent = got = steered = 0
    out = 0
    try:
        while got < len(pkts):
            while out < window and sent < len(pkts):
                if rate and sent > rate * (time.monotonic() - t0):
                    break
                try:
                    s.send(pkts[sent])
                except BlockingIOError:
                    break
                sent += 1
                out += 1
                if sent in hooks:
                    hooks.pop(sent)()
            r, _, _ = select.select([s], [], [], stall if out else 0.002)
            if not r:
                if out == 0 and sent < len(pkts):
                    continue   # paced: nothing in flight, time to send more
                break   # the rest were lost
            while True:
                try:
                    d = s.recv(4096)
                except BlockingIOError:
                    break
                got += 1
                out -= 1
                # steered names answer one A; static answers are not logged
                if d[6:8] == b'\x00\x01' and b'static' not in d:
                    steered += 1
    finally:
        s.close()
    return got, steered


def check_types(rec):
    assert list(rec.keys()) == FIELDS, list(rec.keys())
    assert isinstance(rec['ts'], str) and rec['ts'].endswith('Z') and len(rec['ts']) == 24, rec
    for k in ('server', 'method', 'qname', 'qtype', 'resolver', 'client'):
        assert isinstance(rec[k], str), (k, rec)
    assert rec['method'] in ('geodns', 'anycast'), rec
    assert rec['arm'] in (None, 'geodns', 'anycast'), rec
    for k in ('ecs', 'country', 'continent', 'pop', 'nearest'):
        assert rec[k] is None or isinstance(rec[k], str), (k, rec)
    for k in ('lat', 'lon', 'pop_km', 'nearest_km'):
        assert rec[k] is None or isinstance(rec[k], (int, float)), (k, rec)
    assert rec['scope'] is None or isinstance(rec['scope'], int), rec


def test_load_rotation_and_reload():
    s = start()
    pkts = packets(100000)

    def rename_away():
        os.rename(s.log, s.log + '.1')      # logrotate, rename style, no signal

    def rename_and_hup():
        # the writer reopens the path by itself within a second; the
        # queries already in flight keep coming meanwhile
        deadline = time.monotonic() + 3
        while not os.path.exists(s.log) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert os.path.exists(s.log), 'the writer did not reopen after a rename'
        os.rename(s.log, s.log + '.2')      # and once more, with a SIGHUP
        s.proc.send_signal(signal.SIGHUP)

    t0 = time.monotonic()
    # about 3.5 s of load, so that the writer's once-a-second check of its
    # path runs while queries keep coming
    got, steered = blast(s.port, pkts, hooks={25000: rename_away, 75000: rename_and_hup},
                         rate=30000)
    took = time.monotonic() - t0
    assert got >= 99000, 'only %d of 100000 answered' % got
    paths = [s.log + '.1', s.log + '.2', s.log]
    n = wait_count(paths, steered)
    counts = [len(read_lines(p)) for p in paths]
    assert n == steered, 'log lines %d (files %r), answered steered %d' % (n, counts, steered)
    assert all(c > 0 for c in counts), counts
    for rec in read_lines(s.log)[:2000]:
        check_types(rec)
    assert 'reopened' in s.stderr(), s.stderr()
    assert 'dropped' not in s.stderr().replace(', 0 dropped', ''), s.stderr()
    print('  100k queries in %.1fs (incl. waits), %d steered lines, files %r' % (took, n, counts))


def test_known_clients():
    s = SERVERS[0] if SERVERS else start()
    db = H.MMDB(CITY)
    model = H.GeoModel([(p[0], p[1], p[2]) for p in POPS], fallback=['iad', 'lon'])
    before = len(read_lines(s.log))
    want = []
    for ip in KNOWN:
        for name in ('geo', 'any'):
            m = s.query('%s.dl.test' % name, 'A', options=[H.ecs_option(ip, 32)])
            assert m.answer, m
            scope = [v[3] for c, v in m.opt['options'] if c == H.OPT_ECS][0]
            want.append((ip, name, m.answer[0][4], scope))
    time.sleep(0.3)
    recs = read_lines(s.log)[before:]
    assert len(recs) == len(want), (len(recs), recs)
    # workers' rings are drained one after the other: match, not order
    by_key = {(r['ecs'], r['qname']): r for r in recs}
    for ip, name, answer, scope in want:
        rec = by_key['%s/32' % ip, '%s.dl.test.' % name]
        check_types(rec)
        rr, _ = db.lookup(ip)
        lat, lon, cc, cont, _ = model.fields(rr)
        ranked = model.ranked(lat, lon)
        assert rec['qname'] == '%s.dl.test.' % name and rec['qtype'] == 'A', rec
        assert rec['server'] == 'lon1' and rec['resolver'] == '127.0.0.1', rec
        assert rec['ecs'] == '%s/32' % ip and rec['client'] == '%s/32' % ip, rec
        assert rec['country'] == cc and rec['continent'] == cont, (rec, cc, cont)
        assert abs(rec['lat'] - lat) < 0.001 and abs(rec['lon'] - lon) < 0.001, rec
        assert rec['nearest'] == ranked[0][0], (rec, ranked)
        assert abs(rec['nearest_km'] - ranked[0][1]) < 1, (rec, ranked)
        assert rec['scope'] == scope and rec['arm'] is None, (rec, scope)
        if name == 'geo':
            pop = {'192.0.2.1': 'lon', '192.0.2.3': 'iad'}[answer]
            assert rec['method'] == 'geodns' and rec['pop'] == pop, (rec, answer)
        else:
            # anycast: this server's own PoP (identity lon1 = PoP lon)
            pop = 'lon'
            assert rec['method'] == 'anycast' and rec['pop'] == 'lon' and scope == 0, rec
        km = dict(ranked)[pop]
        assert abs(rec['pop_km'] - km) < 1, (rec, km)


def test_ab_arm_logged():
    s = SERVERS[0] if SERVERS else start()
    before = len(read_lines(s.log))
    arms = []
    for i in range(40):
        m = s.query('www.dl.test', 'A', options=[H.ecs_option('%d.1.2.0' % (20 + i), 24)])
        arms.append('anycast' if m.answer[0][4] == ANY4 else 'geodns')
    time.sleep(0.3)
    recs = read_lines(s.log)[before:]
    logged = {r['ecs']: r['arm'] for r in recs}
    assert len(recs) == 40 and logged == {'%d.1.2.0/24' % (20 + i): a for i, a in enumerate(arms)}, \
        (logged, arms)
    assert all(r['method'] == r['arm'] and r['scope'] >= 24 for r in recs), recs


def test_sample_tenth():
    s = start(sample=0.1)
    got, steered = blast(s.port, packets(20000))
    assert got >= 19800, got
    n = wait_count([s.log], int(steered * 0.1) - 2, timeout=3)
    assert abs(n - steered * 0.1) <= 0.01 * steered, (n, steered)


def test_compare_reads_the_log():
    s = SERVERS[0]
    cfg = s.config
    p = subprocess.run([BIN, 'compare', '-c', cfg, s.log], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    out = p.stdout.decode() + p.stderr.decode()
    assert p.returncode == 0, out
    assert 'geodns' in out and 'anycast' in out, out


def test_unwritable_path():
    d = H.Steerdns(BIN, [('dl.test.yaml', zone())],
                   extra_config=H.geo_config_yaml([CITY], POPS) +
                   'decision_log: { path: /nonexistent-dir/d.jsonl }\n')
    try:
        p = subprocess.run([BIN, 'serve', '-c', d.config], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20)
        err = p.stderr.decode()
        assert p.returncode == 1, err
        assert 'cannot write the decision log /nonexistent-dir/d.jsonl' in err and \
            d.config + ':' in err, err
        with open(d.config, 'w') as f:
            f.write(d.config_text.replace('/nonexistent-dir/d.jsonl', 'x.jsonl, sample: 0'))
        p = subprocess.run([BIN, 'checkconf', '-c', d.config], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20)
        assert p.returncode == 1 and 'sample: 0 out of range' in p.stderr.decode(), p.stderr
    finally:
        d.cleanup()


def test_log_mode_0640():
    """The log holds client subnets and locations: created 0640 whatever
    the umask lets through (here 0022), never world-readable."""
    s = start()
    q = H.build_query('geo.dl.test', 'A')
    assert H.udp_exchange(s.addr, s.port, q, 1.0) is not None
    wait_count([s.log], 1)
    mode = os.stat(s.log).st_mode & 0o777
    assert mode == 0o640, 'decision log created %o, want 640' % mode


def test_unwritable_after_privilege_drop_fails_before_ready():
    """Root passes the config check, but the log's directory is root's
    only (0700) and the server runs as nobody: the start fails with the
    error, before `ready`, never exits after serving."""
    if os.geteuid() != 0:
        raise Skip('needs root to start as root and drop to nobody')
    import pwd
    try:
        pwd.getpwnam('nobody')
    except KeyError:
        raise Skip('no user nobody')
    d = H.Steerdns(BIN, [('dl.test.yaml', zone())], server={'user': 'nobody'},
                   extra_config=H.geo_config_yaml([CITY], POPS) +
                   'anycast: { ipv4: %s, linger: 0 }\n' % ANY4 +
                   'decision_log: { path: private/d.jsonl }\n')
    try:
        os.mkdir(os.path.join(d.dir, 'private'), 0o700)
        # nobody must still read the config, zones and DB: the temp dir is 0700.
        os.chmod(d.dir, 0o755)
        p = subprocess.run([BIN, 'serve', '-c', d.config], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20)
        err = p.stderr.decode()
        assert p.returncode == 1, 'exit %d: %s' % (p.returncode, err)
        assert 'decision log' in err and 'Permission denied' in err, err
        assert 'ready' not in err, 'the server said ready before failing:\n' + err
    finally:
        d.cleanup()


# --- PoP health event lines ---

def ts_of(rec):
    """A line's ts (RFC 3339, UTC, milliseconds) as unix seconds."""
    t = datetime.datetime.strptime(rec['ts'], '%Y-%m-%dT%H:%M:%S.%fZ')
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def events(recs):
    """The event lines, checked against formats.md's key order and types."""
    out = [r for r in recs if 'event' in r]
    for r in out:
        assert list(r.keys()) == ['ts', 'server', 'event', 'pop', 'state'], r
        assert r['event'] == 'health' and r['state'] in ('up', 'down', 'drain'), r
        assert len(r['ts']) == 24 and r['ts'].endswith('Z'), r
    return out


def wait_events(path, pred, timeout=5.0):
    """The event lines of path once pred(events) holds (or at timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        ev = events(read_lines(path))
        if pred(ev) or time.monotonic() > deadline:
            return ev
        time.sleep(0.05)


def within(rec, lo, hi, slack=1.0):
    """rec's ts lies in [lo, hi + slack]: after the wall-clock time taken
    before the cause, at most the drain tick plus scheduling after the
    time taken after it (the log cuts ts to the millisecond)."""
    t = ts_of(rec)
    assert lo - 0.001 <= t <= hi + slack, (rec, lo, hi)


def ctl(s, *args):
    r = subprocess.run([BIN, 'ctl', '-c', s.config] + list(args), capture_output=True,
                       timeout=30)
    assert r.returncode == 0, (args, r.stdout, r.stderr)


def test_ctl_pop_down_up_events():
    s = start(extra='control: { socket: ctl.sock, state: admin-state }\n')
    client = KNOWN[0]                  # 81.2.69.142, London in the test DB
    model = H.GeoModel([(p[0], p[1], p[2]) for p in POPS], fallback=['iad', 'lon'])
    order = list(model.decision(H.MMDB(CITY).lookup(client)[0]))
    assert order[0] == 'lon', order
    other = [p for p in order if p != 'lon'][0]
    addr = {p[0]: p[3][0] for p in POPS}

    def ask(n):
        for _ in range(n):
            m = s.query('geo.dl.test', 'A', options=[H.ecs_option(client, 32)])
            assert m.answer, m
            yield m.answer[0][4]

    assert set(ask(5)) == {addr['lon']}
    t0 = time.time()
    ctl(s, 'pop', 'lon', 'down')
    t1 = time.time()
    # the writer polls the slots on its drain tick (50 ms): the down line
    # may come that long after the change, so ask once it surely has
    time.sleep(0.5)
    assert set(ask(10)) == {addr[other]}
    t2 = time.time()
    ctl(s, 'pop', 'lon', 'auto')
    t3 = time.time()
    time.sleep(1.2)                    # past the up line, then lon again
    assert set(ask(5)) == {addr['lon']}
    wait_count([s.log], 22)
    recs = read_lines(s.log)
    ev = events(recs)
    assert [(e['pop'], e['state'], e['server']) for e in ev] == \
        [('lon', 'down', 'lon1'), ('lon', 'up', 'lon1')], ev
    down, up = ev
    within(down, t0, t1)
    within(up, t2, t3)
    print('  down line %.0f ms, up line %.0f ms after their ctl command returned' %
          ((ts_of(down) - t1) * 1000, (ts_of(up) - t3) * 1000))
    # the answers for this client, by where they fall against the two lines
    mine = [r for r in recs if 'event' not in r and r['ecs'] == '%s/32' % client]
    before = [r['pop'] for r in mine if ts_of(r) < ts_of(down)]
    between = [r['pop'] for r in mine if ts_of(down) <= ts_of(r) <= ts_of(up)]
    after = [r['pop'] for r in mine if ts_of(r) > ts_of(up)]
    assert before == ['lon'] * 5 and between == [other] * 10 and after == ['lon'] * 5, \
        (before, between, after)


def test_pop_down_at_start_and_rotation():
    """iad's file check reads a file that is not there: down at once."""
    t_start = time.time()
    # relative: resolved against the config's directory
    s = start(checks={'iad': '{type: file, file: iad.state, interval: 0.2}'})
    state = os.path.join(s.dir, 'iad.state')
    # start() returns once the server answers: the down line comes within
    # a drain tick of the first check
    t_ready = time.time()
    ev = wait_events(s.log, lambda e: len(e) >= 1)
    assert [(e['pop'], e['state']) for e in ev] == [('iad', 'down')], ev
    within(ev[0], t_start, t_ready)
    # logrotate renames the file: the new one says again that iad is down
    os.rename(s.log, s.log + '.1')
    ev2 = wait_events(s.log, lambda e: len(e) >= 1, timeout=4)
    assert [(e['pop'], e['state']) for e in ev2] == [('iad', 'down')], ev2
    # the file says up: one up line
    t0 = time.time()
    with open(state, 'w') as f:
        f.write('up\n')
    t1 = time.time()
    ev2 = wait_events(s.log, lambda e: len(e) >= 2)
    assert [(e['pop'], e['state']) for e in ev2] == [('iad', 'down'), ('iad', 'up')], ev2
    within(ev2[1], t0, t1, slack=0.2 + 1.0)   # the check's interval, then the tick
    assert [(e['pop'], e['state']) for e in events(read_lines(s.log + '.1'))] == \
        [('iad', 'down')]


def anycast_gate(qname):
    """anycast with the gate's self check; on_announce makes the announcer
    run without BGP peers (so no root)."""
    return ('anycast:\n  ipv4: %s\n  linger: 0\n  on_announce: "true"\n'
            '  on_withdraw: "true"\n  health:\n    self_check: { name: %s, type: A }\n'
            '    interval: 0.5\n    fast_interval: 0.5\n    rise: 3\n    fall: 1\n' % (ANY4, qname))


def test_anycast_self_events():
    """The gate's self check is reported as this server's own PoP (lon:
    identity lon1), as anycast answer lines carry it: down at start (the
    gate is down until the check has risen), up once risen, down when a
    reload points it at a name that does not exist."""
    t_start = time.time()
    s = start(anycast=anycast_gate('static.dl.test'))
    ev = wait_events(s.log, lambda e: len(e) >= 2, timeout=8)
    assert [(e['pop'], e['state']) for e in ev] == [('lon', 'down'), ('lon', 'up')], ev
    within(ev[0], t_start, time.time())
    # the self check answers at once; rise 3 at 0.5 s: up ~1 s after down
    assert 0.7 <= ts_of(ev[1]) - ts_of(ev[0]) <= 3.0, ev
    m = s.query('any.dl.test', 'A')
    assert m.answer and m.answer[0][4] == ANY4, m
    with open(s.config) as f:
        text = f.read()
    with open(s.config, 'w') as f:
        f.write(text.replace('name: static.dl.test', 'name: nx.dl.test'))
    t0 = time.time()
    s.proc.send_signal(signal.SIGHUP)
    ev = wait_events(s.log, lambda e: len(e) >= 3, timeout=5)
    t1 = time.time()
    assert [(e['pop'], e['state']) for e in ev] == \
        [('lon', 'down'), ('lon', 'up'), ('lon', 'down')], ev
    within(ev[2], t0, t1, slack=0)
    time.sleep(0.3)
    assert len(events(read_lines(s.log))) == 3
    # anycast answers keep coming from this server's own PoP meanwhile
    s.query('any.dl.test', 'A')
    time.sleep(0.3)
    last = [r for r in read_lines(s.log) if 'event' not in r][-1]
    assert last['method'] == 'anycast' and last['pop'] == 'lon', last
