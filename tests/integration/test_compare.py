"""test_compare: `steerdns compare` end to end on fixture files.

The probe fixture is the one of tests/unit/test_compare.c (figures worked
out there): anycast 5 samples, 3 hits (60.0%), latency inflation
[0, 1, 16, 70] -> nearest-rank median 1, p90 70, p99 70, >10ms 50%,
>25ms 25%; geodns-ecs 2 samples, 2 hits. A decision log line whose ECS
81.2.69.142/32 was used (client = the ECS prefix) is located by the
config's GeoIP DB (MaxMind test DB: GB, EU) and joins the RTT CSV by /24:
fra 30, ams 12, iad 95 -> miss, inflation 18; a second line steered by its
resolver's address is not rated. The real RIPE Atlas samples (tests/data/
atlas) are read alongside (2 NSIDs, 56 DNS results).

test_attribution_*: the hand-worked fixture tests/data/compare/attribution
(its README.md has every figure): text, JSON and HTML must print those
figures, to their rounding; Wilson and Newcombe intervals and distances
are computed here from the formulas, independently of compare.
Reports: terminal, --json, --html (xmllint, one <svg> per method,
rendered with headless Chromium to a PNG).
"""

import json
import math
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

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
     "qname": "www.example.test.", "qtype": "A", "resolver": "192.0.2.53", "ecs": "81.2.69.142/32",
     "client": "81.2.69.142/32", "country": None, "continent": None, "lat": None, "lon": None,
     "pop": "fra", "nearest": None, "pop_km": None, "nearest_km": None, "scope": 24},
    {"ts": "2026-11-22T10:00:00.124Z", "server": "fra1", "method": "geodns", "arm": None,
     "qname": "www.example.test.", "qtype": "A", "resolver": "81.2.69.142", "ecs": None,
     "client": "81.2.69.142/32", "country": None, "continent": None, "lat": None, "lon": None,
     "pop": "fra", "nearest": None, "pop_km": None, "nearest_km": None, "scope": None},
]

CSV = "client,pop,rtt_ms\n81.2.69.10,fra,30\n81.2.69.200,ams,12\n81.2.69.11,iad,95\n"

Z95 = 1.959963984540054


def wilson(k, n):
    """Wilson score interval (Wilson 1927; as in compare/cmp_report.h)."""
    p = k / n
    c = (p + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
    h = Z95 / (1 + Z95 ** 2 / n) * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n))
    return max(0.0, c - h), min(1.0, c + h)


def newcombe(k1, n1, k2, n2):
    """Newcombe's hybrid score interval for p1 - p2 (method 10)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1)
    l2, u2 = wilson(k2, n2)
    d = p1 - p2
    return d, d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2)


def km(a, b):
    """Great-circle distance, haversine, mean Earth radius 6371.0088 km."""
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


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
        f.write('{"method": "geodns", broken\n')   # line 3: malformed
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
    lo, hi = wilson(3, 5)
    assert 'optimal-PoP hit rate   60.0%% [%.1f-%.1f] (3/5)\n' % (100 * lo, 100 * hi) in blk, blk
    # Rank intervals, n=4: median ranks 1..4 -> [0, 70]; p90 ranks 2..4 -> [1, 70].
    assert ('median 1.0 [0.0-70.0]  p90 70.0 [1.0-70.0]  p99 70.0  >10ms 50.0%  >25ms 25.0%  '
            '(n=4)\n') in blk, blk
    ecs = out.split('== geodns-ecs:')[1].split('==')[0]
    # The two probe ECS answers (hits) and the decision log's ECS answer (miss).
    lo, hi = wilson(2, 3)
    assert 'optimal-PoP hit rate   66.7%% [%.1f-%.1f] (2/3)\n' % (100 * lo, 100 * hi) in ecs, ecs
    ab = out.split('== ab:geodns:')[1].split('==')[0]
    # 81.2.69.142 located by the DB (GB, EU); RTT CSV joined by /24.
    lo, hi = wilson(0, 1)
    assert 'optimal-PoP hit rate   0.0%% [%.1f-%.1f] (0/1) (few samples)' % (
        100 * lo, 100 * hi) in ab, ab
    assert 'median 18.0' in ab and re.search(r'GB\s+samples\s+1', ab), ab
    res = out.split('== geodns-resolver:')[1].split('==')[0]
    assert '1 samples, 0 rated' in res and '(1 located only at their resolver)' in res, res
    assert 'optimal-PoP hit rate   n/a (0/0)' in res and 'latency inflation ms   n/a' in res, res
    # The malformed decision log line, by file:line.
    assert 'decisions.jsonl:3: bad JSON' in err, err
    assert re.search(r'decisions.jsonl\s+decision-log\s+3 lines\s+2 used\s+0 skipped\s+1 malformed',
                     out), out
    assert 'RIPE Atlas: 56 DNS results (2 with NSID' in out, out


def test_json_report():
    rc, out, err = full_run()
    assert rc == 0, err
    with open(os.path.join(TMP, 'out.json')) as f:
        j = json.load(f)
    m = {g['method']: g for g in j['methods']}
    # The first decision log line (geodns, ECS used, arm geodns) counts
    # for geodns-ecs and ab:geodns; the second for geodns-resolver, unrated.
    assert set(m) == {'geodns-ecs', 'geodns-resolver', 'anycast', 'ab:geodns'}, list(m)
    g = m['geodns-resolver']
    assert (g['samples'], g['rated'], g['unrated_at_resolver']) == (1, 0, 1), g
    assert g['hit_rate']['value'] is None and g['hit_rate']['ci95'] is None, g['hit_rate']
    assert g['latency_inflation_ms']['median'] is None, g
    a = m['anycast']
    # anycast: the 5 probe runs plus the two Atlas NSIDs (fra = k3..., ams =
    # dns2.ams), which have no pings of their probes and are not located by
    # the test DB: unrated.
    assert a['samples'] == 7 and a['rated'] == 5 and a['unrated'] == 2, a
    hr = a['hit_rate']
    assert (hr['hits'], hr['n'], hr['value'], hr['few_samples']) == (3, 5, 0.6, False), hr
    assert all(abs(x - y) < 1e-9 for x, y in zip(hr['ci95'], wilson(3, 5))), hr
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
    # One CDF per metric, the methods overlaid: latency (anycast, geodns-ecs
    # from the probes, ab:geodns from the decision log joined to the CSV;
    # geodns-resolver has none: named "(n/a)", not drawn).
    cdfs = re.findall(r'<svg [^>]*class="cdf" data-metric="([^"]+)"', text)
    assert cdfs == ['latency', 'distance'], cdfs
    lat_svg = text.split('data-metric="latency"')[1].split('</svg>')[0]
    drawn = re.findall(r'<path [^>]*data-method="([^"]+)"', lat_svg)
    assert sorted(drawn) == ['ab:geodns', 'anycast', 'geodns-ecs'], drawn
    assert 'geodns-resolver (n/a)' in lat_svg, lat_svg
    # + the hit rate over time (the decision log lines have a ts) and by continent
    assert len(re.findall(r'<svg ', text)) == 4
    assert 'class="series"' in text
    # Bars carry the Wilson interval in their title: NA anycast 1 of 2.
    lo, hi = wilson(1, 2)
    assert '<title>anycast NA: 50.0%% [%.1f-%.1f] of 2</title>' % (100 * lo, 100 * hi) in text
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


ATT = os.path.join(H.repo_root(), 'tests', 'data', 'compare', 'attribution')
FRA, AMS, IAD = (50.11, 8.68), (52.37, 4.9), (38.95, -77.45)


def attribution_run():
    return run('--min-samples', '1', '--json', 'att.json', '--html', 'att.html',
               *[os.path.join(ATT, f) for f in ('decisions.jsonl', 'probes.jsonl', 'rtt.csv')])


def test_attribution_text():
    """Every rule of compare/formats.md on the hand-worked fixture."""
    rc, out, err = attribution_run()
    assert rc == 0, err
    lines = {m: out.split('== %s:' % m)[1].split('\n==')[0]
             for m in ('geodns-ecs', 'geodns-resolver', 'anycast')}
    want = {  # method: samples, rated, by rtt, by distance, unrated at resolver, partial, hits
        'geodns-ecs': (3, 3, 3, 0, 0, 0, 2),
        'geodns-resolver': (6, 2, 1, 1, 4, 1, 1),
        'anycast': (7, 6, 4, 2, 0, 3, 3),
    }
    for m, (n, rated, rtt, dist, atres, partial, hits) in want.items():
        head = ('%d samples, %d rated (%d by lowest RTT, %d by nearest distance), %d unrated '
                '(%d located only at their resolver); %d with RTTs to only some PoPs'
                % (n, rated, rtt, dist, n - rated, atres, partial))
        assert lines[m].startswith(' ' + head), '%s:\n%s\nwant %s' % (m, lines[m], head)
        lo, hi = wilson(hits, rated)
        rate = 'optimal-PoP hit rate   %.1f%% [%.1f-%.1f] (%d/%d)' % (
            100 * hits / rated, 100 * lo, 100 * hi, hits, rated)
        assert rate in lines[m], '%s: no %r in\n%s' % (m, rate, lines[m])
    # Latency: ecs [0, 0, 12], anycast [1, 12, 16, 79], resolver none.
    assert 'median 0.0 [0.0-12.0]  p90 12.0 [0.0-12.0]' in lines['geodns-ecs'], lines['geodns-ecs']
    assert 'median 12.0 [1.0-79.0]  p90 79.0 [12.0-79.0]' in lines['anycast'], lines['anycast']
    assert 'latency inflation ms   n/a' in lines['geodns-resolver'], lines['geodns-resolver']
    # Distance: resolver [0, D(ams,iad)], anycast [0, 0, 0, 0, D(fra,ams), D(fra,iad)].
    assert 'median 0  p90 %.0f  mean %.0f  (n=2)' % (km(AMS, IAD), km(AMS, IAD) / 2) \
        in lines['geodns-resolver'], lines['geodns-resolver']
    assert 'median 0  p90 %.0f  mean %.0f  (n=6)' % (
        km(FRA, IAD), (km(FRA, AMS) + km(FRA, IAD)) / 6) in lines['anycast'], lines['anycast']
    assert '3 GeoDNS answers to queries with ECS the server did not use' in out, out
    assert '1 probe resolver answers do not say whether the resolver sent ECS' in out, out
    assert '1 direct ECS probe answers not counted' in out, out
    # Side by side (README.md of the fixture), rows by samples.
    assert ('  EU         8 | geodns-ecs 66.7%% (3) 12.0/12.0 ms 0/0 km | geodns-resolver 0.0%% (1) '
            'n/a/n/a ms %.0f/%.0f km | anycast 50.0%% (4) 12.0/16.0 ms 0/%.0f km\n'
            % (km(AMS, IAD), km(AMS, IAD), km(FRA, AMS))) in out, out
    assert ('  NA         3 | geodns-ecs n/a (0) n/a/n/a ms n/a/n/a km | geodns-resolver 100.0%% (1) '
            'n/a/n/a ms n/a/n/a km | anycast 50.0%% (2) 79.0/79.0 ms %.0f/%.0f km\n'
            % (km(FRA, IAD), km(FRA, IAD))) in out, out
    # Catchment: fra receives D7 (US), D8 (DE), D10 (unlocated) by anycast;
    # iad by geodns-resolver D3-D6 (at the resolver: unlocated), P2 (NL), P3 (US).
    assert '  fra      anycast          ?? 33% DE 33% US 33% (n=3)\n' in out, out
    assert '  iad      geodns-resolver  ?? 67% NL 17% US 17% (n=6)\n' in out, out
    # Resolvers: 192.0.2.53 answered D1-D5 and D8 (ECS on D1-D4 and D8;
    # GeoDNS D1-D5, located by ECS D1, D2); 192.0.2.54 D6.
    assert 'resolvers (decision logs): 5; 2 sent ECS on some query (70.0% of the 10 answers)' \
        in out, out
    assert re.search(r'  192\.0\.2\.53 +6 +5 +5 +2\n', out), out
    assert re.search(r'  192\.0\.2\.54 +1 +1 +1 +0\n', out), out
    # Per client (the probes): optimal, nearest, each method's PoP.
    assert re.search(r'  v1 +fra \(rtt\) +fra +fra \(ok\) +- +ams \(miss, \+%.0f km\)'
                     % km(FRA, AMS), out), out
    assert re.search(r'  v2 +ams \(rtt\) +ams +- +iad \(miss, \+%.0f km\) +ams \(ok\)'
                     % km(AMS, IAD), out), out
    assert re.search(r'  v3 +iad \(distance\) +iad +- +iad \(ok\) +iad \(ok\)', out), out
    # Time series (README.md of the fixture): 1 s bins from 10:00:00.
    assert 'time series: 10 bins of 1 s from 2026-11-22T10:00:00Z' in out, out
    assert ('  2026-11-22T10:00:00Z  geodns-ecs  50.0% (2) 6.0  geodns-resolver  50.0% (2) n/a  '
            'anycast  66.7% (3) 8.5\n') in out, out
    assert '2026-11-22T10:00:06Z  geodns-ecs n/a (0) n/a  geodns-resolver n/a (0) n/a  anycast ' \
        '  0.0% (1) 79.0\n' in out, out
    d, lo, hi = newcombe(3, 6, 2, 3)
    verdict = ('verdict: anycast sends %.1f pp fewer clients to their best PoP than geodns-ecs '
               '(95%% CI %+.1f to %+.1f pp: not significant' % (-100 * d, 100 * lo, 100 * hi))
    assert verdict in out and 'p90 latency inflation +67.0 ms' in out, out


def test_attribution_json():
    rc, out, err = attribution_run()
    assert rc == 0, err
    with open(os.path.join(TMP, 'att.json')) as f:
        j = json.load(f)
    m = {g['method']: g for g in j['methods']}
    assert (j['ecs_unused'], j['resolver_ecs_unknown'], j['ecs_direct_superseded']) == (3, 1, 1), j
    for name, k, n in (('geodns-ecs', 2, 3), ('geodns-resolver', 1, 2), ('anycast', 3, 6)):
        hr = m[name]['hit_rate']
        assert (hr['hits'], hr['n']) == (k, n) and abs(hr['value'] - k / n) < 1e-12, hr
        assert all(abs(x - y) < 1e-9 for x, y in zip(hr['ci95'], wilson(k, n))), (name, hr)
    r = m['geodns-resolver']
    assert (r['unrated_at_resolver'], r['partial_rtt']) == (4, 1), r
    assert r['latency_inflation_ms']['n'] == 0 and r['latency_inflation_ms']['median'] is None, r
    assert r['latency_inflation_ms']['median_ci95'] is None, r
    a = m['anycast']
    li = a['latency_inflation_ms']
    assert (li['n'], li['median'], li['p90'], li['median_ci95'], li['p90_ci95']) == \
        (4, 12, 79, [1, 79], [12, 79]), li
    assert abs(a['distance_inflation_km']['p90'] - km(FRA, IAD)) < 0.01, a['distance_inflation_km']
    d = [x for x in j['differences'] if (x['a'], x['b']) == ('anycast', 'geodns-ecs')][0]
    want = newcombe(3, 6, 2, 3)
    assert abs(d['hit_rate_diff'] - want[0]) < 1e-9 and not d['significant'], d
    assert all(abs(x - y) < 1e-9 for x, y in zip(d['hit_rate_diff_ci95'], want[1:])), d
    assert d['latency_p90_diff_ms'] == 67, d
    assert j['verdict'].startswith('anycast sends 16.7 pp fewer clients'), j['verdict']
    assert j['resolvers'][0] == {'resolver': '192.0.2.53', 'answers': 6, 'with_ecs': 5,
                                 'geodns': 5, 'located_by_ecs': 2}, j['resolvers']
    v2 = [c for c in j['clients'] if c['client'] == 'v2'][0]
    assert (v2['optimal'], v2['basis'], v2['nearest']) == ('ams', 'rtt', 'ams'), v2
    assert v2['methods']['geodns-resolver']['ok'] is False, v2
    assert abs(v2['methods']['geodns-resolver']['distance_inflation_km'] - km(AMS, IAD)) < 1e-6
    eu = [b for b in m['anycast']['by_continent'] if b['key'] == 'EU'][0]['misses']
    assert (eu['latency_n'], eu['latency_median_ms'], eu['latency_p90_ms']) == (2, 12, 16), eu
    ts = j['time_series']
    assert ts['bin_seconds'] == 1 and len(ts['bins']) == 10, ts
    b0 = ts['bins'][0]
    assert b0['start'] == '2026-11-22T10:00:00Z', b0
    a0 = b0['methods']['anycast']
    assert (a0['samples'], a0['rated'], a0['hits'], a0['latency_n']) == (3, 3, 2, 2), a0
    assert abs(a0['latency_inflation_mean_ms'] - 8.5) < 1e-9, a0
    assert ts['bins'][9]['methods']['anycast'] == {
        'samples': 1, 'rated': 0, 'hits': 0, 'hit_rate': None, 'latency_n': 0,
        'latency_inflation_mean_ms': None}, ts['bins'][9]


def test_attribution_html():
    rc, out, err = attribution_run()
    assert rc == 0, err
    text = open(os.path.join(TMP, 'att.html')).read()
    lo, hi = wilson(1, 2)
    row = re.search(r'<tr><td class="l">geodns-resolver</td>(.*?)</tr>', text).group(1)
    cells = re.findall(r'<td>(.*?)</td>', row)
    # samples, rated, by RTT, by distance, unrated at resolver, partial RTTs, hit rate, median
    assert cells[:7] == ['6', '2', '1', '1', '4', '1', '50.0%% [%.1f-%.1f] (1/2)' % (
        100 * lo, 100 * hi)], cells
    assert cells[7].startswith('n/a'), cells   # no latency: n/a, never 0.0
    assert 'Verdict:</b> anycast sends 16.7 pp fewer clients' in text, text[:2000]


FO = os.path.join(H.repo_root(), 'tests', 'data', 'compare', 'failover')
# The windows of tests/data/compare/failover/README.md, worked out there by
# hand from compare/formats.md: (pop, source, start, end or None, duration,
# {method: (status, kept_s, last or None, resumed)}).
FO_DAY = '2026-11-22T10:'
FO_WANT = [
    ('fra', 'reported', '00:10.000', '00:40.000', 30.0,
     {'geodns-ecs': ('stopped', 2.1, '00:12.100', False),
      'anycast': ('stopped', 7.1, '00:17.100', False)}),
    ('ams', 'inferred', '01:30.100', '02:00.100', 30.0,
     {'geodns-ecs': ('stopped', 0.0, '01:30.100', False),
      'anycast': ('stopped', 3.5, '01:33.600', False)}),
    ('iad', 'reported', '02:30.000', None, 15.1,
     {'geodns-ecs': ('stopped', 1.1, '02:31.100', False),
      'anycast': ('through', 15.1, None, None)}),
]


def failover_json(name, *args):
    rc, out, err = run('--json', name, *args)
    assert rc == 0, err
    return json.load(open(os.path.join(TMP, name)))['failover'], out, err


def check_windows(fo, want, gap=10.0):
    assert fo['gap_s'] == gap, fo
    got = fo['windows']
    assert len(got) == len(want), json.dumps(got, indent=1)
    for w, (pop, src, start, end, dur, methods) in zip(got, want):
        assert (w['pop'], w['source'], w['start']) == (pop, src, FO_DAY + start + 'Z'), w
        assert w['end'] == (FO_DAY + end + 'Z' if end else None) and w['open'] == (end is None), w
        assert abs(w['duration_s'] - dur) < 1e-9, w
        assert set(w['methods']) == set(methods), w
        for m, (status, kept, last, resumed) in methods.items():
            v = w['methods'][m]
            assert v['status'] == status and abs(v['kept_s'] - kept) < 1e-9, (pop, m, v)
            if status == 'stopped':
                assert v['last'] == FO_DAY + last + 'Z' and v['resumed'] == resumed, (pop, m, v)


def test_failover_windows_text_json_html():
    """The failover fixture's three windows (reported, inferred, open) in
    JSON, text and HTML, to the printed rounding; the health line for a PoP
    not in the config is skipped and counted."""
    src = os.path.join(FO, 'decisions.jsonl')
    fo, out, err = failover_json('fo.json', '--html', 'fo.html', src)
    check_windows(fo, FO_WANT)
    assert "decisions.jsonl:" in err and "PoP 'zrh' is not in the config" in err, err
    text = out.split('failover windows')[1].split('\ncatchment')[0]
    html = open(os.path.join(TMP, 'fo.html')).read()
    bands = re.findall(r'fill="#888" fill-opacity="0.18"><title>(\w+) down \((\w+)\)</title>', html)
    assert bands == [(w[0], w[1]) for w in FO_WANT], bands   # one band per window on the series
    for pop, src_, start, end, dur, methods in FO_WANT:
        head = '  %-8s %s%sZ - %s (%.3f s, %s%s)' % (
            pop, FO_DAY, start, FO_DAY + end + 'Z' if end else 'open', dur, src_,
            '' if end else ", to the data's end")
        assert head in text, (head, text)
        block = re.split(r'\n  (?=\S)', text.split(head)[1])[0] + '\n'   # this window's lines
        row = re.search(r'<tr><td class="l">%s</td><td class="l">%s</td><td class="l">%s%sZ</td>'
                        r'<td>%.3f s%s</td>(.*?)</tr>' % (pop, src_, FO_DAY, re.escape(start), dur,
                                                          '' if end else r' \(open\)'), html)
        assert row, (pop, html[html.find('Failover'):][:3000])
        cells = re.findall(r'<td>(.*?)</td>', row.group(1))
        for i, m in enumerate(('geodns-ecs', 'anycast')):   # the methods with samples
            status, kept, last, _ = methods[m]
            if status == 'stopped':
                line = '    %-16s stopped after %.3f s (last answer %s%sZ)' % (m, kept, FO_DAY, last)
                cell = '%.3f s' % kept
            else:
                line = "    %-16s kept sending to the %s (%.3f s)" % (
                    m, 'end' if end else "data's end", kept)
                cell = '&ge; %.3f s (to the %s)' % (kept, 'end' if end else "data's end")
            assert line + '\n' in block, (line, block)
            assert cells[i] == cell, (pop, m, cells)


def test_failover_order_shards_and_gap():
    """Runs do not depend on reading order: the fixture's lines shuffled,
    and split into three --save-partial shards merged, give the same
    windows. --failover-gap 40 gives the README's two windows; a partial
    file written with another gap is refused."""
    import random
    lines = open(os.path.join(FO, 'decisions.jsonl')).read().splitlines(True)
    rnd = random.Random(7)
    rnd.shuffle(lines)
    with open(os.path.join(TMP, 'fo-shuffled.jsonl'), 'w') as f:
        f.writelines(lines)
    fo, _, _ = failover_json('fo-shuf.json', 'fo-shuffled.jsonl')
    check_windows(fo, FO_WANT)
    parts = []
    for i in range(3):
        with open(os.path.join(TMP, 'fo-s%d.jsonl' % i), 'w') as f:
            f.writelines(lines[i::3])
        rc, _, err = run('--save-partial', 'fo-s%d.part' % i, 'fo-s%d.jsonl' % i)
        assert rc == 0, err
        parts.append('fo-s%d.part' % i)
    fo, _, _ = failover_json('fo-merged.json', *parts)
    check_windows(fo, FO_WANT)
    fo, _, _ = failover_json('fo-40.json', '--failover-gap', '40', os.path.join(FO, 'decisions.jsonl'))
    check_windows(fo, [
        ('fra', 'reported', '00:10.000', '00:40.000', 30.0,
         {'geodns-ecs': ('through', 30.0, None, None), 'anycast': ('through', 30.0, None, None)}),
        ('iad', 'reported', '02:30.000', None, 15.1,
         {'geodns-ecs': ('through', 15.1, None, None), 'anycast': ('through', 15.1, None, None)}),
    ], gap=40.0)
    rc, _, err = run('--failover-gap', '40', parts[0])
    assert rc == 1 and 'written with a failover gap of 10000 ms, this compare uses 40000 ms' in err, err


def test_partial_merge_equals_one_pass():
    """Four shards reduced with --save-partial and merged give byte for byte
    the text, JSON and HTML of one pass over the same inputs (generated
    decision logs, the attribution fixture's probes with their RTT vectors
    and no-replies). Each shard gets the RTT CSV: lines are rated for the
    time series as they are read; the merge lists the CSV once."""
    gen = os.path.join(H.repo_root(), 'tests', 'bench', 'gen_decisions.py')
    subprocess.run(['python3', gen, '20000', os.path.join(TMP, 'gen.jsonl'), '--clients', '500',
                    '--csv', os.path.join(TMP, 'gen.csv')], check=True, timeout=120)
    lines = open(os.path.join(TMP, 'gen.jsonl')).read().splitlines(True)
    shards = []
    for i in range(4):
        name = 'shard%d.jsonl' % i
        with open(os.path.join(TMP, name), 'w') as f:
            f.writelines(lines[i::4])
        shards.append(name)
    shutil.copy(os.path.join(ATT, 'probes.jsonl'), os.path.join(TMP, 'shard-probes.jsonl'))
    shards.append('shard-probes.jsonl')
    rc, one, err = run('--json', 'one.json', '--html', 'one.html', *(shards + ['gen.csv']))
    assert rc == 0, err
    parts = []
    for sh in shards:
        rc, out, err = run('--save-partial', sh + '.part', sh, 'gen.csv')
        assert rc == 0 and out == '', (rc, out, err)
        parts.append(sh + '.part')
    rc, merged, err = run('--json', 'merged.json', '--html', 'merged.html', *parts)
    assert rc == 0, err
    assert merged == one, 'text differs'
    for ext in ('json', 'html'):
        a = open(os.path.join(TMP, 'one.' + ext)).read()
        b = open(os.path.join(TMP, 'merged.' + ext)).read()
        assert a == b, '%s differs' % ext
    j = json.load(open(os.path.join(TMP, 'merged.json')))
    m = {g['method']: g for g in j['methods']}
    assert m['geodns-ecs']['samples'] > 5000 and m['anycast']['rated'] > 5000, m.keys()
    # A partial file for other PoPs is an error, not a silent mix.
    with open(os.path.join(TMP, 'other.part'), 'w') as f:
        f.write('{"steerdns_compare_partial":1,"pops":["x","y","z"]}\n')
    rc, out, err = run('other.part')
    assert rc == 1 and "other.part:1: partial file: PoP 0 is 'x'" in err, (rc, err)


CH_CONFIG = """<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/log</log><errorlog>{d}/err</errorlog><console>0</console></logger>
  <http_port>{http}</http_port>
  <tcp_port>{tcp}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <users_config>{d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
</yandex>
"""

CH_USERS = """<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
"""


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def ch_query(port, sql, body=None, **params):
    import urllib.parse
    import urllib.request
    q = dict(params)
    data = sql.encode()
    if body is not None:
        q['query'] = sql
        data = body
    url = 'http://127.0.0.1:%d/?%s' % (port, urllib.parse.urlencode(q))
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=60) as r:
        return r.read().decode()


def test_clickhouse_figures():
    """The decision logs (the attribution fixture, 20k generated lines
    with A/B arms and the failover fixture's health lines) loaded into Debian's clickhouse-server, in the table
    compare/formats.md documents; the query `compare --sql clickhouse`
    prints gives compare's own figures for the same logs."""
    server = shutil.which('clickhouse-server') or (
        '/usr/sbin/clickhouse-server' if os.path.exists('/usr/sbin/clickhouse-server') else None)
    if not server:
        raise H.Skip('clickhouse-server not installed (Debian clickhouse-server)')
    gen = os.path.join(H.repo_root(), 'tests', 'bench', 'gen_decisions.py')
    logs = [os.path.join(ATT, 'decisions.jsonl'), os.path.join(TMP, 'ch-gen.jsonl'),
            os.path.join(TMP, 'ch-events.jsonl')]
    subprocess.run(['python3', gen, '20000', logs[1], '--clients', '300', '--seed', '7'],
                   check=True, timeout=120)
    # Health lines sit in the same logs; they are no answers, in SQL either.
    with open(logs[2], 'w') as f:
        f.writelines(l for l in open(os.path.join(FO, 'decisions.jsonl')) if '"event"' in l)
    d = tempfile.mkdtemp(prefix='steerdns-ch-')
    http, tcp = free_port(), free_port()
    with open(os.path.join(d, 'config.xml'), 'w') as f:
        f.write(CH_CONFIG.format(d=d, http=http, tcp=tcp))
    with open(os.path.join(d, 'users.xml'), 'w') as f:
        f.write(CH_USERS)
    p = subprocess.Popen([server, '--config-file=' + os.path.join(d, 'config.xml')],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
    try:
        for _ in range(300):
            try:
                if ch_query(http, 'SELECT 1').strip() == '1':
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError('clickhouse-server did not come up: %s' % open(
                os.path.join(d, 'err')).read()[-2000:])
        doc = open(os.path.join(H.repo_root(), 'compare', 'formats.md')).read()
        ddl = re.search(r'```sql\n(CREATE TABLE steerdns_decisions.*?)```', doc, re.S).group(1)
        ch_query(http, ddl)
        for log in logs:
            ch_query(http, 'INSERT INTO steerdns_decisions FORMAT JSONEachRow',
                     body=open(log, 'rb').read(), input_format_skip_unknown_fields=1)
        rc, sql, err = run('--sql', 'clickhouse')
        assert rc == 0 and 'FROM steerdns_decisions' in sql, (rc, err)
        out = ch_query(http, sql, default_format='JSON')
    finally:
        p.terminate()
        p.wait(timeout=30)
        shutil.rmtree(d, ignore_errors=True)
    rows = {r['method']: r for r in json.loads(out)['data']}
    rc, _, err = run('--json', 'ch.json', *logs)
    assert rc == 0, err
    m = {g['method']: g for g in json.load(open(os.path.join(TMP, 'ch.json')))['methods']}
    assert set(rows) == set(m), (sorted(rows), sorted(m))
    num = lambda v: None if v is None else float(v)  # noqa: E731 (ClickHouse quotes 64-bit ints)
    for name, g in m.items():
        r = rows[name]
        assert (int(r['samples']), int(r['unrated_at_resolver']), int(r['rated']),
                int(r['hits'])) == (g['samples'], g['unrated_at_resolver'], g['rated'],
                                    g['hit_rate']['hits']), (name, r, g)
        hr = g['hit_rate']
        if hr['value'] is None:
            assert r['hit_rate'] is None, r
        else:
            assert abs(num(r['hit_rate']) - hr['value']) < 1e-12, (name, r, hr)
            assert abs(num(r['hit_rate_lo']) - hr['ci95'][0]) < 1e-9, (name, r, hr)
            assert abs(num(r['hit_rate_hi']) - hr['ci95'][1]) < 1e-9, (name, r, hr)
        km = g['distance_inflation_km']
        assert int(r['km_n']) == km['n'], (name, r, km)
        for k in ('median', 'p90'):
            if km[k] is None:
                assert r['km_' + k] is None, (name, r)
            else:   # the log rounds each distance to 0.1 km
                assert abs(num(r['km_' + k]) - km[k]) <= 0.1 + 1e-9, (name, k, r, km)
    assert m['ab:geodns']['samples'] > 1000 and m['geodns-resolver']['unrated_at_resolver'] > 500


def test_progress_line_only_on_a_terminal():
    """A progress line (every 2^18 lines) on stderr when it is a terminal,
    erased at the end; nothing of it when stderr is a pipe."""
    import pty
    gen = os.path.join(H.repo_root(), 'tests', 'bench', 'gen_decisions.py')
    big = os.path.join(TMP, 'progress.jsonl')
    subprocess.run(['python3', gen, '600000', big, '--clients', '100'], check=True, timeout=120)
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN, 'compare', '-c', os.path.join(TMP, 'c.yaml'), big],
                         stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    got = b''
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    assert p.wait(timeout=120) == 0
    os.close(master)
    text = got.decode(errors='replace')
    assert '\rprogress.jsonl' not in text   # the path as given: absolute here
    assert re.search(r'\r[^\r]*progress\.jsonl: 262144 lines, \d+ of \d+ MB \(\d+%\)', text), text
    assert re.search(r'524288 lines', text) and text.endswith('\r\x1b[K'), repr(text[-200:])
    rc, out, err = run(big)
    assert rc == 0 and 'lines,' not in err, err


def test_client_table_capped_in_text_and_html():
    """250 vantage points: the text and HTML list the first 200 (the page
    stays small whatever the input) and say how many more; the JSON has all."""
    with open(os.path.join(TMP, 'many.jsonl'), 'w') as f:
        for i in range(250):
            f.write(json.dumps({'vp': 'vp%03d' % i, 'vp_location': {'lat': 50.11, 'lon': 8.68},
                                'anycast': {'pop': 'fra'},
                                'rtt_ms': {'fra': 5, 'ams': 9, 'iad': 90, 'anycast': 5}}) + '\n')
    rc, out, err = run('--json', 'many.json', '--html', 'many.html', 'many.jsonl')
    assert rc == 0, err
    assert len(re.findall(r'^  vp\d{3} ', out, re.M)) == 200, out[-3000:]
    assert '(50 more clients in the JSON report)' in out
    assert '<p>50 more clients in the JSON report.</p>' in open(os.path.join(TMP, 'many.html')).read()
    assert len(json.load(open(os.path.join(TMP, 'many.json')))['clients']) == 250


def test_unknown_format_is_error():
    with open(os.path.join(TMP, 'notes.txt'), 'w') as f:
        f.write('hello\nworld\n')
    rc, out, err = run('probe.jsonl', 'notes.txt')
    assert rc == 1, 'exit %d' % rc
    assert 'notes.txt' in err and 'not a known input format' in err, err
    rc, out, err = run()
    assert rc == 2, 'no inputs: exit %d' % rc
