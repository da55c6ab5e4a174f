"""test_reload: SIGHUP swaps configs without losing a query; bad configs keep the old one.

A client thread queries continuously over UDP (1 s timeout each) while the
test sends 20 SIGHUPs and flips www's address between two known values.
Every query must be answered with one of the two values. Then broken
configs (YAML syntax error; a bad A record) must be rejected with a
file:line:col: message while the old zone keeps answering. SIGTERM must
end the process with status 0 within 5 s. With four workers on two
addresses, every UDP reader sees a reload and SIGTERM ends them all at once.
"""

import os
import re
import signal
import threading
import time

import harness as H

ORIGIN = 'example.test.'
SOA = {'mname': 'ns1', 'rname': 'hostmaster', 'serial': 1, 'refresh': 3600,
       'retry': 900, 'expire': 1209600, 'minimum': 300}
V1, V2 = '192.0.2.1', '192.0.2.2'
BIN = None


def setup_module(binary):
    global BIN
    BIN = binary


def zone_text(addr, serial=1):
    soa = dict(SOA, serial=serial)
    return H.zone_yaml(ORIGIN, 3600, soa, [('@', {'NS': ['ns1']}), ('ns1', {'A': '192.0.2.53'}),
                                            ('www', {'A': addr})])


def write_atomic(path, text):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.rename(tmp, path)


def answer_of(srv):
    m = srv.query('www.example.test', 'A', timeout=1.0)
    return [r[4] for r in m.answer]


def wait_for(pred, timeout=5.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None


class Client(threading.Thread):
    def __init__(self, srv):
        super().__init__(daemon=True)
        self.srv = srv
        self.stop = threading.Event()
        self.sent = 0
        self.failed = []
        self.seen = {}

    def run(self):
        while not self.stop.is_set():
            self.sent += 1
            q = H.build_query('www.example.test', 'A')
            raw = H.udp_exchange(self.srv.addr, self.srv.port, q, timeout=1.0)
            if raw is None:
                self.failed.append('query %d: no answer within 1 s' % self.sent)
            else:
                try:
                    m = H.decode(raw)
                    vals = tuple(sorted(r[4] for r in m.answer))
                    if m.rcode != 0 or vals not in ((V1,), (V2,)):
                        self.failed.append('query %d: %s %s' % (self.sent, m.rcode_name(), vals))
                    else:
                        self.seen[vals[0]] = self.seen.get(vals[0], 0) + 1
                except H.DecodeError as e:
                    self.failed.append('query %d: undecodable %s' % (self.sent, e))
            time.sleep(0.005)


def test_reload_under_load_and_bad_configs():
    srv = H.Steerdns(BIN, [('example.test.yaml', zone_text(V1))])
    zone = srv.zone_paths[0]
    try:
        srv.start()
        assert answer_of(srv) == [V1], 'initial answer %s' % answer_of(srv)
        cl = Client(srv)
        cl.start()
        value, serial = V1, 1
        try:
            for i in range(20):
                if i % 2 == 1:
                    value = V2 if value == V1 else V1
                    serial += 1
                    write_atomic(zone, zone_text(value, serial))
                srv.proc.send_signal(signal.SIGHUP)
                time.sleep(0.12)
                assert srv.alive(), 'died after SIGHUP %d; stderr:\n%s' % (i + 1, srv.stderr())
            got = wait_for(lambda: answer_of(srv) == [value], 5.0)
            assert got, 'after 20 SIGHUPs the answer is %s, want %s' % (answer_of(srv), value)
            time.sleep(0.2)
        finally:
            cl.stop.set()
            cl.join(5)
        assert not cl.failed, '%d of %d queries failed during reloads, first: %s' % (
            len(cl.failed), cl.sent, cl.failed[:5])
        assert cl.sent >= 200, 'client sent only %d queries' % cl.sent
        assert set(cl.seen) == {V1, V2}, 'client saw only %s (the reload never took effect)' % cl.seen
        print('    reload: %d queries, 0 failed, answers seen %s' % (cl.sent, cl.seen))

        # 1. YAML syntax error in the main config.
        good_conf = srv.config_text
        n0 = srv.err.count()
        with open(srv.config, 'w') as f:
            # An unterminated double-quoted scalar: a libyaml scanner error.
            f.write(good_conf.replace('  workers: 2', '  workers: "2'))
        assert '"2' in open(srv.config).read()
        srv.proc.send_signal(signal.SIGHUP)
        pat = re.compile(re.escape(os.path.basename(srv.config)) + r':\d+:\d+:')
        got = wait_for(lambda: pat.search(srv.err.since(n0)), 5.0)
        assert got, 'no "steerdns.yaml:LINE:COL:" error after a YAML syntax error; new stderr:\n%s' % (
            srv.err.since(n0))
        assert srv.alive(), 'died on a broken config'
        assert answer_of(srv) == [value], 'old zone not kept after bad config: %s' % answer_of(srv)

        # 2. A bad A record in the zone file (config restored).
        with open(srv.config, 'w') as f:
            f.write(good_conf)
        bad = zone_text(value, serial + 1).replace('"192.0.2.53"', '"192.0.2.300"')
        bad_line = [i + 1 for i, ln in enumerate(bad.splitlines()) if '192.0.2.300' in ln][0]
        write_atomic(zone, bad)
        n0 = srv.err.count()
        srv.proc.send_signal(signal.SIGHUP)
        pat = re.compile(re.escape(os.path.basename(zone)) + r':(\d+):(\d+):')
        got = wait_for(lambda: pat.search(srv.err.since(n0)), 5.0)
        assert got, 'no "example.test.yaml:LINE:COL:" error for A 192.0.2.300; new stderr:\n%s' % (
            srv.err.since(n0))
        assert int(got.group(1)) == bad_line, 'error line %s, the bad record is on line %d:\n%s' % (
            got.group(1), bad_line, srv.err.since(n0))
        assert srv.alive(), 'died on a bad A record'
        assert answer_of(srv) == [value], 'old zone not kept after bad zone: %s' % answer_of(srv)

        # 3. A good config again reloads normally (the failure did not wedge reload).
        other = V2 if value == V1 else V1
        write_atomic(zone, zone_text(other, serial + 2))
        srv.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: answer_of(srv) == [other], 5.0), \
            'good reload after failures did not take effect: %s' % answer_of(srv)

        # 4. SIGTERM: exit 0 within 5 s.
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        try:
            rc = srv.proc.wait(5)
        except Exception:
            raise AssertionError('still running 5 s after SIGTERM')
        assert rc == 0, 'exit status %d after SIGTERM; stderr tail:\n%s' % (
            rc, '\n'.join(srv.stderr().splitlines()[-10:]))
        print('    SIGTERM -> exit 0 after %.2fs' % (time.monotonic() - t0))
    finally:
        srv.cleanup()


def test_every_udp_reader_reloads_and_stops():
    """Several workers on two addresses: one UDP reader thread per socket.
    Queries from fresh source ports (SO_REUSEPORT spreads them over the
    readers) all see a reload, and SIGTERM ends every reader at once: a
    reader whose shutdown wakeup were lost would hold the exit for its 1 s
    receive timeout."""
    zdir_zone = ORIGIN + 'yaml'
    srv = H.Steerdns(BIN, [(zdir_zone, zone_text(V1))], server={'workers': 4})
    try:
        srv.start()
        addrs = ['127.0.0.1'] + (['::1'] if srv.v6 else [])
        q = H.build_query('www.example.test', 'A')

        def answers(n):
            got = {}
            for i in range(n):
                addr = addrs[i % len(addrs)]
                raw = H.udp_exchange(addr, srv.port, q, timeout=1.0)
                assert raw is not None, 'query %d to %s: no answer' % (i, addr)
                vals = tuple(r[4] for r in H.decode(raw).answer)
                got[vals] = got.get(vals, 0) + 1
            return got

        assert answers(200) == {(V1,): 200}
        write_atomic(os.path.join(srv.dir, zdir_zone), zone_text(V2, 2))
        srv.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: answer_of(srv) == [V2], 5.0), 'reload did not take effect'
        # Every reader, not just the one that answered above.
        assert answers(200) == {(V2,): 200}
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        rc = srv.proc.wait(5)
        took = time.monotonic() - t0
        assert rc == 0, 'exit status %d after SIGTERM' % rc
        print('    %d UDP readers; SIGTERM -> exit 0 after %.3fs' % (4 * len(addrs), took))
        assert took < 0.8, 'SIGTERM took %.2fs: a UDP reader missed its wakeup' % took
    finally:
        srv.cleanup()
