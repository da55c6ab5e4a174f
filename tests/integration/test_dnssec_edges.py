"""test_dnssec_edges: signed answers at the edges of the zone, Ed25519.

test_dnssec covers a signed GeoDNS zone (ECDSA) end to end; this module
signs a static zone with Ed25519 and asks delv (BIND's validator, the
served DNSKEY as its only trust anchor) about the cases around it:

  - empty non-terminal, wildcard NODATA, a CNAME chain ending in NODATA,
    queries in mixed case: validated;
  - queries for the NSEC type itself, at a name that exists, an empty
    non-terminal and a name that does not: the NSEC is the answer, and it
    validates (a NODATA whose NSEC lists NSEC would be bogus);
  - a secure delegation's DS and an insecure delegation's DS absence;
  - RFC 9824 3.5: a query for the NXNAME meta type is FORMERR;
  - a signed answer larger than the client's UDP payload is TC (not sent
    without its RRSIG), and over TCP it comes whole and validates;
  - the generated key file is readable by its owner only.
"""

import os
import shutil
import stat
import subprocess
import tempfile

import harness as H

STATE = {}
ORIGIN = 'sig.test.'
BIG = ', '.join('"%d%s"' % (i, 'x' * 200) for i in range(8))

ZONE = '''origin: sig.test.
ttl: 300
soa: { mname: ns1.sig.test., rname: hostmaster.sig.test., serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 }
records:
  "@": { NS: [ns1.sig.test.], MX: "10 mail" }
  ns1: { A: 192.0.2.1 }
  mail: { A: 192.0.2.2 }
  a.b.c: { A: 192.0.2.3 }
  "*.wild": { A: 192.0.2.99 }
  alias: { CNAME: a.b.c }
  chain: { CNAME: alias }
  big: { TXT: [%s] }
  sub: { NS: ns.sub }
  ns.sub: { A: 192.0.2.54 }
  secure: { NS: ns.secure, DS: "12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF" }
  ns.secure: { A: 192.0.2.55 }
''' % BIG


def setup_module(binary):
    for t in ('delv', 'dig'):
        H.tool(t)
    srv = H.Steerdns(binary, [('sig.test.yaml', ZONE)])
    srv.zone_names = ['{ file: sig.test.yaml, dnssec: { key_dir: keys, algorithm: ed25519 } }']
    srv._new_port()
    STATE['srv'] = srv
    srv.start()
    STATE['dir'] = tempfile.mkdtemp(prefix='steerdns-dnssec-edges-')


def teardown_module():
    if STATE.get('srv'):
        STATE['srv'].cleanup()
    if STATE.get('dir'):
        shutil.rmtree(STATE['dir'], ignore_errors=True)


def _dig(*args):
    srv = STATE['srv']
    return subprocess.run(['dig', '+norec', '-p', str(srv.port), '@' + srv.addr] + list(args),
                          capture_output=True, text=True, timeout=10).stdout


def _anchor():
    if 'anchor' not in STATE:
        lines = [l.split() for l in _dig('+noall', '+answer', 'sig.test', 'DNSKEY').splitlines()
                 if 'DNSKEY' in l]
        assert len(lines) == 1, lines
        f = lines[0]
        assert f[4:7] == ['257', '3', '15'], f   # CSK, Ed25519 (RFC 8080)
        path = os.path.join(STATE['dir'], 'anchor.conf')
        with open(path, 'w') as fh:
            fh.write('trust-anchors { sig.test. static-key %s %s %s "%s"; };\n'
                     % (f[4], f[5], f[6], ''.join(f[7:])))
        STATE['anchor'] = path
    return STATE['anchor']


def _delv(name, qtype, *extra):
    srv = STATE['srv']
    r = subprocess.run(['delv', '@' + srv.addr, '-p', str(srv.port), '-a', _anchor(),
                        '+root=sig.test'] + list(extra) + [name, qtype],
                       capture_output=True, text=True, timeout=20)
    return r.stdout + r.stderr


def test_negative_edges_validate():
    # name, type, what delv must print: "; fully validated" for data,
    # "; negative response, fully validated" for NODATA.
    cases = [('b.c.sig.test', 'A', 'negative'),          # empty non-terminal
             ('x.wild.sig.test', 'AAAA', 'negative'),    # wildcard, no AAAA
             ('y.x.wild.sig.test', 'A', 'positive'),
             ('chain.sig.test', 'AAAA', 'negative'),     # CNAME CNAME, then NODATA
             ('chain.sig.test', 'A', 'positive'),
             ('MAIL.Sig.TEST', 'A', 'positive'),
             ('ns1.sig.test', 'NS', 'negative')]
    for name, qtype, kind in cases:
        out = _delv(name, qtype)
        # A CNAME chain ending in NODATA prints the chain "fully validated"
        # and then the validated negative cache entry (ncache nxrrset).
        ok = 'fully validated' in out and not any(
            w in out for w in ('bogus', 'no valid', 'insecurity proof failed', 'broken trust'))
        if kind == 'negative':
            ok = ok and 'ncache nxrrset' in out and '\\-%s' % qtype in out
        else:
            ok = ok and 'resolution failed' not in out
        assert ok, '%s %s (%s): %s' % (name, qtype, kind, out)


def test_nsec_query_is_answered_with_the_nsec():
    for name, types in (('sig.test', 'NS SOA MX RRSIG NSEC DNSKEY CDS CDNSKEY'),
                        ('b.c.sig.test', 'RRSIG NSEC'),
                        ('nx.sig.test', 'RRSIG NSEC TYPE128')):
        out = _delv(name, 'NSEC')
        assert '; fully validated' in out, '%s NSEC: %s' % (name, out)
        # The NSEC's next name is \000.<name> (RFC 9824 3) and its bitmap the name's types.
        want = '%s.\t\t60\tIN\tNSEC\t\\000.%s. %s' % (name, name, types)
        got = [l for l in out.splitlines() if '\tNSEC\t' in l]
        assert got and got[0].split() == want.split(), '%r != %r' % (got, want)


def test_delegations():
    out = _delv('secure.sig.test', 'DS')
    assert '; fully validated' in out and '12345 13 2' in out, out
    out = _delv('sub.sig.test', 'DS')
    assert '; negative response, fully validated' in out, out
    # The referral to the insecure child carries the NSEC at the cut: NS RRSIG NSEC, no DS.
    ref = _dig('+dnssec', 'a.sub.sig.test', 'A')
    nsec = [l.split() for l in ref.splitlines() if '\tNSEC\t' in l]
    assert nsec and nsec[0][4:] == ['\\000.sub.sig.test.', 'NS', 'RRSIG', 'NSEC'], ref


def test_nxname_query_is_formerr():
    for name in ('nx.sig.test', 'mail.sig.test'):
        out = _dig('+dnssec', name, 'TYPE128')
        assert 'status: FORMERR' in out, out


def test_signed_answer_too_big_is_truncated_then_whole_over_tcp():
    udp = _dig('+dnssec', '+bufsize=512', '+ignore', 'big.sig.test', 'TXT')
    assert ' tc' in udp.split('flags:')[1].split(';')[0], udp
    assert 'RRSIG' not in udp.split('ANSWER SECTION')[-1] or 'ANSWER SECTION' not in udp, udp
    tcp = _dig('+dnssec', '+tcp', 'big.sig.test', 'TXT')
    assert tcp.count('\tTXT\t') == 8 and 'RRSIG\tTXT 15 3 300' in tcp, tcp
    out = _delv('big.sig.test', 'TXT', '+tcp')
    assert '; fully validated' in out, out


def test_key_file_owner_only():
    srv = STATE['srv']
    keys = os.path.join(srv.dir, 'keys')
    pems = [f for f in os.listdir(keys) if f.endswith('.pem')]
    assert len(pems) == 1, pems
    assert stat.S_IMODE(os.stat(os.path.join(keys, pems[0])).st_mode) == 0o600
