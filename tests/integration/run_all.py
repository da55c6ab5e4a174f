#!/usr/bin/env python3
"""run_all.py: run every steerdns integration test module.

Usage: python3 tests/integration/run_all.py ./steerdns [module ...] [-k substring]

Each module test_*.py may define setup_module(binary) and teardown_module();
every function named test_* is a test, run in definition order. A test
passes when it returns, is skipped when it raises harness.Skip, and fails on
any other exception. The last line is "N passed, N failed, N skipped"; the
exit status is 1 when anything failed.
"""

import importlib
import inspect
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # keep __pycache__ out of the source tree
sys.path.insert(0, HERE)

import harness  # noqa: E402

MODULES = ['test_cli', 'test_schema', 'test_readme', 'test_basic', 'test_malformed', 'test_tcp', 'test_knot_diff',
           'test_master_file', 'test_dnssec', 'test_dnssec_edges', 'test_reload', 'test_geodns',
           'test_geo_reload', 'test_gdnsd_diff', 'test_anycast_answers', 'test_bgp_interop',
           'test_bgp_7606', 'test_probe', 'test_compare', 'test_ab', 'test_decision_log', 'test_guard',
           'test_privdrop', 'test_metrics', 'test_ctl', 'test_systemd', 'test_bad_db_reload', 'test_dnstap', 'test_lab']


def _short_tb(exc):
    """The assertion message plus the test-file line it came from."""
    tb = traceback.extract_tb(exc.__traceback__)
    where = ''
    for fr in reversed(tb):
        if os.path.basename(fr.filename).startswith('test_') or fr.filename.endswith('harness.py'):
            where = '%s:%d' % (os.path.basename(fr.filename), fr.lineno)
            break
    msg = str(exc) or exc.__class__.__name__
    if not isinstance(exc, AssertionError):
        msg = '%s: %s' % (exc.__class__.__name__, msg)
    return '%s (%s)' % (msg, where) if where else msg


def main(argv):
    args = [a for a in argv[1:]]
    sel = None
    if '-k' in args:
        i = args.index('-k')
        sel = args[i + 1]
        del args[i:i + 2]
    if not args:
        print('usage: run_all.py STEERDNS_BINARY [module ...] [-k substring]', file=sys.stderr)
        return 2
    binary = os.path.abspath(args[0])
    mods = args[1:] or MODULES
    counts = {'PASS': 0, 'FAIL': 0, 'SKIP': 0}
    failures = []
    t_all = time.monotonic()
    for name in mods:
        mod = importlib.import_module(name)
        tests = [(n, f) for n, f in inspect.getmembers(mod, inspect.isfunction)
                 if n.startswith('test_') and f.__module__ == mod.__name__]
        tests.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
        if sel:
            tests = [(n, f) for n, f in tests if sel in n or sel in name]
        if not tests:
            continue
        print('== %s' % name, flush=True)
        setup_err = None
        setup_skip = None
        if hasattr(mod, 'setup_module'):
            try:
                mod.setup_module(binary)
            except harness.Skip as e:
                setup_skip = str(e)
            except Exception as e:  # noqa: BLE001 - every failure is reported
                setup_err = 'setup failed: ' + _short_tb(e)
        try:
            for tname, fn in tests:
                full = '%s.%s' % (name, tname)
                t0 = time.monotonic()
                if setup_skip is not None:
                    status, why = 'SKIP', setup_skip
                elif setup_err is not None:
                    status, why = 'FAIL', setup_err
                else:
                    try:
                        fn()
                        status, why = 'PASS', ''
                    except harness.Skip as e:
                        status, why = 'SKIP', str(e)
                    except Exception as e:  # noqa: BLE001
                        status, why = 'FAIL', _short_tb(e)
                counts[status] += 1
                dt = time.monotonic() - t0
                line = '%s %s (%.2fs)' % (status, full, dt)
                if why:
                    line += ': ' + (why if status == 'SKIP' else why.split('\n')[0])
                print(line, flush=True)
                if status == 'FAIL':
                    failures.append((full, why))
        finally:
            if hasattr(mod, 'teardown_module'):
                try:
                    mod.teardown_module()
                except Exception as e:  # noqa: BLE001
                    print('WARN %s teardown: %s' % (name, _short_tb(e)))
    harness._kill_all()
    if failures:
        print('\n== failure details')
        for full, why in failures:
            print('--- %s\n%s' % (full, why))
    print('\n(total %.1fs)' % (time.monotonic() - t_all))
    print('%d passed, %d failed, %d skipped' % (counts['PASS'], counts['FAIL'], counts['SKIP']))
    return 1 if counts['FAIL'] else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
