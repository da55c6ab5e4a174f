"""test_lab: the short form of the steering lab (tests/lab/lab.py --short).

Builds the lab of tests/lab/scenario.py in network namespaces (three BIRD 2
routers, three anycast PoPs, the GeoDNS steerdns, two unbound resolvers, six
clients), probes from every client, runs `steerdns compare`, then kills the
eu PoP with SIGTERM once and brings it back. Asserted:
  - accuracy, exactly, per client and in compare's JSON (distance basis):
    GeoDNS through the ECS resolver 100%; through the plain resolver only
    the us clients are optimal (everyone gets us); anycast every client
    but the one behind the planted detour (ap2 -> us);
  - failover under loose physical bounds: anycast < hold + 3 s; GeoDNS <
    detection + TTL + 3 s; every method back after the restart;
  - the failover windows `steerdns compare` finds in the servers' own
    decision logs agree with the lab's clocks and pollers: eu's window
    opens after the kill (at pop-eu's drain line) and no later than GeoDNS
    answered elsewhere, GeoDNS's last answer with eu came before its
    pollers saw another PoP, pop-eu's last anycast answer within the
    SIGTERM linger; no PoP logs its own self check;
  - nothing left behind: no lab namespace, veth or process.
SKIPs with the reason when not root, no `ip netns`, or bird/unbound/perl's
MaxMind::DB::Writer is missing. Budget: under 3 minutes (about 15 s here).
"""

import os
import shutil
import sys
import tempfile
import time

import harness as H

sys.path.insert(0, os.path.join(H.repo_root(), 'tests', 'lab'))
import lab as L        # noqa: E402
import scenario as S   # noqa: E402

BIN = None


def setup_module(binary):
    global BIN
    BIN = binary
    L.require(binary)


def test_lab_short():
    out = tempfile.mkdtemp(prefix='steerdns-lab-it-')
    t0 = time.monotonic()
    ok = False
    try:
        res = L.run(BIN, short=True, outdir=out)
        dt = time.monotonic() - t0
        print(L.summary(res))
        # Accuracy per method, exactly (lab.run asserted per client too).
        n = len(S.CLIENTS)
        n_us = sum(1 for c in S.CLIENTS if c['region'] == 'us')
        n_detour = len(S.DETOUR['clients'])
        assert res['hits']['geodns-ecs'] == (n, n), res['hits']
        assert res['hits']['geodns-plain'] == (n_us, n), res['hits']
        assert res['hits']['anycast'] == (n - n_detour, n), res['hits']
        for c in S.CLIENTS:
            g = res['got'][c['name']]
            assert g['geodns-plain'] == 'us', (c['name'], g)
            if c['name'] in S.DETOUR['clients']:
                assert g['anycast'] == S.DETOUR['via'] and g['geodns-ecs'] == c['region'], g
        # One SIGTERM failover, inside the bounds, and back.
        (fo,) = res['failover']
        assert fo['kind'] == 'SIGTERM'
        b = res['bounds']['SIGTERM']
        for m in ('anycast', 'geodns direct', 'geodns via res-ecs'):
            v = fo['away'][m]
            assert isinstance(v, float) and 0 <= v < b[m], (m, v, b[m])
            assert isinstance(fo['back'][m], float), (m, fo['back'])
        # The plain resolver never sent eu clients to eu: nothing to fail over.
        assert fo['away']['geodns via res-plain'] == 'n/a', fo['away']
        # GeoDNS through a resolver cannot beat health detection.
        assert fo['away']['geodns via res-ecs'] >= fo['away']['geodns direct'] - 0.2, fo['away']
        assert os.path.getsize(res['html']) > 1000, res['html']
        assert res['leftovers'] == [], res['leftovers']
        assert dt < 180, 'short lab took %.0fs' % dt
        ok = True
    finally:
        if ok:
            shutil.rmtree(out, ignore_errors=True)
        else:
            print('    lab files kept in %s' % out)
