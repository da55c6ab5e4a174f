"""test_master_file: an RFC 1035 master file served by steerdns and by Knot DNS.

tests/data/zones/types.test.zone (with its $INCLUDE types.test.inc) holds
SOA, NS, MX, CAA, TXT, A, AAAA, HTTPS, SVCB, TLSA, SSHFP, NAPTR, SRV, a DS at
a delegation, PTR, CNAME, LOC, URI, HINFO, RP and a generic TYPE65280. Both
servers load the very same files; every name is asked every type, plus
variations (DO, TCP, no EDNS, 512-byte payload, case), and the answers must
match section by section (test_knot_diff.compare: rcode, flags, every RR as
decoded from the wire). Additional-section processing for SRV, MX, NS and
the SVCB/HTTPS targets is part of what is compared.
"""

import itertools
import os
import re
import shutil

import harness as H
import test_knot_diff as KD

HERE = os.path.dirname(os.path.abspath(__file__))
ZONES = os.path.join(HERE, '..', 'data', 'zones')
ORIGIN = 'types.test.'
ZONE_FILE = 'types.test.zone'
INCLUDED = 'types.test.inc'

QTYPES = ['A', 'AAAA', 'NS', 'MX', 'TXT', 'SRV', 'CAA', 'PTR', 'CNAME', 'SOA', 'ANY', 'DS',
          13, 17, 29, 35, 44, 52, 64, 65, 256, 65280, 99]   # HINFO RP LOC NAPTR SSHFP TLSA SVCB HTTPS URI

STATE = {}


def _names():
    """Every owner in the files (made absolute), plus names that do not exist."""
    names, origin = set(), ORIGIN
    for fname in (ZONE_FILE, INCLUDED):
        for line in open(os.path.join(ZONES, fname)):
            line = line.split(';')[0].rstrip()
            if line.startswith('$ORIGIN'):
                origin = line.split()[1]
                continue
            if not line or line[0] in ' \t$(' or not re.match(r'[\w@*-]', line):
                continue
            owner = line.split()[0]
            if owner == '@':
                owner = origin
            elif not owner.endswith('.'):
                owner = owner + '.' + origin
            names.add(owner.rstrip('.'))
    names.update(['nope.types.test', 'x.sub.types.test', 'a.b.wild.types.test',
                  'other.types.test', 'x.inc.types.test'])
    return sorted(names)


def setup_module(binary):
    H.tool('knotd')
    text = open(os.path.join(ZONES, ZONE_FILE)).read()
    knot = H.Knotd([(ORIGIN, text)])
    shutil.copy(os.path.join(ZONES, INCLUDED), knot.dir)
    STATE['knot'] = knot
    knot.start(ORIGIN)
    srv = H.Steerdns(binary, [(ZONE_FILE, text)])
    shutil.copy(os.path.join(ZONES, INCLUDED), srv.dir)
    STATE['srv'] = srv
    srv.start()


def teardown_module():
    KD.cleanup(STATE)


def _queries():
    out, qid = [], itertools.count(1)
    names = _names()
    for name in names:
        for t in QTYPES:
            out.append(('%s %s' % (name, H.type_name(H.type_code(t))),
                        H.build_query(name, t, qid=next(qid)), False))
            out.append(('%s %s do' % (name, H.type_name(H.type_code(t))),
                        H.build_query(name, t, qid=next(qid), do=True), False))
    for name in ('types.test', 'svc.types.test', '_dns.types.test', 'naptr.types.test',
                 'www.types.test', 'host.other.types.test', 'generic.types.test'):
        for t in (65, 64, 35, 44, 'TXT', 'ANY', 65280):
            out.append(('%s %s tcp' % (name, t), H.build_query(name, t, qid=next(qid)), True))
            out.append(('%s %s noedns' % (name, t),
                        H.build_query(name, t, qid=next(qid), edns=False), False))
            out.append(('%s %s bufsize512' % (name, t),
                        H.build_query(name, t, qid=next(qid), payload=512), False))
            out.append(('%s %s case' % (name.upper(), t),
                        H.build_query(name.upper(), t, qid=next(qid)), False))
    return out


def test_master_file_loads_every_record():
    # The owner list is read from the files: every one answers something.
    srv = STATE['srv']
    m = H.query(srv.addr, srv.port, 'generic.types.test', 65280)
    assert sorted(r[4] for r in m.answer) == ['\\# 0 ', '\\# 4 0a000001'], m
    m = H.query(srv.addr, srv.port, 'inc.types.test', 'A')
    assert [r[4] for r in m.answer] == ['192.0.2.110'], m   # from the $INCLUDEd file
    m = H.query(srv.addr, srv.port, 'host.other.types.test', 'A')
    assert [r[4] for r in m.answer] == ['192.0.2.120'], m   # after $ORIGIN


def test_master_file_against_knot():
    srv, knot = STATE['srv'], STATE['knot']
    qs = _queries()
    assert len(qs) >= 1000, 'only %d queries' % len(qs)
    matched, mismatches, used = KD.diff_queries(srv, knot, qs)
    print('    master file vs knot: %d of %d queries matched; differences applied: %s' %
          (matched, len(qs), ', '.join('%s x%d' % kv for kv in sorted(used.items())) or 'none'))
    KD.raise_mismatches(mismatches, len(qs))


def _checkconf(files):
    """Write files {name: text} and a config naming zones; run checkconf."""
    import subprocess
    import tempfile
    d = tempfile.mkdtemp(prefix='steerdns-mf-')
    for name, text in files.items():
        with open(os.path.join(d, name), 'w') as f:
            f.write(text)
    r = subprocess.run([STATE['srv'].binary, 'checkconf', '-c', os.path.join(d, 'c.yaml')],
                       capture_output=True, text=True, timeout=20)
    shutil.rmtree(d, ignore_errors=True)
    return r.returncode, (r.stdout + r.stderr).strip()


SOA_LINE = '@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n'


def test_master_file_errors_name_file_and_line():
    # A syntax error, a type error and a zone rule, each at its file:line;
    # in an $INCLUDEd file the included file's name and line.
    cases = [
        ('x.test.zone', SOA_LINE + 'www A 192.0.2.300\n', 'x.test.zone:4: '),
        ('x.test.zone', SOA_LINE + 'a CNAME b\na A 192.0.2.2\n',
         'x.test.zone:5: CNAME and other data at the same name'),
        ('x.test.zone', SOA_LINE + '$INCLUDE inc\n', 'inc:2: '),
        ('x.test.zone', SOA_LINE + 'www 2147483648 A 192.0.2.1\n', 'x.test.zone:4: TTL over'),
        ('x.test.zone', SOA_LINE + '$INCLUDE loop\n', 'loop:1: $INCLUDE nested too deep'),
    ]
    for fname, text, want in cases:
        rc, out = _checkconf({'c.yaml': 'zones: [%s]\n' % fname, fname: text,
                                    'inc': '; included\nbad A 1.2.3\n',
                                    'loop': '$INCLUDE loop\n'})
        assert rc == 1 and want in out, '%r: rc=%d %r' % (want, rc, out)


def test_master_file_entry_forms():
    # {file, format, origin}; a YAML zone that includes a master file for
    # its static records and keeps its own on top.
    files = {
        'c.yaml': 'zones:\n  - { file: db.x, format: rfc1035, origin: x.test. }\n'
                  '  - y.test.yaml\n',
        'db.x': SOA_LINE,
        'y.test.yaml': 'origin: y.test.\ninclude: y.static\nrecords:\n  www: { A: 192.0.2.9 }\n',
        'y.static': '$TTL 60\n' + SOA_LINE + 'mail MX 10 www\n',
    }
    rc, out = _checkconf(files)
    assert rc == 0 and '2 zones' in out and '8 records' in out, out
    files['y.test.yaml'] += '  mail: { A: 192.0.2.10 }\n'
    files['y.static'] += 'mail A 192.0.2.11\n'
    rc, out = _checkconf(files)
    assert rc == 1 and 'y.test.yaml:5:' in out and 'TTL 3600 differs' in out, out
