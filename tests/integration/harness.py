"""harness.py: common machinery for the steerdns integration tests.

Python 3 standard library only. It provides:
  * a tiny DNS message builder and a strict decoder (so tests can see every
    flag, every section and the OPT record exactly as sent on the wire);
  * free loopback port discovery (UDP and TCP at once);
  * Steerdns: run the server with a generated config, wait until it answers,
    collect its stderr, always stop it;
  * Knotd: run knotd in the foreground with a generated knot.conf;
  * dig/kdig wrappers whose output is parsed into rcode, flags, per-section
    sets of normalized RRs and the EDNS pseudo-section;
  * zone data as one Python structure rendered both as steerdns YAML and as
    an RFC 1035 master file, so the two servers cannot drift.
"""

import atexit
import ipaddress
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time


class Skip(Exception):
    """Raised by a test that cannot run here (missing tool, no IPv6...)."""


# ---------------------------------------------------------------------------
# DNS constants

TYPES = {
    'A': 1, 'NS': 2, 'CNAME': 5, 'SOA': 6, 'PTR': 12, 'MX': 15, 'TXT': 16,
    'AAAA': 28, 'SRV': 33, 'OPT': 41, 'DS': 43, 'IXFR': 251, 'AXFR': 252,
    'ANY': 255, 'CAA': 257,
}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
CLASSES = {'IN': 1, 'CH': 3, 'ANY': 255}
CLASS_NAMES = {v: k for k, v in CLASSES.items()}
RCODES = {0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP',
          5: 'REFUSED', 9: 'NOTAUTH', 16: 'BADVERS'}

OPT_NSID = 3
OPT_ECS = 8
OPT_COOKIE = 10


def type_code(t):
    return TYPES[t] if isinstance(t, str) else t


def type_name(code):
    return TYPE_NAMES.get(code, 'TYPE%d' % code)


# ---------------------------------------------------------------------------
# Building queries

def encode_name(name):
    """Presentation name (absolute or not, no escapes) -> wire bytes."""
    out = b''
    name = name.rstrip('.')
    if name:
        for label in name.split('.'):
            b = label.encode('ascii')
            out += bytes([len(b)]) + b
    return out + b'\x00'


def ecs_option(addr, source, scope=0, family=None):
    """EDNS Client Subnet option payload (RFC 7871 6), address truncated to source bits."""
    ip = ipaddress.ip_address(addr)
    fam = family if family is not None else (1 if ip.version == 4 else 2)
    nbytes = (source + 7) // 8
    return (OPT_ECS, struct.pack('!HBB', fam, source, scope) + ip.packed[:nbytes])


def opt_rr(payload=1232, version=0, do=False, ext_rcode=0, options=(), owner=b'\x00'):
    """An OPT pseudo-RR (RFC 6891 6.1.2) as wire bytes; options = [(code, bytes)]."""
    rdata = b''.join(struct.pack('!HH', c, len(v)) + v for c, v in options)
    ttl = (ext_rcode << 24) | (version << 16) | (0x8000 if do else 0)
    return owner + struct.pack('!HHIH', 41, payload, ttl, len(rdata)) + rdata


def build_query(qname, qtype='A', qclass='IN', qid=None, rd=False, opcode=0,
                edns=True, payload=1232, version=0, do=False, options=(),
                raw_name=None):
    """A standard query as bytes. edns=False sends no OPT."""
    if qid is None:
        qid = int.from_bytes(os.urandom(2), 'big')
    flags = (opcode << 11) | (0x0100 if rd else 0)
    arcount = 1 if edns else 0
    hdr = struct.pack('!HHHHHH', qid, flags, 1, 0, 0, arcount)
    qn = raw_name if raw_name is not None else encode_name(qname)
    q = qn + struct.pack('!HH', type_code(qtype), CLASSES.get(qclass, qclass) if isinstance(qclass, str) else qclass)
    msg = hdr + q
    if edns:
        msg += opt_rr(payload=payload, version=version, do=do, options=options)
    return msg


# ---------------------------------------------------------------------------
# Decoding responses

class DecodeError(Exception):
    pass


def _read_name(msg, pos, depth=0):
    """Return (presentation name with original case, new pos). Pointers only backward."""
    labels = []
    jumped = False
    end = None
    seen = 0
    while True:
        if pos >= len(msg):
            raise DecodeError('name runs past end')
        ln = msg[pos]
        if ln & 0xC0 == 0xC0:
            if pos + 1 >= len(msg):
                raise DecodeError('truncated pointer')
            ptr = ((ln & 0x3F) << 8) | msg[pos + 1]
            if ptr >= pos:
                raise DecodeError('forward compression pointer')
            if not jumped:
                end = pos + 2
            jumped = True
            pos = ptr
            seen += 1
            if seen > 128:
                raise DecodeError('pointer loop')
            continue
        if ln & 0xC0:
            raise DecodeError('bad label type')
        pos += 1
        if ln == 0:
            break
        if pos + ln > len(msg):
            raise DecodeError('label runs past end')
        lab = msg[pos:pos + ln]
        labels.append(''.join(chr(c) if 0x21 <= c <= 0x7e and c not in (0x2e, 0x5c)
                              else '\\%03d' % c for c in lab))
        pos += ln
    name = '.'.join(labels) + '.'
    return name, (end if jumped else pos)


def _char_strings(rd):
    out = []
    i = 0
    while i < len(rd):
        ln = rd[i]
        s = rd[i + 1:i + 1 + ln]
        if len(s) != ln:
            raise DecodeError('character-string past rdata')
        out.append('"' + ''.join(chr(c) if 0x20 <= c <= 0x7e and c not in (0x22, 0x5c)
                                 else ('\\' + chr(c) if c in (0x22, 0x5c) else '\\%03d' % c)
                                 for c in s) + '"')
        i += 1 + ln
    return out


def rdata_text(msg, rtype, start, rdlen):
    """Normalized presentation rdata (names lowercased; TXT case kept)."""
    rd = msg[start:start + rdlen]
    end = start + rdlen

    def nm(p):
        n, p2 = _read_name(msg, p)
        return n.lower(), p2

    if rtype == 1:
        if rdlen != 4:
            raise DecodeError('A rdlen %d' % rdlen)
        return str(ipaddress.IPv4Address(rd))
    if rtype == 28:
        if rdlen != 16:
            raise DecodeError('AAAA rdlen %d' % rdlen)
        return str(ipaddress.IPv6Address(rd))
    if rtype in (2, 5, 12):
        n, p = nm(start)
        if p != end:
            raise DecodeError('name rdata length mismatch')
        return n
    if rtype == 15:
        pref = struct.unpack('!H', rd[:2])[0]
        n, p = nm(start + 2)
        if p != end:
            raise DecodeError('MX rdata length mismatch')
        return '%d %s' % (pref, n)
    if rtype == 33:
        pr, w, port = struct.unpack('!HHH', rd[:6])
        n, p = nm(start + 6)
        if p != end:
            raise DecodeError('SRV rdata length mismatch')
        return '%d %d %d %s' % (pr, w, port, n)
    if rtype == 6:
        m, p = nm(start)
        r, p = nm(p)
        if end - p != 20:
            raise DecodeError('SOA rdata length mismatch')
        nums = struct.unpack('!IIIII', msg[p:p + 20])
        return '%s %s %s' % (m, r, ' '.join(str(x) for x in nums))
    if rtype == 16:
        return ' '.join(_char_strings(rd))
    if rtype == 257:
        flags, tl = rd[0], rd[1]
        tag = rd[2:2 + tl].decode('ascii', 'replace')
        val = rd[2 + tl:].decode('ascii', 'replace')
        return '%d %s "%s"' % (flags, tag.lower(), val)
    return '\\# %d %s' % (rdlen, rd.hex())


class Msg:
    """A decoded DNS message."""

    def __init__(self):
        self.raw = b''
        self.id = 0
        self.flags = 0
        self.qr = self.aa = self.tc = self.rd = self.ra = self.ad = self.cd = False
        self.opcode = 0
        self.rcode = 0          # full (extended) rcode when an OPT is present
        self.question = []      # [(name as sent, qtype, qclass)]
        self.answer = []        # [(owner_lower, ttl, class, type, rdata)]
        self.authority = []
        self.additional = []    # without the OPT
        self.answer_owners = [] # owner names with original case
        self.opt = None         # dict or None
        self.opt_count = 0

    def flag_names(self):
        return sorted(n for n in ('qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd') if getattr(self, n))

    def rcode_name(self):
        return RCODES.get(self.rcode, str(self.rcode))

    def __repr__(self):
        return ('<Msg id=%d %s flags=%s q=%s an=%s ns=%s ar=%s opt=%s>' %
                (self.id, self.rcode_name(), self.flag_names(), self.question,
                 self.answer, self.authority, self.additional, self.opt))


def decode(msg):
    """Decode a whole response strictly; raises DecodeError on any framing problem."""
    if len(msg) < 12:
        raise DecodeError('short header (%d bytes)' % len(msg))
    m = Msg()
    m.raw = msg
    m.id, m.flags, qd, an, ns, ar = struct.unpack('!HHHHHH', msg[:12])
    f = m.flags
    m.qr = bool(f & 0x8000)
    m.opcode = (f >> 11) & 0xF
    m.aa = bool(f & 0x0400)
    m.tc = bool(f & 0x0200)
    m.rd = bool(f & 0x0100)
    m.ra = bool(f & 0x0080)
    m.ad = bool(f & 0x0020)
    m.cd = bool(f & 0x0010)
    m.rcode = f & 0xF
    pos = 12
    for _ in range(qd):
        n, pos = _read_name(msg, pos)
        if pos + 4 > len(msg):
            raise DecodeError('truncated question')
        t, c = struct.unpack('!HH', msg[pos:pos + 4])
        pos += 4
        m.question.append((n, t, c))
    for count, sect in ((an, m.answer), (ns, m.authority), (ar, m.additional)):
        for _ in range(count):
            owner, pos = _read_name(msg, pos)
            if pos + 10 > len(msg):
                raise DecodeError('truncated RR header')
            t, c, ttl, rdlen = struct.unpack('!HHIH', msg[pos:pos + 10])
            pos += 10
            if pos + rdlen > len(msg):
                raise DecodeError('rdata past end')
            if t == 41:
                m.opt_count += 1
                if sect is not m.additional:
                    raise DecodeError('OPT outside additional')
                opts = []
                rd = msg[pos:pos + rdlen]
                i = 0
                while i < len(rd):
                    if i + 4 > len(rd):
                        raise DecodeError('OPT option header past rdata')
                    oc, ol = struct.unpack('!HH', rd[i:i + 4])
                    if i + 4 + ol > len(rd):
                        raise DecodeError('OPT option past rdata')
                    opts.append((oc, rd[i + 4:i + 4 + ol]))
                    i += 4 + ol
                m.opt = {'owner': owner, 'payload': c, 'ext_rcode': ttl >> 24,
                         'version': (ttl >> 16) & 0xFF, 'do': bool(ttl & 0x8000),
                         'z': ttl & 0x7FFF, 'options': opts}
                m.rcode |= (ttl >> 24) << 4
            else:
                rdt = rdata_text(msg, t, pos, rdlen)
                sect.append((owner.lower(), ttl, c, t, rdt))
                if sect is m.answer:
                    m.answer_owners.append(owner)
            pos += rdlen
    if pos != len(msg):
        raise DecodeError('%d trailing bytes' % (len(msg) - pos))
    return m


def rr_str(rr):
    owner, ttl, cls, t, rd = rr
    return '%s %d %s %s %s' % (owner, ttl, CLASS_NAMES.get(cls, cls), type_name(t), rd)


# ---------------------------------------------------------------------------
# Sending

def udp_exchange(addr, port, msg, timeout=1.0):
    """Send msg over UDP and return the raw reply, or None on timeout."""
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(msg, (addr, port))
        return udp_recv_reply(s, msg, timeout)


def udp_recv_reply(s, msg, timeout, quiet=(socket.timeout,), strict_id=False):
    """Wait up to timeout on datagram socket s for the reply to msg.

    Datagrams whose ID is not msg's are skipped. Returns the raw reply, or
    None on timeout or on an exception in quiet. strict_id=False also
    accepts a reply too short to hold an ID (and any reply when msg has none),
    so the caller sees such a broken reply instead of a timeout.
    """
    deadline = time.monotonic() + timeout
    qid = msg[:2] if (len(msg) >= 2 or strict_id) else None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            data, _ = s.recvfrom(65535)
        except quiet:
            return None
        # Ignore stray replies that are not ours (cannot really happen on a fresh socket).
        if qid is None or data[:2] == qid or (len(data) < 2 and not strict_id):
            return data


def recv_exact(s, n):
    buf = b''
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_connect(addr, port, timeout=2.0):
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((addr, port))
    return s


def tcp_read_msg(s):
    hdr = recv_exact(s, 2)
    if hdr is None:
        return None
    (ln,) = struct.unpack('!H', hdr)
    return recv_exact(s, ln)


def tcp_send_read(s, msg, quiet=(socket.timeout,)):
    """Send msg on the connected TCP socket s with its length prefix and read
    one reply: the raw reply, or None on EOF or an exception in quiet."""
    s.sendall(struct.pack('!H', len(msg)) + msg)
    try:
        return tcp_read_msg(s)
    except quiet:
        return None


def tcp_exchange(addr, port, msg, timeout=2.0, quiet=(socket.timeout,)):
    """One query over a fresh TCP connection; the raw reply or None."""
    with tcp_connect(addr, port, timeout) as s:
        return tcp_send_read(s, msg, quiet)


def query(addr, port, qname, qtype='A', tcp=False, timeout=1.0, **kw):
    """Build, send and decode one query; returns a Msg (raises on no answer)."""
    q = build_query(qname, qtype, **kw)
    raw = tcp_exchange(addr, port, q, timeout) if tcp else udp_exchange(addr, port, q, timeout)
    if raw is None:
        raise AssertionError('no answer from %s#%d for %s %s over %s' %
                             (addr, port, qname, qtype, 'TCP' if tcp else 'UDP'))
    m = decode(raw)
    if m.id != struct.unpack('!H', q[:2])[0]:
        raise AssertionError('reply ID %d does not match query' % m.id)
    return m


# ---------------------------------------------------------------------------
# Ports and processes

_PROCS = []


def _kill_all():
    for p in list(_PROCS):
        if p.poll() is None:
            try:
                p.kill()
                p.wait(2)
            except Exception:
                pass


atexit.register(_kill_all)


def have_ipv6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(('::1', 0))
        return True
    except OSError:
        return False


def free_port(v6=None):
    """A random high port free for UDP and TCP on 127.0.0.1 (and ::1 when v6)."""
    if v6 is None:
        v6 = have_ipv6()
    import random
    for _ in range(200):
        port = random.randint(20000, 60000)
        socks = []
        try:
            for fam, addr in ([(socket.AF_INET, '127.0.0.1')] +
                              ([(socket.AF_INET6, '::1')] if v6 else [])):
                for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    s = socket.socket(fam, typ)
                    socks.append(s)
                    s.bind((addr, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError('no free port found')


def tool(name):
    path = shutil.which(name) or (os.path.exists('/usr/sbin/' + name) and '/usr/sbin/' + name)
    if not path:
        raise Skip('%s not installed' % name)
    return path


class _StderrCollector(threading.Thread):
    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.lines = []
        self.lock = threading.Lock()

    def run(self):
        for line in iter(self.stream.readline, b''):
            with self.lock:
                self.lines.append(line.decode('utf-8', 'replace').rstrip('\n'))

    def text(self):
        with self.lock:
            return '\n'.join(self.lines)

    def count(self):
        with self.lock:
            return len(self.lines)

    def since(self, n):
        with self.lock:
            return '\n'.join(self.lines[n:])


def yaml_str(s):
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s)


def checkconf_print(binary, path):
    """`steerdns checkconf -c path --print`: (returncode, stdout, stderr)."""
    p = subprocess.run([binary, 'checkconf', '-c', path, '--print'], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout, p.stderr.decode(errors='replace')


def check_print_roundtrip(binary, path):
    """Every config the tests write must round-trip through --print: when
    checkconf accepts path, its printed form is accepted too and printing
    that gives the same bytes. Configs that are bad on purpose are left to
    the test that wrote them. Raises AssertionError naming the config."""
    rc, first, _ = checkconf_print(binary, path)
    if rc != 0:
        return None
    printed = os.path.join(os.path.dirname(path), '.printed-' + os.path.basename(path))
    try:
        with open(printed, 'wb') as f:
            f.write(first)
        rc, second, err = checkconf_print(binary, printed)
        assert rc == 0, ('checkconf rejects the --print of %s:\n%s\n--- printed:\n%s' %
                         (path, err, first.decode(errors='replace')))
        assert second == first, ('--print of the printed %s differs:\n--- first\n%s--- second\n%s' %
                                 (path, first.decode(errors='replace'),
                                  second.decode(errors='replace')))
    finally:
        os.unlink(printed)
    return first


class _Daemon:
    """A server child process: launch, wait until it serves, stop, clean up.

    Subclasses set self.dir (removed by cleanup) and self.name (used in
    errors); the process is registered in _PROCS so a crashed test run never
    leaves it behind.
    """

    name = 'server'
    dir = None
    proc = None
    err = None

    def _launch(self, argv):
        """Start argv with stderr collected in self.err."""
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        _PROCS.append(self.proc)
        self.err = _StderrCollector(self.proc.stderr)
        self.err.start()

    def _wait_serving(self, ready, timeout, what):
        """Poll ready() until true and return self; raise AssertionError with
        the stderr text if the process exits first or timeout passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.err.join(1)
                raise AssertionError('%s exited with %d before serving; stderr:\n%s' %
                                     (self.name, self.proc.returncode, self.err.text()))
            if ready():
                return self
            time.sleep(0.05)
        self.stop()
        raise AssertionError('%s did not answer %s within %.0fs; stderr:\n%s' %
                             (self.name, what, timeout, self.err.text()))

    def stderr(self):
        return self.err.text() if self.err else ''

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, then SIGKILL after 5 s. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(2)
        rc = self.proc.returncode
        if self.proc in _PROCS:
            _PROCS.remove(self.proc)
        return rc

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Steerdns(_Daemon):
    """One steerdns server with a config written into its own temp dir.

    zones: list of (filename, yaml_text). server: extra/override server keys.
    """

    def __init__(self, binary, zones, server=None, v6=None, extra_config=''):
        self.binary = os.path.abspath(binary)
        if not os.path.exists(self.binary):
            raise AssertionError('steerdns binary %s does not exist' % self.binary)
        self.v6 = have_ipv6() if v6 is None else v6
        self.name = 'steerdns'
        self.dir = tempfile.mkdtemp(prefix='steerdns-it-')
        self.addr = '127.0.0.1'
        srv = {'workers': 2, 'identity': 'test-pop', 'version': 'steerdns-test',
               'edns_payload': 1232, 'tcp_idle_timeout': 10, 'tcp_max_clients': 1024}
        if server:
            srv.update(server)
        self.server_keys = srv
        self.extra_config = extra_config
        self.zone_paths = []
        self.zone_names = []
        for fname, text in zones:
            p = os.path.join(self.dir, fname)
            with open(p, 'w') as f:
                f.write(text)
            self.zone_paths.append(p)
            self.zone_names.append(fname)
        self.config = os.path.join(self.dir, 'steerdns.yaml')
        self._new_port()
        self.proc = None
        self.err = None

    def _new_port(self):
        """Pick a fresh port and (re)write the main config for it."""
        self.port = free_port(self.v6)
        listen = ['127.0.0.1:%d' % self.port] + (['[::1]:%d' % self.port] if self.v6 else [])
        lines = ['server:', '  listen: [%s]' % ', '.join(yaml_str(x) for x in listen)]
        for k, v in self.server_keys.items():
            if v is None:
                continue
            lines.append('  %s: %s' % (k, yaml_str(v) if isinstance(v, str) else v))
        lines.append('zones:')
        for fname in self.zone_names:
            lines.append('  - %s' % fname)   # relative: resolved against the config dir
        self.config_text = '\n'.join(lines) + '\n' + self.extra_config
        with open(self.config, 'w') as f:
            f.write(self.config_text)
        check_print_roundtrip(self.binary, self.config)

    def start(self, timeout=10.0):
        """Start serving and wait until it answers; retries on a port race."""
        for attempt in range(3):
            try:
                return self._start_once(timeout)
            except AssertionError as e:
                if attempt < 2 and 'in use' in str(e).lower():
                    self._new_port()
                    continue
                raise

    def _start_once(self, timeout):
        self._launch([self.binary, 'serve', '-c', self.config])
        probe = build_query('id.server', 'TXT', qclass='CH')
        return self._wait_serving(
            lambda: udp_exchange(self.addr, self.port, probe, timeout=0.2) is not None,
            timeout, 'id.server CH TXT')

    def query(self, qname, qtype='A', addr=None, **kw):
        return query(addr or self.addr, self.port, qname, qtype, **kw)


def serve_zone(binary, origin, soa, records, ttl=3600):
    """A started Steerdns serving one YAML zone, written as ORIGINyaml.

    The caller owns the server and must cleanup() it (see cleanup_all)."""
    srv = Steerdns(binary, [(origin + 'yaml', zone_yaml(origin, ttl, soa, records))])
    try:
        return srv.start()
    except BaseException:
        srv.cleanup()
        raise


def cleanup_all(*servers):
    """cleanup() every server that is not None (module teardown)."""
    for srv in servers:
        if srv is not None:
            srv.cleanup()


def _serves_soa(server, probe_name, need_answer):
    """True when server answers SOA probe_name with NOERROR (and, with
    need_answer, a non-empty answer section)."""
    raw = udp_exchange(server.addr, server.port, build_query(probe_name, 'SOA'), timeout=0.2)
    if raw is None:
        return False
    m = decode(raw)
    return m.rcode == 0 and (bool(m.answer) or not need_answer)


class Knotd(_Daemon):
    """knotd (Knot DNS) in the foreground serving master files from zone text."""

    def __init__(self, zones, identity='test-pop'):
        """zones: list of (origin, master_file_text)."""
        self.knotd = tool('knotd')
        self.name = 'knotd'
        self.dir = tempfile.mkdtemp(prefix='knotd-it-')
        self.port = free_port(False)
        self.addr = '127.0.0.1'
        conf = [
            'server:',
            '    rundir: "%s"' % self.dir,
            '    listen: 127.0.0.1@%d' % self.port,
            '    identity: "%s"' % identity,
            '    nsid: "%s"' % identity,
            '    udp-workers: 1',
            '    tcp-workers: 1',
            '    background-workers: 1',
            'log:',
            '  - target: stderr',
            '    any: warning',
            'database:',
            '    storage: "%s"' % self.dir,
            'template:',
            '  - id: default',
            '    storage: "%s"' % self.dir,
            '    semantic-checks: off',
            '    journal-content: none',
            '    zonefile-sync: -1',
            '    zonefile-load: whole',
            'zone:',
        ]
        for origin, text in zones:
            fname = origin.rstrip('.') + '.zone'
            with open(os.path.join(self.dir, fname), 'w') as f:
                f.write(text)
            conf.append('  - domain: %s' % origin)
            conf.append('    file: "%s"' % os.path.join(self.dir, fname))
        self.conf = os.path.join(self.dir, 'knot.conf')
        with open(self.conf, 'w') as f:
            f.write('\n'.join(conf) + '\n')
        self.proc = None
        self.err = None

    def start(self, probe_name, timeout=10.0):
        self._launch([self.knotd, '-c', self.conf])
        return self._wait_serving(lambda: _serves_soa(self, probe_name, need_answer=True),
                                  timeout, probe_name)


# ---------------------------------------------------------------------------
# dig / kdig

class DigResult:
    def __init__(self):
        self.text = ''
        self.rcode = None
        self.flags = set()
        self.question = []
        self.answer = []
        self.authority = []
        self.additional = []   # no OPT
        self.answer_owners = []
        self.edns = None       # {'version', 'udp', 'flags'} or None
        self.nsid = None       # decoded text
        self.ecs = None        # e.g. '192.0.2.0/24/0'
        self.transfer_failed = False

    def __repr__(self):
        return '<Dig %s %s an=%s ns=%s ar=%s edns=%s>' % (
            self.rcode, sorted(self.flags), self.answer, self.authority, self.additional, self.edns)


def _norm_rdata(rtype, text):
    """Normalize dig/kdig rdata text to the same form the decoder uses."""
    t = text.strip()
    if rtype in ('NS', 'CNAME', 'PTR'):
        return t.lower()
    if rtype in ('MX', 'SRV', 'SOA'):
        parts = t.split()
        if rtype == 'MX':
            return '%s %s' % (parts[0], parts[1].lower())
        if rtype == 'SRV':
            return '%s %s %s %s' % (parts[0], parts[1], parts[2], parts[3].lower())
        return ' '.join([parts[0].lower(), parts[1].lower()] + parts[2:])
    if rtype == 'AAAA':
        return str(ipaddress.IPv6Address(t))
    if rtype == 'CAA':
        m = re.match(r'(\d+)\s+(\S+)\s+(.*)$', t)
        val = m.group(3)
        if not val.startswith('"'):
            val = '"%s"' % val
        return '%s %s %s' % (m.group(1), m.group(2).lower(), val)
    if rtype == 'TXT':
        return ' '.join(re.findall(r'"(?:[^"\\]|\\.)*"', t))
    return t


_RR_RE = re.compile(r'^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s*(.*)$')


def _parse_rr_line(line):
    m = _RR_RE.match(line)
    if not m:
        return None, None
    owner, ttl, cls, typ, rd = m.groups()
    if cls not in CLASSES and not cls.startswith('CLASS'):
        return None, None
    return owner, (owner.lower(), int(ttl), CLASSES.get(cls, cls), type_code(typ) if typ in TYPES else typ,
                   _norm_rdata(typ, rd))


def parse_dig(text):
    """Parse dig or kdig output produced with comments and all sections."""
    r = DigResult()
    r.text = text
    section = None
    for raw in text.splitlines():
        line = raw.rstrip()
        s = line.lstrip(';').strip()
        if 'Transfer failed' in line:
            r.transfer_failed = True
        m = re.search(r'status: ([A-Z0-9]+)', line)
        if m and r.rcode is None:
            r.rcode = m.group(1)
        # dig: ";; flags: qr aa rd; QUERY: 1, ..."   kdig: ";; Flags: qr aa rd; QUERY: 1; ..."
        m = re.match(r';; [Ff]lags:([^;]*);\s*QUERY', line)
        if m:
            r.flags = set(m.group(1).split())
            continue
        # dig EDNS: "; EDNS: version: 0, flags:; udp: 1232"
        m = re.match(r'; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)', line)
        if m:
            r.edns = {'version': int(m.group(1)), 'flags': m.group(2).split(), 'udp': int(m.group(3))}
            continue
        # kdig EDNS: ";; Version: 0; flags: ; UDP size: 1232 B; ext-rcode: NOERROR"
        m = re.match(r';; Version: (\d+); flags:([^;]*); UDP size: (\d+) B', line)
        if m:
            r.edns = {'version': int(m.group(1)), 'flags': m.group(2).split(), 'udp': int(m.group(3))}
            m2 = re.search(r'ext-rcode: ([A-Z0-9]+)', line)
            if m2 and m2.group(1) != 'NOERROR':
                r.rcode = m2.group(1)
            continue
        # NSID: dig '; NSID: 74 65 ... ("t" "e" ...)', kdig ';; NSID: 746573 "test"'
        m = re.match(r';+ NSID: ([0-9A-Fa-f ]+)', line)
        if m:
            try:
                r.nsid = bytes.fromhex(m.group(1).replace(' ', '')).decode('ascii', 'replace')
            except ValueError:
                r.nsid = m.group(1)
            continue
        m = re.match(r';+ CLIENT-SUBNET: (\S+)', line)
        if m:
            r.ecs = m.group(1)
            continue
        m = re.match(r';+ (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:', line)
        if m:
            section = {'QUESTION': r.question, 'ANSWER': r.answer,
                       'AUTHORITY': r.authority, 'ADDITIONAL': r.additional}[m.group(1)]
            continue
        if re.match(r';+ (OPT PSEUDOSECTION|EDNS PSEUDOSECTION)', line):
            section = None
            continue
        if not line.strip():
            continue
        if section is r.question:
            q = line.lstrip(';').split()
            if len(q) >= 3:
                r.question.append((q[0], q[-2], q[-1]))
            continue
        if line.startswith(';'):
            if line.startswith(';; '):
                section = section if section is not None else None
            continue
        if section is not None:
            owner, rr = _parse_rr_line(line)
            if rr is not None and rr[3] != TYPES['OPT']:
                section.append(rr)
                if section is r.answer:
                    r.answer_owners.append(owner)
    return r


def run_dig(tool_name, server, port, qname, qtype='A', qclass='IN', tcp=False, extra=(), timeout=5):
    """Run dig or kdig against server#port; returns a DigResult."""
    exe = tool(tool_name)
    args = [exe, '@' + server, '-p', str(port)]
    if qclass != 'IN':
        args += ['-c', qclass]
    args += ['-t', qtype, '-q', qname] if tool_name == 'dig' else ['-t', qtype, '-q', qname]
    common = ['+tcp' if tcp else '+notcp', '+time=2', '+retry=0']
    if tool_name == 'kdig':
        common = ['+tcp' if tcp else '+notcp', '+time=2', '+retry=0']
        common += ['+noall', '+header', '+comments', '+question', '+answer',
                   '+authority', '+additional', '+opt']
    else:
        common += ['+noall', '+comments', '+question', '+answer', '+authority', '+additional',
                   '+nocookie', '+noednsneg']
    args += common + list(extra)
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    res = parse_dig(p.stdout.decode('utf-8', 'replace'))
    res.cmd = ' '.join(args)
    if res.rcode is None and not res.transfer_failed:
        raise AssertionError('%s gave no parseable answer:\n$ %s\n%s' % (tool_name, res.cmd, res.text))
    return res


# ---------------------------------------------------------------------------
# Zone data rendered two ways

def zone_yaml(origin, ttl, soa, records):
    """Render records = [(owner, {TYPE: value or [values], 'ttl': n})] as steerdns YAML."""
    out = ['origin: %s' % origin, 'ttl: %d' % ttl,
           'soa: {%s}' % ', '.join('%s: %s' % (k, yaml_str(v) if isinstance(v, str) else v)
                                   for k, v in soa.items()),
           'records:']
    for owner, rrs in records:
        parts = []
        for k, v in rrs.items():
            if k == 'ttl':
                parts.append('ttl: %d' % v)
            elif isinstance(v, list):
                parts.append('%s: [%s]' % (k, ', '.join(yaml_str(x) for x in v)))
            else:
                parts.append('%s: %s' % (k, yaml_str(v)))
        out.append('  %s: { %s }' % (yaml_str(owner), ', '.join(parts)))
    return '\n'.join(out) + '\n'


def _master_rdata(typ, v):
    if typ == 'TXT':
        return v if v.startswith('"') else '"%s"' % v.replace('\\', '\\\\').replace('"', '\\"')
    return v


def zone_master(origin, ttl, soa, records):
    """Render the same data as an RFC 1035 master file for knotd."""
    out = ['$ORIGIN %s' % origin, '$TTL %d' % ttl,
           '@ %d IN SOA %s %s %d %d %d %d %d' % (ttl, soa['mname'], soa['rname'], soa['serial'],
                                                 soa['refresh'], soa['retry'], soa['expire'],
                                                 soa['minimum'])]
    for owner, rrs in records:
        rttl = rrs.get('ttl', ttl)
        for k, v in rrs.items():
            if k == 'ttl':
                continue
            for item in (v if isinstance(v, list) else [v]):
                out.append('%s %d IN %s %s' % (owner, rttl, k, _master_rdata(k, item)))
    return '\n'.join(out) + '\n'


# ---------------------------------------------------------------------------
# GeoDNS helpers: a pure-Python MaxMind DB reader (independent of
# libmaxminddb and of steerdns), great-circle distance, the expected PoP
# ranking, ECS option parsing and a gdnsd runner.

def repo_root():
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))


def data_dir(*parts):
    """tests/data/PARTS... in this checkout (the fixtures live in the repo)."""
    return os.path.join(repo_root(), 'tests', 'data', *parts)


def mmdb_dir():
    """MaxMind's test DBs, tests/data/mmdb (see tests/data/README.md)."""
    return data_dir('mmdb')


def json_networks(name):
    """Networks of source-data/NAME.json (the MMDB test data) as ip_network
    objects, in file order without repeats; ::a.b.c.d/N becomes IPv4."""
    with open(os.path.join(mmdb_dir(), 'source-data', name + '.json')) as f:
        data = json.load(f)
    out = []
    for item in data:
        for net in item:
            n = ipaddress.ip_network(net, strict=False)
            if n.version == 6 and n.prefixlen >= 96 and int(n.network_address) < (1 << 32):
                n = ipaddress.ip_network('%s/%d' % (ipaddress.IPv4Address(int(n.network_address)),
                                                    n.prefixlen - 96))
            if n not in out:
                out.append(n)
    return out


class MMDB:
    """Read-only MaxMind DB (format 2.0) reader, written from the spec.

    lookup(ip) -> (record or None, prefix length in ip's own family).
    IPv4 addresses in an IPv6 tree are looked up under ::/96 (where MaxMind
    stores them); node_at(ip, depth) gives a tree node for scope math.
    """

    MARKER = b'\xab\xcd\xefMaxMind.com'

    def __init__(self, path):
        with open(path, 'rb') as f:
            self.buf = f.read()
        i = self.buf.rfind(self.MARKER)
        if i < 0:
            raise ValueError('%s: no metadata marker' % path)
        self.meta, _ = self._decode(i + len(self.MARKER), i + len(self.MARKER))
        self.node_count = self.meta['node_count']
        self.record_size = self.meta['record_size']
        self.ip_version = self.meta['ip_version']
        self.node_bytes = self.record_size * 2 // 8
        self.tree_size = self.node_bytes * self.node_count
        self.data_start = self.tree_size + 16
        self._cache = {}
        self.v4_root = 0
        if self.ip_version == 6:
            n = 0
            for _ in range(96):
                if n >= self.node_count:
                    break
                n = self.child(n, 0)
            self.v4_root = n

    def child(self, node, bit):
        b = self.buf
        o = node * self.node_bytes
        rs = self.record_size
        if rs == 24:
            return int.from_bytes(b[o + 3 * bit:o + 3 * bit + 3], 'big')
        if rs == 28:
            if bit == 0:
                return ((b[o + 3] & 0xF0) << 20) | int.from_bytes(b[o:o + 3], 'big')
            return ((b[o + 3] & 0x0F) << 24) | int.from_bytes(b[o + 4:o + 7], 'big')
        if rs == 32:
            return int.from_bytes(b[o + 4 * bit:o + 4 * bit + 4], 'big')
        raise ValueError('record size %d' % rs)

    def _size(self, pos, size):
        b = self.buf
        if size == 29:
            return 29 + b[pos], pos + 1
        if size == 30:
            return 285 + int.from_bytes(b[pos:pos + 2], 'big'), pos + 2
        if size == 31:
            return 65821 + int.from_bytes(b[pos:pos + 3], 'big'), pos + 3
        return size, pos

    def _decode(self, pos, base):
        b = self.buf
        ctrl = b[pos]
        pos += 1
        typ = ctrl >> 5
        if typ == 1:  # pointer
            ss = (ctrl >> 3) & 3
            v = ctrl & 7
            if ss == 0:
                p = (v << 8) | b[pos]; pos += 1
            elif ss == 1:
                p = ((v << 16) | int.from_bytes(b[pos:pos + 2], 'big')) + 2048; pos += 2
            elif ss == 2:
                p = ((v << 24) | int.from_bytes(b[pos:pos + 3], 'big')) + 526336; pos += 3
            else:
                p = int.from_bytes(b[pos:pos + 4], 'big'); pos += 4
            val, _ = self._decode(base + p, base)
            return val, pos
        if typ == 0:
            typ = 7 + b[pos]
            pos += 1
        size, pos = self._size(pos, ctrl & 0x1F)
        if typ == 2:
            return b[pos:pos + size].decode('utf-8'), pos + size
        if typ == 3:
            return struct.unpack('!d', b[pos:pos + 8])[0], pos + 8
        if typ == 4:
            return b[pos:pos + size], pos + size
        if typ in (5, 6, 9, 10):
            return int.from_bytes(b[pos:pos + size], 'big'), pos + size
        if typ == 8:
            return int.from_bytes(b[pos:pos + size], 'big', signed=True) if size == 4 else \
                int.from_bytes(b[pos:pos + size], 'big'), pos + size
        if typ == 7:
            d = {}
            for _ in range(size):
                k, pos = self._decode(pos, base)
                v, pos = self._decode(pos, base)
                d[k] = v
            return d, pos
        if typ == 11:
            arr = []
            for _ in range(size):
                v, pos = self._decode(pos, base)
                arr.append(v)
            return arr, pos
        if typ == 14:
            return bool(size), pos
        if typ == 15:
            return struct.unpack('!f', b[pos:pos + 4])[0], pos + 4
        raise ValueError('data type %d at %d' % (typ, pos - 1))

    def record(self, value):
        """The data record a tree value > node_count points to (cached)."""
        if value not in self._cache:
            self._cache[value], _ = self._decode(self.data_start + value - self.node_count - 16,
                                                 self.data_start)
        return self._cache[value]

    def _start(self, ip):
        ip = ipaddress.ip_address(ip)
        if ip.version == 4:
            if self.ip_version == 6:
                return self.v4_root, ip, 32
            return 0, ip, 32
        if self.ip_version == 4:
            return None, ip, 128
        return 0, ip, 128

    def lookup(self, ip):
        """(record dict or None, prefix length) for one address."""
        node, ip, bits = self._start(ip)
        if node is None:
            return None, 0
        v = int(ip)
        depth = 0
        while node < self.node_count and depth < bits:
            bit = (v >> (bits - 1 - depth)) & 1
            node = self.child(node, bit)
            depth += 1
        if node == self.node_count:
            return None, depth
        if node > self.node_count:
            return self.record(node), depth
        raise ValueError('tree deeper than the address')

    def path(self, ip):
        """Tree values along ip's path: [(depth, value)], root first; last is a leaf."""
        node, ip, bits = self._start(ip)
        v = int(ip)
        out = [(0, node)]
        depth = 0
        while node < self.node_count and depth < bits:
            node = self.child(node, (v >> (bits - 1 - depth)) & 1)
            depth += 1
            out.append((depth, node))
        return out


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance on a 6371 km sphere."""
    import math
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


class GeoModel:
    """The expected steerdns decision, computed in Python from the DB records.

    pops: [(name, lat, lon)] in config order; rules: [(kind, [codes], [pop names])]
    with kind continent/country/subdivision; fallback: [pop names] (default all).
    decision(record) -> tuple of PoP names (the ordered list).
    """

    def __init__(self, pops, rules=(), fallback=None):
        self.pops = list(pops)
        self.rules = list(rules)
        self.fallback = tuple(fallback) if fallback else tuple(p[0] for p in self.pops)

    @staticmethod
    def fields(rec):
        if not rec:
            return None, None, None, None, []
        loc = rec.get('location') or {}
        lat, lon = loc.get('latitude'), loc.get('longitude')
        cc = (rec.get('country') or {}).get('iso_code')
        cont = (rec.get('continent') or {}).get('code')
        subs = [s.get('iso_code') for s in rec.get('subdivisions') or [] if s.get('iso_code')]
        return lat, lon, cc, cont, subs

    def decision(self, rec):
        lat, lon, cc, cont, subs = self.fields(rec)
        for kind, codes, plist in self.rules:
            if kind == 'continent' and cont in codes:
                return tuple(plist)
            if kind == 'country' and cc in codes:
                return tuple(plist)
            if kind == 'subdivision' and subs and cc and '%s-%s' % (cc, subs[0]) in codes:
                return tuple(plist)
        if lat is None or lon is None:
            return self.fallback
        return tuple(p[0] for p in self.ranked(lat, lon))

    def ranked(self, lat, lon):
        """[(name, km)] nearest first; ties keep config order."""
        d = [(p[0], haversine_km(lat, lon, p[1], p[2]), i) for i, p in enumerate(self.pops)]
        d.sort(key=lambda x: (x[1], x[2]))
        return [(n, km) for n, km, _ in d]

    def near_tie(self, rec, rel=0.01):
        """True when the two nearest PoPs are within rel (1%) of each other."""
        lat, lon, _, _, _ = self.fields(rec)
        if lat is None or lon is None:
            return False
        r = self.ranked(lat, lon)
        return len(r) > 1 and (r[1][1] - r[0][1]) <= rel * max(r[1][1], 1e-9)


def true_scope(db, model, ip, answers_of=None):
    """The shortest prefix length around ip over which model's decision is constant.

    Walks ip's path in the DB tree from the root and returns the first depth
    whose whole subtree maps to one decision (empty records give the
    fallback). answers_of(decision) may reduce a decision to what is answered.
    Depths are in ip's family (IPv4 under ::/96 counts from 0).
    """
    key = answers_of or (lambda d: d)
    memo = db.__dict__.setdefault('_uniform_memo', {})
    mkey = (id(model), id(answers_of))

    def uniform(value, depth_left):
        """The single decision under tree value, or None when it varies."""
        if value == db.node_count:
            return key(model.fallback)
        if value > db.node_count:
            return key(model.decision(db.record(value)))
        k = (mkey, value)
        if k in memo:
            return memo[k]
        a = uniform(db.child(value, 0), depth_left - 1)
        res = None
        if a is not None:
            b = uniform(db.child(value, 1), depth_left - 1)
            if b == a:
                res = a
        memo[k] = res
        return res

    bits = 32 if ipaddress.ip_address(ip).version == 4 else 128
    for depth, value in db.path(ip):
        if uniform(value, bits - depth) is not None:
            return depth
    return bits


def ecs_of(m):
    """The ECS option of a decoded reply as (family, source, scope, address text) or None."""
    if not m.opt:
        return None
    for code, val in m.opt['options']:
        if code == OPT_ECS:
            fam, src, scope = struct.unpack('!HBB', val[:4])
            raw = val[4:]
            if fam == 1:
                addr = str(ipaddress.IPv4Address(raw.ljust(4, b'\x00')))
            else:
                addr = str(ipaddress.IPv6Address(raw.ljust(16, b'\x00')))
            return fam, src, scope, addr
    return None


def ecs_query(addr, port, qname, subnet, qtype='A', timeout=1.0):
    """One UDP query with ECS = subnet ('a.b.c.d/len' or IPv6); returns (Msg, ecs tuple)."""
    net = ipaddress.ip_network(subnet, strict=False)
    m = query(addr, port, qname, qtype, timeout=timeout,
              options=[ecs_option(str(net.network_address), net.prefixlen)])
    return m, ecs_of(m)


class Gdnsd(_Daemon):
    """gdnsd 3 in the foreground with a config dir written by the test.

    config_text: the body of CONFDIR/config *without* the options stanza
    (plugins => ...); zones: [(filename, text)]; files: [(relpath, src)]
    copied into CONFDIR (e.g. geoip/X.mmdb).
    """

    def __init__(self, config_text, zones, files=()):
        self.gdnsd = tool('gdnsd')
        self.name = 'gdnsd'
        self.dir = tempfile.mkdtemp(prefix='gdnsd-it-')
        self.addr = '127.0.0.1'
        self.port = free_port(False)
        for sub in ('zones', 'geoip', 'run', 'state'):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        for rel, src in files:
            shutil.copy(src, os.path.join(self.dir, rel))
        for fname, text in zones:
            with open(os.path.join(self.dir, 'zones', fname), 'w') as f:
                f.write(text)
        opts = ('options => {\n  listen => [ 127.0.0.1:%d ]\n  run_dir => %s\n  state_dir => %s\n'
                '  udp_threads => 1\n  tcp_threads => 1\n}\n' %
                (self.port, os.path.join(self.dir, 'run'), os.path.join(self.dir, 'state')))
        with open(os.path.join(self.dir, 'config'), 'w') as f:
            f.write(opts + config_text)
        self.proc = None
        self.err = None

    def start(self, probe_name, timeout=15.0):
        self._launch([self.gdnsd, '-c', self.dir, 'start'])
        return self._wait_serving(lambda: _serves_soa(self, probe_name, need_answer=False),
                                  timeout, probe_name)


def geo_zone_yaml(origin='geo.test.', steered=(('www', 30, 1),), static=(('static', '192.0.2.80'),)):
    """A zone with steered names [(name, ttl, answers)] and static A names."""
    lines = ['origin: %s' % origin, 'ttl: 3600',
             'soa: {mname: ns1, rname: hostmaster, serial: 1, refresh: 3600, retry: 900, '
             'expire: 1209600, minimum: 300}',
             'records:', '  "@": { NS: [ns1] }', '  ns1: { A: 192.0.2.53 }']
    for name, ttl, answers in steered:
        lines.append('  %s: { steer: { ttl: %d, answers: %d } }' % (name, ttl, answers))
    for name, addr in static:
        lines.append('  %s: { A: %s }' % (name, addr))
    return '\n'.join(lines) + '\n'


def geo_config_yaml(databases, pops, rules=(), fallback=None, ecs_trust='all',
                    scope4=(0, 32), scope6=(0, 128), checks=None, schema='maxmind'):
    """The geoip/pops/policy/ecs sections of a steerdns config.

    pops: [(name, lat, lon, [v4...], [v6...])]; rules: [(kind, [codes], [pops])];
    checks: {pop name: 'inline YAML map of the check'}.
    """
    checks = checks or {}
    out = ['geoip:', '  databases: [%s]' % ', '.join(yaml_str(d) for d in databases),
           '  schema: %s' % schema, 'pops:']
    for name, lat, lon, v4, v6 in pops:
        parts = ['location: [%r, %r]' % (lat, lon)]
        if v4:
            parts.append('ipv4: [%s]' % ', '.join(v4))
        if v6:
            parts.append('ipv6: [%s]' % ', '.join(yaml_str(a) for a in v6))
        if name in checks:
            parts.append('check: %s' % checks[name])
        out.append('  %s: { %s }' % (name, ', '.join(parts)))
    if rules or fallback:
        out.append('policy:')
    if rules:
        out.append('  rules:')
        for kind, codes, plist in rules:
            out.append('    - match: { %s: [%s] }' % (kind, ', '.join(codes)))
            out.append('      pops: [%s]' % ', '.join(plist))
    if fallback:
        out.append('  fallback: [%s]' % ', '.join(fallback))
    trust = 'all' if ecs_trust == 'all' else '[%s]' % ', '.join(yaml_str(t) for t in ecs_trust)
    out.append('ecs: { trust: %s, scope: { ipv4: {min: %d, max: %d}, ipv6: {min: %d, max: %d} } }'
               % ((trust,) + tuple(scope4) + tuple(scope6)))
    return '\n'.join(out) + '\n'
