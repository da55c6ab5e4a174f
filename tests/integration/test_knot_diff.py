"""test_knot_diff: steerdns and Knot DNS serve the same zone; answers must match.

The zone lives in one Python structure (RECORDS) rendered as steerdns YAML
and as a master file for knotd, so the two servers cannot drift. The same
query bytes go to both servers; rcode, AA, TC and every section (as a
multiset of normalized RRs, order ignored) are compared, except for the
documented deliberate differences in DIFFERENCES.
"""

import itertools
import struct

import harness as H
from harness import Skip

ORIGIN = 'diff.test.'
TTL = 3600
SOA = {'mname': 'ns1', 'rname': 'hostmaster', 'serial': 2026112201, 'refresh': 3600,
       'retry': 900, 'expire': 1209600, 'minimum': 300}
LONG = ['"%s"' % (c * 200) for c in 'abc']
RECORDS = [
    ('@', {'NS': ['ns1', 'ns2'], 'MX': ['10 mail', '20 mail2.other.net.'],
           'TXT': ['v=spf1 -all', '"two" "strings"'], 'A': '192.0.2.10', 'AAAA': '2001:db8::10',
           'CAA': ['0 issue "ca.example.net"', '0 iodef "mailto:sec@diff.test"']}),
    ('ns1', {'A': '192.0.2.1'}),
    ('ns2', {'A': '192.0.2.2', 'AAAA': '2001:db8::2'}),
    ('mail', {'A': '192.0.2.25', 'AAAA': '2001:db8::25'}),
    ('www', {'A': ['192.0.2.80', '192.0.2.81', '192.0.2.82'],
             'AAAA': ['2001:db8::80', '2001:db8::81'], 'TXT': 'hello world', 'ttl': 300}),
    ('*.wild', {'A': '192.0.2.100', 'TXT': 'wild'}),
    ('*.wcname', {'CNAME': 'www'}),
    ('*.below.ent', {'A': '192.0.2.101'}),             # wildcard below empty non-terminals
    ('a.b.c.deep', {'A': '192.0.2.102', 'ttl': 60}),   # b.c.deep, c.deep, deep are ENTs
    ('sub', {'NS': ['ns.sub', 'ns.other.net.']}),      # in-zone + out-of-zone NS, glue
    ('ns.sub', {'A': '192.0.2.53', 'AAAA': '2001:db8::53'}),
    ('ext', {'NS': ['ns1.other.net.', 'ns2.other.net.']}),  # out-of-zone NS only
    ('mixed', {'NS': ['ns1', 'ns.mixed']}),            # NS target is authoritative data
    ('ns.mixed', {'A': '192.0.2.54'}),
    ('alias', {'CNAME': 'www'}),
    ('alias2', {'CNAME': 'alias'}),                    # chain of two
    ('dangling', {'CNAME': 'nothere'}),                # to a nonexistent in-zone name
    ('outside', {'CNAME': 'www.other.net.'}),          # out of zone
    ('loop1', {'CNAME': 'loop2'}),
    ('loop2', {'CNAME': 'loop1'}),
    ('towild', {'CNAME': 'foo.wild'}),                 # CNAME to a wildcard-synthesised name
    ('todeleg', {'CNAME': 'host.sub'}),                # CNAME into a delegation
    ('_sip._tcp', {'SRV': ['10 5 5060 sip', '20 5 5060 sip2.other.net.']}),
    ('sip', {'A': '192.0.2.60', 'AAAA': '2001:db8::60'}),
    ('ptr', {'PTR': 'www'}),
    ('txt', {'TXT': ['one', '"two words"', '"a" "b" "c"']}),
    ('big', {'TXT': ' '.join(LONG)}),                  # > 512 bytes: TC without EDNS
    ('many', {'A': ['192.0.2.%d' % i for i in range(150, 190)]}),
    ('caa', {'CAA': '0 issue "ca.example.net"'}),
]

NAMES = ['diff.test', 'ns1.diff.test', 'ns2.diff.test', 'mail.diff.test', 'www.diff.test',
         'foo.wild.diff.test', 'a.b.wild.diff.test', 'wild.diff.test', '*.wild.diff.test',
         'x.wcname.diff.test', 'x.below.ent.diff.test', 'below.ent.diff.test', 'ent.diff.test',
         'x.ent.diff.test', 'a.b.c.deep.diff.test', 'c.deep.diff.test', 'deep.diff.test',
         'z.a.b.c.deep.diff.test', 'sub.diff.test', 'host.sub.diff.test', 'ns.sub.diff.test',
         'ext.diff.test', 'a.b.ext.diff.test', 'mixed.diff.test', 'ns.mixed.diff.test',
         'alias.diff.test', 'alias2.diff.test', 'dangling.diff.test', 'outside.diff.test',
         'loop1.diff.test', 'towild.diff.test', 'todeleg.diff.test', '_sip._tcp.diff.test',
         'ptr.diff.test', 'txt.diff.test', 'big.diff.test', 'many.diff.test', 'caa.diff.test',
         'nope.diff.test', 'no.such.deep.name.diff.test']
QTYPES = ['A', 'AAAA', 'NS', 'MX', 'TXT', 'SRV', 'CAA', 'PTR', 'CNAME', 'SOA', 'ANY', 'DS']

# Deliberate differences: (key, reason). Each is applied in compare() below
# and counted in the summary, so none hides silently.
DIFFERENCES = [
    ('tc-sections',
     'When both set TC, sections are not compared: RFC 2181 9 says a truncated '
     'response is not to be used; Knot sends empty sections, steerdns may send what fit.'),
    ('opt-options',
     'OPT options other than NSID are not compared: Knot adds an Extended DNS Error '
     '(RFC 8914, option 15, code 20 "Not Authoritative") to REFUSED answers, steerdns '
     'sends no EDE; NSID content and OPT version/payload/DO are compared.'),
]

STATE = {}


def setup_module(binary):
    H.tool('knotd')
    knot = H.Knotd([(ORIGIN, H.zone_master(ORIGIN, TTL, SOA, RECORDS))])
    STATE['knot'] = knot
    knot.start(ORIGIN)
    srv = H.Steerdns(binary, [('diff.test.yaml', H.zone_yaml(ORIGIN, TTL, SOA, RECORDS))])
    STATE['srv'] = srv
    srv.start()


def cleanup(state):
    """Stop the servers a diff module started (also used by test_master_file)."""
    for k in ('srv', 'knot'):
        if state.get(k):
            state[k].cleanup()


def teardown_module():
    cleanup(STATE)


def _case_mix(name, seed):
    return ''.join(c.upper() if (i + seed) % 3 == 0 else c for i, c in enumerate(name))


def queries():
    """[(label, wire bytes, tcp)] covering names x types and variations."""
    out = []
    qid = itertools.count(1)
    for name in NAMES:
        for t in QTYPES:
            out.append(('%s %s' % (name, t), H.build_query(name, t, qid=next(qid)), False))
    # Variations on a subset: case, no EDNS, bufsize 512, TCP, NSID, DO.
    subset = ['diff.test', 'www.diff.test', 'foo.wild.diff.test', 'x.wcname.diff.test',
              'host.sub.diff.test', 'alias2.diff.test', 'dangling.diff.test', 'big.diff.test',
              'many.diff.test', 'nope.diff.test', 'mixed.diff.test', '_sip._tcp.diff.test',
              'x.below.ent.diff.test', 'loop1.diff.test', 'todeleg.diff.test']
    for name in subset:
        for t in ('A', 'TXT', 'MX', 'SRV', 'ANY'):
            n = next(qid)
            out.append(('%s %s case' % (_case_mix(name, n), t),
                        H.build_query(_case_mix(name, n), t, qid=n), False))
            out.append(('%s %s noedns' % (name, t), H.build_query(name, t, qid=next(qid), edns=False), False))
            out.append(('%s %s bufsize512' % (name, t),
                        H.build_query(name, t, qid=next(qid), payload=512), False))
            out.append(('%s %s tcp' % (name, t), H.build_query(name, t, qid=next(qid)), True))
            out.append(('%s %s tcp-noedns' % (name, t),
                        H.build_query(name, t, qid=next(qid), edns=False), True))
        out.append(('%s A nsid' % name,
                    H.build_query(name, 'A', qid=next(qid), options=[(H.OPT_NSID, b'')]), False))
        out.append(('%s A do' % name, H.build_query(name, 'A', qid=next(qid), do=True), False))
        out.append(('%s A rd' % name, H.build_query(name, 'A', qid=next(qid), rd=True), False))
    # Outside the zones, and NXDOMAIN deep below existing names.
    for name in ('other.net', 'diff.test.other', 'test', 'x.nope.diff.test'):
        for t in ('A', 'SOA', 'NS'):
            out.append(('%s %s' % (name, t), H.build_query(name, t, qid=next(qid)), False))
    return out


def _send(server, q, tcp):
    if tcp:
        return H.tcp_exchange(server.addr, server.port, q, 2.0)
    raw = H.udp_exchange(server.addr, server.port, q, 1.0)
    if raw is None:   # one retry against a lost datagram on a busy box
        raw = H.udp_exchange(server.addr, server.port, q, 1.0)
    return raw


def _opt_view(m):
    if m.opt is None:
        return None
    nsid = [v for c, v in m.opt['options'] if c == H.OPT_NSID]
    return {'version': m.opt['version'], 'payload': m.opt['payload'], 'do': m.opt['do'],
            'nsid': nsid}


def compare(label, a, b, used):
    """Return a list of difference strings (a = steerdns, b = Knot)."""
    diffs = []
    if a.rcode != b.rcode:
        diffs.append('rcode steerdns=%s knot=%s' % (a.rcode_name(), b.rcode_name()))
    for f in ('aa', 'tc', 'qr', 'rd', 'ra'):
        if getattr(a, f) != getattr(b, f):
            diffs.append('%s steerdns=%s knot=%s' % (f.upper(), getattr(a, f), getattr(b, f)))
    if a.question != b.question:
        diffs.append('question steerdns=%s knot=%s' % (a.question, b.question))
    qtype = b.question[0][1] if b.question else 0
    sects = ('answer', 'authority', 'additional')
    if a.tc and b.tc:
        used['tc-sections'] = used.get('tc-sections', 0) + 1
        sects = ()
    if sects:
        for sect in sects:
            sa, sb = sorted(getattr(a, sect)), sorted(getattr(b, sect))
            if sa != sb:
                only_a = [H.rr_str(r) for r in sa if r not in sb]
                only_b = [H.rr_str(r) for r in sb if r not in sa]
                diffs.append('%s: only steerdns %s; only knot %s' % (sect, only_a, only_b))
    oa, ob = _opt_view(a), _opt_view(b)
    if (a.opt and any(c != H.OPT_NSID for c, _ in a.opt['options'])) or \
       (b.opt and any(c != H.OPT_NSID for c, _ in b.opt['options'])):
        used['opt-options'] = used.get('opt-options', 0) + 1
    if oa != ob:
        diffs.append('OPT steerdns=%s knot=%s' % (oa, ob))
    return diffs


def test_knot_serves_zone():
    knot = STATE['knot']
    m = H.query(knot.addr, knot.port, 'www.diff.test', 'A')
    assert m.aa and len(m.answer) == 3, 'knotd sanity: %r' % m
    m = H.query(knot.addr, knot.port, 'host.sub.diff.test', 'A')
    assert not m.aa and len(m.authority) == 2, 'knotd referral sanity: %r' % m


def diff_queries(srv, knot, qs):
    """Send each (label, wire, tcp) to both servers and compare the answers.

    Returns (matched, mismatches [(label, tcp, [differences])], used
    {deliberate difference: times applied}). Also used by test_master_file.
    """
    matched = 0
    mismatches = []
    used = {}
    for label, q, tcp in qs:
        ra, rb = _send(srv, q, tcp), _send(knot, q, tcp)
        if rb is None:
            mismatches.append((label, tcp, ['knot gave no answer']))
            continue
        if ra is None:
            mismatches.append((label, tcp, ['steerdns gave no answer (knot: %r)' % H.decode(rb)]))
            continue
        try:
            a = H.decode(ra)
        except H.DecodeError as e:
            mismatches.append((label, tcp, ['steerdns reply undecodable: %s (%s)' % (e, ra.hex())]))
            continue
        b = H.decode(rb)
        if a.id != b.id:
            mismatches.append((label, tcp, ['ID steerdns=%d knot=%d' % (a.id, b.id)]))
            continue
        d = compare(label, a, b, used)
        if d:
            mismatches.append((label, tcp, d))
        else:
            matched += 1
    return matched, mismatches, used


def raise_mismatches(mismatches, total):
    if mismatches:
        lines = []
        for label, tcp, d in mismatches[:40]:
            lines.append('  %s%s: %s' % (label, ' (TCP)' if tcp else '', '; '.join(d)))
        raise AssertionError('%d of %d queries differ from Knot:\n%s%s' % (
            len(mismatches), total, '\n'.join(lines),
            '\n  ...' if len(mismatches) > 40 else ''))


def test_diff_against_knot():
    srv, knot = STATE['srv'], STATE['knot']
    qs = queries()
    assert len(qs) >= 300, 'only %d queries' % len(qs)
    matched, mismatches, used = diff_queries(srv, knot, qs)
    print('    knot diff: %d of %d queries matched; deliberate differences applied: %s' %
          (matched, len(qs), ', '.join('%s x%d' % kv for kv in sorted(used.items())) or 'none'))
    for key, why in DIFFERENCES:
        print('      [%s] %s' % (key, why))
    raise_mismatches(mismatches, len(qs))
