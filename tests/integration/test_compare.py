"""test_compare: `steerdns compare` end to end on fixture files.

The probe fixture is the one of tests/unit/test_compare.c (figures worked
out there): anycast 5 samples, 3 hits (60.0%), latency inflation
[0, 1, 16, 70] -> nearest-rank median 1, p90 70, p99 70, >10ms 50%,
>25ms 25%; geodns-ecs 2 samples, 2 hits. A decision log line whose client
81.2.69.142 is located by the config's GeoIP DB (MaxMind test DB: GB, EU)
joins the RTT CSV by /24: fra 30 vs ams 12 -> miss, inflation 18. The real
RIPE Atlas samples are read alongside (2 NSIDs, 56 DNS results).
Reports: terminal, --json, --html (xmllint, one <svg> per method,
rendered with headless Chromium to a PNG).
"""

import json
import os
import re
import shutil
import subprocess
import tempfile

import harness as H

BIN = None
TMP = None

PROBE = [
    {"vp": "p1", "vp_location": {"lat": 50.11, "lon": 8.68, "country": "DE", "continent": "EU"},
     "geodns_resolver": None, "geodns_ecs": {"pop": "fra"}, "anycast": {"nsid": "ams1", "pop": "ams"},
     "rtt_ms": {"fra": 5, "ams": 20, "iad": 90, "anycast": 21}},
    {"vp": "p2", "vp_location": {"lat": 50.11, "lon": 8.68, "country": "DE", "continent": "EU"},
     "geodns_resolver": {"pop": None}, "anycast": {"pop": "fra"},
     "rtt_ms": {"fra": 4, "ams": 10, "iad": 95, "anycast": 4}},
    {"vp": "p3", "vp_location": {"lat": 52.37, "lon": 4.9, "country": "NL", "continent": "EU"},
     "anycast": {"pop": "ams"}, "rtt_ms": {"fra": 12, "ams": 2, "iad": 88, "anycast": 3}},
    {"vp": "p4", "vp_location": {"lat": 38.95, "lon": -77.45, "country": "US", "continent": "NA"},
     "geodns_ecs": {"pop": "iad"}, "anycast": {"pop": "fra"},
     "rtt_ms": {"fra": 80, "ams": 85, "iad": 10, "anycast": 80}},
    {"vp": "p5", "vp_location": {"lat": 38.95, "lon": -77.45, "country": "US", "continent": "NA"},
     "anycast": {"pop": "iad"}, "rtt_ms": None},
]

DECISIONS = [
    {"ts": "2026-11-22T10:00:00.123Z", "server": "fra1", "method": "geodns", "arm": "geodns",
     "qname": "www.example.test.", "qtype": "A", "resolver": "192.0.2.53", "ecs": None,
     "client": "81.2.69.142/32", "country": None, "continent": None, "lat": None, "lon": None,
     "pop": "fra", "nearest": None, "pop_km": None, "nearest_km": None, "scope": None},
]

CSV = "client,pop,rtt_ms\n81.2.69.10,fra,30\n81.2.69.200,ams,12\n"


def atlas_dir():
    return H.data_dir('atlas')


def setup_module(binary):
    global BIN, TMP
    BIN = binary
    TMP = tempfile.mkdtemp(prefix='steerdns-compare-')
    city = os.path.abspath(os.path.join(H.mmdb_dir(), 'GeoIP2-City-Test.mmdb'))
    with open(os.path.join(TMP, 'c.yaml'), 'w') as f:
        f.write('geoip:\n  databases: [%s]\npops:\n'
                '  fra: { location: [50.11, 8.68], ipv4: 192.0.2.10, identity: k3.ams-ix.k.ripe.net }\n'
                '  ams: { location: [52.37, 4.9], ipv4: 192.0.2.20, identity: dns2.ams }\n'
                '  iad: { location: [38.95, -77.45], ipv4: 192.0.2.30 }\n' % city)
    with open(os.path.join(TMP, 'probe.jsonl'), 'w') as f:
        for p in PROBE:
            f.write(json.dumps(p) + '\n')
    with open(os.path.join(TMP, 'decisions.jsonl'), 'w') as f:
        for d in DECISIONS:
            f.write(json.dumps(d) + '\n')
        f.write('{"method": "geodns", broken\n')   # line 2: malformed
    with open(os.path.join(TMP, 'rtt.csv'), 'w') as f:
        f.write(CSV)


def teardown_module():
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


def run(*args):
    p = subprocess.run([BIN, 'compare', '-c', os.path.join(TMP, 'c.yaml')] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                       timeout=30, cwd=TMP)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def full_run():
    a = atlas_dir()
    return run('--min-samples', '3', '--json', 'out.json', '--html', 'out.html', 'probe.jsonl',
               'decisions.jsonl', 'rtt.csv', os.path.join(a, 'dns-results.jsonl'),
               os.path.join(a, 'ping-results.jsonl'))


def test_terminal_report():
    rc, out, err = full_run()
    assert rc == 0, 'exit %d\n%s' % (rc, err)
    assert 'nearest-rank' in out, out
    blk = out.split('== anycast:')[1].split('==')[0]
    assert 'optimal-PoP hit rate   60.0% (3/5)\n' in blk, blk
    assert 'median 1.0  p90 70.0  p99 70.0  >10ms 50.0%  >25ms 25.0%  (n=4)\n' in blk, blk
    ecs = out.split('== geodns-ecs:')[1].split('==')[0]
    assert 'optimal-PoP hit rate   100.0% (2/2) (few samples)' in ecs, ecs
    ab = out.split('== ab:geodns:')[1].split('==')[0]
    # 81.2.69.142 located by the DB (GB, EU); RTT CSV joined by /24.
    assert 'optimal-PoP hit rate   0.0% (0/1) (few samples)' in ab, ab
    assert 'median 18.0' in ab and re.search(r'GB\s+samples\s+1', ab), ab
    # The malformed decision log line, by file:line.
    assert 'decisions.jsonl:2: bad JSON' in err, err
    assert re.search(r'decisions.jsonl\s+decision-log\s+2 lines\s+1 used\s+0 skipped\s+1 malformed',
                     out), out
    assert 'RIPE Atlas: 56 DNS results (2 with NSID' in out, out


def test_json_report():
    rc, out, err = full_run()
    assert rc == 0, err
    with open(os.path.join(TMP, 'out.json')) as f:
        j = json.load(f)
    m = {g['method']: g for g in j['methods']}
    # The decision log line (geodns, no ECS, arm geodns) counts for both
    # geodns-resolver and ab:geodns.
    assert set(m) == {'geodns-ecs', 'geodns-resolver', 'anycast', 'ab:geodns'}, list(m)
    assert m['geodns-resolver']['samples'] == 1, m['geodns-resolver']
    a = m['anycast']
    # anycast: the 5 probe runs plus the two Atlas NSIDs (fra = k3..., ams =
    # dns2.ams), which have no pings of their probes and are not located by
    # the test DB: unrated.
    assert a['samples'] == 7 and a['rated'] == 5 and a['unrated'] == 2, a
    assert a['hit_rate'] == {'hits': 3, 'n': 5, 'value': 0.6, 'few_samples': False}, a['hit_rate']
    li = a['latency_inflation_ms']
    assert (li['n'], li['median'], li['p90'], li['p99']) == (4, 1, 70, 70), li
    assert (li['share_over_10ms'], li['share_over_25ms']) == (0.5, 0.25), li
    assert a['confusion']['cells'] == {'ams>fra': 1, 'fra>fra': 1, 'ams>ams': 1, 'fra>iad': 1,
                                       'iad>iad': 1}, a['confusion']
    eu = [b for b in a['by_continent'] if b['key'] == 'EU'][0]
    assert (eu['rated'], eu['hits'], eu['latency_median_ms'], eu['few_samples']) == (3, 2, 1, False), eu
    na = [b for b in a['by_continent'] if b['key'] == 'NA'][0]
    assert (na['rated'], na['hits'], na['few_samples']) == (2, 1, True), na
    assert m['ab:geodns']['latency_inflation_ms']['median'] == 18, m['ab:geodns']
    assert j['atlas']['dns_nsid'] == 2 and j['atlas']['dns_errors'] == 2, j['atlas']
    assert 'nearest-rank' in j['legend']
    bad = [i for i in j['inputs'] if i['file'] == 'decisions.jsonl'][0]
    assert bad['malformed'] == 1, bad


SVG_TAGS = {'svg', 'rect', 'line', 'text', 'path', 'title'}


def test_html_report():
    rc, out, err = full_run()
    assert rc == 0, err
    html = os.path.join(TMP, 'out.html')
    H.tool('xmllint')   # Skip when missing (Debian libxml2-utils)
    p = subprocess.run(['xmllint', '--noout', html], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 0 and not p.stderr, 'not well-formed XML:\n%s' % p.stderr.decode()
    p = subprocess.run(['xmllint', '--html', '--noout', html], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    assert p.returncode == 0, p.stderr.decode()
    # libxml2's HTML 4 parser knows no SVG: "Tag svg invalid" is the only
    # complaint allowed.
    for ln in p.stderr.decode().splitlines():
        mt = re.search(r'HTML parser error : (.*)', ln)
        if mt:
            t = re.match(r'Tag (\w+) invalid', mt.group(1))
            assert t and t.group(1) in SVG_TAGS, 'xmllint --html: %s' % ln
    text = open(html).read()
    assert 'http://' not in text.replace('http://www.w3.org/', ''), 'external reference'
    assert '<script' not in text and '<link' not in text and 'src=' not in text
    cdfs = re.findall(r'<svg [^>]*class="cdf" data-method="([^"]+)"', text)
    assert sorted(cdfs) == ['ab:geodns', 'anycast', 'geodns-ecs', 'geodns-resolver'], cdfs
    assert len(re.findall(r'<svg ', text)) == 5   # + the hit rate by continent bars
    assert 'class="bars"' in text and '(few samples)' in text


def test_html_renders():
    rc, out, err = full_run()
    assert rc == 0, err
    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    if not chromium:
        raise H.Skip('chromium not installed (Debian chromium)')
    png = os.path.join(TMP, 'out.png')
    prof = tempfile.mkdtemp(prefix='steerdns-chromium-')
    try:
        p = subprocess.run([chromium, '--headless', '--no-sandbox', '--disable-gpu',
                            '--disable-quic', '--no-first-run', '--disable-background-networking',
                            '--disable-component-update', '--disable-sync',
                            '--user-data-dir=' + prof, '--screenshot=' + png,
                            '--window-size=1200,1600', 'file://' + os.path.join(TMP, 'out.html')],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=90)
    finally:
        shutil.rmtree(prof, ignore_errors=True)
    if not os.path.exists(png):
        e = p.stderr.decode(errors='replace')
        if 'cannot open display' in e or 'Running as root without --no-sandbox' in e:
            raise H.Skip('chromium cannot run here: %s' % e[-300:])
        assert False, 'no screenshot (exit %d):\n%s' % (p.returncode, e[-2000:])
    data = open(png, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    # A blank page compresses to a few KB; charts and tables do not.
    assert len(data) > 10000, 'screenshot only %d bytes: blank?' % len(data)
    if os.environ.get('STEERDNS_KEEP_PNG'):
        shutil.copy(png, os.environ['STEERDNS_KEEP_PNG'])


def test_unknown_format_is_error():
    with open(os.path.join(TMP, 'notes.txt'), 'w') as f:
        f.write('hello\nworld\n')
    rc, out, err = run('probe.jsonl', 'notes.txt')
    assert rc == 1, 'exit %d' % rc
    assert 'notes.txt' in err and 'not a known input format' in err, err
    rc, out, err = run()
    assert rc == 2, 'no inputs: exit %d' % rc
