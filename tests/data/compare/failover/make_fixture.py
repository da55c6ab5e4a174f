#!/usr/bin/env python3
"""Writes decisions.jsonl, the failover fixture (README.md derives every
figure by hand). Six streams of answers, one every 500 ms from
10:00:00.100 to 10:02:45.100, each sending its client to a PoP that
depends on the time, plus the servers' health lines. Run from this
directory: python3 make_fixture.py"""

T0 = 10 * 3600 * 1000  # 10:00:00.000 in ms of the day


def ts(ms):
    ms -= 0
    h, ms = divmod(ms, 3600000)
    m, ms = divmod(ms, 60000)
    s, ms = divmod(ms, 1000)
    return '2026-11-22T%02d:%02d:%02d.%03dZ' % (h, m, s, ms)


def at(m, s, ms=0):
    return T0 + (m * 60 + s) * 1000 + ms


LOC = {'DE': ('EU', 50.11, 8.68, '198.51.100.0/24'),
       'NL': ('EU', 52.37, 4.9, '198.51.101.0/24'),
       'US': ('NA', 38.95, -77.45, '203.0.113.0/24')}


def answer(ms, method, cc, pop):
    ct, lat, lon, net = LOC[cc]
    ecs = '"%s"' % net if method == 'geodns' else 'null'
    client = net if method == 'geodns' else '192.0.2.53/32'
    return ('{"ts":"%s","server":"x1","method":"%s","arm":null,"qname":"www.example.test.",'
            '"qtype":"A","resolver":"192.0.2.53","ecs":%s,"client":"%s","country":"%s",'
            '"continent":"%s","lat":%s,"lon":%s,"pop":"%s","nearest":null,"pop_km":null,'
            '"nearest_km":null,"scope":%s}' % (ts(ms), method, ecs, client, cc, ct, lat, lon,
                                               pop, '24' if method == 'geodns' else 'null'))


def health(ms, server, pop, state):
    return ('{"ts":"%s","server":"%s","event":"health","pop":"%s","state":"%s"}'
            % (ts(ms), server, pop, state))


# stream: method, country, [(until ms inclusive, pop)] in time order
STREAMS = {
    'A': ('geodns', 'DE', [(at(0, 12, 100), 'fra'), (at(0, 40, 600), 'ams'), (at(9, 0), 'fra')]),
    'B': ('geodns', 'NL', [(at(1, 30, 100), 'ams'), (at(1, 59, 600), 'fra'), (at(9, 0), 'ams')]),
    'C': ('anycast', 'DE', [(at(0, 17, 100), 'fra'), (at(0, 50, 100), 'ams'), (at(9, 0), 'fra')]),
    'D': ('anycast', 'NL', [(at(1, 33, 600), 'ams'), (at(2, 0, 600), 'fra'), (at(9, 0), 'ams')]),
    'E': ('geodns', 'US', [(at(2, 31, 100), 'iad'), (at(9, 0), 'fra')]),
    'F': ('anycast', 'US', [(at(9, 0), 'iad')]),
}

lines = []
for name, (method, cc, plan) in STREAMS.items():
    t = at(0, 0, 100)
    while t <= at(2, 45, 100):
        pop = next(p for until, p in plan if t <= until)
        lines.append((t, name, answer(t, method, cc, pop)))
        t += 500
HEALTH = [(at(0, 0), 'fra1', 'ams', 'up'), (at(0, 10), 'fra1', 'fra', 'down'),
          (at(0, 10, 50), 'iad1', 'fra', 'down'), (at(0, 39), 'fra1', 'fra', 'up'),
          (at(0, 40), 'iad1', 'fra', 'up'), (at(2, 30), 'iad1', 'iad', 'drain'),
          (at(1, 0), 'fra1', 'zrh', 'down')]
for ms, server, pop, state in HEALTH:
    lines.append((ms, '0', health(ms, server, pop, state)))
lines.sort()
with open('decisions.jsonl', 'w') as f:
    for _, _, line in lines:
        f.write(line + '\n')
