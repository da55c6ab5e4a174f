"""test_readme: every config and command block of README.md is run, so none
can rot.

Each fenced block of README.md is one of:

- ```yaml with top-level keys of the main config (server, geoip, pops,
  anycast, zones, ...): written to a temp dir and given to `steerdns
  checkconf`. The files it names are provided there: zone files by their
  name in config/zones (or tests/data/zones for a master file), GeoIP DBs by
  MaxMind's test DB of the same edition (tests/data/mmdb), absolute paths
  (/var, /run, /etc) moved under the temp dir.
- ```yaml with `origin:`: a zone file, loaded as the only zone of a minimal
  main config.
- ```bird: a BIRD config, checked with `bird -p -c FILE`.
- ```sh: commands run only when every line is one this test knows to be
  safe and local (see SAFE_SH), against a server it starts from
  config/run.yaml; any other ```sh block must be marked.
- anything marked, by an HTML comment on the line before the fence:
  `<!-- readme-test: fragment[: WHY] -->` (a part of a config, not loadable
  alone),
  `<!-- readme-test: not run: REASON -->`, or `<!-- readme-test: text -->`
  (output, a diagram, code). Marked blocks are skipped and listed.

A block that is none of these fails the test: a new block is either run or
marked on purpose.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

import yaml

import harness as H

BIN = None
TMP = None
REPO = H.repo_root()
README = os.path.join(REPO, 'README.md')

FENCE = re.compile(r'^(\s*)```(\S*)\s*$')
MARK = re.compile(r'^\s*<!-- readme-test: (fragment(?:: .+?)?|text|not run: .+?) -->\s*$')
MAIN_KEYS = {'server', 'geoip', 'pops', 'policy', 'ecs', 'anycast', 'zones', 'ab', 'decision_log',
             'metrics', 'control', 'cookies', 'rrl', 'dnstap'}


def setup_module(binary):
    global BIN, TMP
    BIN = binary
    TMP = tempfile.mkdtemp(prefix='steerdns-readme-')


def teardown_module():
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


def blocks():
    """(line, lang, text, mark) for every fenced block of README.md."""
    with open(README) as f:
        lines = f.read().split('\n')
    out = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, lang, start = len(m.group(1)), m.group(2), i
        j = i + 1
        while j < len(lines) and not re.match(r'^\s*```\s*$', lines[j]):
            j += 1
        assert j < len(lines), 'README.md:%d: unclosed ``` block' % (start + 1)
        body = '\n'.join(ln[indent:] for ln in lines[i + 1:j]) + '\n'
        k = start - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        mm = MARK.match(lines[k]) if k >= 0 else None
        out.append((start + 1, lang, body, mm.group(1) if mm else None))
        i = j + 1
    return out


def checkconf(path):
    r = subprocess.run([BIN, 'checkconf', '-c', path], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def _mmdb_for(name):
    """MaxMind's test DB of the edition a README path names."""
    stem = os.path.basename(name)[:-len('.mmdb')]
    cand = H.data_dir('mmdb', stem + '-Test.mmdb')
    return cand if os.path.exists(cand) else H.data_dir('mmdb', 'GeoIP2-City-Test.mmdb')


def _zone_for(name):
    base = os.path.basename(name)
    for d in (os.path.join(REPO, 'config', 'zones'), H.data_dir('zones')):
        if os.path.exists(os.path.join(d, base)):
            return os.path.join(d, base)
    return None


def _walk_paths(node, out):
    if isinstance(node, dict):
        for v in node.values():
            _walk_paths(v, out)
    elif isinstance(node, list):
        for v in node:
            _walk_paths(v, out)
    elif isinstance(node, str):
        out.append(node)


def stage_main(text, d):
    """Write a README main config into d with the files it names; its path."""
    root = os.path.join(d, 'root')
    text = re.sub(r'(?<![\w.])/(var|run|etc)/', lambda m: root + '/' + m.group(1) + '/', text)
    conf = yaml.safe_load(text)
    strs = []
    _walk_paths(conf, strs)
    for s in strs:
        p = s if os.path.isabs(s) else os.path.join(d, s)
        if s.endswith('.mmdb'):
            os.makedirs(os.path.dirname(p), exist_ok=True)
            shutil.copy(_mmdb_for(s), p)
        elif s.endswith('.yaml') or s.endswith('.zone'):
            src = _zone_for(s)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            if not src and s.endswith('.zone'):   # a master file named by its origin
                origin = os.path.basename(s)[:-len('.zone')] + '.'
                with open(p, 'w') as f:
                    f.write('$ORIGIN %s\n$TTL 3600\n@ SOA ns1 hostmaster 1 3600 900 1209600 300\n'
                            '@ NS ns1\nns1 A 192.0.2.53\n' % origin)
                continue
            assert src, 'no zone file for %r (add it to config/zones or tests/data/zones)' % s
            shutil.copy(src, p)
            if src.endswith('.zone'):   # its $INCLUDEs
                for inc in os.listdir(os.path.dirname(src)):
                    if inc.endswith('.inc'):
                        shutil.copy(os.path.join(os.path.dirname(src), inc), os.path.dirname(p))
        elif s.endswith('.secret'):
            with open(p, 'w') as f:
                f.write('0123456789abcdef0123456789abcdef\n')
        elif s.startswith(root):
            os.makedirs(os.path.dirname(p), exist_ok=True)
    for key in ('key_dir', 'cache_dir'):
        for m in re.finditer(r'%s: ([^\s,}]+)' % key, text):
            os.makedirs(m.group(1) if os.path.isabs(m.group(1)) else os.path.join(d, m.group(1)),
                        exist_ok=True)
    path = os.path.join(d, 'steerdns.yaml')
    with open(path, 'w') as f:
        f.write(text)
    return path


def _classify(lang, body):
    if lang == 'yaml':
        doc = yaml.safe_load(body)
        if isinstance(doc, dict) and 'origin' in doc:
            return 'zone'
        if isinstance(doc, dict) and doc and set(doc) <= MAIN_KEYS:
            return 'main'
        return None
    if lang in ('bird', 'sh'):
        return lang
    return None


def test_every_block_is_run_or_marked():
    unmarked = []
    for line, lang, body, mark in blocks():
        if mark is None and _classify(lang, body) is None:
            unmarked.append('README.md:%d: ```%s' % (line, lang))
    assert not unmarked, ('blocks neither run nor marked <!-- readme-test: ... -->:\n  '
                          + '\n  '.join(unmarked))


def test_marked_blocks_listed():
    """Not a check of the README: prints what is skipped and why, so the run
    log shows it."""
    for line, lang, body, mark in blocks():
        if mark is not None:
            print('  skipped README.md:%d ```%s: %s' % (line, lang, mark))


def test_main_configs_load():
    n = 0
    fails = []
    for line, lang, body, mark in blocks():
        if mark is not None or _classify(lang, body) != 'main':
            continue
        d = os.path.join(TMP, 'main-%d' % line)
        os.makedirs(d)
        rc, out = checkconf(stage_main(body, d))
        n += 1
        if rc != 0:
            fails.append('README.md:%d: checkconf exit %d: %s' % (line, rc, out.strip()))
    assert n >= 5, 'only %d main-config blocks found' % n
    assert not fails, '\n'.join(fails)


def test_zone_blocks_load():
    n = 0
    for line, lang, body, mark in blocks():
        if mark is not None or _classify(lang, body) != 'zone':
            continue
        d = os.path.join(TMP, 'zone-%d' % line)
        os.makedirs(d)
        with open(os.path.join(d, 'z.yaml'), 'w') as f:
            f.write(body)
        with open(os.path.join(d, 'steerdns.yaml'), 'w') as f:
            f.write('server: { listen: ["127.0.0.1:53"] }\nzones: [z.yaml]\n')
        rc, out = checkconf(os.path.join(d, 'steerdns.yaml'))
        assert rc == 0, 'README.md:%d: zone block: checkconf exit %d: %s' % (line, rc, out)
        n += 1
    assert n >= 1, 'no zone-file block found'


def test_bird_blocks_parse():
    """BIRD configs are checked by BIRD itself (`bird -p`: parse and exit)."""
    bird = H.tool('bird')
    n = 0
    for line, lang, body, mark in blocks():
        if mark is not None or lang != 'bird':
            continue
        path = os.path.join(TMP, 'bird-%d.conf' % line)
        with open(path, 'w') as f:
            f.write(body)
        r = subprocess.run([bird, '-p', '-c', path], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, 'README.md:%d: bird -p: exit %d: %s' % (line, r.returncode,
                                                                         r.stdout + r.stderr)
        n += 1
    assert n >= 1, 'no ```bird block found'


# A ```sh line is run only when it matches one of these: commands that read
# the repo or talk to the server this test starts on 127.0.0.1:5353.
SAFE_SH = [
    re.compile(r'^dig @127\.0\.0\.1 -p 5353 [\w.+=/ -]+$'),
    re.compile(r'^curl -s http://127\.0\.0\.1:9153/metrics( \| grep \w+)?$'),
    re.compile(r'^\./steerdns (ctl -c config/run\.yaml status|--help|--version|checkconf -c [\w./-]+)$'),
]


def _sh_lines(body):
    out = []
    for ln in body.split('\n'):
        ln = re.sub(r'\s+#.*$', '', ln).strip()
        if ln and not ln.startswith('#'):
            out.append(ln)
    return out


def test_sh_blocks():
    """Run the safe ```sh blocks with ./steerdns being the binary under test
    and `make run`'s server (config/run.yaml) up; every line must exit 0 and
    the dig lines must get an answer whose address is the one the comment
    names (the README says which PoP each subnet lands on)."""
    todo = []
    for line, lang, body, mark in blocks():
        if mark is not None or lang != 'sh':
            continue
        cmds = _sh_lines(body)
        bad = [c for c in cmds if not any(p.match(c) for p in SAFE_SH)]
        assert not bad, ('README.md:%d: ```sh lines this test does not know to be safe: %r; '
                         'mark the block <!-- readme-test: not run: REASON -->' % (line, bad))
        todo.append((line, body))
    assert todo, 'no runnable ```sh block'
    H.tool('dig')
    d = os.path.join(TMP, 'sh')
    os.makedirs(d)
    os.symlink(os.path.abspath(BIN), os.path.join(d, 'steerdns'))
    shutil.copytree(os.path.join(REPO, 'config'), os.path.join(d, 'config'))
    shutil.copytree(H.data_dir('mmdb'), os.path.join(d, 'tests', 'data', 'mmdb'))
    proc = subprocess.Popen([BIN, 'serve', '-c', 'config/run.yaml'], cwd=d,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                H.query('127.0.0.1', 5353, 'www.geo.example.test', timeout=0.3)
                break
            except Exception:
                assert proc.poll() is None, 'run.yaml server exited: %s' % proc.stderr.read()
                time.sleep(0.2)
        for line, body in todo:
            for raw in body.split('\n'):
                cmd = re.sub(r'\s+#.*$', '', raw).strip()
                if not cmd or cmd.startswith('#'):
                    continue
                r = subprocess.run(cmd, shell=True, cwd=d, capture_output=True, text=True, timeout=30)
                assert r.returncode == 0, 'README.md:%d: %s: exit %d %s' % (line, cmd, r.returncode,
                                                                         r.stderr)
                want = re.search(r'#.*\s(\d+\.\d+\.\d+\.\d+)\s*$', raw)
                if cmd.startswith('dig') and want:
                    assert re.search(r'\tA\t%s$' % re.escape(want.group(1)), r.stdout, re.M), \
                        'README.md:%d: %s: expected %s:\n%s' % (line, cmd, want.group(1), r.stdout)
                if cmd.startswith('curl'):
                    assert r.stdout.strip(), 'README.md:%d: %s: no output' % (line, cmd)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _section_blocks(title):
    """The blocks between the README heading `title` and the next heading."""
    with open(README) as f:
        lines = f.read().split('\n')
    lo = next(i for i, ln in enumerate(lines) if ln.startswith('#') and title in ln) + 1
    hi = next(i for i in range(lo, len(lines)) if lines[i].startswith('#'))
    return [b for b in blocks() if lo < b[0] <= hi]


def test_bird_route_server_setup_for_real():
    """The README's "BIRD as a route server" setup brought up as written:
    a PoP namespace with the anycast address on lo (the README's command),
    steerdns with the README's config and BIRD with the README's config; an
    upstream BIRD (AS64999 at 192.0.2.1, as the README's upstream1 names it)
    in a second namespace. Expected from the configs, not from our output:
    the upstream learns 198.51.100.0/24 with AS path 64512 65001 (BIRD's AS,
    then steerdns's) and next hop 192.0.2.11 (BIRD's `next hop self`); the
    drain file withdraws it; the anycast address answers DNS from there."""
    import netns as N
    N.require_root_netns()
    sect = _section_blocks('BIRD as a route server next to steerdns')
    lo_cmd = next(b[2] for b in sect if b[1] == 'sh' and 'dev lo' in b[2])
    lo_cmd = re.sub(r'\s+#.*', '', lo_cmd.split('\n')[0]).split()
    sd_conf = next(b[2] for b in sect if b[1] == 'yaml')
    bird_conf = next(b[2] for b in sect if b[1] == 'bird')
    with N.Topology('readme') as topo:
        pop, up = topo.netns('rmpop'), topo.netns('rmup')
        topo.veth(pop, up, '192.0.2.11', '192.0.2.1', plen4=24)
        N.sh(lo_cmd, ns=pop)
        rs = N.Bird(topo, pop, '192.0.2.11', 64512, [])
        with open(rs.conf, 'w') as f:
            f.write(bird_conf)
        rs.start()
        upstream = N.Bird(topo, up, '192.0.2.1', 64999, [N.BirdPeer('pop', '192.0.2.11', 64512)])
        upstream.start()
        d = topo.tempdir('readme-sd-')
        path = stage_main(sd_conf, d)
        drain = yaml.safe_load(open(path).read())['anycast']['health']['drain_file']
        sd = topo.add(N._Proc([os.path.abspath(BIN), 'serve', '-c', path], pop, 'steerdns'))
        try:
            rs.wait_established('steerdns', timeout=15)
            r, _ = upstream.wait_route('198.51.100.0/24', timeout=15)
        except AssertionError as e:
            raise AssertionError('%s\nsteerdns:\n%s' % (e, sd.out.text()))
        assert r['as_path'] == [64512, 65001], r['raw']
        assert r['next_hop'] == ['192.0.2.11'], r['raw']
        N.sh(['ip', 'route', 'add', '198.51.100.0/24', 'via', '192.0.2.11'], ns=up)
        m = N.dns_query(up, '198.51.100.1', 53, 'www.anycast.example.test')
        assert m is not None and m.rcode_name() == 'NOERROR', m
        assert [a[4] for a in m.answer if a[3] == 1] == ['198.51.100.1'], m   # type A
        open(drain, 'w').close()
        upstream.wait_route('198.51.100.0/24', present=False, timeout=10)
        os.unlink(drain)
        upstream.wait_route('198.51.100.0/24', timeout=15)
