"""test_cli: the command line: --help, --version, checkconf, serve, bad subcommands."""

import os
import re
import subprocess
import time

import harness as H

ORIGIN = 'example.test.'
SOA = {'mname': 'ns1', 'rname': 'hostmaster', 'serial': 1, 'refresh': 3600,
       'retry': 900, 'expire': 1209600, 'minimum': 300}
GOOD = [('@', {'NS': ['ns1'], 'MX': '10 mail'}), ('ns1', {'A': '192.0.2.53'}),
        ('mail', {'A': '192.0.2.25'}), ('www', {'A': ['192.0.2.1', '192.0.2.2'], 'ttl': 300})]

BIN = None
DIRS = []


def setup_module(binary):
    global BIN
    BIN = binary


def teardown_module():
    for d in DIRS:
        d.cleanup()


def run(*args, cwd=None, timeout=10):
    p = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=timeout, cwd=cwd)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def make(zone_text=None, **server):
    s = H.Steerdns(BIN, [('example.test.yaml', zone_text or H.zone_yaml(ORIGIN, 3600, SOA, GOOD))],
                   server=server or None)
    DIRS.append(s)
    return s


def expect_error_at(path, rc, err, line=None):
    """checkconf failed with exit 1 and a line starting 'path:LINE:COL: '."""
    assert rc == 1, 'exit %d, want 1; stderr:\n%s' % (rc, err)
    pat = re.compile(r'^' + re.escape(path) + r':(\d+):(\d+): \S')
    hits = [pat.match(ln) for ln in err.splitlines()]
    hits = [h for h in hits if h]
    assert hits, 'no line starting with "%s:LINE:COL: " on stderr:\n%s' % (path, err)
    if line is not None:
        assert int(hits[0].group(1)) == line, 'error reported at line %s, the error is on line %d:\n%s' % (
            hits[0].group(1), line, err)
    assert int(hits[0].group(2)) >= 1, 'column must be 1-based: %s' % err


def test_help():
    rc, out, err = run('--help')
    assert rc == 0, '--help exit %d: %s' % (rc, err)
    text = out + err
    assert 'serve' in text and 'checkconf' in text, '--help does not mention serve/checkconf:\n%s' % text


def test_version():
    rc, out, err = run('--version')
    assert rc == 0, '--version exit %d: %s' % (rc, err)
    assert re.search(r'\d+\.\d+', out + err), '--version printed no version: %r' % (out + err)


def test_checkconf_ok():
    s = make()
    rc, out, err = run('checkconf', '-c', s.config)
    assert rc == 0, 'checkconf of a good config: exit %d\n%s' % (rc, err)
    # Zone paths are relative to the config's directory, not the cwd.
    rc, out, err = run('checkconf', '-c', s.config, cwd='/')
    assert rc == 0, 'checkconf from cwd=/ (relative zone path): exit %d\n%s' % (rc, err)


def test_shipped_examples_load():
    """The example configs in config/ are what users copy: they must load.
    (geodns-example.yaml names DBs that are not shipped; test_geo_config
    loads it with the test DBs substituted.)"""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for name in ('example.yaml', 'anycast-example.yaml'):
        path = os.path.join(repo, 'config', name)
        rc, out, err = run('checkconf', '-c', path, cwd='/')
        assert rc == 0 and 'OK' in out, 'checkconf %s: exit %d\n%s' % (name, rc, err)


def test_checkconf_options_only_for_checkconf():
    """--print and --schema-markdown belong to checkconf: usage error elsewhere."""
    for cmd in ('serve', 'lookup'):
        rc, out, err = run(cmd, '-c', '/nonexistent.yaml', '--print')
        assert rc == 2 and '--print is an option of checkconf' in err, (cmd, rc, err)
    rc, out, err = run('checkconf', '--schema-markdown')
    assert rc == 0 and out.startswith('| key | type | default | range | description |'), (rc, err)


def test_checkconf_yaml_syntax_error():
    s = make()
    lines = s.config_text.splitlines()
    idx = [i for i, ln in enumerate(lines) if ln.startswith('  workers:')][0]
    lines[idx] = '  workers: [2'
    lines.insert(idx + 1, '  ]]]: :')
    with open(s.config, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    rc, out, err = run('checkconf', '-c', s.config)
    expect_error_at(s.config, rc, err)


def test_checkconf_bad_a_record():
    text = H.zone_yaml(ORIGIN, 3600, SOA, GOOD).replace('"192.0.2.25"', '"192.0.2.256"')
    line = [i + 1 for i, ln in enumerate(text.splitlines()) if '192.0.2.256' in ln][0]
    s = make(text)
    rc, out, err = run('checkconf', '-c', s.config)
    expect_error_at(s.zone_paths[0], rc, err, line)


def test_checkconf_bad_values():
    cases = [
        ('edns_payload 100', {'edns_payload': 100}),
        ('listen garbage', None),
        ('unknown server key', None),
    ]
    for what, server in cases:
        s = make(**(server or {}))
        if what == 'listen garbage':
            text = re.sub(r'listen: \[.*\]', 'listen: ["not-an-address:99999"]', s.config_text)
        elif what == 'unknown server key':
            text = s.config_text.replace('server:\n', 'server:\n  no_such_option: 1\n')
        else:
            text = s.config_text
        with open(s.config, 'w') as f:
            f.write(text)
        bad_line = None
        for i, ln in enumerate(text.splitlines()):
            if ('edns_payload: 100' in ln or 'not-an-address' in ln or 'no_such_option' in ln):
                bad_line = i + 1
        rc, out, err = run('checkconf', '-c', s.config)
        try:
            expect_error_at(s.config, rc, err, bad_line)
        except AssertionError as e:
            raise AssertionError('%s: %s' % (what, e))


def test_checkconf_missing_zone_and_file():
    s = make()
    with open(s.config, 'a') as f:
        f.write('  - no-such-zone.yaml\n')
    rc, out, err = run('checkconf', '-c', s.config)
    assert rc == 1, 'missing zone file: exit %d\n%s' % (rc, err)
    assert 'no-such-zone.yaml' in err, 'the missing zone file is not named on stderr:\n%s' % err
    rc, out, err = run('checkconf', '-c', '/nonexistent/steerdns.yaml')
    assert rc == 1 and '/nonexistent/steerdns.yaml' in err, \
        'missing config: exit %d, stderr:\n%s' % (rc, err)


def test_serve_bad_config_exits():
    s = make()
    with open(s.config, 'w') as f:
        f.write(s.config_text.replace('  workers: 2', '  workers: "2'))
    p = subprocess.Popen([BIN, 'serve', '-c', s.config], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    H._PROCS.append(p)
    try:
        try:
            out, err = p.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            raw = H.udp_exchange('127.0.0.1', s.port, H.build_query('www.example.test'), 0.3)
            raise AssertionError('serve with a broken config still running after 5 s (%s)' %
                                 ('and answering!' if raw else 'not answering'))
        assert p.returncode != 0, 'serve with a broken config exited 0'
        assert re.search(re.escape(s.config) + r':\d+:\d+:', err.decode('utf-8', 'replace')), \
            'serve did not report file:line:col:\n%s' % err.decode('utf-8', 'replace')
        raw = H.udp_exchange('127.0.0.1', s.port, H.build_query('www.example.test'), 0.3)
        assert raw is None, 'something answered on the port of a failed serve'
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        H._PROCS.remove(p)


def test_serve_starts_and_logs_ready():
    s = make()
    s.start()
    try:
        assert wait_ready(s), 'no "ready" line on stderr:\n%s' % s.stderr()
        m = s.query('www.example.test', 'A')
        assert m.rcode == 0 and len(m.answer) == 2, 'serve answered %r' % m
    finally:
        rc = s.stop()
    assert rc == 0, 'SIGTERM exit status %s' % rc


def wait_ready(s, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if 'ready' in s.stderr():
            return True
        time.sleep(0.05)
    return False


def test_unknown_subcommand_and_no_args():
    rc, out, err = run('frobnicate')
    assert rc != 0, 'unknown subcommand exited 0'
    rc, out, err = run()
    assert rc != 0, 'no arguments exited 0'
    rc, out, err = run('checkconf', '-c')
    assert rc != 0, '"checkconf -c" without a file exited 0'
