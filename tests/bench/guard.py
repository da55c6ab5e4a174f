"""Guard step of the steerdns bench: what the defences and the decision log cost.

steerdns (GeoLite2-City) is started in five variants, each pinned like the
others (server on SERVER_CPU, loadgen on GEN_CPU), and driven at full speed:
  base    the bench config as it is (cookies on, as by default, but the
          queries carry none)
  cookie  the same server; every query carries a client cookie (loadgen -K),
          so every answer computes an RFC 9018 server cookie (SipHash)
  rrl     `rrl: { rate: 100000 }`: every response is accounted (above the
          loadgen's rate per name, so none is limited)
  dlog    `decision_log: { sample: 1.0 }`: every steered answer logged
  dnstap  `dnstap: { file: /dev/null }`: every query and answer encoded and
          written by fstrm's I/O thread (to /dev/null: the server's cost,
          not the disk's)
Workloads: static A (host names) and the steered name with random ECS.
Reported per variant: qps and server CPU per query (medians of the runs), the
ratio to base in the same repetition, and for dlog the lines written and
dropped. With --guard-callgrind (callgrind_run) each variant is instead
started under callgrind, one at a time, and measured in instructions per
query as callgrind.py does. Used by run.py; see tests/bench/README.md.
"""

import os
import statistics

import callgrind

VARIANTS = [
    ('base', '', False),
    ('cookie', '', True),
    ('rrl', 'rrl: { rate: 100000, ipv4_prefix: 32 }\n', False),
    ('dlog', 'decision_log: { path: decisions.jsonl, sample: 1.0 }\n', False),
    ('dnstap', 'dnstap: { file: /dev/null }\n', False),
]
GUARD_WORKLOADS = ('static-A', 'geo-A-randomECS')
# Under callgrind, seconds each interval waits after its load before the
# dump: fstrm's I/O thread (dnstap) sleeps up to 1 s (its flush timeout)
# between drains; the wait puts what the load queued in the same interval
# (without it, passes differed by up to 43%, with it by under 0.3%).
SETTLE = {'dnstap': 1.5}


def _med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def run(resdir, binary, dbs, files, ecs_files, dur, runs, steerdns_cls, loadgen_fn, workloads,
        log):
    """Returns {variant: {workload: {'qps', 'cpu_us_q', 'qps_ratio', 'cpu_ratio'}}, 'dlog': {...}}."""
    wls = [w for w in workloads if w['name'] in GUARD_WORKLOADS]
    res = {}
    servers = {}
    for name, extra, cookie in VARIANTS:
        # Its own name, so its own directory (and config) under resdir.
        s = steerdns_cls(resdir, binary, 'guard-' + name, dbs['geolite'], 'maxmind')
        with open(s.conf, 'a') as f:
            f.write(extra)
        servers[name] = (s, cookie)
    try:
        for name, (s, _) in servers.items():
            s.start()
        for rep in range(runs):
            for wl in wls:
                base = None
                for name, (s, cookie) in servers.items():
                    r = loadgen_fn(s, wl, files, dur, ecs_files, cookie=cookie)
                    if name == 'base':
                        base = r
                    row = res.setdefault(name, {}).setdefault(wl['name'], [])
                    row.append({'qps': r['qps'], 'cpu_us_q': r['cpu_us_q'],
                                'qps_ratio': r['qps'] / base['qps'] if base['qps'] else None,
                                'cpu_ratio': (r['cpu_us_q'] / base['cpu_us_q']
                                              if r['cpu_us_q'] and base['cpu_us_q'] else None)})
                    log('  guard run %d %-16s %-7s qps %8.0f cpu %.2f us/q' % (
                        rep + 1, wl['name'], name, r['qps'], r['cpu_us_q'] or 0))
        dl = servers['dlog'][0]
    finally:
        for s, _ in servers.values():
            s.stop()
    text = dl.log_text()   # the final "N lines written, M dropped" comes at exit
    written = dropped = None
    for line in text.splitlines():
        if 'lines written' in line:
            parts = line.split('decision log: ')[-1].split()
            written, dropped = int(parts[0]), int(parts[3])
    out = {name: {wl: {k: _med([x[k] for x in rows]) for k in rows[0]}
                  for wl, rows in per.items()} for name, per in res.items()}
    out['dlog_lines'] = {'written': written, 'dropped': dropped}
    return out


def table(g):
    lines = ['%-8s %-16s %10s %9s %10s %9s' % ('variant', 'workload', 'qps', 'vs base',
                                               'cpu_us/q', 'vs base')]
    for name, _, _ in VARIANTS:
        for wl, r in g.get(name, {}).items():
            lines.append('%-8s %-16s %10.0f %8.3fx %10.2f %8.3fx' % (
                name, wl, r['qps'], r['qps_ratio'] or 0, r['cpu_us_q'] or 0, r['cpu_ratio'] or 0))
    d = g.get('dlog_lines', {})
    lines.append('decision log (dlog, every workload above): %s lines written, %s dropped' % (
        d.get('written'), d.get('dropped')))
    return '\n'.join(lines)


def callgrind_run(resdir, binary, dbs, files, ecs_files, passes, steerdns_cls, loadgen_fn,
                  children_fn, workloads, log):
    """Ir/query of every variant: callgrind.measure_server results, one per variant."""
    wls = [w for w in workloads if w['name'] in GUARD_WORKLOADS]
    cgdir = os.path.join(resdir, 'guard-callgrind')
    out = []
    for name, extra, cookie in VARIANTS:
        s = steerdns_cls(cgdir, binary, 'guard-' + name, dbs['geolite'], 'maxmind')
        with open(s.conf, 'a') as f:
            f.write(extra)
        s.wrap = callgrind.valgrind_prefix(s.dir, children=False)

        def run_load(server, wl, cookie=cookie):
            return loadgen_fn(server, wl, files, callgrind.DURATION, ecs_files,
                              rate=callgrind.RATE, outstanding=1, conns=1, cookie=cookie)
        log('bench: guard variant %s under callgrind' % name)
        try:
            res = callgrind.measure_server(s, wls, run_load, children_fn, passes, log,
                                           settle=SETTLE.get(name, 0.0))
        finally:
            s.stop()
        res['variant'] = name
        out.append(res)
    return out


def callgrind_table(results):
    """Per variant and workload: Ir/query, the passes' spread and the ratio to base."""
    summ = callgrind.summarize(results)
    lines = ['%-8s %-16s %10s %8s %7s %9s' % ('variant', 'workload', 'Ir/query', 'diff%', 'lost',
                                             'vs base')]
    for wl in GUARD_WORKLOADS:
        rows = summ.get(wl, {})
        base = rows.get('steerdns-guard-base', {}).get('ir_q')
        for res in results:
            if 'error' in res:
                lines.append('%-8s %-16s %10s   %s' % (res['variant'], wl, 'n/a', res['error']))
                continue
            m = rows.get(res['server'])
            if not m:
                continue
            lines.append('%-8s %-16s %10.0f %8s %7d %8.3fx' % (
                res['variant'], wl, m['ir_q'],
                '-' if m['diff_pct'] is None else '%.2f' % m['diff_pct'], m['lost'],
                m['ir_q'] / base if base else 0))
    return '\n'.join(lines)
