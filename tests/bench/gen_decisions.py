#!/usr/bin/env python3
"""gen_decisions.py: synthetic decision-log lines, in the exact key order and
number formats steerdns writes (common/qlog_fmt.c), for measuring
`steerdns compare` on large inputs.

usage: gen_decisions.py LINES OUT [--clients N] [--seed S] [--csv RTT.csv]

Clients are N /24 subnets placed around 3 PoPs (fra, ams, iad; config in
--config-out or tests/bench/README.md); each line is one answer: a third
anycast, the rest GeoDNS, of which most used ECS, some carried ECS the server
did not use and some had none. The RTT CSV (optional) gives every client /24
an RTT to each PoP, so every sample is rated by RTT.
"""

import argparse
import math
import random

POPS = [('fra', 50.11, 8.68), ('ams', 52.37, 4.9), ('iad', 38.95, -77.45)]


def km(lat1, lon1, lat2, lon2):
    """Great-circle distance (haversine, 6371.0088 km), as the server logs it."""
    la1, lo1, la2, lo2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def clients(n, rnd):
    out = []
    for i in range(n):
        pop = POPS[i % 3]
        lat = round(pop[1] + rnd.uniform(-6, 6), 4)
        lon = round(pop[2] + rnd.uniform(-8, 8), 4)
        cc = ('DE', 'NL', 'US')[i % 3]
        ct = ('EU', 'EU', 'NA')[i % 3]
        net = '%d.%d.%d.0' % (11 + (i >> 16) % 200, (i >> 8) & 255, i & 255)
        rtt = [max(0.5, round(abs(lat - p[1]) * 0.9 + abs(lon - p[2]) * 0.6 + rnd.uniform(0, 8), 1))
               for p in POPS]
        out.append((net, lat, lon, cc, ct, rtt))
    return out


def line(c, i, rnd):
    net, lat, lon, cc, ct, rtt = c
    kind = rnd.random()
    method = 'anycast' if kind < 0.33 else 'geodns'
    arm = '"%s"' % method if rnd.random() < 0.2 else 'null'   # names in ab mode
    resolver = '192.0.2.%d' % (1 + i % 250)
    if kind < 0.33 or kind < 0.83:
        ecs, client, scope = '"%s/24"' % net, '"%s/24"' % net, '24'
    elif kind < 0.9:
        ecs, client, scope = '"0.0.0.0/0"', '"%s/32"' % resolver, '0'
    else:
        ecs, client, scope = 'null', '"%s/32"' % resolver, 'null'
    best = min(range(3), key=lambda k: rtt[k])
    pi = best if rnd.random() < 0.85 else rnd.randrange(3)
    pop = POPS[pi][0]
    dist = [km(lat, lon, p[1], p[2]) for p in POPS]
    near = min(range(3), key=lambda k: dist[k])   # ties: config order, as the server
    ms = i % 86400000
    return ('{"ts":"2026-11-22T%02d:%02d:%02d.%03dZ","server":"%s1","method":"%s","arm":%s,'
            '"qname":"www.example.test.","qtype":"A","resolver":"%s","ecs":%s,"client":%s,'
            '"country":"%s","continent":"%s","lat":%.4f,"lon":%.4f,"pop":"%s","nearest":"%s",'
            '"pop_km":%.1f,"nearest_km":%.1f,"scope":%s}\n'
            % (ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000, pop, method, arm, resolver,
               ecs, client, cc, ct, lat, lon, pop, POPS[near][0], dist[pi], dist[near], scope))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('lines', type=int)
    ap.add_argument('out')
    ap.add_argument('--clients', type=int, default=20000)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--csv')
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    cl = clients(a.clients, rnd)
    # A pool of ready lines, drawn from at random: Python formats ~1M lines/s
    # at best, so 10M lines reuse a 200k-line pool.
    pool = [line(cl[rnd.randrange(len(cl))], i, rnd) for i in range(min(a.lines, 200000))]
    with open(a.out, 'w') as f:
        left = a.lines
        while left > 0:
            k = min(left, 100000)
            f.write(''.join(pool[rnd.randrange(len(pool))] for _ in range(k)))
            left -= k
    if a.csv:
        with open(a.csv, 'w') as f:
            f.write('client,pop,rtt_ms\n')
            for net, lat, lon, cc, ct, rtt in cl:
                base = net.rsplit('.', 1)[0]
                for p, r in zip(POPS, rtt):
                    f.write('%s.7,%s,%.1f\n' % (base, p[0], r))


if __name__ == '__main__':
    main()
