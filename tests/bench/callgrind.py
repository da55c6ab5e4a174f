"""Callgrind step of the steerdns bench: user-space instructions per query.

CPU time per query on this VM drifts by +-15% between runs and is ~90% the
kernel's loopback path; the instructions a server executes in user space per
query (callgrind's Ir) are the same from run to run, so they compare the
servers' own code. Used by run.py; see tests/bench/README.md.

Per server: start it once under
    valgrind --tool=callgrind --instr-atstart=no [--trace-children=yes]
wait until it answers, switch instrumentation on (callgrind_control -i on),
then for each interval: run it, dump (callgrind_control --dump=LABEL, which
also zeroes the counters) and read the dump's Ir total (summed over every
process of the server, threads are merged in one dump). Intervals: idle
(nothing sent), each workload at a fixed rate (passes times), idle again.
Ir/query = (Ir of the load interval - idle Ir/s x its length) / answered.
Kernel work done in syscalls is not counted by callgrind.
"""

import glob
import os
import subprocess
import time

# The load: one query in flight (loadgen -c 1; over TCP one connection at a
# time, 10 queries each), at most RATE/s, for DURATION seconds. With more in
# flight, how many queries one wakeup (recvmmsg) takes depends on timing, and
# the per-wakeup cost spread over them made Ir/query vary by 2-4% between
# passes; one at a time, every query is its own wakeup and the count repeats
# to within 0.3%. So this is the cost of a query at low load, per-wakeup
# overhead included (under saturation that overhead is spread over a batch).
RATE = 2000          # queries/s cap (loadgen -Q, UDP only)
DURATION = 2.0       # seconds per interval
START_TIMEOUT = 600  # startup under valgrind is slow (GeoLite2 compile)


def valgrind_prefix(outdir, children):
    """The valgrind command line a server is started under (its dumps go to outdir)."""
    return ['valgrind', '--tool=callgrind', '--instr-atstart=no',
            '--callgrind-out-file=%s/callgrind.out.%%p' % outdir,
            '--trace-children=%s' % ('yes' if children else 'no')]


def _pids(server, children_fn):
    return [server.pid] + children_fn(server.pid)


def _control(pids, *args):
    """callgrind_control ARGS for every pid (never for other users' runs)."""
    r = subprocess.run(['callgrind_control'] + list(args) + [str(p) for p in pids],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError('callgrind_control %s: %s' % (' '.join(args), r.stdout.strip()))
    return r.stdout


def _dump_files(outdir, pid):
    return set(glob.glob(os.path.join(outdir, 'callgrind.out.%d.*' % pid)))


def _read_ir(path):
    """The Ir total of one dump file (its summary: or totals: line)."""
    with open(path, errors='replace') as f:
        for line in f:
            if line.startswith(('summary:', 'totals:')):
                return int(line.split()[1])
    raise RuntimeError('no totals in %s' % path)


def dump(pids, outdir, label):
    """Dump every pid's counters (zeroing them); returns the summed Ir and the files."""
    before = {p: _dump_files(outdir, p) for p in pids}
    _control(pids, '--dump=%s' % label)
    total, files = 0, []
    for p in pids:
        t0 = time.monotonic()
        while True:     # the dump is written by the server's valgrind, wait for it
            new = _dump_files(outdir, p) - before[p]
            if new:
                break
            if time.monotonic() - t0 > 30:
                raise RuntimeError('no dump from pid %d for %s' % (p, label))
            time.sleep(0.05)
        for path in sorted(new):
            # A file is complete when its totals line is there.
            t1 = time.monotonic()
            while True:
                try:
                    total += _read_ir(path)
                    break
                except RuntimeError:
                    if time.monotonic() - t1 > 30:
                        raise
                    time.sleep(0.05)
            files.append(os.path.basename(path))
    return total, files


def measure_server(server, workloads, run_load, children_fn, passes, log, settle=0.0):
    """Start server (already given its valgrind prefix) and measure every workload.

    run_load(server, wl) runs one fixed load and returns loadgen's result;
    settle seconds pass after it before the dump (work the server defers).
    Returns {'startup_s', 'idle_ir_per_s', 'idle': [...], 'runs': {wl: [...]}}
    or {'error': reason} when the server cannot run under valgrind.
    """
    out = {'server': server.name}
    try:
        out['startup_s'] = server.start(timeout=START_TIMEOUT)
    except RuntimeError as e:
        tail = ''
        try:
            tail = server.log_text().strip().splitlines()[-1][:160]
        except (OSError, IndexError):
            pass
        out['error'] = '%s%s' % (str(e).split(';')[0], ('; log: ' + tail) if tail else '')
        return out
    log('  %s answers under valgrind after %.1f s' % (server.name, out['startup_s']))
    try:
        time.sleep(0.5)   # let forked children (NSD) settle
        pids = _pids(server, children_fn)
        out['pids'] = pids
        _control(pids, '--instr=on')
        dump(pids, server.dir, 'warmup')     # discard what ran while switching on

        def idle(label):
            t0 = time.monotonic()
            time.sleep(DURATION)
            ir, files = dump(pids, server.dir, label)
            secs = time.monotonic() - t0
            return {'ir': ir, 'secs': secs, 'ir_per_s': ir / secs, 'files': files}

        out['idle'] = [idle('idle-start')]
        runs = {}
        for p in range(passes):
            for wl in workloads:
                t0 = time.monotonic()
                res = run_load(server, wl)
                time.sleep(settle)
                ir, files = dump(pids, server.dir, '%s-pass%d' % (wl['name'], p + 1))
                secs = time.monotonic() - t0
                runs.setdefault(wl['name'], []).append({
                    'ir': ir, 'secs': secs, 'answered': res['answered'], 'lost': res['lost'],
                    'sent': res['sent'], 'rcodes': res['rcodes'], 'files': files})
                log('  callgrind %-16s %-16s pass %d: %d answered, %d lost, Ir %d' % (
                    wl['name'], server.name, p + 1, res['answered'], res['lost'], ir))
        out['idle'].append(idle('idle-end'))
        _control(pids, '--instr=off')
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        out['error'] = str(e)
        server.stop()
        return out
    server.stop()
    # Idle cost: the mean rate of both idle intervals, scaled to each load interval.
    idle_rate = sum(i['ir_per_s'] for i in out['idle']) / len(out['idle'])
    out['idle_ir_per_s'] = idle_rate
    out['runs'] = runs
    for wl, rs in runs.items():
        for r in rs:
            net = r['ir'] - idle_rate * r['secs']
            r['ir_per_q'] = net / r['answered'] if r['answered'] else None
    return out


def summarize(results):
    """{workload: {server: {'ir_q', 'diff_pct', 'lost'}}} from measure_server results."""
    out = {}
    for res in results:
        for wl, rs in res.get('runs', {}).items():
            vals = [r['ir_per_q'] for r in rs if r['ir_per_q'] is not None]
            if not vals:
                continue
            mean = sum(vals) / len(vals)
            diff = (max(vals) - min(vals)) / mean * 100 if len(vals) > 1 else None
            out.setdefault(wl, {})[res['server']] = {
                'ir_q': mean, 'diff_pct': diff, 'lost': sum(r['lost'] for r in rs),
                'answered': sum(r['answered'] for r in rs)}
    return out


def table(results, workloads, ref='steerdns-geolite'):
    """The text table: per workload and server, Ir/query and steerdns/peer."""
    summ = summarize(results)
    errors = {r['server']: r['error'] for r in results if 'error' in r}
    lines = []
    hdr = '%-16s %-17s %10s %8s %7s   %s' % ('workload', 'server', 'Ir/query', 'diff%',
                                            'lost', 'steerdns/peer')
    lines.append(hdr)
    lines.append('-' * len(hdr))
    for wl in workloads:
        rows = summ.get(wl['name'], {})
        refv = rows.get(ref, {}).get('ir_q')
        for res in results:
            srv = res['server']
            if wl['name'] not in res.get('workloads', ()):
                continue      # this server does not serve this workload
            if srv in errors:
                lines.append('%-16s %-17s %10s   %s' % (wl['name'], srv, 'n/a', errors[srv]))
                continue
            m = rows.get(srv)
            if not m:
                continue
            ratio = ''
            if refv and srv != ref and m['ir_q']:
                ratio = '%.2fx' % (refv / m['ir_q'])
            lines.append('%-16s %-17s %10.0f %8s %7d   %s' % (
                wl['name'], srv, m['ir_q'],
                '-' if m['diff_pct'] is None else '%.2f' % m['diff_pct'], m['lost'], ratio))
    lines.append('')
    lines.append('idle cost subtracted (Ir/s, mean of an idle interval before and after), '
                 'time to first answer under valgrind:')
    for res in results:
        if 'error' in res:
            lines.append('  %-17s n/a: %s' % (res['server'], res['error']))
        else:
            lines.append('  %-17s idle %9.0f Ir/s (%s)   startup %.1f s' % (
                res['server'], res['idle_ir_per_s'],
                ', '.join('%.0f' % i['ir_per_s'] for i in res['idle']), res['startup_s']))
    return '\n'.join(lines)
