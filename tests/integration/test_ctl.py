"""test_ctl: the control socket and `steerdns ctl`.

  * `ctl reload` with a broken zone exits 1 with file:line:col on stderr and
    the old config keeps answering; a good one exits 0 and is serving;
  * `ctl pop X down` moves a client of X to the next PoP of its list (the
    list is computed here from the test DB with harness.MMDB/GeoModel, as
    test_geodns does), holds across `ctl reload` and a restart (the state
    file), and `auto` gives X back;
  * `ctl status --json` against the config text; `ctl lookup` against what
    the server answers over DNS and the model; `ctl stats --json` counts;
  * on the host whose PoP it is (identity), `ctl pop X down` withdraws the
    anycast routes, also after a restart (the state file: on_announce never
    runs), and `up` undrains without forcing them out: a failing check of
    the anycast gate keeps them withdrawn while GeoDNS answers X again;
    `auto` announces again;
  * errors are one line with a non-zero exit: unknown command, server not
    running, permission denied (as nobody, when the test runs as root);
  * every subcommand answers --help.
"""

import ipaddress
import json
import os
import shutil
import subprocess
import tempfile
import time

import harness as H
from harness import Skip

ORIGIN = 'geo.test.'
WWW = 'www.geo.test'
POPS = [
    ('lon', 51.5, -0.12, ['192.0.2.1'], []),
    ('fra', 50.11, 8.68, ['192.0.2.2'], []),
    ('iad', 38.95, -77.45, ['192.0.2.3'], []),
    ('sin', 1.35, 103.82, ['192.0.2.4'], []),
]
FALLBACK = ['iad', 'lon']
ADDR2POP = {a: p[0] for p in POPS for a in p[3]}
GB = '81.2.69.160/27'      # a London-side client in GeoIP2-City-Test

BIN = None
SRV = None
DB = None
MODEL = None


def setup_module(binary):
    global BIN, SRV, DB, MODEL
    BIN = binary
    city = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    DB = H.MMDB(city)
    MODEL = H.GeoModel([(p[0], p[1], p[2]) for p in POPS], [], FALLBACK)
    conf = H.geo_config_yaml([city], POPS, [], FALLBACK)
    conf += 'control:\n  socket: ctl.sock\n  state: admin-state\n'
    SRV = H.Steerdns(BIN, [('geo.test.yaml', H.geo_zone_yaml(ORIGIN))],
                     server={'identity': 'ctl-test'}, extra_config=conf)
    SRV.start()


def teardown_module():
    if SRV:
        SRV.cleanup()


def ctl(*args, sock=None):
    cmd = [BIN, 'ctl'] + (['-s', sock] if sock else ['-c', SRV.config]) + list(args)
    r = subprocess.run(cmd, capture_output=True, timeout=30)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def model_list(subnet):
    net = ipaddress.ip_network(subnet, strict=False)
    rec, _ = DB.lookup(net.network_address)
    return list(MODEL.decision(rec))


def answered(subnet):
    m, _ = H.ecs_query(SRV.addr, SRV.port, WWW, subnet, 'A')
    assert m.rcode == 0, m.rcode_name()
    return [ADDR2POP[rr[4]] for rr in m.answer if rr[3] == 1]


def test_status_json_matches_config():
    rc, out, err = ctl('status', '--json')
    assert rc == 0, err
    s = json.loads(out)
    assert s['identity'] == 'ctl-test'
    assert [p['name'] for p in s['pops']] == [p[0] for p in POPS]
    assert all(p['admin'] == 'auto' and p['health'] == 'up' for p in s['pops']), s['pops']
    assert '127.0.0.1:%d' % SRV.port in s['listeners'], s['listeners']
    assert s['config']['generation'] >= 1
    rc, out, _ = ctl('status')
    assert rc == 0 and 'pop lon: health up, admin auto' in out, out


def test_lookup_matches_dns_and_model():
    for subnet in (GB, '216.160.83.56/29', '67.43.156.0/24'):
        rc, out, err = ctl('lookup', subnet, '--json')
        assert rc == 0, err
        j = json.loads(out)
        want = model_list(subnet)[0]
        assert j['pop'] == want, (subnet, j, want)
        assert j['pop'] == answered(subnet)[0]
        assert j['answer'] == POPS[[p[0] for p in POPS].index(want)][3]


def test_reload_bad_zone_keeps_old():
    before = answered(GB)
    zone = SRV.zone_paths[0]
    with open(zone) as f:
        good = f.read()
    try:
        with open(zone, 'w') as f:
            f.write(good + '  bad: { A: 300.1.2.3 }\n')
        rc, out, err = ctl('reload')
        assert rc == 1, (rc, out, err)
        # file:line:col of the bad record, on stderr, one message
        line = good.count('\n') + 1
        assert 'geo.test.yaml:%d:' % line in err, err
        assert answered(GB) == before
    finally:
        with open(zone, 'w') as f:
            f.write(good)
    rc, out, err = ctl('status', '--json')
    gen = json.loads(out)['config']['generation']
    rc, out, err = ctl('reload')
    assert rc == 0, err
    rc, out, _ = ctl('status', '--json')
    assert json.loads(out)['config']['generation'] == gen + 1


def test_pop_down_moves_clients_and_persists():
    plist = model_list(GB)
    first, second = plist[0], plist[1]
    assert answered(GB) == [first]
    rc, out, err = ctl('pop', first, 'down')
    assert rc == 0, err
    try:
        assert answered(GB) == [second], 'pop %s down: expected %s' % (first, second)
        st = {p['name']: p for p in json.loads(ctl('status', '--json')[1])['pops']}
        assert st[first]['admin'] == 'down' and st[first]['answered'] == 'no', st[first]
        # across a reload
        rc, _, err = ctl('reload')
        assert rc == 0, err
        assert answered(GB) == [second]
        # across a restart: the state file
        SRV.stop()
        SRV.start()
        assert answered(GB) == [second], 'override lost across a restart'
        rc, out, _ = ctl('stats')
        assert rc == 0
        assert 'steerdns_pop_admin_state{pop="%s",state="down"} 1\n' % first in out, out
        assert 'steerdns_pop_up{pop="%s"} 0\n' % first in out, out
    finally:
        rc, out, err = ctl('pop', first, 'auto')
    assert rc == 0, err
    assert answered(GB) == [first]


def test_pop_up_and_bad_names():
    rc, out, err = ctl('pop', 'nowhere', 'down')
    assert rc == 1 and 'no such PoP' in err and err.count('\n') == 1, err
    rc, out, err = ctl('pop', 'lon', 'sideways')
    assert rc == 1 and 'expected down, up or auto' in err and err.count('\n') == 1, (rc, err)


def _wait(pred, what, timeout=5.0):
    t_end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        assert time.monotonic() < t_end, what
        time.sleep(0.05)


def test_pop_of_this_host_drains_anycast_and_up_does_not_force():
    """README ctl: `down` withdraws this host's anycast routes, `up`/`auto`
    undrain (the gate's own checks still decide), kept across restarts."""
    city = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    d = tempfile.mkdtemp(prefix='steerdns-ctl-any-')
    gate, events = os.path.join(d, 'gate'), os.path.join(d, 'events')
    with open(gate, 'w') as f:
        f.write('up\n')
    conf = H.geo_config_yaml([city], POPS, [], FALLBACK)
    conf += 'control:\n  socket: ctl.sock\n  state: admin-state\n'
    conf += ('anycast:\n  ipv4: 198.51.100.1\n  linger: 0\n'
             '  bgp:\n    local_as: 65001\n    router_id: 10.0.0.1\n'
             '    prefix4: 198.51.100.0/24\n'
             '    peers: [ { address: "127.0.0.1:%d", as: 65002 } ]\n'
             '  health:\n    checks: [ { type: file, file: %s } ]\n    interval: 0.2\n'
             '  on_announce: "echo announce >> %s"\n  on_withdraw: "echo withdraw >> %s"\n'
             % (H.free_port(False), H.yaml_str(gate), events, events))
    srv = H.Steerdns(BIN, [('geo.test.yaml', H.geo_zone_yaml(ORIGIN))],
                     server={'identity': 'lon'}, extra_config=conf)

    def state():
        rc, out, err = ctl('status', '--json', sock=os.path.join(srv.dir, 'ctl.sock'))
        assert rc == 0, err
        j = json.loads(out)
        pfx = j['anycast_prefixes']
        assert [p['prefix'] for p in pfx] == ['198.51.100.0/24'], pfx
        lon = [p for p in j['pops'] if p['name'] == 'lon'][0]
        return pfx[0]['up'], lon['admin'], lon['answered']

    def pop(word):
        rc, out, err = ctl('pop', 'lon', word, sock=os.path.join(srv.dir, 'ctl.sock'))
        assert rc == 0 and out == 'pop lon: %s\n' % word, (rc, out, err)

    def announces():
        return open(events).read().split().count('announce') if os.path.exists(events) else 0

    try:
        srv.start()
        _wait(lambda: state() == (True, 'auto', 'yes'), 'announced at start')
        pop('down')
        _wait(lambda: state() == (False, 'down', 'no'), 'withdrawn by pop down')
        # the gate's own check fails: `up` answers lon again (GeoDNS) but
        # does not force the routes out; they follow the check
        with open(gate, 'w') as f:
            f.write('down\n')
        pop('up')
        time.sleep(1.0)   # five gate intervals
        assert state() == (False, 'up', 'yes')
        with open(gate, 'w') as f:
            f.write('up\n')
        _wait(lambda: state() == (True, 'up', 'yes'), 'announced once the gate is up')
        # down across a restart: withdrawn from the start, on_announce not run
        pop('down')
        _wait(lambda: state()[0] is False, 'withdrawn by pop down')
        _wait(lambda: open(events).read().split()[-1:] == ['withdraw'], 'on_withdraw ran')
        before = announces()
        assert srv.stop() == 0, srv.err.text()   # clean exit (no ASan report)
        srv.start()
        time.sleep(1.0)
        assert state() == (False, 'down', 'no'), 'pop down lost for anycast across a restart'
        assert announces() == before, open(events).read()
        pop('auto')
        _wait(lambda: state() == (True, 'auto', 'yes'), 'announced by pop auto')
        _wait(lambda: announces() == before + 1, 'on_announce ran')
        assert srv.stop() == 0, srv.err.text()
    finally:
        srv.cleanup()
        shutil.rmtree(d, ignore_errors=True)


def test_stats_json_counts():
    j0 = json.loads(ctl('stats', '--json')[1])
    for _ in range(6):
        answered(GB)
    j1 = json.loads(ctl('stats', '--json')[1])
    pop = model_list(GB)[0]

    def n(j):
        return sum(e['count'] for e in j['steered_answers']
                   if e['pop'] == pop and e['method'] == 'geodns' and e['arm'] == '')
    assert n(j1) - n(j0) == 6


def test_errors_are_one_line():
    rc, out, err = ctl('frobnicate')
    assert rc != 0 and err.count('\n') == 1 and 'unknown command' in err, (rc, err)
    d = os.path.join(SRV.dir, 'none.sock')
    rc, out, err = ctl('status', sock=d)
    assert rc == 1 and err.count('\n') == 1 and 'not running' in err, (rc, err)
    if os.geteuid() != 0 or not shutil.which('setpriv'):
        return
    sock = os.path.join(SRV.dir, 'ctl.sock')
    os.chmod(SRV.dir, 0o755)
    r = subprocess.run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups',
                        BIN, 'ctl', '-s', sock, 'status'], capture_output=True, timeout=30)
    err = r.stderr.decode()
    assert r.returncode == 1 and 'permission denied' in err and err.count('\n') == 1, err


def test_every_subcommand_answers_help():
    for sub in ('serve', 'checkconf', 'lookup', 'probe', 'compare', 'dnssec', 'ctl'):
        r = subprocess.run([BIN, sub, '--help'], capture_output=True, timeout=30)
        assert r.returncode == 0, '%s --help: exit %d %s' % (sub, r.returncode, r.stderr.decode())
        assert 'usage' in r.stdout.decode().lower(), sub


def test_make_run_shows_different_pops_and_scopes():
    """The dig commands `make run` prints, against config/run.yaml (on a free
    port): each subnet gets the PoP the independent model picks for it (the
    comment names it too), all four differ, every scope is above 0."""
    import re as _re
    repo = H.repo_root()
    mk = open(os.path.join(repo, 'Makefile')).read()
    run = mk[mk.index('\nrun: '):]
    run = run[:run.index('\n\n')]
    cmds = _re.findall(r'dig @127\.0\.0\.1 -p 5353 (\S+) \+subnet=(\S+)\s+# \w+: (\w+) ([\d.]+)', run)
    assert len(cmds) == 4, run
    text = open(os.path.join(repo, 'config', 'run.yaml')).read()
    pops = dict(_re.findall(r'^  (\w+): \{ location: \[[^]]*\], ipv4: ([\d.]+) \}', text, _re.M))
    locs = {n: (float(a), float(b)) for n, a, b in
            _re.findall(r'^  (\w+): \{ location: \[([-\d.]+), ([-\d.]+)\]', text, _re.M)}
    model = H.GeoModel([(n, locs[n][0], locs[n][1]) for n in locs], [], ['iad', 'lon'])
    db = H.MMDB(os.path.join(repo, 'tests', 'data', 'mmdb', 'GeoIP2-City-Test.mmdb'))
    d = os.path.join(SRV.dir, 'run')
    os.makedirs(d)
    port = H.free_port(False)
    cfg = text.replace('127.0.0.1:5353', '127.0.0.1:%d' % port)
    cfg = cfg.replace('127.0.0.1:9153', '127.0.0.1:%d' % H.free_port(False))
    cfg = cfg.replace('/tmp/steerdns-run', os.path.join(d, 'run'))
    cfg = cfg.replace('../tests/data/', os.path.join(repo, 'tests', 'data') + '/')
    cfg = cfg.replace('zones/', os.path.join(repo, 'config', 'zones') + '/')
    path = os.path.join(d, 'run.yaml')
    with open(path, 'w') as f:
        f.write(cfg)
    p = subprocess.Popen([BIN, 'serve', '-c', path], stderr=subprocess.DEVNULL)
    try:
        seen = set()
        for qname, subnet, name, addr in cmds:
            net = ipaddress.ip_network(subnet, strict=False)
            rec, _ = db.lookup(net.network_address)
            want = model.decision(rec)[0]
            assert want == name and pops[want] == addr, (subnet, want, name, addr)
            for _ in range(50):
                try:
                    m, ecs = H.ecs_query('127.0.0.1', port, qname, subnet, 'A')
                    break
                except Exception:
                    import time as _t
                    _t.sleep(0.1)
            got = [rr[4] for rr in m.answer if rr[3] == 1]
            assert got == [addr], (subnet, got, addr)
            assert ecs is not None and ecs[2] > 0, (subnet, ecs)   # (family, source, scope, addr)
            seen.add(addr)
        assert len(seen) == 4
    finally:
        p.terminate()
        p.wait(10)
