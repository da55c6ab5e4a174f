#!/usr/bin/env python3
"""lab.py: the steering lab. A mini-internet in network namespaces where
GeoDNS and anycast are measured side by side (issue 7).

Usage (root): python3 tests/lab/lab.py [--short | --full] [--steerdns BIN] [--out DIR]

The world is described in tests/lab/scenario.py. This script builds it
(namespaces, veth links, BIRD 2 routers, steerdns PoPs in anycast mode, a
GeoDNS steerdns, two unbound resolvers, a GeoIP DB written with
MaxMind::DB::Writer), runs `steerdns probe` in every client namespace and
`steerdns compare` over the results, asserts the accuracy the topology
determines, kills the eu PoP (SIGTERM; --full also SIGKILL and SIGSTOP),
times the failover and the recovery per method, and prints one summary.

Everything is torn down on exit, on an exception and on SIGINT/SIGTERM;
afterwards it asserts that no lab namespace, veth link or process is left.
--short (used by tests/integration/test_lab.py): accuracy + one SIGTERM
failover and recovery. --full (make lab): all three kill kinds.

LAB_DEBUG=1 prints the last answers each failover poller saw.

Reuses tests/integration/netns.py (namespaces, veths, BIRD, ns_socket) and
harness.py (DNS encode/decode, steerdns config helpers).
"""

import argparse
import calendar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
sys.path.insert(0, HERE)

import harness as H  # noqa: E402
import netns as N    # noqa: E402
import scenario as S  # noqa: E402
from harness import Skip  # noqa: E402


def log(msg):
    print('[lab %5.1fs] %s' % (time.monotonic() - T_START, msg), flush=True)


T_START = time.monotonic()


# ---------------------------------------------------------------------------
# Prerequisites

def require(binary):
    """Raise Skip (with the reason) unless the lab can run here."""
    N.require_root_netns()
    for t in ('bird', 'birdc', 'unbound', 'perl'):
        H.tool(t)
    r = subprocess.run(['perl', '-MMaxMind::DB::Writer::Tree', '-e', '1'], capture_output=True)
    if r.returncode != 0:
        raise Skip('MaxMind::DB::Writer not installed (Debian libmaxmind-db-writer-perl)')
    if not os.path.exists(binary):
        raise Skip('steerdns binary %s not built' % binary)


# ---------------------------------------------------------------------------
# GeoIP DB

DB_PL = r'''
use strict; use warnings;
use MaxMind::DB::Writer::Tree;
my %types = (location => 'map', latitude => 'double', longitude => 'double',
             country => 'map', iso_code => 'utf8_string', continent => 'map',
             code => 'utf8_string', city => 'map', names => 'map', en => 'utf8_string');
my $t = MaxMind::DB::Writer::Tree->new(ip_version => 6, record_size => 24,
    database_type => 'steerdns-lab', languages => ['en'],
    description => { en => 'steerdns lab: client subnets and resolvers at their region' },
    map_key_type_callback => sub { $types{$_[0]} },
    alias_ipv6_to_ipv4 => 1, remove_reserved_networks => 0);
while (my $line = <STDIN>) {
  chomp $line; next unless $line;
  my ($net, $lat, $lon, $cc, $cont, $city) = split /\t/, $line;
  $t->insert_network($net, { location => { latitude => $lat + 0, longitude => $lon + 0 },
      country => { iso_code => $cc }, continent => { code => $cont },
      city => { names => { en => $city } } });
}
open my $fh, '>:raw', $ARGV[0] or die "$ARGV[0]: $!";
$t->write_tree($fh); close $fh or die;
'''


def db_rows():
    """(network, lat, lon, country, continent, city) for every located network."""
    rows = []
    for c in S.CLIENTS:
        rows.append((c['subnet'], c['location'][0], c['location'][1], c['country'],
                     c['continent'], c['city']))
    us = S.REGIONS[S.GEODNS['region']]
    rows.append((S.SERVICES_SUBNET, us['location'][0], us['location'][1], us['country'],
                 us['continent'], us['city']))
    return rows


def write_db(path, workdir):
    script = os.path.join(workdir, 'lab-db.pl')
    with open(script, 'w') as f:
        f.write(DB_PL)
    data = ''.join('%s\t%r\t%r\t%s\t%s\t%s\n' % r for r in db_rows())
    r = subprocess.run(['perl', script, path], input=data.encode(), capture_output=True, timeout=60)
    assert r.returncode == 0, 'GeoIP DB writer failed: %s' % r.stderr.decode()
    # Read it back with the harness's own MMDB reader: every row is where we put it.
    db = H.MMDB(path)
    for net, lat, lon, cc, _, _ in db_rows():
        rec, _ = db.lookup(net.split("/")[0])
        assert rec and abs(rec['location']['latitude'] - lat) < 1e-6 and \
            rec['country']['iso_code'] == cc, 'DB lookup %s: %r' % (net, rec)


# ---------------------------------------------------------------------------
# Daemons

class LabBird(N.Bird):
    """BIRD 2 with a config text written by the lab (multi-table, filters)."""

    def __init__(self, topo, ns, router_id, local_as, text):
        self.text = text
        super().__init__(topo, ns, router_id, local_as, [])

    def write_conf(self):
        with open(self.conf, 'w') as f:
            f.write('log "%s" all;\n' % self.log + self.text)


class NsSteerdns(H.Steerdns):
    """steerdns serving port 53 inside a namespace, config text given whole."""

    def __init__(self, binary, topo, ns, zone_text, config_text, workdir, name):
        self.ns, self.topo, self.name = ns, topo, name
        self._config_body = config_text
        super().__init__(binary, [('lab.test.yaml', zone_text)], v6=False)
        topo.dirs.append(self.dir)
        topo.add(self)
        # A copy next to the report, for whoever reads the run afterwards.
        shutil.copy(self.config, os.path.join(workdir, '%s.yaml' % name))
        shutil.copy(self.zone_paths[0], os.path.join(workdir, 'lab.test.yaml'))

    def _new_port(self):
        self.port = 53
        self.config_text = self._config_body
        with open(self.config, 'w') as f:
            f.write(self.config_text)

    def _start_once(self, timeout):
        r = subprocess.run([self.binary, 'checkconf', '-c', self.config], capture_output=True,
                           text=True, timeout=10)
        if r.returncode != 0:
            raise AssertionError('steerdns checkconf rejects %s: %s%s\n%s' % (
                self.name, r.stdout, r.stderr, self.config_text))
        self.proc = subprocess.Popen(['ip', 'netns', 'exec', self.ns, self.binary, 'serve',
                                      '-c', self.config, '-v'],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        H._PROCS.append(self.proc)
        PIDS.add(self.proc.pid)
        self.err = H._StderrCollector(self.proc.stderr)
        self.err.start()
        probe = H.build_query('id.server', 'TXT', qclass='CH')
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.err.join(1)
                raise AssertionError('%s exited %d before serving:\n%s' % (
                    self.name, self.proc.returncode, self.err.text()))
            if N.udp_exchange(self.ns, '127.0.0.1', 53, probe, timeout=0.2) is not None:
                return self
            time.sleep(0.05)
        raise AssertionError('%s did not answer within %.0fs:\n%s' % (self.name, timeout, self.err.text()))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
            except OSError:
                pass
        return super().stop()

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def tail(self, n=30):
        return '\n'.join(self.stderr().splitlines()[-n:])


class Unbound:
    """unbound in the foreground inside ns; config in a topo temp dir."""

    def __init__(self, topo, ns, res, geodns_addr, workdir):
        self.topo, self.ns, self.res = topo, ns, res
        self.dir = topo.tempdir('lab-unbound-')
        self.conf = os.path.join(self.dir, 'unbound.conf')
        lines = ['server:',
                 '  interface: %s' % res['addr'],
                 '  port: 53',
                 '  do-ip6: no',
                 '  do-daemonize: no',
                 '  chroot: ""',
                 '  username: ""',
                 '  directory: "%s"' % self.dir,
                 '  pidfile: "%s"' % os.path.join(self.dir, 'unbound.pid'),
                 '  use-syslog: no',
                 '  logfile: ""',
                 '  verbosity: 1',
                 '  num-threads: 1',
                 '  access-control: 0.0.0.0/0 allow',
                 # RFC 6761 names are local zones by default: let lab.test resolve.
                 '  local-zone: "test." nodefault',
                 '  domain-insecure: "%s"' % S.ZONE,
                 # Keep the authoritative TTL as is (the failover depends on it).
                 '  cache-min-ttl: 0',
                 '  prefetch: no',
                 '  serve-expired: no',
                 '  qname-minimisation: no']
        if res['ecs']:
            # RFC 7871 via unbound's subnetcache module; the client's /24 is sent.
            lines += ['  module-config: "subnetcache validator iterator"',
                      '  send-client-subnet: %s' % geodns_addr,
                      '  client-subnet-always-forward: yes',
                      '  max-client-subnet-ipv4: 24']
        else:
            lines += ['  module-config: "validator iterator"']
        lines += ['remote-control:', '  control-enable: no',
                  'stub-zone:', '  name: "%s"' % S.ZONE, '  stub-addr: %s' % geodns_addr]
        self.text = '\n'.join(lines) + '\n'
        with open(self.conf, 'w') as f:
            f.write(self.text)
        with open(os.path.join(workdir, '%s.conf' % res['name']), 'w') as f:
            f.write(self.text)
        self.p = None
        topo.add(self)

    def start(self, timeout=10):
        r = N.sh(['unbound-checkconf', self.conf], check=False)
        if r.returncode != 0:
            raise AssertionError('unbound-checkconf: %s%s\n%s' % (r.stdout, r.stderr, self.text))
        self.p = N._Proc(['unbound', '-d', '-c', self.conf], self.ns, self.res['name'])
        PIDS.add(self.p.pid)
        q = H.build_query(S.CHECK_NAME, 'A', rd=True)
        N.wait_until(lambda: not self.p.alive() or
                     N.udp_exchange(self.ns, self.res['addr'], 53, q, timeout=0.3) is not None,
                     timeout, what='%s answering' % self.res['name'])
        if not self.p.alive():
            raise AssertionError('unbound exited: %s' % self.p.out.text())
        return self

    def stop(self):
        if self.p is not None:
            self.p.stop()
            self.p = None


PIDS = set()      # every daemon pid the lab started (checked after teardown)


# ---------------------------------------------------------------------------
# Config text

def bgp_block(name, local_addr, local_as, neighbor, remote_as, channel):
    return '\n'.join([
        'protocol bgp %s {' % name,
        '  local %s as %d;' % (local_addr, local_as),
        '  neighbor %s as %d;' % (neighbor, remote_as),
        '  hold time %d;' % S.BGP_HOLD,
        '  keepalive time %d;' % max(1, S.BGP_HOLD // 3),
        '  connect delay time 1;',
        '  connect retry time 2;',
        '  error wait time 1, 2;',
        '  ipv4 { %s };' % channel,
        '}'])


def router_conf(region):
    """BIRD config of a regional router: its PoP, eBGP to the other routers,
    routes into the kernel; on the detour router the extra table."""
    reg = S.REGIONS[region]
    pop = S.POPS[region]
    out = ['router id %s;' % reg['router_id'],
           'debug protocols { states, events };',
           'protocol device { scan time 1; }',
           'protocol direct { ipv4; }',
           # Connected routes are the kernel's own: export only learned ones.
           'protocol kernel { ipv4 { import none; export where source != RTS_DEVICE; }; '
           'learn off; scan time 1; }',
           bgp_block('pop', pop['router_addr'], reg['as'], pop['addr'], S.POP_AS,
                     'import all; export none;')]
    for a, b, addr_a, addr_b in S.ROUTER_LINKS:
        if region not in (a, b):
            continue
        other = b if region == a else a
        mine, theirs = (addr_a, addr_b) if region == a else (addr_b, addr_a)
        out.append(bgp_block('r_' + other, mine, reg['as'], theirs, S.REGIONS[other]['as'],
                             'import all; export all;'))
    d = S.DETOUR
    if region == d['router']:
        out += ['ipv4 table detour4;',
                # The detour table starts as a copy of the best routes ...
                'protocol pipe p_detour { table master4; peer table detour4; import none; export all; }',
                # ... and learns the via-router's routes at a higher local preference.
                bgp_block('r_%s_detour' % d['via'], d['link'][0], reg['as'], d['link'][1],
                          S.REGIONS[d['via']]['as'],
                          'table detour4; import filter { bgp_local_pref = %d; accept; }; '
                          'export none;' % d['local_pref']),
                'protocol kernel k_detour { ipv4 { table detour4; import none; '
                'export where source != RTS_DEVICE; }; kernel table %d; learn off; scan time 1; }'
                % d['kernel_table']]
    elif region == d['via']:
        out.append(bgp_block('r_%s_detour' % d['router'], d['link'][1], reg['as'], d['link'][0],
                             S.REGIONS[d['router']]['as'],
                             'import none; export where net = %s;' % S.ANYCAST_PREFIX))
    return '\n'.join(out) + '\n'


def zone_text():
    return H.geo_zone_yaml(S.ZONE, steered=(('www', S.TTL, 1),),
                           static=(('static', S.STATIC_ADDR),))


def pops_section(check=None):
    """The `pops:` section: every server knows the PoPs (the GeoDNS server
    to steer, a PoP to name itself, by identity, in its decision log)."""
    out = ['pops:']
    for r in S.REGION_ORDER:
        lat, lon = S.REGIONS[r]['location']
        out.append('  %s: { location: [%r, %r], ipv4: [%s], identity: %s%s }' % (
            r, lat, lon, S.POPS[r]['addr'], S.POPS[r]['identity'],
            ', check: %s' % check if check else ''))
    return out


def pop_conf(region, decision_log=None, db_path=None):
    reg, pop = S.REGIONS[region], S.POPS[region]
    h = S.POP_HEALTH
    listen = ['%s:53' % a for a in (pop['addr'], S.ANYCAST, '127.0.0.1')]
    return '\n'.join([
        'server:',
        '  listen: [%s]' % ', '.join(H.yaml_str(x) for x in listen),
        '  identity: %s' % pop['identity'],
        '  workers: 1',
        '  mode: anycast',
        'zones:', '  - lab.test.yaml',
        'anycast:',
        '  ipv4: %s' % S.ANYCAST,
        '  bgp:',
        '    local_as: %d' % S.POP_AS,
        '    router_id: %s' % pop['addr'],
        '    hold_time: %d' % S.BGP_HOLD,
        '    prefix4: %s' % S.ANYCAST_PREFIX,
        '    backoff: { min: 0.5, max: 2 }',
        '    peers:',
        '      - { address: %s, as: %d }' % (pop['router_addr'], reg['as']),
        '  health:',
        '    self_check: { name: %s, type: A }' % S.GEO_NAME,
        '    interval: %s' % h['interval'],
        '    fast_interval: %s' % h['fast_interval'],
        '    rise: %d' % h['rise'],
        '    fall: %d' % h['fall'],
        '  linger: %s' % S.POP_LINGER] +
        (['decision_log: { path: %s }' % H.yaml_str(decision_log),
          'geoip:', '  databases: [%s]' % H.yaml_str(db_path), '  schema: maxmind'] +
         pops_section() if decision_log else [])) + '\n'


def geo_conf(db_path, decision_log=None):
    g = S.GEODNS
    c = S.GEO_CHECK
    check = '{ type: %s, port: %d, qname: %s, interval: %s, timeout: %s, rise: %d, fall: %d }' % (
        c['type'], c['port'], c['qname'], c['interval'], c['timeout'], c['rise'], c['fall'])
    out = ['server:',
           '  listen: [%s]' % ', '.join(H.yaml_str('%s:53' % a) for a in (g['addr'], '127.0.0.1')),
           '  identity: %s' % g['identity'],
           '  workers: 1',
           'zones:', '  - lab.test.yaml',
           'geoip:', '  databases: [%s]' % H.yaml_str(db_path), '  schema: maxmind'] + \
        pops_section(check)
    out.append('ecs: { trust: all, scope: { ipv4: {min: 0, max: 24}, ipv6: {min: 0, max: 56} } }')
    if decision_log:
        out.append('decision_log: { path: %s }' % H.yaml_str(decision_log))
    return '\n'.join(out) + '\n'


# ---------------------------------------------------------------------------
# The world

def nearest(loc):
    """The PoP nearest to loc by great-circle distance (ground truth)."""
    best = None
    for r in S.REGION_ORDER:
        km = H.haversine_km(loc[0], loc[1], *S.REGIONS[r]['location'])
        if best is None or km < best[1]:
            best = (r, km)
    return best[0]


def expected():
    """{client: {method: PoP}} that the topology determines."""
    out = {}
    plain = [r for r in S.RESOLVERS if not r['ecs']][0]
    for c in S.CLIENTS:
        opt = nearest(c['location'])
        out[c['name']] = {
            'optimal': opt,
            'geodns-ecs': opt,                                    # ECS: the client's own /24
            'geodns-plain': nearest(S.REGIONS[plain['region']]['location']),  # the resolver's place
            'anycast': S.DETOUR['via'] if c['name'] in S.DETOUR['clients'] else c['region'],
        }
    return out


class Lab:
    def __init__(self, binary, outdir):
        self.bin = os.path.abspath(binary)
        self.out = outdir
        self.topo = N.Topology('lab')
        self.ns = {}          # role -> namespace name
        self.veths = []
        self.routers = {}
        self.pops = {}
        self.geodns = None
        self.resolvers = {}
        self.db = os.path.join(outdir, 'lab.mmdb')

    def dlog(self, name):
        """The decision log of steerdns `name` (failover windows are read
        from them by `compare` after the failovers)."""
        return os.path.join(self.out, 'decisions-%s.jsonl' % name)

    # -- building
    def netns(self, role):
        n = self.topo.netns('lab-' + role)
        self.ns[role] = n
        for k in ('net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.default.rp_filter'):
            N.sh(['sysctl', '-qw', '%s=0' % k], ns=n, check=False)
        return n

    def veth(self, a, b, addr_a, addr_b, plen):
        ia, ib = self.topo.veth(self.ns[a], self.ns[b], addr_a, addr_b, plen4=plen)
        self.veths += [ia, ib]

    def build(self):
        write_db(self.db, self.out)
        log('GeoIP DB %s: %d networks' % (self.db, len(db_rows())))
        for r in S.REGION_ORDER:
            self.netns('r-' + r)
            N.sh(['sysctl', '-qw', 'net.ipv4.ip_forward=1'], ns=self.ns['r-' + r])
            self.netns('pop-' + r)
        for c in S.CLIENTS:
            self.netns('c-' + c['name'])
        self.netns('geodns')
        for res in S.RESOLVERS:
            self.netns(res['name'])
        for a, b, aa, ab in S.ROUTER_LINKS:
            self.veth('r-' + a, 'r-' + b, aa, ab, 30)
        d = S.DETOUR
        self.veth('r-' + d['router'], 'r-' + d['via'], d['link'][0], d['link'][1], 30)
        for r in S.REGION_ORDER:
            p = S.POPS[r]
            self.veth('pop-' + r, 'r-' + r, p['addr'], p['router_addr'], S.POP_PLEN)
            ns = self.ns['pop-' + r]
            N.sh(['ip', 'addr', 'add', S.ANYCAST + '/32', 'dev', 'lo'], ns=ns)
            N.sh(['ip', 'route', 'add', 'default', 'via', p['router_addr']], ns=ns)
        for c in S.CLIENTS:
            gw = c['subnet'].rsplit('.', 1)[0] + '.1'
            self.veth('c-' + c['name'], 'r-' + c['region'], c['addr'], gw, 24)
            N.sh(['ip', 'route', 'add', 'default', 'via', gw], ns=self.ns['c-' + c['name']])
        for svc in [S.GEODNS] + S.RESOLVERS:
            self.veth(svc['name'], 'r-' + svc['region'], svc['addr'], svc['router_addr'],
                      S.SERVICE_PLEN)
            N.sh(['ip', 'route', 'add', 'default', 'via', svc['router_addr']], ns=self.ns[svc['name']])
        # The detour's second half: ap2's subnet looks up the detour table
        # for the anycast prefix (falls through to main when it is empty).
        rns = self.ns['r-' + d['router']]
        for name in d['clients']:
            c = [x for x in S.CLIENTS if x['name'] == name][0]
            N.sh(['ip', 'rule', 'add', 'from', c['subnet'], 'to', S.ANYCAST_PREFIX,
                  'lookup', str(d['kernel_table']), 'pref', '100'], ns=rns)
        log('topology: %d namespaces, %d veth pairs' % (len(self.ns), len(self.veths) // 2))

        for r in S.REGION_ORDER:
            reg = S.REGIONS[r]
            b = LabBird(self.topo, self.ns['r-' + r], reg['router_id'], reg['as'], router_conf(r))
            shutil.copy(b.conf, os.path.join(self.out, 'bird-%s.conf' % r))
            self.routers[r] = b.start()
            PIDS.add(b.p.pid)
        for r in S.REGION_ORDER:
            self.pops[r] = NsSteerdns(self.bin, self.topo, self.ns['pop-' + r], zone_text(),
                                      pop_conf(r, self.dlog('pop-' + r), self.db), self.out, 'pop-' + r)
            self.pops[r].start()
        self.geodns = NsSteerdns(self.bin, self.topo, self.ns['geodns'], zone_text(),
                                 geo_conf(self.db, self.dlog('geodns')), self.out, 'geodns')
        self.geodns.start()
        for res in S.RESOLVERS:
            self.resolvers[res['name']] = Unbound(self.topo, self.ns[res['name']], res,
                                                  S.GEODNS['addr'], self.out).start()
        self.converge()
        self.check_detour()

    def check_detour(self):
        """The detour is BIRD's doing: on the detour router, the main table
        prefers the local PoP, the detour table the via-router at the
        planted local preference."""
        d = S.DETOUR
        b = self.routers[d['router']]
        main = b.cmd('show', 'route', S.ANYCAST_PREFIX, 'primary', 'all')
        det = b.cmd('show', 'route', 'table', 'detour4', S.ANYCAST_PREFIX, 'primary', 'all')
        assert re.search(r'\[pop\s', main), 'main table best is not the local PoP:\n' + main
        via = 'r_%s_detour' % d['via']
        assert re.search(r'\[%s\s' % via, det) and \
            re.search(r'BGP\.local_pref:\s*%d\b' % d['local_pref'], det), \
            'detour table best is not %s with local pref %d:\n%s' % (via, d['local_pref'], det)

    def converge(self, timeout=30):
        """Wait until every client reaches its expected PoP by anycast and its
        optimal PoP by GeoDNS (asked directly with its /24 as ECS)."""
        exp = expected()
        t0 = time.monotonic()

        def ok():
            for c in S.CLIENTS:
                if self.anycast_pop(c) != exp[c['name']]['anycast']:
                    return False
                # Health state: GeoDNS itself (no cache) gives the optimal PoP.
                if self.geo_pop(c, None, 0.3) != exp[c['name']]['geodns-ecs']:
                    return False
            return True
        try:
            N.wait_until(ok, timeout, step=0.2, what='anycast and GeoDNS converged')
        except AssertionError as e:
            raise AssertionError('%s\n%s' % (e, self.debug()))
        log('routing converged in %.1fs' % (time.monotonic() - t0))

    def debug(self):
        out = []
        for c in S.CLIENTS:
            out.append('  %s -> anycast %s' % (c['name'], self.anycast_pop(c)))
        for r, b in self.routers.items():
            out.append('--- %s protocols\n%s' % (r, b.cmd('show', 'protocols')))
            out.append('--- %s route\n%s' % (r, b.cmd('show', 'route', 'table', 'all')))
        for r, p in self.pops.items():
            out.append('--- pop-%s stderr\n%s' % (r, p.tail(10)))
        return '\n'.join(out)

    # -- asking
    def anycast_pop(self, c, timeout=0.3):
        """The identity (NSID) of the PoP that answers c at the anycast address."""
        return self._nsid(c, timeout)[1]

    def _nsid(self, c, timeout):
        # The steered name, not id.server: the answer is then a steered one,
        # in the PoP's decision log (compare times the failover from it).
        q = H.build_query(S.GEO_NAME, 'A', options=[(H.OPT_NSID, b'')])
        raw = N.udp_exchange(self.ns['c-' + c['name']], S.ANYCAST, 53, q, timeout)
        m = H.decode(raw) if raw is not None else None
        return m, N.nsid_of(m)

    def geo_pop(self, c, res_name, timeout=0.5):
        """The PoP GeoDNS gives client c through resolver res_name (None: no
        answer); res_name None asks the GeoDNS server itself with c's /24 as
        ECS (no resolver cache: health detection alone)."""
        if res_name is None:
            net = c['subnet'].split('/')[0]
            m = N.dns_query(self.ns['c-' + c['name']], S.GEODNS['addr'], 53, S.GEO_NAME, 'A',
                            timeout=timeout, options=[H.ecs_option(net, 24)])
        else:
            res = [r for r in S.RESOLVERS if r['name'] == res_name][0]
            m = N.dns_query(self.ns['c-' + c['name']], res['addr'], 53, S.GEO_NAME, 'A',
                            timeout=timeout, rd=True)
        if m is None or m.rcode != 0:
            return None
        for rr in m.answer:
            for r in S.REGION_ORDER:
                if rr[4] == S.POPS[r]['addr']:
                    return r
        return None

    # -- measuring
    def probe_all(self):
        """steerdns probe in every client namespace through each resolver;
        returns {client: {resolver: probe JSON}}."""
        cfg = os.path.join(self.out, 'geodns.yaml')
        procs = []
        for c in S.CLIENTS:
            for res in S.RESOLVERS:
                args = [self.bin, 'probe', '-c', cfg, '--name', c['name'],
                        '--resolver', res['addr'], '--geo-name', S.GEO_NAME,
                        '-k', str(S.PROBE_K), '--timeout', str(S.PROBE_TIMEOUT_MS)]
                if res['ecs']:
                    args += ['--geodns-server', S.GEODNS['addr'], '--anycast', S.ANYCAST]
                p = subprocess.Popen(['ip', 'netns', 'exec', self.ns['c-' + c['name']]] + args,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                PIDS.add(p.pid)
                procs.append((c, res, p))
        res_out = {}
        for c, res, p in procs:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, 'probe %s via %s: exit %d: %s' % (
                c['name'], res['name'], p.returncode, err.decode())
            doc = json.loads(out.decode().strip())
            res_out.setdefault(c['name'], {})[res['name']] = doc
            with open(os.path.join(self.out, 'probe-%s.jsonl' % res['name']), 'a') as f:
                f.write(json.dumps(doc) + '\n')
        return res_out

    def compare(self, probes):
        """Give every probe line, as written, to `steerdns compare`. Each
        line records whether its resolver sent ECS (geodns_resolver.ecs,
        found out by the probe from the ECS scope the resolver returns), so
        compare files the res-ecs answers under geodns-ecs and the
        res-plain ones under geodns-resolver by itself. rtt_ms is dropped:
        veth RTTs are all alike, so the optimal PoP must be the nearest by
        distance (compare says which basis it used)."""
        merged = os.path.join(self.out, 'compare-input.jsonl')
        with open(merged, 'w') as f:
            for c in S.CLIENTS:
                for res in S.RESOLVERS:
                    line = dict(probes[c['name']][res['name']])
                    got = (line['geodns_resolver'] or {}).get('ecs')
                    assert got is res['ecs'], '%s via %s: probe recorded ecs=%r, want %r' % (
                        c['name'], res['name'], got, res['ecs'])
                    line['rtt_ms'] = None
                    line.pop('lost', None)
                    f.write(json.dumps(line) + '\n')
        html = os.path.join(self.out, 'report.html')
        js = os.path.join(self.out, 'report.json')
        r = subprocess.run([self.bin, 'compare', '-c', os.path.join(self.out, 'geodns.yaml'),
                            '--min-samples', '1', '--html', html, '--json', js, merged],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, 'compare failed %d: %s' % (r.returncode, r.stderr)
        with open(os.path.join(self.out, 'report.txt'), 'w') as f:
            f.write(r.stdout)
        with open(js) as f:
            return r.stdout, json.load(f), html

    def failover(self, kind):
        """Kill (or freeze) the FAIL_REGION PoP; seconds until every client
        of that region reaches another PoP per method; then bring it back
        and time the way back. Returns a dict of results."""
        region = S.FAIL_REGION
        clients = [c for c in S.CLIENTS if c['region'] == region]
        pop = self.pops[region]
        ecs = [r['name'] for r in S.RESOLVERS if r['ecs']][0]
        plain = [r['name'] for r in S.RESOLVERS if not r['ecs']][0]
        # Short query timeouts: a veth round trip is well under a millisecond,
        # and the timeout bounds the resolution while the PoP is silent.
        methods = {
            'anycast': lambda c: self._nsid(c, 0.05)[1],
            'geodns via ' + ecs: lambda c: self.geo_pop(c, ecs, 0.1),
            'geodns via ' + plain: lambda c: self.geo_pop(c, plain, 0.1),
            'geodns direct': lambda c: self.geo_pop(c, None, 0.1),
        }
        stop = threading.Event()
        steady = threading.Thread(target=self._steady, args=(stop,), daemon=True)
        steady.start()
        try:
            return self._failover(kind, region, clients, pop, methods, stop)
        finally:
            stop.set()
            steady.join(5)

    def _steady(self, stop):
        """Steady traffic from every client while a failover runs, as real
        users keep asking: GeoDNS directly with the client's /24 as ECS and
        the anycast address, each client every ~0.1 s. Their answers fill
        the decision logs that `compare` finds the failover windows in
        (a PoP the pollers stop asking would otherwise fall silent)."""
        while not stop.is_set():
            for c in S.CLIENTS:
                self.geo_pop(c, None, 0.1)
                self._nsid(c, 0.05)
            stop.wait(0.1)

    def _failover(self, kind, region, clients, pop, methods, stop):
        stop.wait(1.5)   # steady traffic first: busy runs before the kill
        before = {(m, c['name']): fn(c) for m, fn in methods.items() for c in clients}
        sig = getattr(signal, kind)
        t0, kill_wall = time.monotonic(), time.time()
        pop.signal(sig)
        away = self._race(methods, clients, lambda v: v is not None and v != region, t0,
                          limit=S.BGP_HOLD + 12, before=before)
        # Back: restart the process (or SIGCONT a frozen one).
        if kind == 'SIGSTOP':
            t1, back_wall = time.monotonic(), time.time()
            pop.signal(signal.SIGCONT)
        else:
            rc = pop.proc.wait(S.POP_LINGER + 5)
            if kind == 'SIGTERM':
                # Graceful: withdraw, linger, exit 0 (and no sanitizer report).
                assert rc == 0, 'pop-%s exited %s on SIGTERM:\n%s' % (region, rc, pop.tail())
            check_sanitizer(pop)
            t1, back_wall = time.monotonic(), time.time()
            pop.start()
            PIDS.add(pop.proc.pid)
        back = self._race(methods, clients, lambda v: v == region, t1, limit=20, before=before)
        self.converge()
        stop.wait(1.5)   # and after: the PoP is back in the answers
        return {'kind': kind, 'before': before, 'away': away, 'back': back,
                'kill_wall': kill_wall, 'back_wall': back_wall}

    def failover_windows(self):
        """`steerdns compare` on every server's decision log: the failover
        windows it finds (gap 1 s: the pollers ask every 20 ms)."""
        logs = sorted(os.path.join(self.out, f) for f in os.listdir(self.out)
                      if f.startswith('decisions-') and f.endswith('.jsonl'))
        js = os.path.join(self.out, 'failover.json')
        r = subprocess.run([self.bin, 'compare', '-c', os.path.join(self.out, 'geodns.yaml'),
                            '--min-samples', '1', '--failover-gap', '1', '--json', js] + logs,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, 'compare on the decision logs failed %d: %s' % (
            r.returncode, r.stderr)
        with open(os.path.join(self.out, 'failover-report.txt'), 'w') as f:
            f.write(r.stdout)
        with open(js) as f:
            return r.stdout, json.load(f)['failover']

    def _race(self, methods, clients, done, t0, limit, before):
        """Poll every (method, client) in its own thread until done(value);
        returns {method: seconds (max over clients) or None (never left /
        never needed: the method did not send them to the failed PoP)}."""
        res = {}
        lock = threading.Lock()

        def run(m, fn, c):
            if before is not None and before[(m, c['name'])] != S.FAIL_REGION:
                with lock:
                    res[(m, c['name'])] = 'n/a'
                return
            seen = []
            while time.monotonic() - t0 < limit:
                v = fn(c)
                seen.append((round(time.monotonic() - t0, 3), v))
                if done(v):
                    if os.environ.get('LAB_DEBUG'):
                        print('    %s %s: %s' % (m, c['name'], seen[-8:]), flush=True)
                    with lock:
                        res[(m, c['name'])] = time.monotonic() - t0
                    return
                time.sleep(0.02)
            with lock:
                res[(m, c['name'])] = None
        ths = [threading.Thread(target=run, args=(m, fn, c), daemon=True)
               for m, fn in methods.items() for c in clients]
        for t in ths:
            t.start()
        for t in ths:
            t.join(limit + 5)
        out = {}
        for m in methods:
            vals = [res.get((m, c['name'])) for c in clients]
            if all(v == 'n/a' for v in vals):
                out[m] = 'n/a'
            elif any(v is None for v in vals):
                out[m] = None
            else:
                out[m] = max(v for v in vals if v != 'n/a')
        return out

    def close(self):
        self.topo.close()


# ---------------------------------------------------------------------------
# Leftovers

def clean_stale():
    """Remove lab namespaces of an earlier run that was killed outright
    (SIGKILL: no atexit): sd-lab-*-PID whose PID is gone."""
    for line in N.sh(['ip', 'netns', 'list'], check=False).stdout.splitlines():
        m = re.match(r'^(sd-lab-\S+-(\d+))\b', line)
        if not m or os.path.exists('/proc/%s' % m.group(2)):
            continue
        for pid in N.sh(['ip', 'netns', 'pids', m.group(1)], check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        N.sh(['ip', 'netns', 'del', m.group(1)], check=False)
        log('removed stale namespace %s' % m.group(1))


def leftovers(lab):
    """What the lab left behind: namespaces, veths, live processes."""
    bad = []
    names = set(lab.ns.values())
    listed = N.sh(['ip', 'netns', 'list'], check=False).stdout
    for line in listed.splitlines():
        if line.split()[0] in names if line.split() else False:
            bad.append('namespace ' + line.split()[0])
    links = N.sh(['ip', '-o', 'link', 'show'], check=False).stdout
    for v in lab.veths:
        if re.search(r'\b%s[@:]' % re.escape(v), links):
            bad.append('veth ' + v)
    for pid in sorted(PIDS):
        try:
            with open('/proc/%d/stat' % pid) as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
            if state != 'Z':
                bad.append('process %d' % pid)
        except OSError:
            pass
    return bad


# ---------------------------------------------------------------------------
# Reports

def fmt_s(v):
    if v == 'n/a':
        return 'n/a*'
    if v is None:
        return 'never'
    return '<0.05' if v < 0.05 else '%.2f' % v


def accuracy_table(probes, exp):
    ecs = [r['name'] for r in S.RESOLVERS if r['ecs']][0]
    plain = [r['name'] for r in S.RESOLVERS if not r['ecs']][0]
    cols = [('geodns-ecs', 'GeoDNS via %s' % ecs), ('geodns-plain', 'GeoDNS via %s' % plain),
            ('anycast', 'anycast (NSID)')]
    got = {}
    for c in S.CLIENTS:
        p = probes[c['name']]
        got[c['name']] = {
            'geodns-ecs': (p[ecs]['geodns_resolver'] or {}).get('pop'),
            'geodns-plain': (p[plain]['geodns_resolver'] or {}).get('pop'),
            'anycast': (p[ecs]['anycast'] or {}).get('pop'),
            'direct-ecs': (p[ecs]['geodns_ecs'] or {}).get('pop'),
        }
    w = [8, 11, 9] + [max(18, len(t) + 2) for _, t in cols]
    lines = ['%-8s%-11s%-9s' % ('client', 'city', 'nearest') +
             ''.join('%-*s' % (w[3 + i], t) for i, (_, t) in enumerate(cols))]
    hits = {k: 0 for k, _ in cols}
    for c in S.CLIENTS:
        opt = exp[c['name']]['optimal']
        row = '%-8s%-11s%-9s' % (c['name'], c['city'][:10], opt)
        for i, (k, _) in enumerate(cols):
            v = got[c['name']][k]
            ok = v == opt
            hits[k] += ok
            mark = 'ok' if ok else ('DETOUR' if k == 'anycast' and c['name'] in S.DETOUR['clients']
                                    else 'miss')
            row += '%-*s' % (w[3 + i], '%s (%s)' % (v, mark))
        lines.append(row)
    n = len(S.CLIENTS)
    row = '%-28s' % 'optimal-PoP hit rate'
    for i, (k, _) in enumerate(cols):
        row += '%-*s' % (w[3 + i], '%.1f%% (%d/%d)' % (100.0 * hits[k] / n, hits[k], n))
    lines.append(row)
    return '\n'.join(lines), got, {k: (hits[k], n) for k, _ in cols}


KIND_TEXT = {'SIGTERM': 'SIGTERM (graceful withdraw)', 'SIGKILL': 'SIGKILL (process dies)',
             'SIGSTOP': 'SIGSTOP (PoP hangs)'}


def failover_table(results, bounds):
    """Seconds per method and kill kind: away (with its bound) and back."""
    ecs = [r['name'] for r in S.RESOLVERS if r['ecs']][0]
    plain = [r['name'] for r in S.RESOLVERS if not r['ecs']][0]
    ms = ['anycast', 'geodns direct', 'geodns via ' + ecs, 'geodns via ' + plain]
    heads = ['anycast (BGP)', 'GeoDNS direct+ECS', 'GeoDNS via ' + ecs, 'GeoDNS via ' + plain]
    w0, w = 36, 20
    lines = ['%-*s' % (w0, 'pop-%s' % S.FAIL_REGION) + ''.join('%-*s' % (w, h) for h in heads)]

    def cell(v, bound=None):
        t = fmt_s(v)
        if v not in ('n/a', None):
            t += ' s'
            if bound is not None:
                t += ' (<%.1f)' % bound
        return '%-*s' % (w, t)
    for r in results:
        k = r['kind']
        lines.append('%-*s' % (w0, KIND_TEXT.get(k, k) + ': away') +
                     ''.join(cell(r['away'][m], bounds[k][m]) for m in ms))
        lines.append('%-*s' % (w0, '  restarted: back') + ''.join(cell(r['back'][m]) for m in ms))
    c = S.GEO_CHECK
    lines += ['(bound): anycast hold %d s + 3; GeoDNS detection (check %s x fall %d + timeout %s,'
              % (S.BGP_HOLD, c['interval'], c['fall'], c['timeout']),
              '  + linger %s after SIGTERM) + 3, plus TTL %d s through a resolver.'
              % (S.POP_LINGER, S.TTL),
              'GeoDNS direct+ECS: asked without a resolver cache, i.e. health detection alone.',
              'n/a*: the plain resolver is located in us, so it never sent the %s clients to pop-%s.'
              % (S.FAIL_REGION, S.FAIL_REGION)]
    if any(r['kind'] == 'SIGKILL' for r in results):
        lines.append('SIGKILL: the kernel closes the dead process\'s BGP socket, so the router '
                     'withdraws at once;')
        lines.append('  a hung PoP (SIGSTOP) is only noticed at hold-timer expiry (hold %d s).'
                     % S.BGP_HOLD)
    return '\n'.join(lines)


def bounds_for(kind):
    """Loose physical bounds (seconds) per method for a kill kind."""
    c = S.GEO_CHECK
    detect = c['fall'] * c['interval'] + c['timeout'] + (S.POP_LINGER if kind == 'SIGTERM' else 0)
    ecs = [r['name'] for r in S.RESOLVERS if r['ecs']][0]
    plain = [r['name'] for r in S.RESOLVERS if not r['ecs']][0]
    geo = detect + S.TTL + 3
    return {'anycast': S.BGP_HOLD + 3, 'geodns direct': detect + 3,
            'geodns via ' + ecs: geo, 'geodns via ' + plain: geo}


# ---------------------------------------------------------------------------
# Run

def run(binary, short=True, outdir=None):
    """Build, measure, fail over, tear down. Returns the results dict;
    raises AssertionError when an expectation fails, Skip when the lab
    cannot run here."""
    require(binary)
    outdir = outdir or tempfile.mkdtemp(prefix='steerdns-lab-')
    os.makedirs(outdir, exist_ok=True)
    for f in os.listdir(outdir):
        if f.startswith(('probe-', 'decisions-')) and f.endswith('.jsonl'):
            os.unlink(os.path.join(outdir, f))
    clean_stale()
    lab = Lab(binary, outdir)
    prev = {}

    def on_signal(signum, frame):
        raise KeyboardInterrupt('signal %d' % signum)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        try:
            prev[s] = signal.signal(s, on_signal)
        except ValueError:
            pass      # not the main thread: atexit still tears down
    result = {'outdir': outdir}
    try:
        log('building the lab in %s' % outdir)
        lab.build()
        exp = expected()
        log('probing from %d clients through %d resolvers' % (len(S.CLIENTS), len(S.RESOLVERS)))
        probes = lab.probe_all()
        table, got, hits = accuracy_table(probes, exp)
        text, rep, html = lab.compare(probes)
        result.update(accuracy=table, got=got, hits=hits, compare_text=text, html=html,
                      compare_json=rep)
        print('\n== steerdns compare (ground truth: nearest PoP by distance)\n' + text, flush=True)
        # Exact expectations the topology determines.
        for c in S.CLIENTS:
            e, g = exp[c['name']], got[c['name']]
            assert g['geodns-ecs'] == e['geodns-ecs'], '%s via the ECS resolver: %s, want %s' % (
                c['name'], g['geodns-ecs'], e['geodns-ecs'])
            assert g['direct-ecs'] == e['geodns-ecs'], '%s direct ECS: %s, want %s' % (
                c['name'], g['direct-ecs'], e['geodns-ecs'])
            assert g['geodns-plain'] == e['geodns-plain'], '%s via the plain resolver: %s, want %s' % (
                c['name'], g['geodns-plain'], e['geodns-plain'])
            assert g['anycast'] == e['anycast'], '%s anycast: %s, want %s' % (
                c['name'], g['anycast'], e['anycast'])
        check_compare(rep, exp)
        results = []
        bounds = {}
        for kind in (S.KILLS_SHORT if short else S.KILLS_FULL):
            log('failover: %s to pop-%s' % (kind, S.FAIL_REGION))
            r = lab.failover(kind)
            bounds[kind] = bounds_for(kind)
            log('  away %s, back %s' % (r['away'], r['back']))
            results.append(r)
        result.update(failover=results, bounds=bounds,
                      failover_table=failover_table(results, bounds))
        text, fo = lab.failover_windows()
        result.update(failover_windows=fo,
                      failover_text=text.split('\nfailover windows')[1].split('\n\n')[0])
        check_failover_windows(fo, results)
        for r in S.REGION_ORDER:
            # Each PoP's self check asks its own unicast address (first in
            # listen): health checks, not clients, so not in its log.
            with open(lab.dlog('pop-' + r)) as f:
                own = [l for l in f if '"resolver":"%s"' % S.POPS[r]['addr'] in l]
            assert not own, 'pop-%s logged its own self check: %s' % (r, own[:2])
        for r in results:
            for m, v in r['away'].items():
                if v == 'n/a':
                    continue
                assert v is not None, '%s: %s never left the failed PoP' % (r['kind'], m)
                assert v < bounds[r['kind']][m], '%s: %s took %.2fs, bound %.1fs' % (
                    r['kind'], m, v, bounds[r['kind']][m])
            for m, v in r['back'].items():
                if v != 'n/a':
                    assert v is not None, '%s recovery: %s never came back' % (r['kind'], m)
        for d in [lab.geodns] + list(lab.pops.values()):
            check_sanitizer(d)
    finally:
        lab.close()
        for s, h in prev.items():
            signal.signal(s, h)
        left = leftovers(lab)
        result['leftovers'] = left
        if left:
            print('lab: LEFT BEHIND after teardown: %s' % ', '.join(left), flush=True)
    assert not left, 'the lab left behind: %s' % ', '.join(left)
    return result


def check_sanitizer(d):
    """No ASan/UBSan report in a steerdns's stderr (make check also runs
    the lab against the sanitizer build)."""
    text = d.stderr()
    for bad in ('AddressSanitizer', 'LeakSanitizer', 'runtime error:'):
        assert bad not in text, '%s: sanitizer report:\n%s' % (d.name, text[text.index(bad) - 200:][:3000])


def check_compare(rep, exp):
    """steerdns compare must agree with the lab's own count, every sample
    rated on the distance basis (no RTTs were given to it)."""
    want = {'geodns-ecs': 'geodns-ecs', 'geodns-resolver': 'geodns-plain', 'anycast': 'anycast'}
    n = len(exp)
    got = {m.get('method'): m for m in rep.get('methods', [])}
    for name, key in want.items():
        g = got.get(name)
        assert g is not None, 'compare JSON lacks %s: %s' % (name, json.dumps(rep)[:800])
        hits = sum(1 for e in exp.values() if e[key] == e['optimal'])
        assert g['samples'] == n, 'compare %s: %r samples, want %d' % (name, g['samples'], n)
        assert g['basis'] == {'rtt': 0, 'distance': n}, 'compare %s basis %r' % (name, g['basis'])
        assert (g['hit_rate']['hits'], g['hit_rate']['n']) == (hits, n), \
            'compare %s: hit rate %r, want %d/%d' % (name, g['hit_rate'], hits, n)
        cells = {}
        for e in exp.values():
            k = '%s>%s' % (e[key], e['optimal'])
            cells[k] = cells.get(k, 0) + 1
        assert g['confusion']['cells'] == cells, 'compare %s confusion %r, want %r' % (
            name, g['confusion']['cells'], cells)


def check_failover_windows(fo, results):
    """compare's failover windows, from the servers' own decision logs,
    against the lab's clocks and pollers (an independent measurement): for
    each kill, a window for the failed PoP reported by the health lines
    that opens after the kill and no later than GeoDNS answered another PoP
    to the direct pollers (the line is written within 50 ms of the state
    change that changed the answers), closes after the restart; GeoDNS's
    last answer with the PoP came before its pollers saw another one, and
    the anycast PoP's last answer before it exited or froze (within the
    SIGTERM linger)."""
    region, slack = S.FAIL_REGION, 0.15
    wins = [w for w in fo['windows'] if w['pop'] == region and w['source'] == 'reported']

    def wall(t):
        return calendar.timegm(time.strptime(t[:19], '%Y-%m-%dT%H:%M:%S')) + float(t[19:-1] or 0)
    for r in results:
        kill = r['kill_wall']
        mine = [w for w in wins if kill - slack <= wall(w['start']) <= r['back_wall']]
        assert len(mine) == 1, '%s: reported windows of %s after the kill at %.3f: %s' % (
            r['kind'], region, kill, json.dumps(fo, indent=1)[:3000])
        w = mine[0]
        start = wall(w['start'])
        direct = r['away']['geodns direct']
        assert start - kill <= direct + slack, '%s: window opens %.3f s after the kill, GeoDNS ' \
            'answered elsewhere after %.3f s' % (r['kind'], start - kill, direct)
        assert w['end'] is not None and wall(w['end']) >= r['back_wall'] - slack, (r['kind'], w)
        g = w['methods'].get('geodns-ecs')
        assert g and g['status'] == 'stopped', (r['kind'], w)
        assert wall(g['last']) - kill <= direct + slack, '%s: last GeoDNS answer with %s ' \
            '%.3f s after the kill, its pollers saw another PoP at %.3f s' % (
                r['kind'], region, wall(g['last']) - kill, direct)
        a = w['methods'].get('anycast')
        if a is not None:
            assert a['status'] == 'stopped', (r['kind'], w)
            bound = S.POP_LINGER if r['kind'] == 'SIGTERM' else 0
            assert wall(a['last']) - kill <= bound + slack, '%s: anycast answered from %s ' \
                '%.3f s after the kill' % (r['kind'], region, wall(a['last']) - kill)


def summary(result):
    lines = ['', '=' * 78, 'steerdns lab: GeoDNS and anycast side by side',
             'ground truth: the nearest PoP by great-circle distance from the lab coordinates',
             '(no netem here: every veth RTT is alike, so RTT cannot rank PoPs)', '',
             '== Accuracy: PoP each method chose per client', result['accuracy'], '']
    if 'failover_table' in result:
        lines += ['== Failover: pop-%s killed; seconds until every %s client reaches another PoP '
                  '(bound in parentheses), then back after the restart' % (S.FAIL_REGION, S.FAIL_REGION),
                  result['failover_table'], '']
    if 'failover_text' in result:
        lines += ['== Failover windows found by `steerdns compare --failover-gap 1` in the servers\' '
                  'decision logs', 'failover windows' + result['failover_text'], '']
    lines += ['HTML report: %s' % result['html'],
              'leftovers after teardown: %s' % (', '.join(result['leftovers']) or 'none'),
              '=' * 78]
    return '\n'.join(lines)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument('--short', action='store_true', help='accuracy + one SIGTERM failover')
    g.add_argument('--full', action='store_true', help='accuracy + SIGTERM, SIGKILL, SIGSTOP')
    ap.add_argument('--steerdns', default=os.path.join(ROOT, 'steerdns'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'build', 'lab'),
                    help='directory for the report, configs and probe files (default build/lab)')
    a = ap.parse_args(argv[1:])
    try:
        res = run(a.steerdns, short=not a.full, outdir=a.out)
    except Skip as e:
        print('lab: cannot run here: %s' % e)
        return 2
    except KeyboardInterrupt as e:
        print('lab: interrupted (%s); torn down' % (e or 'SIGINT'), flush=True)
        return 130
    print(summary(res), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
