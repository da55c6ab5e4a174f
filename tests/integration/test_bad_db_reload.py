"""test_bad_db_reload: a GeoIP DB that libmaxminddb < 1.12 leaks on, reloaded
300 times, is refused every time with a clear error while the old DB keeps
serving, and the server's memory stays flat.

The DB (tests/data/findings/libmaxminddb-1.7.1-MMDB_open-leak.mmdb) has a
metadata `languages` array holding a pointer to a non-string; MMDB_open() in
Debian's libmaxminddb 1.7.1 leaks 4,640 bytes on it (fixed in 1.12.0), so
300 reloads through MMDB_open would add about 1.4 MB. The bound checked is
400 kB of RSS growth after a warm-up of 20 reloads.
"""

import os
import shutil
import signal
import time

import harness as H
from harness import Skip  # noqa: F401  (run_all convention)

BIN = None
POPS = [('fra', 50.11, 8.68, ['192.0.2.10'], []), ('iad', 38.95, -77.45, ['198.51.100.20'], [])]
ZONE = '\n'.join([
    'origin: geo.test.', 'ttl: 3600',
    'soa: { mname: ns1, rname: hostmaster, serial: 1, refresh: 3600, retry: 900, '
    'expire: 1209600, minimum: 300}',
    'records:', '  "@": { NS: [ns1] }', '  ns1: { A: 192.0.2.53 }',
    '  www: { steer: { ttl: 20 } }']) + '\n'


def setup_module(binary):
    global BIN
    BIN = binary


def rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise AssertionError('no VmRSS for pid %d' % pid)


def test_leaky_db_refused_on_every_reload_memory_flat():
    bad = H.data_dir('findings', 'libmaxminddb-1.7.1-MMDB_open-leak.mmdb')
    srv = H.Steerdns(BIN, [('geo.test.yaml', ZONE)],
                     extra_config=H.geo_config_yaml(['city.mmdb'], POPS, fallback=['iad', 'fra']))
    db = os.path.join(srv.dir, 'city.mmdb')
    shutil.copy(os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb'), db)
    try:
        srv.start()
        # 81.2.69.142 is in London (GeoIP2-City-Test source-data): fra is 640 km away, iad 5,900.
        want = ['192.0.2.10']

        def answer():
            m = srv.query('www.geo.test', 'A', options=[H.ecs_option('81.2.69.142', 32)])
            return sorted(rr[4] for rr in m.answer)
        assert answer() == want, 'before: %s' % answer()
        tmp = db + '.new'
        shutil.copy(bad, tmp)
        os.rename(tmp, db)
        rss = {}
        for i in range(300):
            n0 = srv.err.count()
            srv.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 5
            while 'cannot open' not in srv.err.since(n0):
                assert time.monotonic() < deadline, 'reload %d: no error; stderr:\n%s' % (
                    i + 1, srv.err.since(n0))
                assert srv.alive(), 'died on reload %d' % (i + 1)
                time.sleep(0.005)
            if i + 1 in (20, 300):
                rss[i + 1] = rss_kb(srv.proc.pid)
        assert srv.alive(), 'died'
        assert answer() == want, 'old DB not kept: %s' % answer()
        grew = rss[300] - rss[20]
        print('    300 refused reloads: RSS %d kB after 20, %d kB after 300 (+%d kB)' % (
            rss[20], rss[300], grew))
        with open(srv.binary, 'rb') as f:
            asan = b'__asan_init' in f.read()
        if asan:
            # ASan's quarantine holds freed memory, so RSS grows anyway;
            # LeakSanitizer at exit checks instead.
            print('    ASan build: RSS bound not applied; LeakSanitizer checks at exit')
            srv.proc.send_signal(signal.SIGTERM)
            rc = srv.proc.wait(10)
            srv.err.join(2)
            text = srv.stderr()
            assert 'LeakSanitizer' not in text, 'leak report:\n%s' % text[text.index('LeakSanitizer') - 100:][:3000]
            assert rc == 0, 'exit status %d; stderr tail:\n%s' % (rc, text[-2000:])
        else:
            assert grew < 400, 'RSS grew by %d kB over 280 reloads of the bad DB' % grew
        last = srv.err.since(n0)
        assert 'city.mmdb: cannot open: corrupt metadata' in last, 'refused with: %s' % last
    finally:
        srv.cleanup()
