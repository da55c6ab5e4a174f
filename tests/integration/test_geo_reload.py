"""test_geo_reload: a reload or restart rebuilds the GeoIP trees only when their inputs changed.

One server (GeoIP2-City-Test.mmdb copied into its dir, geoip.cache_dir in
its dir, run with -v so the `geoip: trees compiled|reused|read from cache`
debug line of each load is in its log). The evidence is that line, not a
timing: speed is measured by `make bench` (tests/bench, load-time table).

  zone edit + SIGHUP      the new record is served, trees "reused"
  DB touched (same bytes) trees "reused" (identity changed, content not)
  policy changed          trees "compiled", the new rule answers
  restart, nothing new    trees "read from cache", same answers
  cache file corrupted    restart logs why it is not used, compiles, same answers
  DB bytes changed        trees "compiled"

Expected PoPs come from the config's definition: 81.2.69.160/27 is in GB
(London): nearest PoP lon; a rule `country: [GB] -> [sin]` makes it sin.
216.160.83.56/29 (US, Milton WA) is nearest to iad either way.
"""

import os
import shutil
import signal
import time

import harness as H
from test_reload import wait_for, write_atomic

ORIGIN = 'geo.test.'
POPS = [('lon', 51.5, -0.12, ['192.0.2.1'], []),
        ('iad', 38.95, -77.45, ['192.0.2.3'], []),
        ('sin', 1.35, 103.82, ['192.0.2.4'], [])]
ADDR2POP = {p[3][0]: p[0] for p in POPS}
GB, US = '81.2.69.160/27', '216.160.83.56/29'
BIN = None


def setup_module(binary):
    global BIN
    BIN = binary


def zone(static_addr):
    return H.geo_zone_yaml(ORIGIN, steered=(('www', 30, 1),), static=(('static', static_addr),))


def config(rules):
    return (H.geo_config_yaml(['geo.mmdb'], POPS, rules)
            .replace('  schema: maxmind\n', '  schema: maxmind\n  cache_dir: cache\n', 1))


def first_pop(srv, subnet):
    m, ecs = H.ecs_query(srv.addr, srv.port, 'www.geo.test', subnet, 'A')
    assert m.rcode == 0 and ecs is not None, 'www ECS %s: %r' % (subnet, m)
    return ADDR2POP[m.answer[0][4]]


def static_addr(srv):
    m = srv.query('static.geo.test', 'A')
    return [rr[4] for rr in m.answer]


def start_verbose(srv):
    srv._launch([srv.binary, 'serve', '-c', srv.config, '-v'])
    probe = H.build_query('id.server', 'TXT', qclass='CH')
    srv._wait_serving(lambda: H.udp_exchange(srv.addr, srv.port, probe, timeout=0.2) is not None,
                      10.0, 'id.server CH TXT')
    # SIGHUP is handled once the control loop runs (see test_geodns).
    assert wait_for(lambda: 'ready:' in srv.stderr(), 5) is not None, srv.stderr()


def trees_line(srv, n):
    """The `geoip: trees ...` log line after log line n (waits for it)."""
    def find():
        for line in srv.err.since(n).splitlines():
            if 'geoip: trees ' in line:
                return line
        return None
    line = wait_for(find, 10.0)
    assert line, 'no "geoip: trees" line in the log:\n%s' % srv.err.since(n)
    return line


def reload_and_wait(srv, n):
    srv.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: 'reload: serving' in srv.err.since(n), 10.0), srv.err.since(n)
    return trees_line(srv, n)


def test_reload_and_restart_reuse():
    srv = H.Steerdns(BIN, [('geo.test.yaml', zone('192.0.2.80'))],
                     server={'identity': 'geo-test'}, extra_config=config([]))
    db = os.path.join(srv.dir, 'geo.mmdb')
    shutil.copy(os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb'), db)
    zpath = os.path.join(srv.dir, 'geo.test.yaml')
    cache = os.path.join(srv.dir, 'cache')
    try:
        start_verbose(srv)
        assert 'trees compiled' in trees_line(srv, 0)
        files = os.listdir(cache)
        assert len(files) == 1 and files[0].endswith('.cache'), files
        assert (first_pop(srv, GB), first_pop(srv, US)) == ('lon', 'iad')

        # Zone edit: served, trees not rebuilt.
        n = srv.err.count()
        write_atomic(zpath, zone('192.0.2.81'))
        line = reload_and_wait(srv, n)
        assert 'trees reused' in line, line
        assert static_addr(srv) == ['192.0.2.81']
        assert (first_pop(srv, GB), first_pop(srv, US)) == ('lon', 'iad')

        # Same bytes, new identity (mtime): hashed, still reused.
        n = srv.err.count()
        os.utime(db, (time.time() + 5, time.time() + 5))
        line = reload_and_wait(srv, n)
        assert 'trees reused' in line, line

        # Policy change: recompiled, the rule answers.
        n = srv.err.count()
        srv.extra_config = config([('country', ['GB'], ['sin'])])
        text = srv.config_text.split('geoip:')[0] + srv.extra_config
        write_atomic(srv.config, text)
        line = reload_and_wait(srv, n)
        assert 'trees compiled' in line, line
        assert (first_pop(srv, GB), first_pop(srv, US)) == ('sin', 'iad')

        # Restart with nothing changed: read from the cache file.
        srv.stop()
        start_verbose(srv)
        assert 'trees read from cache' in trees_line(srv, 0), srv.stderr()
        assert (first_pop(srv, GB), first_pop(srv, US)) == ('sin', 'iad')
        assert static_addr(srv) == ['192.0.2.81']

        # A corrupt cache file is refused, not trusted: compiled again.
        srv.stop()
        path = os.path.join(cache, os.listdir(cache)[0])
        with open(path, 'r+b') as f:
            f.seek(os.path.getsize(path) // 2)
            b = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([b[0] ^ 0x5a]))
        start_verbose(srv)
        assert 'not used: checksum mismatch' in srv.stderr(), srv.stderr()
        assert 'trees compiled' in trees_line(srv, 0)
        assert (first_pop(srv, GB), first_pop(srv, US)) == ('sin', 'iad')

        # Other DB bytes: compiled (a Country DB: GB is still lon-less by rule -> sin).
        n = srv.err.count()
        write_db = db + '.new'
        shutil.copy(os.path.join(H.mmdb_dir(), 'GeoIP2-Country-Test.mmdb'), write_db)
        os.rename(write_db, db)
        line = reload_and_wait(srv, n)
        assert 'trees compiled' in line, line
        assert first_pop(srv, GB) == 'sin'
    finally:
        srv.cleanup()
