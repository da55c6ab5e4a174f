"""test_systemd: what steerdns needs to run under systemd.

  * `make install` into a temp prefix puts the binary, the unit and both
    man pages in place; `systemd-analyze verify` accepts the unit with no
    message at all; `groff -ww` finds nothing to warn about in the pages;
  * the readiness protocol, read from a datagram socket this test binds as
    $NOTIFY_SOCKET (what systemd does): READY=1 once the server answers,
    RELOADING=1 then READY=1 on SIGHUP and on `ctl reload`, STOPPING=1 on
    SIGTERM;
  * with $JOURNAL_STREAM naming stderr's device:inode every log line starts
    with its syslog priority (<3> error ... <6> info), and with another
    device:inode lines keep their timestamps;
  * server.user while not root is one clear error (as nobody, when root).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import harness as H
from harness import Skip

BIN = None
REPO = None


def setup_module(binary):
    global BIN, REPO
    BIN = binary
    REPO = H.repo_root()


def test_install_unit_verifies_and_man_pages():
    d = tempfile.mkdtemp(prefix='steerdns-inst-')
    try:
        r = subprocess.run(['make', '-s', 'install', 'PREFIX=%s/usr' % d, 'SYSCONFDIR=%s/etc' % d,
                            'UNITDIR=%s/unit' % d], cwd=REPO, capture_output=True, timeout=600)
        assert r.returncode == 0, r.stderr.decode()[-2000:]
        for f in ('usr/sbin/steerdns', 'unit/steerdns.service', 'usr/share/man/man8/steerdns.8',
                  'usr/share/man/man5/steerdns.yaml.5', 'etc/steerdns/steerdns.yaml'):
            assert os.path.exists(os.path.join(d, f)), f
        unit = open(os.path.join(d, 'unit/steerdns.service')).read()
        assert 'Type=notify' in unit
        assert re.search(r'^ExecReload=%s/usr/sbin/steerdns ctl -c %s/etc/steerdns/steerdns.yaml reload$'
                         % (re.escape(d), re.escape(d)), unit, re.M), unit
        for k in ('RuntimeDirectory=steerdns', 'StateDirectory=steerdns', 'LogsDirectory=steerdns',
                  'DynamicUser=yes'):
            assert k in unit, k
        if not shutil.which('systemd-analyze'):
            raise Skip('systemd-analyze not installed')
        r = subprocess.run(['systemd-analyze', 'verify', os.path.join(d, 'unit/steerdns.service')],
                           capture_output=True, timeout=60)
        msg = (r.stdout + r.stderr).decode()
        assert r.returncode == 0 and not msg.strip(), 'systemd-analyze verify: %s' % msg
        if shutil.which('groff'):
            for page in ('usr/share/man/man8/steerdns.8', 'usr/share/man/man5/steerdns.yaml.5'):
                r = subprocess.run(['groff', '-man', '-Tutf8', '-ww', '-z', os.path.join(d, page)],
                                   capture_output=True, timeout=60)
                assert r.returncode == 0 and not r.stderr, (page, r.stderr.decode())
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _recv_until(sock, want, timeout=10):
    """Datagrams until one holds every KEY=VALUE line of want."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            break
        seen.append(msg)
        if all(w in msg.split('\n') for w in want):
            return seen
    raise AssertionError('no notification with %s; got %r' % (want, seen))


def test_sd_notify_ready_reloading_stopping():
    d = tempfile.mkdtemp(prefix='steerdns-notify-')
    path = os.path.join(d, 'notify')
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(path)
    srv = H.Steerdns(BIN, [('t.test.yaml', H.geo_zone_yaml('t.test.', steered=()))],
                     extra_config='control: { socket: ctl.sock, state: admin-state }\n')
    old = os.environ.get('NOTIFY_SOCKET')
    os.environ['NOTIFY_SOCKET'] = path
    try:
        srv.start()
        os.environ.pop('NOTIFY_SOCKET')
        _recv_until(ns, ['READY=1'])
        # READY=1 came after the server answered: it answers now.
        assert srv.query('t.test', 'SOA').rcode == 0
        srv.proc.send_signal(signal.SIGHUP)
        seen = _recv_until(ns, ['READY=1'])
        assert any('RELOADING=1' in m.split('\n') for m in seen), seen
        r = subprocess.run([BIN, 'ctl', '-c', srv.config, 'reload'], capture_output=True, timeout=30)
        assert r.returncode == 0, r.stderr.decode()
        seen = _recv_until(ns, ['READY=1'])
        assert any('RELOADING=1' in m.split('\n') for m in seen), seen
        srv.proc.send_signal(signal.SIGTERM)
        _recv_until(ns, ['STOPPING=1'])
        srv.proc.wait(10)
    finally:
        if old is not None:
            os.environ['NOTIFY_SOCKET'] = old
        else:
            os.environ.pop('NOTIFY_SOCKET', None)
        srv.cleanup()
        ns.close()
        shutil.rmtree(d, ignore_errors=True)


def _failing_serve_stderr(env_stream):
    """stderr of a `steerdns serve` that fails at start (its control socket's
    directory does not exist), as journald would get it."""
    d = tempfile.mkdtemp(prefix='steerdns-journal-')
    try:
        errpath = os.path.join(d, 'stderr')
        cfg = os.path.join(d, 'c.yaml')
        with open(cfg, 'w') as f:
            f.write('server:\n  listen: ["127.0.0.1:%d"]\n'
                    'control:\n  socket: /nonexistent-dir/ctl.sock\n' % H.free_port(False))
        with open(errpath, 'w') as ef:
            st = os.fstat(ef.fileno())
            stream = env_stream(st)
            env = dict(os.environ, JOURNAL_STREAM=stream)
            p = subprocess.Popen([BIN, 'serve', '-c', cfg], stderr=ef, env=env)
            p.wait(20)
        with open(errpath) as f:
            return f.read()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_journal_priorities():
    out = _failing_serve_stderr(lambda st: '%d:%d' % (st.st_dev, st.st_ino))
    lines = [l for l in out.splitlines() if l]
    assert re.search(r'^<3>error control: control socket /nonexistent-dir/ctl\.sock: ', out, re.M), out
    assert re.search(r'^<6>info server: listening on ', out, re.M), out
    for l in lines:
        assert re.match(r'^<[3467]>(error|warning|info|debug) ', l), l
        prio = {'error': '3', 'warning': '4', 'info': '6', 'debug': '7'}[l[3:].split()[0]]
        assert l[1] == prio, l
    other = _failing_serve_stderr(lambda st: '%d:%d' % (st.st_dev, st.st_ino + 1))
    assert not re.search(r'^<\d>', other, re.M), other


def test_journal_priority_on_a_running_server():
    d = tempfile.mkdtemp(prefix='steerdns-journal-')
    srv = H.Steerdns(BIN, [('t.test.yaml', H.geo_zone_yaml('t.test.', steered=()))])
    errpath = os.path.join(d, 'stderr')
    try:
        with open(errpath, 'w') as ef:
            st = os.fstat(ef.fileno())
            env = dict(os.environ, JOURNAL_STREAM='%d:%d' % (st.st_dev, st.st_ino))
            p = subprocess.Popen([BIN, 'serve', '-c', srv.config], stderr=ef, env=env)
            time.sleep(1.0)
            p.send_signal(signal.SIGTERM)
            p.wait(10)
        text = open(errpath).read()
        assert re.search(r'^<6>info server: listening on 127\.0\.0\.1:%d' % srv.port, text, re.M), text
        assert re.search(r'^<6>info server: stopped$', text, re.M), text
    finally:
        srv.cleanup()
        shutil.rmtree(d, ignore_errors=True)


def test_user_without_root_is_a_clear_error():
    if os.geteuid() != 0 or not shutil.which('setpriv'):
        raise Skip('needs root (to run the server as nobody) and setpriv')
    srv = H.Steerdns(BIN, [('t.test.yaml', H.geo_zone_yaml('t.test.', steered=()))],
                     server={'user': 'daemon'})
    try:
        os.chmod(srv.dir, 0o755)
        for f in os.listdir(srv.dir):
            os.chmod(os.path.join(srv.dir, f), 0o644)
        r = subprocess.run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups',
                            BIN, 'serve', '-c', srv.config], capture_output=True, timeout=30)
        err = r.stderr.decode()
        assert r.returncode == 1, (r.returncode, err)
        assert 'server.user is set but steerdns was not started as root' in err, err
    finally:
        srv.cleanup()
