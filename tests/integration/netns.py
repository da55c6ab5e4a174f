"""netns.py: network namespaces, veth pairs, BIRD 2 and GoBGP for the
anycast interop tests (test_bgp_interop.py).

Python 3 standard library only; needs root and iproute2. Everything made
here is registered for teardown: Topology.close() (also run at exit) kills
the daemons it started (by pid), deletes its namespaces (which destroys the
veth ends inside them) and removes its temp dirs.

Sockets "inside" a namespace are made by switching the calling thread into
it with setns(2) just for the socket() call: a socket stays in the network
namespace it was created in, so the test process can talk to daemons in
other namespaces without forking a helper per query. Traffic only ever goes
to addresses inside namespaces made here.
"""

import atexit
import ctypes
import ctypes.util
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import harness
from harness import Skip

CLONE_NEWNET = 0x40000000
TCP_MD5SIG = 14

_libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6', use_errno=True)
_ns_lock = threading.Lock()
_TOPOS = []


def require_root_netns():
    """Raise Skip unless we can make namespaces (root, `ip netns`, setns)."""
    if os.geteuid() != 0:
        raise Skip('needs root for network namespaces (euid %d)' % os.geteuid())
    if not shutil.which('ip'):
        raise Skip('iproute2 (ip) not installed')
    name = 'sd-probe-%d' % os.getpid()
    r = subprocess.run(['ip', 'netns', 'add', name], capture_output=True, text=True)
    if r.returncode != 0:
        raise Skip('`ip netns add` unavailable: %s' % r.stderr.strip())
    subprocess.run(['ip', 'netns', 'del', name], capture_output=True)


def sh(args, check=True, timeout=10, ns=None):
    """Run a command (in ns when given); returns CompletedProcess with text output."""
    if ns is not None:
        args = ['ip', 'netns', 'exec', ns] + list(args)
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError('%s failed (%d): %s%s' % (' '.join(args), r.returncode,
                                                      r.stdout, r.stderr))
    return r


def ns_socket(ns, family, type_, proto=0):
    """A socket created inside network namespace ns (None = ours)."""
    if ns is None:
        return socket.socket(family, type_, proto)
    with _ns_lock:
        own = os.open('/proc/thread-self/ns/net', os.O_RDONLY)
        target = os.open('/var/run/netns/' + ns, os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, 'setns(%s): %s' % (ns, os.strerror(e)))
            try:
                return socket.socket(family, type_, proto)
            finally:
                if _libc.setns(own, CLONE_NEWNET) != 0:
                    # Staying in the wrong namespace would poison every later test.
                    os._exit(99)
        finally:
            os.close(own)
            os.close(target)


def _fam(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def udp_exchange(ns, addr, port, msg, timeout=1.0):
    """harness.udp_exchange from inside ns: the raw reply or None."""
    with ns_socket(ns, _fam(addr), socket.SOCK_DGRAM) as s:
        try:
            s.sendto(msg, (addr, port))
        except OSError:
            return None   # e.g. ENETUNREACH while the route is gone
        return harness.udp_recv_reply(s, msg, timeout, quiet=(socket.timeout, OSError),
                                      strict_id=True)


def dns_query(ns, addr, port, qname, qtype='A', timeout=1.0, **kw):
    """One UDP query from inside ns; decoded harness.Msg or None on no answer."""
    q = harness.build_query(qname, qtype, **kw)
    raw = udp_exchange(ns, addr, port, q, timeout)
    return harness.decode(raw) if raw is not None else None


def nsid_of(m):
    """The NSID option text of a decoded reply, or None."""
    if m is None or not m.opt:
        return None
    for code, val in m.opt['options']:
        if code == harness.OPT_NSID:
            return val.decode('ascii', 'replace')
    return None


def nsid_query(ns, addr, port, qname, qtype='A', timeout=0.5):
    """(Msg or None, NSID text or None) for a query asking for NSID (RFC 5001)."""
    m = dns_query(ns, addr, port, qname, qtype, timeout=timeout, options=[(harness.OPT_NSID, b'')])
    return m, nsid_of(m)


class TcpPort:
    """A TCP listener inside ns that a health check can connect to; close()
    makes the check fail (connection refused), open() brings it back."""

    def __init__(self, ns, addr, port):
        self.ns, self.addr, self.port = ns, addr, port
        self.sock = None

    def open(self):
        if self.sock is None:
            s = ns_socket(self.ns, _fam(self.addr), socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((self.addr, self.port))
            s.listen(64)
            self.sock = s
            # Accept and drop, so the backlog never fills up.
            threading.Thread(target=self._drain, args=(s,), daemon=True).start()
        return self

    @staticmethod
    def _drain(s):
        while True:
            try:
                c, _ = s.accept()
                c.close()
            except OSError:
                return

    def close(self):
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.sock = None


def kernel_has_md5(ns=None):
    """True when setsockopt(TCP_MD5SIG) works here (CONFIG_TCP_MD5SIG)."""
    s = ns_socket(ns, socket.AF_INET, socket.SOCK_STREAM)
    try:
        # struct tcp_md5sig: sockaddr_storage(128), flags u8, prefixlen u8,
        # keylen u16, ifindex i32, key[80].
        addr = struct.pack('=HH4s', socket.AF_INET, 0, socket.inet_aton('127.0.0.1')).ljust(128, b'\0')
        opt = addr + struct.pack('=BBHi', 0, 0, 4, 0) + b'test'.ljust(80, b'\0')
        s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, opt)
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_until(fn, timeout, step=0.05, what='condition'):
    """Poll fn() until truthy; returns (value, seconds waited). Raises on timeout."""
    t0 = time.monotonic()
    while True:
        v = fn()
        if v:
            return v, time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise AssertionError('timed out after %.1fs waiting for %s' % (timeout, what))
        time.sleep(step)


# ---------------------------------------------------------------------------
# Topology

class Topology:
    """Namespaces and veth pairs owned by one test; close() removes them all."""

    def __init__(self, tag):
        self.tag = tag
        self.namespaces = []
        self.daemons = []       # objects with .stop()
        self.dirs = []
        self._n_links = 0
        _TOPOS.append(self)

    def netns(self, role):
        """Create netns sd-<role>-<pid> with lo up; returns its name."""
        name = 'sd-%s-%d' % (role, os.getpid())
        sh(['ip', 'netns', 'del', name], check=False)   # stale from a crashed run
        sh(['ip', 'netns', 'add', name])
        self.namespaces.append(name)
        sh(['ip', 'link', 'set', 'lo', 'up'], ns=name)
        # No DAD: addresses are usable at once, no 1-2 s "tentative" wait.
        sh(['sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0'], ns=name, check=False)
        sh(['sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0'], ns=name, check=False)
        return name

    def veth(self, ns_a, ns_b, v4_a, v4_b, v6_a=None, v6_b=None, plen4=30, plen6=64):
        """A veth pair between ns_a and ns_b with the given addresses; returns
        (ifname in a, ifname in b)."""
        self._n_links += 1
        ia = 'v%da%d' % (self._n_links, os.getpid() % 100000)
        ib = 'v%db%d' % (self._n_links, os.getpid() % 100000)
        ia, ib = ia[:15], ib[:15]
        sh(['ip', 'link', 'add', ia, 'netns', ns_a, 'type', 'veth', 'peer', 'name', ib, 'netns', ns_b])
        for ns, ifn, a4, a6 in ((ns_a, ia, v4_a, v6_a), (ns_b, ib, v4_b, v6_b)):
            sh(['ip', 'addr', 'add', '%s/%d' % (a4, plen4), 'dev', ifn], ns=ns)
            if a6:
                sh(['ip', '-6', 'addr', 'add', '%s/%d' % (a6, plen6), 'dev', ifn, 'nodad'], ns=ns)
            sh(['ip', 'link', 'set', ifn, 'up'], ns=ns)
        # Packets sent before linkwatch marks the carrier up (operstate UP,
        # up to ~1 s later) are dropped: wait, so no first SYN/ARP/NS is lost.
        for ns, ifn in ((ns_a, ia), (ns_b, ib)):
            wait_until(lambda: ' state UP ' in sh(['ip', '-o', 'link', 'show', 'dev', ifn], ns=ns).stdout,
                       3, step=0.02, what='%s operstate UP' % ifn)
        if v6_a and v6_b:
            self._settle_v6(ns_a, ia, v6_b)
            self._settle_v6(ns_b, ib, v6_a)
        return ia, ib

    @staticmethod
    def _settle_v6(ns, ifn, peer, timeout=3.0):
        """Wait until ifn's link-local is no longer tentative and the peer's
        neighbour entry resolves: else the first SYN to it is lost and the
        connect costs a 1 s retransmission."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if not sh(['ip', '-6', 'addr', 'show', 'dev', ifn, 'tentative'], ns=ns).stdout.strip():
                break
            time.sleep(0.02)
        while time.monotonic() - t0 < timeout:
            with ns_socket(ns, socket.AF_INET6, socket.SOCK_DGRAM) as s:
                try:
                    s.sendto(b'', (peer, 9))     # discard port: only to trigger ND
                except OSError:
                    pass
            time.sleep(0.02)
            out = sh(['ip', '-6', 'neigh', 'show', peer, 'dev', ifn], ns=ns).stdout
            if 'lladdr' in out:
                return

    def tempdir(self, prefix):
        d = tempfile.mkdtemp(prefix=prefix)
        self.dirs.append(d)
        return d

    def add(self, daemon):
        self.daemons.append(daemon)
        return daemon

    def close(self):
        for d in reversed(self.daemons):
            try:
                d.stop()
            except Exception:  # noqa: BLE001 - teardown must go on
                pass
        self.daemons = []
        for ns in self.namespaces:
            # Anything still running in it (a daemon we lost track of) by pid.
            r = sh(['ip', 'netns', 'pids', ns], check=False)
            for pid in r.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            sh(['ip', 'netns', 'del', ns], check=False)
        self.namespaces = []
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        self.dirs = []
        if self in _TOPOS:
            _TOPOS.remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _close_all():
    for t in list(_TOPOS):
        t.close()


atexit.register(_close_all)


class _Proc:
    """A daemon in a namespace with its output collected."""

    def __init__(self, args, ns, name):
        self.name = name
        self.ns = ns
        self.proc = subprocess.Popen(['ip', 'netns', 'exec', ns] + list(args),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        # `ip netns exec` execs the command, so proc.pid is the daemon's pid.
        self.pid = self.proc.pid
        self.out = harness._StderrCollector(self.proc.stdout)
        self.out.start()

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, timeout=5):
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGCONT)
                os.kill(self.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(2)
        return self.proc.returncode


# ---------------------------------------------------------------------------
# BIRD 2

class BirdPeer:
    """One `protocol bgp` in the BIRD config."""

    def __init__(self, name, neighbor, remote_as, local_addr=None, hold=None,
                 password=None, export=None, extra=''):
        self.name, self.neighbor, self.remote_as = name, neighbor, remote_as
        self.local_addr, self.hold, self.password = local_addr, hold, password
        self.export = export      # None: export none; else a filter body per channel
        self.extra = extra

    def text(self, local_as):
        lines = ['protocol bgp %s {' % self.name,
                 '  local %sas %d;' % ((self.local_addr + ' ') if self.local_addr else '', local_as),
                 '  neighbor %s as %d;' % (self.neighbor, self.remote_as)]
        if self.hold is not None:
            lines.append('  hold time %d;' % self.hold)
            lines.append('  keepalive time %d;' % max(1, self.hold // 3))
        if self.password:
            lines.append('  password "%s";' % self.password)
        # Retry our own outgoing connects quickly (steerdns also connects in).
        lines.append('  connect delay time 1;')
        lines.append('  connect retry time 2;')
        lines.append('  error wait time 1, 2;')
        if self.extra:
            lines.append('  ' + self.extra)
        exp = 'none' if self.export is None else self.export
        lines.append('  ipv4 { import all; export %s; };' % exp)
        lines.append('  ipv6 { import all; export %s; };' % exp)
        lines.append('}')
        return '\n'.join(lines)


class Bird:
    """BIRD 2 in the foreground inside ns, config/socket/log in a temp dir."""

    def __init__(self, topo, ns, router_id, local_as, peers, kernel=False, static=()):
        self.bird = harness.tool('bird')
        self.birdc = harness.tool('birdc')
        self.topo, self.ns = topo, ns
        self.router_id, self.local_as = router_id, local_as
        self.peers = list(peers)
        self.kernel = kernel
        self.static = list(static)    # IPv4 prefixes to originate (harness self-test)
        self.dir = topo.tempdir('bird-it-')
        self.conf = os.path.join(self.dir, 'bird.conf')
        self.sock = os.path.join(self.dir, 'bird.ctl')
        self.pidfile = os.path.join(self.dir, 'bird.pid')
        self.log = os.path.join(self.dir, 'bird.log')
        self.p = None
        self.write_conf()
        topo.add(self)

    def write_conf(self):
        out = ['log "%s" all;' % self.log,
               'router id %s;' % self.router_id,
               'debug protocols { states, events };',
               'protocol device { scan time 1; }',
               'protocol direct { ipv4; ipv6; }']
        if self.kernel:
            out.append('protocol kernel { ipv4 { import none; export all; }; learn off; scan time 1; }')
            out.append('protocol kernel { ipv6 { import none; export all; }; learn off; scan time 1; }')
        if self.static:
            out.append('protocol static { ipv4; %s }' %
                       ' '.join('route %s blackhole;' % p for p in self.static))
        for p in self.peers:
            out.append(p.text(self.local_as))
        with open(self.conf, 'w') as f:
            f.write('\n'.join(out) + '\n')

    def start(self, timeout=5):
        r = sh([self.bird, '-p', '-c', self.conf], check=False)
        if r.returncode != 0:
            raise AssertionError('bird config rejected: %s%s\n%s' % (r.stdout, r.stderr, open(self.conf).read()))
        self.p = _Proc([self.bird, '-f', '-c', self.conf, '-s', self.sock, '-P', self.pidfile],
                       self.ns, 'bird')
        wait_until(lambda: os.path.exists(self.sock) or not self.p.alive(), timeout, what='bird socket')
        if not self.p.alive():
            raise AssertionError('bird exited: %s' % self.p.out.text())
        return self

    def stop(self):
        if self.p is not None:
            self.p.stop()
            self.p = None
        try:
            os.unlink(self.sock)
        except OSError:
            pass

    def restart(self):
        self.stop()
        return self.start()

    def alive(self):
        return self.p is not None and self.p.alive()

    def cmd(self, *words):
        r = sh([self.birdc, '-s', self.sock] + list(words), check=False, timeout=10)
        return r.stdout + r.stderr

    def routes(self):
        """`show route all` parsed: {prefix: [route dict]} over both tables.

        A route dict has proto, primary (bool), via, as_path (list of ints),
        next_hop (list of str), communities (set of (a, b)), large
        (set of (g, l1, l2)), med, local_pref, origin, raw (text)."""
        text = self.cmd('show', 'route', 'all')
        res = {}
        cur = None
        prefix = None
        for line in text.splitlines():
            if line.startswith('Table ') or not line.strip() or line.startswith('BIRD '):
                cur = prefix = None
                continue
            m = re.match(r'^(\S+/\d+)\s+(\S+)\s+\[(\S+)\s.*?\](\s\*)?', line)
            m2 = re.match(r'^\s+(unicast|blackhole|unreachable)\s+\[(\S+)\s.*?\](\s\*)?', line)
            if m:
                prefix = m.group(1)
                cur = self._new_route(m.group(3), bool(m.group(4)), line)
                res.setdefault(prefix, []).append(cur)
                continue
            if m2 and prefix:
                cur = self._new_route(m2.group(2), bool(m2.group(3)), line)
                res.setdefault(prefix, []).append(cur)
                continue
            if cur is None:
                continue
            cur['raw'] += '\n' + line
            s = line.strip()
            mv = re.match(r'via (\S+)', s)
            if mv:
                cur['via'] = mv.group(1)
            if s.startswith('BGP.as_path:'):
                cur['as_path'] = [int(x) for x in re.findall(r'\d+', s.split(':', 1)[1])]
            elif s.startswith('BGP.next_hop:'):
                cur['next_hop'] = s.split(':', 1)[1].split()
            elif s.startswith('BGP.community:'):
                cur['communities'] = {(int(a), int(b)) for a, b in re.findall(r'\((\d+),\s*(\d+)\)', s)}
            elif s.startswith('BGP.large_community:'):
                cur['large'] = {(int(a), int(b), int(c)) for a, b, c in
                                re.findall(r'\((\d+),\s*(\d+),\s*(\d+)\)', s)}
            elif s.startswith('BGP.med:'):
                cur['med'] = int(s.split(':', 1)[1])
            elif s.startswith('BGP.local_pref:'):
                cur['local_pref'] = int(s.split(':', 1)[1])
            elif s.startswith('BGP.origin:'):
                cur['origin'] = s.split(':', 1)[1].strip()
        return res

    @staticmethod
    def _new_route(proto, primary, line):
        return {'proto': proto, 'primary': primary, 'via': None, 'as_path': None,
                'next_hop': [], 'communities': set(), 'large': set(), 'med': None,
                'local_pref': None, 'origin': None, 'raw': line}

    def route(self, prefix, proto=None):
        """The route for prefix (from proto when given), or None."""
        for r in self.routes().get(prefix, []):
            if proto is None or r['proto'] == proto:
                return r
        return None

    def wait_route(self, prefix, present=True, proto=None, timeout=10, step=0.05):
        """Wait until prefix is (or is no longer) in the table; returns
        (route or None, seconds)."""
        t0 = time.monotonic()
        while True:
            r = self.route(prefix, proto)
            if (r is not None) == present:
                return r, time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise AssertionError('%s %s %s after %.1fs; routes:\n%s\nprotocols:\n%s' % (
                    prefix, 'not in BIRD' if present else 'still in BIRD',
                    '(proto %s)' % proto if proto else '', timeout,
                    self.cmd('show', 'route', 'all'), self.cmd('show', 'protocols', 'all')))
            time.sleep(step)

    def proto_state(self, name):
        """(state, info) of protocol name from `show protocols`, e.g. ('up', 'Established')."""
        for line in self.cmd('show', 'protocols').splitlines():
            f = line.split()
            if f and f[0] == name and len(f) >= 4:
                return f[3], ' '.join(f[5:]) if len(f) > 5 else ''
        return None, ''

    def wait_established(self, name, timeout=10):
        return wait_until(lambda: 'Established' in self.proto_state(name)[1], timeout,
                          what='BIRD protocol %s Established; %s' % (name, name))[1]

    def log_text(self):
        try:
            with open(self.log, errors='replace') as f:
                return f.read()
        except OSError:
            return ''


# ---------------------------------------------------------------------------
# GoBGP

class Gobgp:
    """gobgpd inside ns with a TOML config; its gRPC API on 127.0.0.1:api_port
    inside that namespace (so the `gobgp` client runs there too)."""

    def __init__(self, topo, ns, router_id, local_as, neighbors, api_port=50051):
        """neighbors: [(address, remote_as)]."""
        self.gobgpd = harness.tool('gobgpd')
        self.gobgp = harness.tool('gobgp')
        self.topo, self.ns = topo, ns
        self.api_port = api_port
        self.dir = topo.tempdir('gobgp-it-')
        self.conf = os.path.join(self.dir, 'gobgpd.toml')
        out = ['[global.config]', '  as = %d' % local_as, '  router-id = "%s"' % router_id,
               '  port = 179', '']
        for addr, ras in neighbors:
            out += ['[[neighbors]]', '  [neighbors.config]',
                    '    neighbor-address = "%s"' % addr, '    peer-as = %d' % ras,
                    '  [neighbors.timers.config]', '    connect-retry = 1',
                    '    hold-time = 9', '    keepalive-interval = 3']
            for fam in ('ipv4-unicast', 'ipv6-unicast'):
                out += ['  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]',
                        '      afi-safi-name = "%s"' % fam]
            out.append('')
        with open(self.conf, 'w') as f:
            f.write('\n'.join(out))
        self.p = None
        topo.add(self)

    def start(self, timeout=10):
        self.p = _Proc([self.gobgpd, '-f', self.conf, '-t', 'toml', '--api-hosts',
                        '127.0.0.1:%d' % self.api_port], self.ns, 'gobgpd')
        wait_until(lambda: not self.p.alive() or self.cli('global').returncode == 0, timeout,
                   what='gobgpd API')
        if not self.p.alive():
            raise AssertionError('gobgpd exited: %s' % self.p.out.text())
        return self

    def stop(self):
        if self.p is not None:
            self.p.stop()
            self.p = None

    def cli(self, *words):
        return sh([self.gobgp, '-u', '127.0.0.1', '-p', str(self.api_port)] + list(words),
                  ns=self.ns, check=False)

    def rib(self, family='ipv4'):
        """`gobgp global rib -a family` as text."""
        r = self.cli('global', 'rib', '-a', family)
        return r.stdout + r.stderr

    def neighbor_state(self, addr):
        r = self.cli('neighbor', addr)
        m = re.search(r'BGP state = (\w+)', r.stdout)
        return m.group(1) if m else None
