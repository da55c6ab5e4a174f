"""test_privdrop: with `server.user`, every file is read as that user from the start.

The server binds as root, drops to `nobody`, then loads the configuration
again as nobody: a zone or GeoIP DB only root can read stops the start with
the file named (instead of every later SIGHUP failing while the server looks
healthy), and when everything is readable, reloads work after the drop.
Needs root (to start as root and drop); skipped otherwise, with the reason.
"""

import os
import pwd
import shutil
import signal
import subprocess
import time

import harness as H
from harness import Skip

ORIGIN = 'priv.test.'
SOA = {'mname': 'ns1', 'rname': 'hostmaster', 'serial': 1, 'refresh': 3600,
       'retry': 900, 'expire': 1209600, 'minimum': 300}
BIN = None


def setup_module(binary):
    global BIN
    BIN = binary
    if os.geteuid() != 0:
        raise Skip('needs root: starts as root and drops to nobody')
    try:
        pwd.getpwnam('nobody')
    except KeyError:
        raise Skip('no user nobody on this system')


def records(addr):
    return [('@', {'NS': ['ns1']}), ('ns1', {'A': '192.0.2.53'}), ('www', {'A': addr})]


def server(extra=''):
    s = H.Steerdns(BIN, [(ORIGIN + 'yaml', H.zone_yaml(ORIGIN, 3600, SOA, records('192.0.2.1')))],
                   server={'user': 'nobody'}, extra_config=extra)
    os.chmod(s.dir, 0o755)          # mkdtemp makes it 0700: nobody could not even look
    for f in os.listdir(s.dir):
        os.chmod(os.path.join(s.dir, f), 0o644)
    return s


def refused(s, what):
    p = subprocess.run([BIN, 'serve', '-c', s.config], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    err = p.stderr.decode()
    assert p.returncode == 1, 'exit %d with %s unreadable:\n%s' % (p.returncode, what, err)
    assert 'ready' not in err, 'said ready before refusing:\n' + err
    assert 'Permission denied' in err and 'readable by the user it runs as' in err, err
    return err


def test_unreadable_zone_refused_at_start():
    s = server()
    try:
        zone = os.path.join(s.dir, ORIGIN + 'yaml')
        os.chmod(zone, 0o600)
        err = refused(s, 'the zone')
        assert ORIGIN + 'yaml' in err, err
    finally:
        s.cleanup()


def test_unreadable_db_refused_at_start():
    db = os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb')
    s = server()
    try:
        mine = os.path.join(s.dir, 'city.mmdb')
        shutil.copy(db, mine)
        os.chmod(mine, 0o600)
        with open(s.config, 'a') as f:
            f.write(H.geo_config_yaml([mine], [('lon', 51.5, -0.12, ['192.0.2.1'], [])]))
        err = refused(s, 'the GeoIP DB')
        assert 'city.mmdb' in err, err
    finally:
        s.cleanup()


def test_readable_files_serve_and_reload_as_nobody():
    s = server()
    try:
        s.start()
        with open('/proc/%d/status' % s.proc.pid) as f:
            uid = [l.split()[1] for l in f if l.startswith('Uid:')][0]
        assert int(uid) == pwd.getpwnam('nobody').pw_uid, 'running as uid %s' % uid
        m = s.query('www.priv.test', 'A')
        assert [a[4] for a in m.answer] == ['192.0.2.1'], m
        zone = os.path.join(s.dir, ORIGIN + 'yaml')
        with open(zone, 'w') as f:
            f.write(H.zone_yaml(ORIGIN, 3600, SOA, records('192.0.2.2')))
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            m = s.query('www.priv.test', 'A')
            if m and [a[4] for a in m.answer] == ['192.0.2.2']:
                break
            time.sleep(0.05)
        assert [a[4] for a in m.answer] == ['192.0.2.2'], 'reload as nobody not served: %s' % (
            s.stderr()[-2000:])
    finally:
        s.cleanup()
