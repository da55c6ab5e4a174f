"""harness.py: shared machinery for the steerdns integration tests.

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
        deadline = time.monotonic() + timeout
        qid = msg[:2] if len(msg) >= 2 else None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            s.settimeout(left)
            try:
                data, _ = s.recvfrom(65535)
            except socket.timeout:
                return None
            # Ignore stray replies that are not ours (cannot really happen on a fresh socket).
            if qid is None or data[:2] == qid or len(data) < 2:
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


def tcp_exchange(addr, port, msg, timeout=2.0):
    """One query over a fresh TCP connection; the raw reply or None."""
    with tcp_connect(addr, port, timeout) as s:
        s.sendall(struct.pack('!H', len(msg)) + msg)
        try:
            return tcp_read_msg(s)
        except socket.timeout:
            return None


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


class Steerdns:
    """One steerdns server with a config written into its own temp dir.

    zones: list of (filename, yaml_text). server: extra/override server keys.
    """

    def __init__(self, binary, zones, server=None, v6=None, extra_config=''):
        self.binary = os.path.abspath(binary)
        if not os.path.exists(self.binary):
            raise AssertionError('steerdns binary %s does not exist' % self.binary)
        self.v6 = have_ipv6() if v6 is None else v6
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
        self.proc = subprocess.Popen([self.binary, 'serve', '-c', self.config],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        _PROCS.append(self.proc)
        self.err = _StderrCollector(self.proc.stderr)
        self.err.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.err.join(1)
                raise AssertionError('steerdns exited with %d before serving; stderr:\n%s' %
                                     (self.proc.returncode, self.err.text()))
            raw = udp_exchange(self.addr, self.port,
                               build_query('id.server', 'TXT', qclass='CH'), timeout=0.2)
            if raw is not None:
                return self
            time.sleep(0.05)
        self.stop()
        raise AssertionError('steerdns did not answer within %.0fs; stderr:\n%s' %
                             (timeout, self.err.text()))

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

    def query(self, qname, qtype='A', addr=None, **kw):
        return query(addr or self.addr, self.port, qname, qtype, **kw)


class Knotd:
    """knotd (Knot DNS) in the foreground serving master files from zone text."""

    def __init__(self, zones, identity='test-pop'):
        """zones: list of (origin, master_file_text)."""
        self.knotd = tool('knotd')
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
        self.proc = subprocess.Popen([self.knotd, '-c', self.conf],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        _PROCS.append(self.proc)
        self.err = _StderrCollector(self.proc.stderr)
        self.err.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                time.sleep(0.1)
                raise AssertionError('knotd exited %d: %s' % (self.proc.returncode, self.err.text()))
            raw = udp_exchange(self.addr, self.port, build_query(probe_name, 'SOA'), timeout=0.2)
            if raw is not None:
                m = decode(raw)
                if m.rcode == 0 and m.answer:
                    return self
            time.sleep(0.05)
        self.stop()
        raise AssertionError('knotd did not serve %s within %.0fs: %s' %
                             (probe_name, timeout, self.err.text()))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(2)
        if self.proc in _PROCS:
            _PROCS.remove(self.proc)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


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
        if re.match(r';+ QUESTION SECTION:', line):
            section = r.question
            continue
        if re.match(r';+ ANSWER SECTION:', line):
            section = r.answer
            continue
        if re.match(r';+ AUTHORITY SECTION:', line):
            section = r.authority
            continue
        if re.match(r';+ ADDITIONAL SECTION:', line):
            section = r.additional
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
