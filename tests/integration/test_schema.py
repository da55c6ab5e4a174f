"""test_schema: the one config schema seen from outside.

- The README's configuration reference is exactly what `steerdns checkconf
  --schema-markdown` writes (run this file with --write-readme BINARY to
  rewrite it: `make readme-schema`).
- `checkconf --print` round-trips on every example config (config/*.yaml,
  geodns-example.yaml with MaxMind's test DBs put in for the DBs it names)
  and every fixture of tests/data/configs: the printed config is accepted
  and printing it again gives the same bytes. (The harness does the same
  for every config an integration test writes: harness.check_print_roundtrip.)
- Every default --print fills in equals the default the README states,
  written out by hand below from the README's tables and prose (not read
  back from the code or from the generated table).
- Ambiguous PoP names are refused and unknown keys name the nearest key.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

import yaml

import harness as H

BIN = None
TMP = None
REPO = H.repo_root()
BEGIN = '<!-- BEGIN steerdns checkconf --schema-markdown'
END = '<!-- END steerdns checkconf --schema-markdown -->'


def setup_module(binary):
    global BIN, TMP
    BIN = binary
    TMP = tempfile.mkdtemp(prefix='steerdns-schema-')


def teardown_module():
    shutil.rmtree(TMP, ignore_errors=True)


def schema_markdown(binary):
    p = subprocess.run([binary, 'checkconf', '--schema-markdown'], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=10)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout.decode()


def readme_section(text):
    """(before, generated part, after) of the README around the markers."""
    a = text.index(BEGIN)
    a = text.index('\n', a) + 1
    b = text.index(END)
    return text[:a], text[a:b], text[b:]


def write_readme(binary):
    path = os.path.join(REPO, 'README.md')
    with open(path) as f:
        before, _, after = readme_section(f.read())
    with open(path, 'w') as f:
        f.write(before + schema_markdown(binary) + after)


def checkconf(path, *extra, cwd=None):
    p = subprocess.run([BIN, 'checkconf', '-c', path] + list(extra), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60, cwd=cwd)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, 'w') as f:
        f.write(text)
    return path


def printed(text, name='c.yaml'):
    """--print of a config written from text, round-trip checked, parsed."""
    path = write(name, text)
    out = H.check_print_roundtrip(BIN, path)
    if out is None:
        rc, _, err = checkconf(path)
        raise AssertionError('checkconf rejects the config:\n%s\n%s' % (err, text))
    return yaml.safe_load(out.decode())


# ---------------------------------------------------------------------------
# README

def test_readme_reference_is_the_schema():
    with open(os.path.join(REPO, 'README.md')) as f:
        _, have, _ = readme_section(f.read())
    want = schema_markdown(BIN)
    if have != want:
        import difflib
        diff = ''.join(difflib.unified_diff(have.splitlines(True), want.splitlines(True),
                                            'README.md', 'checkconf --schema-markdown'))
        raise AssertionError('README configuration reference differs from the schema '
                             '(make readme-schema):\n' + diff[:4000])
    # Every key a config can use is in it: the fixtures use every key, so
    # every key path of their --print must have a row.
    rows = set(re.findall(r'^\| `([^`]+)` \|', want, re.M))
    assert 'server.listen' in rows and 'anycast.bgp.peers[].next_hop' in rows, sorted(rows)[:20]


# ---------------------------------------------------------------------------
# round trips

def fixture_dir():
    """tests/data/configs copied to TMP/fx with @MMDB@ and @TMP@ filled in."""
    dst = os.path.join(TMP, 'fx')
    if os.path.isdir(dst):
        return dst
    shutil.copytree(os.path.join(REPO, 'tests', 'data', 'configs'), dst)
    mmdb = H.mmdb_dir()
    for name in os.listdir(dst):
        if name.endswith('.yaml'):
            p = os.path.join(dst, name)
            with open(p) as f:
                text = f.read()
            with open(p, 'w') as f:
                f.write(text.replace('@MMDB@', mmdb).replace('@TMP@', dst))
    return dst


def key_paths(node, prefix=''):
    """Schema-style paths of every key in a parsed --print (pops.NAME.x, a[].b)."""
    out = set()
    if isinstance(node, dict):
        for k, v in node.items():
            path = prefix + str(k)
            if prefix == 'pops.':
                path = 'pops.NAME'
            else:
                out.add(path)
            out |= key_paths(v, path + '.')
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict):
                out |= key_paths(item, prefix[:-1] + '[].')
    return out


def test_print_roundtrip_examples():
    for name in sorted(os.listdir(os.path.join(REPO, 'config'))):
        if not name.endswith('.yaml'):
            continue
        src = os.path.join(REPO, 'config', name)
        with open(src) as f:
            text = f.read()
        if name == 'geodns-example.yaml':
            mmdb = H.mmdb_dir()
            text = text.replace('/var/lib/GeoIP/GeoLite2-City.mmdb',
                                os.path.join(mmdb, 'GeoIP2-City-Test.mmdb'))
            text = text.replace('/var/lib/GeoIP/GeoLite2-ASN.mmdb',
                                os.path.join(mmdb, 'GeoLite2-ASN-Test.mmdb'))
            path = os.path.join(REPO, 'config', '.test-schema-' + name)
            with open(path, 'w') as f:
                f.write(text)
        else:
            path = src
        try:
            out = H.check_print_roundtrip(BIN, path)
            assert out is not None, 'checkconf rejects %s: %s' % (name, checkconf(path)[2])
        finally:
            if path != src:
                os.unlink(path)


def test_print_roundtrip_fixtures_cover_every_key():
    d = fixture_dir()
    seen = set()
    for name in sorted(os.listdir(d)):
        if not name.endswith('.yaml'):
            continue
        out = H.check_print_roundtrip(BIN, os.path.join(d, name))
        assert out is not None, 'checkconf rejects %s: %s' % (name, checkconf(os.path.join(d, name))[2])
        seen |= key_paths(yaml.safe_load(out.decode()) or {})
    rows = set(re.findall(r'^\| `([^`]+)` \|', schema_markdown(BIN), re.M))
    # geoip.schema given as a mapping is printed under its own keys.
    missing = sorted(rows - seen)
    assert not missing, 'keys no fixture uses (add them to tests/data/configs): %s' % missing


# ---------------------------------------------------------------------------
# defaults, as the README states them

def cpus():
    n = os.cpu_count() or 1
    return min(max(n, 1), 64)


SERVER_DEFAULTS = {   # README: Configuration reference, server rows
    'listen': ['127.0.0.1:53', '[::1]:53'], 'edns_payload': 1232, 'tcp_idle_timeout': 10,
    'tcp_io_timeout': 500, 'tcp_max_clients': 1024,
}


def test_defaults_empty_config():
    got = printed('')
    want_server = dict(SERVER_DEFAULTS, workers=cpus(), identity=socket.gethostname())
    assert got['server'] == want_server, got['server']
    # No method is usable without geoip or anycast: no mode is printed.
    assert 'mode' not in got['server']
    assert got['zones'] == []
    assert got['ab'] == {'anycast_percent': 50}
    assert got['cookies'] == {'enabled': True}
    assert set(got) == {'server', 'zones', 'ab', 'cookies'}, sorted(got)


def test_defaults_geodns():
    db = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    got = printed('geoip: { databases: %s }\n'
                  'pops:\n'
                  '  lon: { location: [51.5, -0.12], ipv4: 192.0.2.1,\n'
                  '         check: { type: http } }\n'
                  '  nyc: { location: [40.7, -74.0], ipv6: ["2001:db8::2", "2001:db8::3"],\n'
                  '         check: { type: dns, qname: q.example., interval: 1 } }\n'
                  '  syd: { location: [-33.9, 151.2], ipv4: 192.0.2.3,\n'
                  '         check: { type: tcp, port: 443, interval: 3 } }\n'
                  '  fil: { location: [0, 0], ipv4: 192.0.2.4,\n'
                  '         check: { type: file, file: state } }\n' % H.yaml_str(db))
    assert got['server']['mode'] == 'geodns'
    assert got['geoip'] == {'databases': db, 'schema': 'maxmind'}, got['geoip']
    pops = got['pops']
    assert list(pops) == ['lon', 'nyc', 'syd', 'fil']
    # Check defaults: interval 5 s, timeout half the interval at most 2 s,
    # rise 2, fall 3; http port 80, path /, status [200]; dns port 53,
    # qtype A; address: the PoP's first address.
    assert pops['lon'] == {
        'location': [51.5, -0.12], 'ipv4': '192.0.2.1', 'identity': 'lon',
        'check': {'type': 'http', 'interval': 5, 'timeout': 2, 'rise': 2, 'fall': 3,
                  'port': 80, 'address': '192.0.2.1', 'path': '/', 'status': [200]}}, pops['lon']
    assert pops['nyc']['check'] == {'type': 'dns', 'interval': 1, 'timeout': 0.5, 'rise': 2,
                                    'fall': 3, 'port': 53, 'address': '2001:db8::2',
                                    'qname': 'q.example.', 'qtype': 'A'}, pops['nyc']
    assert pops['syd']['check'] == {'type': 'tcp', 'interval': 3, 'timeout': 1.5, 'rise': 2,
                                    'fall': 3, 'port': 443, 'address': '192.0.2.3'}
    assert pops['fil']['check'] == {'type': 'file', 'interval': 5, 'timeout': 2, 'rise': 2,
                                    'fall': 3, 'file': os.path.join(TMP, 'state')}
    # Policy: no rules, fallback every PoP in config order.
    assert got['policy'] == {'rules': [], 'fallback': ['lon', 'nyc', 'syd', 'fil']}
    # ECS: trust all, scopes unclamped (v4 0..32, v6 0..128).
    assert got['ecs'] == {'trust': 'all', 'scope': {'ipv4': {'min': 0, 'max': 32},
                                                    'ipv6': {'min': 0, 'max': 128}}}


def test_defaults_anycast():
    got = printed('anycast:\n'
                  '  ipv4: 198.51.100.1\n'
                  '  bgp: { local_as: 65001, router_id: 10.0.0.1, prefix4: 198.51.100.0/24,\n'
                  '         peers: [{ address: 10.0.0.2, as: 64512 },\n'
                  '                 { address: "10.0.0.3:1179", as: 64512, passive_only: true }] }\n'
                  '  health: { checks: [{ type: tcp, port: 80 }, { type: http, timeout: 0.15 }] }\n'
                  'rrl: {}\n'
                  'decision_log: { path: d.jsonl }\n')
    assert got['server']['mode'] == 'anycast'
    a = got['anycast']
    bgp = a['bgp']
    # README Anycast mode: hold_time 9, graceful_restart false, backoff {1, 60}.
    assert {k: bgp[k] for k in ('hold_time', 'graceful_restart', 'backoff')} == {
        'hold_time': 9, 'graceful_restart': False, 'backoff': {'min': 1, 'max': 60}}, bgp
    # Peers: port 179, name the address, next hop self, LOCAL_PREF 100, no
    # prepend, no communities, not passive unless passive_only.
    assert bgp['peers'][0] == {
        'address': '10.0.0.2', 'as': 64512, 'port': 179, 'name': '10.0.0.2', 'passive': False,
        'passive_only': False, 'prepend': 0, 'next_hop': 'self', 'local_pref': 100,
        'communities': [], 'large_communities': []}, bgp['peers'][0]
    p1 = bgp['peers'][1]
    assert 'port' not in p1 and p1['name'] == '10.0.0.3:1179' and p1['passive'] is True, p1
    # Health: interval 1 s, fast_interval 0.2 s, rise 3, fall 2; a check's
    # timeout is the faster interval (0.2 s), its address loopback.
    h = a['health']
    assert {k: h[k] for k in ('interval', 'fast_interval', 'rise', 'fall')} == {
        'interval': 1, 'fast_interval': 0.2, 'rise': 3, 'fall': 2}, h
    assert h['checks'][0] == {'type': 'tcp', 'timeout': 0.2, 'port': 80,
                              'address': '127.0.0.1'}, h['checks'][0]
    assert h['checks'][1] == {'type': 'http', 'timeout': 0.15, 'port': 80,
                              'address': '127.0.0.1', 'path': '/', 'status': [200]}
    assert a['linger'] == 2
    # README Cookies and RRL: rate 20, slip 2, window 15, prefixes 24 and 56.
    assert got['rrl'] == {'enabled': True, 'rate': 20, 'slip': 2, 'window': 15,
                          'ipv4_prefix': 24, 'ipv6_prefix': 56}, got['rrl']
    assert got['decision_log'] == {'path': os.path.join(TMP, 'd.jsonl'), 'sample': 1}


def test_defaults_short_check_interval():
    """A check's timeout defaults to half its interval, in whole milliseconds
    (0.101 s -> 50 ms), which must still load when written out."""
    db = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    got = printed('geoip: { databases: %s }\npops:\n  a: { location: [1, 2], ipv4: 192.0.2.1, '
                  'check: { type: tcp, port: 1, interval: 0.101 } }\n' % H.yaml_str(db))
    assert got['pops']['a']['check']['timeout'] == 0.05, got['pops']['a']['check']


def test_defaults_short_health_interval():
    """fast_interval defaults to 0.2 s but never above the interval."""
    got = printed('anycast: { ipv4: 192.0.2.1, health: { interval: 0.1 } }\n')
    assert got['anycast']['health']['fast_interval'] == 0.1


# ---------------------------------------------------------------------------
# names and keys

def test_reserved_pop_names():
    db = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    for name in ('geodns', 'anycast', 'ab', 'all', 'none', 'self', 'default', 'auto', 'GeoDNS',
                 'ALL'):
        path = write('r.yaml', 'geoip: { databases: %s }\npops:\n  %s: { location: [1, 2], '
                     'ipv4: 192.0.2.1 }\n' % (H.yaml_str(db), name))
        rc, out, err = checkconf(path)
        want = '%s:3:3: PoP name \'%s\' is reserved' % (path, name)
        assert rc == 1 and err.startswith(want), (name, err)
    # Near misses are fine names.
    path = write('r.yaml', 'geoip: { databases: %s }\npops:\n  geodns1: { location: [1, 2], '
                 'ipv4: 192.0.2.1 }\n  abc: { location: [1, 2], ipv4: 192.0.2.2 }\n'
                 % H.yaml_str(db))
    rc, out, err = checkconf(path)
    assert rc == 0, err


def test_unknown_key_suggestion_from_the_command():
    path = write('u.yaml', 'server:\n  listn: 127.0.0.1\n')
    rc, out, err = checkconf(path)
    assert rc == 1 and err.strip() == "%s:2:3: unknown key 'listn' in server; did you mean " \
        "'listen'?" % path, err


def test_print_of_a_bad_config_fails():
    path = write('b.yaml', 'server: { edns_payload: 100 }\n')
    rc, out, err = checkconf(path, '--print')
    assert rc == 1 and out == '' and err.startswith(path + ':1:25: edns_payload: 100 out of range'), \
        (rc, out, err)


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--write-readme':
        write_readme(os.path.abspath(sys.argv[2]))
        sys.exit(0)
    print('usage: test_schema.py --write-readme STEERDNS_BINARY', file=sys.stderr)
    sys.exit(2)
