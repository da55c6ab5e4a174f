"""test_bgp_interop: the anycast BGP speaker against real peers (BIRD 2,
GoBGP) in network namespaces, and an end-to-end failover between two PoPs.

Needs root, `ip netns`, bird2 (bird, birdc) and gobgpd (gobgpd, gobgp);
each test SKIPs with the reason when one is missing. Every namespace is
named sd-<role>-<pid>, and everything is torn down in finally (and at exit)
even on failure. All traffic stays inside these namespaces.

Topology of most tests (one per test, made fresh):

    sd-pop-PID (steerdns)  v?a ---- v?b  sd-bird-PID (BIRD 2)
      10.201.0.1/30                      10.201.0.2/30
      fd00:201::1/64                     fd00:201::2/64

steerdns peers with BIRD's IPv4 address (announcing 198.51.100.0/24) and
its IPv6 address (announcing 2001:db8:100::/48). Assertions look at BIRD's
ROUTE TABLE (`birdc show route all`), not only at the session: a peer
silently drops routes whose attributes it does not like (RFC 7606).

Failover test:

    sd-popa-PID --\\
                   sd-bird-PID (forwarding, routes into its kernel) -- sd-client-PID
    sd-popb-PID --/

Both PoPs hold 198.51.100.1/32 on lo and announce 198.51.100.0/24; pop-b
prepends, so BIRD prefers pop-a. The client asks 198.51.100.1 with NSID
and we time how long until pop-b answers after pop-a fails.
"""

import os
import re
import signal
import subprocess
import time

import harness as H
import netns as N
from harness import Skip

BIN = None
ORIGIN = 'anycast.test.'
WWW = 'www.anycast.test'
ANY4 = '198.51.100.1'
ANY6 = '2001:db8:100::1'
PFX4 = '198.51.100.0/24'
PFX6 = '2001:db8:100::/48'
OUR_AS = 65001
PEER_AS = 64512
COMMS = ['65001:100', '65001:200']
LCOMMS = ['65001:1:2']
INTERVAL, FAST, RISE, FALL = 0.2, 0.1, 2, 2
HOLD = 3
CHECK_PORT = 8053                 # the "local service" the tcp check watches
SHUTDOWN_RE = re.compile(r'[Aa]dministrative shutdown')

POP4, BIRD4 = '10.201.0.1', '10.201.0.2'
POP6, BIRD6 = 'fd00:201::1', 'fd00:201::2'


def setup_module(binary):
    global BIN
    N.require_root_netns()
    H.tool('bird')
    H.tool('birdc')
    BIN = binary


def zone():
    return H.geo_zone_yaml(ORIGIN, steered=(('www', 30, 1),), static=(('static', '192.0.2.80'),))


def _ylist(items):
    return '[%s]' % ', '.join(H.yaml_str(x) for x in items)


def peer_yaml(address, remote_as=PEER_AS, prepend=0, med=None, password=None,
              communities=COMMS, large=LCOMMS):
    parts = ['address: %s' % H.yaml_str(address), 'as: %d' % remote_as]
    if prepend:
        parts.append('prepend: %d' % prepend)
    if med is not None:
        parts.append('med: %d' % med)
    if password:
        parts.append('password: %s' % H.yaml_str(password))
    if communities:
        parts.append('communities: %s' % _ylist(communities))
    if large:
        parts.append('large_communities: %s' % _ylist(large))
    return '{ %s }' % ', '.join(parts)


def anycast_yaml(peers, router_id, hold=HOLD, checks=(), drain_file=None, linger=0.5,
                 prefix6=True):
    """The `mode`/`anycast:` part of the config (format: anycast/anycast_conf.h)."""
    out = ['anycast:',
           '  ipv4: %s' % ANY4,
           '  ipv6: %s' % H.yaml_str(ANY6),
           '  bgp:',
           '    local_as: %d' % OUR_AS,
           '    router_id: %s' % router_id,
           '    hold_time: %d' % hold,
           '    prefix4: %s' % PFX4,
           # Reconnect fast after BIRD restarts or drops us (default 1 s doubling to 60 s).
           '    backoff: { min: 0.5, max: 2 }']
    if prefix6:
        out.append('    prefix6: %s' % H.yaml_str(PFX6))
    out.append('    peers:')
    for p in peers:
        out.append('      - %s' % p)
    out += ['  health:',
            '    self_check: { name: %s, type: A }' % WWW,
            '    interval: %s' % INTERVAL,
            '    fast_interval: %s' % FAST,
            '    rise: %d' % RISE,
            '    fall: %d' % FALL]
    if checks:
        out.append('    checks:')
        for c in checks:
            out.append('      - %s' % c)
    if drain_file:
        out.append('    drain_file: %s' % H.yaml_str(drain_file))
    out.append('  linger: %s' % linger)
    return '\n'.join(out) + '\n'


def tcp_check_yaml(port=CHECK_PORT):
    # interval/rise/fall come from anycast.health; timeout must fit the fast pace.
    return '{ type: tcp, address: 127.0.0.1, port: %d, timeout: %s }' % (port, FAST)


class PopDns(H.Steerdns):
    """steerdns serving on port 53 inside namespace ns (its own listen addresses)."""

    def __init__(self, topo, ns, listen_addrs, identity, extra_config):
        self.ns = ns
        self.listen_addrs = list(listen_addrs)
        super().__init__(BIN, [('anycast.test.yaml', zone())],
                         server={'identity': identity, 'workers': 1, 'mode': 'anycast'}, v6=False,
                         extra_config=extra_config)
        topo.dirs.append(self.dir)
        topo.add(self)

    def _new_port(self):
        self.port = 53
        listen = [('[%s]:53' if ':' in a else '%s:53') % a for a in self.listen_addrs]
        lines = ['server:', '  listen: [%s]' % ', '.join(H.yaml_str(x) for x in listen)]
        for k, v in self.server_keys.items():
            if v is not None:
                lines.append('  %s: %s' % (k, H.yaml_str(v) if isinstance(v, str) else v))
        lines.append('zones:')
        for fname in self.zone_names:
            lines.append('  - %s' % fname)
        self.config_text = '\n'.join(lines) + '\n' + self.extra_config
        with open(self.config, 'w') as f:
            f.write(self.config_text)

    def checkconf(self):
        r = subprocess.run([self.binary, 'checkconf', '-c', self.config],
                           capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            raise AssertionError('steerdns checkconf rejects the anycast config (%d): %s%s\n--- config:\n%s'
                                 % (r.returncode, r.stdout, r.stderr, self.config_text))

    def _start_once(self, timeout):
        self.checkconf()
        self.proc = subprocess.Popen(['ip', 'netns', 'exec', self.ns, self.binary, 'serve',
                                      '-c', self.config, '-v'],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        H._PROCS.append(self.proc)
        self.err = H._StderrCollector(self.proc.stderr)
        self.err.start()
        deadline = time.monotonic() + timeout
        probe = H.build_query('id.server', 'TXT', qclass='CH')
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.err.join(1)
                raise AssertionError('steerdns exited with %d before serving; stderr:\n%s' %
                                     (self.proc.returncode, self.err.text()))
            if N.udp_exchange(self.ns, '127.0.0.1', 53, probe, timeout=0.2) is not None:
                return self
            time.sleep(0.05)
        self.stop()
        raise AssertionError('steerdns did not answer in %s within %.0fs; stderr:\n%s' %
                             (self.ns, timeout, self.err.text()))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
            except OSError:
                pass
        return super().stop()

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def ask(self, from_ns, addr, qname=WWW, qtype='A', timeout=0.5):
        return N.nsid_query(from_ns, addr, 53, qname, qtype, timeout=timeout)

    def tail(self, n=40):
        return '\n'.join(self.stderr().splitlines()[-n:])

    def finish(self):
        """Graceful stop (SIGTERM): exit status 0 and no sanitizer report
        (make check also runs this module against the ASan+UBSan build)."""
        rc = self.stop()
        self.err.join(2)
        text = self.stderr()
        assert rc == 0, 'steerdns exited %s on SIGTERM:\n%s' % (rc, self.tail())
        for bad in ('AddressSanitizer', 'LeakSanitizer', 'runtime error:'):
            assert bad not in text, 'sanitizer report:\n%s' % text[text.index(bad) - 200:][:3000]


# ---------------------------------------------------------------------------
# One PoP + BIRD

class Pair:
    """sd-pop-PID with steerdns, sd-bird-PID with BIRD, one veth between them."""

    def __init__(self, topo, bird_hold=None, password=None, checks=(), drain_file=None,
                 linger=0.5, hold=HOLD, v6_session=True):
        self.topo = topo
        self.pop_ns = topo.netns('pop')
        self.bird_ns = topo.netns('bird')
        topo.veth(self.pop_ns, self.bird_ns, POP4, BIRD4, POP6, BIRD6)
        peers_b = [N.BirdPeer('pop4', POP4, OUR_AS, local_addr=BIRD4, hold=bird_hold, password=password)]
        peers_s = [peer_yaml(BIRD4, prepend=1, med=10, password=password)]
        if v6_session:
            peers_b.append(N.BirdPeer('pop6', POP6, OUR_AS, local_addr=BIRD6, hold=bird_hold,
                                      password=password))
            peers_s.append(peer_yaml(BIRD6, password=password))
        self.bird = N.Bird(topo, self.bird_ns, BIRD4, PEER_AS, peers_b).start()
        cfg = anycast_yaml(peers_s, POP4, hold=hold, checks=checks, drain_file=drain_file,
                           linger=linger, prefix6=v6_session)
        self.dns = PopDns(topo, self.pop_ns, [POP4, POP6, '127.0.0.1'], 'pop-1', cfg)

    def start(self):
        self.dns.start()
        return self

    def wait4(self, present=True, timeout=10):
        try:
            return self.bird.wait_route(PFX4, present, proto='pop4', timeout=timeout, step=0.03)
        except AssertionError as e:
            raise AssertionError('%s\n--- steerdns stderr (tail):\n%s' % (e, self.dns.tail()))

    def dns_ok(self):
        """www answers the anycast address (asked from the BIRD side)."""
        m, nsid = self.dns.ask(self.bird_ns, POP4)
        return m is not None and m.rcode == 0 and any(rr[4] == ANY4 for rr in m.answer)


def _topo(tag):
    return N.Topology(tag)


# ---------------------------------------------------------------------------
# Tests

def test_bird_routes_attributes():
    """Both prefixes in BIRD's table with AS path, next hop, MED and communities."""
    with _topo('routes') as t:
        p = Pair(t).start()
        r4, dt = p.wait4(True)
        r6, _ = p.bird.wait_route(PFX6, True, proto='pop6', timeout=10)
        print('    routes in BIRD %.2fs after steerdns answered' % dt)
        # IPv4 over the IPv4 session: prepend 1 -> our AS twice.
        assert r4['as_path'] == [OUR_AS, OUR_AS], r4['raw']
        assert r4['next_hop'] == [POP4], r4['raw']
        assert r4['via'] == POP4, r4['raw']
        assert r4['origin'] == 'IGP', r4['raw']
        assert r4['med'] == 10, r4['raw']
        assert r4['communities'] == {(65001, 100), (65001, 200)}, r4['raw']
        assert r4['large'] == {(65001, 1, 2)}, r4['raw']
        # IPv6 through MP_REACH_NLRI over the IPv6 session: global next hop = ours.
        assert r6['as_path'] == [OUR_AS], r6['raw']
        assert r6['next_hop'] and r6['next_hop'][0] == POP6, r6['raw']
        # RFC 2545 3: on a common subnet the link-local next hop comes too.
        assert len(r6['next_hop']) == 2 and r6['next_hop'][1].startswith('fe80:'), r6['raw']
        assert (r6['via'] or '') == POP6 or (r6['via'] or '').startswith('fe80:'), r6['raw']
        assert r6['origin'] == 'IGP', r6['raw']
        assert r6['communities'] == {(65001, 100), (65001, 200)}, r6['raw']
        assert r6['large'] == {(65001, 1, 2)}, r6['raw']
        # No attribute was discarded by BIRD (RFC 7606 treat-as-withdraw/discard).
        log = p.bird.log_text()
        assert 'Invalid' not in log and 'Malformed' not in log, log[-2000:]
        assert 'Missing link-local' not in log, log[-2000:]
        # The capabilities steerdns sent: MP v4+v6, 4-octet AS, no GR families.
        info = p.bird.cmd('show', 'protocols', 'all', 'pop4')
        nb = info.split('Neighbor capabilities', 1)[-1].split('Session:', 1)[0]
        assert '4-octet AS numbers' in nb, info
        # MP (RFC 4760): each session offers the family it has a next hop for.
        assert re.search(r'AF announced:\s+ipv4\b', nb), info
        info6 = p.bird.cmd('show', 'protocols', 'all', 'pop6')
        nb6 = info6.split('Neighbor capabilities', 1)[-1].split('Session:', 1)[0]
        assert re.search(r'AF announced:.*\bipv6\b', nb6), info6
        m = re.search(r'Graceful restart(.*?)(?:\n\s{6}\S|\Z)', nb, re.S)
        assert not (m and 'AF supported' in m.group(1)), 'GR capability lists families:\n' + info
        # And DNS answers the anycast address, with the PoP identity in NSID.
        m, nsid = p.dns.ask(p.bird_ns, POP4)
        assert m is not None and m.rcode == 0, m
        assert [rr[4] for rr in m.answer] == [ANY4], m
        assert nsid == 'pop-1', nsid
        p.dns.finish()


def test_health_failure_withdraws_and_rise_restores():
    """The local service (a tcp check) fails: withdrawn within fall x interval + 1 s;
    back after rise once it recovers; DNS keeps answering throughout."""
    with _topo('health') as t:
        p = Pair(t, checks=[tcp_check_yaml()])
        port = N.TcpPort(p.pop_ns, '127.0.0.1', CHECK_PORT).open()
        try:
            p.start()
            p.wait4(True)
            p.bird.wait_route(PFX6, True, proto='pop6', timeout=5)
            t0 = time.monotonic()
            port.close()
            _, dt = p.wait4(False, timeout=5)
            _, dt6 = p.bird.wait_route(PFX6, False, proto='pop6', timeout=5)
            limit = FALL * INTERVAL + 1.0
            print('    withdrawn %.2fs (v6 %.2fs) after the service failed (limit %.1fs)'
                  % (dt, time.monotonic() - t0, limit))
            assert dt <= limit, 'withdraw took %.2fs > %.1fs' % (dt, limit)
            assert 'Established' in p.bird.proto_state('pop4')[1], 'session dropped instead of a withdraw'
            assert p.dns_ok(), 'DNS stopped answering while withdrawn'
            # Stays withdrawn while the service is down.
            time.sleep(3 * INTERVAL)
            assert p.bird.route(PFX4, 'pop4') is None, 'route came back while unhealthy'
            port.open()
            _, up = p.wait4(True, timeout=5)
            print('    re-announced %.2fs after the service recovered' % up)
            assert up <= RISE * INTERVAL + 1.5, 'announce took %.2fs' % up
            p.bird.wait_route(PFX6, True, proto='pop6', timeout=3)
            p.dns.finish()
        finally:
            port.close()


def test_unhealthy_at_start_is_never_announced():
    """Session up but the local service is down from the start: no route
    until the service comes up (issue 4: never announce while unhealthy)."""
    with _topo('cold') as t:
        p = Pair(t, checks=[tcp_check_yaml()], v6_session=False)
        port = N.TcpPort(p.pop_ns, '127.0.0.1', CHECK_PORT)
        try:
            p.start()
            p.bird.wait_established('pop4')
            time.sleep(max(1.0, 4 * INTERVAL))
            assert p.bird.route(PFX4, 'pop4') is None, 'announced while the tcp check fails'
            assert p.dns_ok(), 'DNS must answer even while not announced'
            port.open()
            _, up = p.wait4(True, timeout=5)
            print('    first announce %.2fs after the service came up' % up)
            p.dns.finish()
        finally:
            port.close()


def test_drain_file_withdraws_and_restores():
    with _topo('drain') as t:
        d = t.tempdir('sd-drain-')
        drain = os.path.join(d, 'drain')
        p = Pair(t, drain_file=drain).start()
        p.wait4(True)
        with open(drain, 'w') as f:
            f.write('maintenance\n')
        _, dt = p.wait4(False, timeout=5)
        print('    drained (withdrawn) in %.2fs' % dt)
        assert dt <= FALL * INTERVAL + 1.0 + 1.0, dt
        assert 'Established' in p.bird.proto_state('pop4')[1]
        assert p.dns_ok(), 'DNS must keep answering while drained'
        os.unlink(drain)
        _, up = p.wait4(True, timeout=5)
        print('    back %.2fs after the drain file was removed' % up)
        p.dns.finish()


def test_sigusr1_drains_sigusr2_restores():
    with _topo('usr') as t:
        p = Pair(t).start()
        p.wait4(True)
        p.dns.signal(signal.SIGUSR1)
        _, dt = p.wait4(False, timeout=5)
        assert dt <= 1.0, 'SIGUSR1 withdraw took %.2fs' % dt
        assert p.dns.alive() and p.dns_ok()
        p.bird.wait_route(PFX6, False, proto='pop6', timeout=2)
        time.sleep(3 * INTERVAL)   # health checks keep passing: must stay drained
        assert p.bird.route(PFX4, 'pop4') is None, 'drain undone by the health checker'
        p.dns.signal(signal.SIGUSR2)
        _, up = p.wait4(True, timeout=5)
        print('    SIGUSR1 withdraw %.2fs, SIGUSR2 announce %.2fs' % (dt, up))
        p.bird.wait_route(PFX6, True, proto='pop6', timeout=2)
        p.dns.finish()


def test_sigterm_withdraw_linger_shutdown_message():
    linger = 1.5
    with _topo('term') as t:
        p = Pair(t, linger=linger).start()
        p.wait4(True)
        t0 = time.monotonic()
        p.dns.signal(signal.SIGTERM)
        _, dt = p.wait4(False, timeout=3)
        state = p.bird.proto_state('pop4')[1]
        assert dt < 1.0, 'withdraw after SIGTERM took %.2fs' % dt
        # Withdrawn by UPDATE while the session is still up, not by closing it.
        assert 'Established' in state, 'session already down at withdraw: %s' % state
        assert p.dns.alive(), 'exited without lingering'
        # DNS still answers during the linger.
        assert p.dns_ok(), 'no DNS during the linger'
        rc = p.dns.proc.wait(linger + 3)
        t_exit = time.monotonic() - t0
        print('    SIGTERM: withdrawn %.2fs, exited %.2fs (linger %.1fs), rc %d' % (dt, t_exit, linger, rc))
        assert rc == 0, 'exit status %d:\n%s' % (rc, p.dns.tail())
        assert t_exit >= linger - 0.2, 'exited after %.2fs, before the %.1fs linger' % (t_exit, linger)
        # BIRD saw Cease/Administrative Shutdown with our RFC 8203 message.
        log, _ = N.wait_until(lambda: SHUTDOWN_RE.search(p.bird.log_text()) and p.bird.log_text(), 3,
                              what='shutdown in the BIRD log')
        lines = [ln for ln in log.splitlines() if 'pop4' in ln and SHUTDOWN_RE.search(ln)]
        assert lines, log[-2000:]
        msg = SHUTDOWN_RE.split(lines[-1], 1)[1].strip(' :"')
        print('    BIRD log: %s' % lines[-1].split('> ', 1)[-1])
        assert 'steerdns' in msg, 'no RFC 8203 message text in: %s' % lines[-1]
        p.dns.finish()


def test_sigstop_bird_drops_route_after_hold_time():
    with _topo('stop') as t:
        p = Pair(t, bird_hold=HOLD, hold=HOLD).start()
        p.wait4(True)
        p.bird.wait_established('pop4')
        info = p.bird.cmd('show', 'protocols', 'all', 'pop4')
        assert re.search(r'Hold timer:\s+[\d.]+/%d' % HOLD, info), info
        time.sleep(0.5)
        p.dns.signal(signal.SIGSTOP)
        try:
            _, dt = p.wait4(False, timeout=HOLD + 3)
            print('    route dropped %.2fs after SIGSTOP (hold %ds)' % (dt, HOLD))
            # The last KEEPALIVE reached BIRD at most hold/3 before the stop.
            assert HOLD * 2 / 3 - 0.5 <= dt <= HOLD + 1.5, 'dropped after %.2fs, hold %d' % (dt, HOLD)
            assert re.search(r'pop4.*[Hh]old timer expired', p.bird.log_text()), p.bird.log_text()[-1500:]
        finally:
            p.dns.signal(signal.SIGCONT)
        # Resumed: it notices the dead session and reconnects (backoff >= 1 s).
        _, up = p.wait4(True, timeout=10)
        print('    re-announced %.2fs after SIGCONT' % up)
        p.dns.finish()


def test_bird_restart_session_and_route_return():
    with _topo('restart') as t:
        p = Pair(t, bird_hold=HOLD).start()
        p.wait4(True)
        p.bird.stop()
        time.sleep(0.5)
        t0 = time.monotonic()
        p.bird.start()
        _, up = p.wait4(True, timeout=12)
        p.bird.wait_route(PFX6, True, proto='pop6', timeout=5)
        print('    route back %.2fs after BIRD restarted' % (time.monotonic() - t0))
        assert p.dns.alive(), p.dns.tail()
        r4 = p.bird.route(PFX4, 'pop4')
        assert r4['as_path'] == [OUR_AS, OUR_AS] and r4['next_hop'] == [POP4], r4['raw']
        p.dns.finish()


def test_md5_session():
    with _topo('md5') as t:
        ns = t.netns('md5probe')
        if not N.kernel_has_md5(ns):
            raise Skip('kernel lacks TCP_MD5SIG')
        p = Pair(t, password='s3cret-md5').start()
        r4, dt = p.wait4(True)
        p.bird.wait_route(PFX6, True, proto='pop6', timeout=5)
        print('    MD5 session up, route in %.2fs' % dt)
        assert r4['next_hop'] == [POP4]
        # BIRD really applied a key (a session without one would not come up).
        assert 'password' in open(p.bird.conf).read()
        p.dns.finish()


def test_gobgp_session_and_rib():
    H.tool('gobgpd')
    H.tool('gobgp')
    pop4, gob4, pop6, gob6 = '10.203.0.1', '10.203.0.2', 'fd00:203::1', 'fd00:203::2'
    with _topo('gobgp') as t:
        pop_ns = t.netns('pop')
        g_ns = t.netns('gobgp')
        t.veth(pop_ns, g_ns, pop4, gob4, pop6, gob6)
        g = N.Gobgp(t, g_ns, gob4, PEER_AS, [(pop4, OUR_AS), (pop6, OUR_AS)]).start()
        cfg = anycast_yaml([peer_yaml(gob4, med=10), peer_yaml(gob6)], pop4)
        dns = PopDns(t, pop_ns, [pop4, '127.0.0.1'], 'pop-g', cfg).start()

        def has(fam, pfx):
            txt = g.rib(fam)
            return txt if pfx in txt else None
        try:
            rib4, dt = N.wait_until(lambda: has('ipv4', PFX4), 10, what='%s in gobgp rib' % PFX4)
            rib6, _ = N.wait_until(lambda: has('ipv6', PFX6), 10, what='%s in gobgp rib' % PFX6)
        except AssertionError as e:
            raise AssertionError('%s\nneighbors:\n%s\nsteerdns:\n%s' % (
                e, g.cli('neighbor').stdout, dns.tail()))
        print('    GoBGP has both prefixes %.2fs after start' % dt)
        line4 = [ln for ln in rib4.splitlines() if PFX4 in ln][0]
        line6 = [ln for ln in rib6.splitlines() if PFX6 in ln][0]
        assert pop4 in line4 and str(OUR_AS) in line4, rib4
        assert pop6 in line6 and str(OUR_AS) in line6, rib6
        for c in COMMS:
            assert c in line4, rib4
        assert '65001:1:2' in line4, rib4
        assert re.search(r'Med: 10\b', line4), rib4
        assert g.neighbor_state(pop4) == 'ESTABLISHED'
        assert g.neighbor_state(pop6) == 'ESTABLISHED'
        dns.finish()


# ---------------------------------------------------------------------------
# Failover end to end

def _failover(how):
    """Two PoPs, one BIRD routing for a client; pop-a fails by `how`
    ('kill' = SIGKILL, 'health' = its tcp check fails). Returns seconds."""
    with _topo('fo-' + how) as t:
        b_ns = t.netns('bird')
        a_ns = t.netns('popa')
        bb_ns = t.netns('popb')
        c_ns = t.netns('client')
        t.veth(a_ns, b_ns, '10.202.1.1', '10.202.1.2')
        t.veth(bb_ns, b_ns, '10.202.2.1', '10.202.2.2')
        t.veth(c_ns, b_ns, '10.202.3.1', '10.202.3.2')
        N.sh(['sysctl', '-qw', 'net.ipv4.ip_forward=1'], ns=b_ns)
        for ns in (b_ns, a_ns, bb_ns, c_ns):
            N.sh(['sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0'], ns=ns, check=False)
        for ns, gw in ((a_ns, '10.202.1.2'), (bb_ns, '10.202.2.2'), (c_ns, '10.202.3.2')):
            N.sh(['ip', 'route', 'add', 'default', 'via', gw], ns=ns)
        for ns in (a_ns, bb_ns):
            N.sh(['ip', 'addr', 'add', ANY4 + '/32', 'dev', 'lo'], ns=ns)
        bird = N.Bird(t, b_ns, '10.202.3.2', PEER_AS, [
            N.BirdPeer('popa', '10.202.1.1', OUR_AS, local_addr='10.202.1.2', hold=HOLD),
            N.BirdPeer('popb', '10.202.2.1', OUR_AS, local_addr='10.202.2.2', hold=HOLD),
        ], kernel=True).start()
        ports = {}
        pops = {}
        for name, ns, addr, gw, prepend in (('pop-a', a_ns, '10.202.1.1', '10.202.1.2', 0),
                                            ('pop-b', bb_ns, '10.202.2.1', '10.202.2.2', 2)):
            ports[name] = N.TcpPort(ns, '127.0.0.1', CHECK_PORT).open()
            cfg = anycast_yaml([peer_yaml(gw, prepend=prepend, communities=(), large=())], addr,
                               checks=[tcp_check_yaml()], prefix6=False)
            pops[name] = PopDns(t, ns, [addr, ANY4, '127.0.0.1'], name, cfg)
        try:
            for d in pops.values():
                d.start()
            bird.wait_route(PFX4, True, proto='popa', timeout=10)
            bird.wait_route(PFX4, True, proto='popb', timeout=10)

            def kernel_via():
                r = N.sh(['ip', 'route', 'show', PFX4], ns=b_ns, check=False).stdout
                m = re.search(r'via (\S+)', r)
                return m.group(1) if m else None
            N.wait_until(lambda: kernel_via() == '10.202.1.1', 5, what='kernel route via pop-a')

            def who():
                m, nsid = N.nsid_query(c_ns, ANY4, 53, WWW, timeout=0.2)
                if m is not None:
                    assert [rr[4] for rr in m.answer] == [ANY4], m
                return nsid
            first, _ = N.wait_until(who, 5, what='an answer at the anycast address')
            assert first == 'pop-a', 'BIRD should prefer pop-a (pop-b prepends); got %s' % first
            t0 = time.monotonic()
            if how == 'kill':
                pops['pop-a'].signal(signal.SIGKILL)
            else:
                ports['pop-a'].close()
            seen = []
            deadline = t0 + HOLD + 5
            while time.monotonic() < deadline:
                n = who()
                seen.append(n)
                if n == 'pop-b':
                    break
                time.sleep(0.02)
            dt = time.monotonic() - t0
            lost = sum(1 for x in seen if x is None)
            print('    failover by %s: answers from pop-b %.2fs after pop-a failed '
                  '(%d queries unanswered, %d from pop-a)' % (how, dt, lost, seen.count('pop-a')))
            assert seen and seen[-1] == 'pop-b', 'never moved to pop-b: %s\n%s' % (
                seen[-10:], bird.cmd('show', 'route', 'all'))
            assert dt < HOLD + 2, 'failover took %.2fs >= hold %d + 2 s' % (dt, HOLD)
            if how == 'health':
                # pop-a still serves DNS on its own address: only routing moved.
                m, nsid = N.nsid_query(b_ns, '10.202.1.1', 53, WWW)
                assert nsid == 'pop-a', (m, nsid)
                ports['pop-a'].open()
                N.wait_until(lambda: who() == 'pop-a', 5, what='traffic back on pop-a after recovery')
                pops['pop-a'].finish()
            pops['pop-b'].finish()
            return dt
        finally:
            for p in ports.values():
                p.close()


def test_failover_sigkill():
    _failover('kill')


def test_failover_health():
    _failover('health')
