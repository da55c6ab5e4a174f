"""scenario.py: the steering lab's world, as plain data (read by lab.py).

Three regions (eu, us, ap). Each has a BIRD 2 router (its own AS, eBGP
with the other two), a steerdns PoP in anycast mode (announces the anycast
prefix to its router and serves on its own unicast address too) and two
client namespaces, each in its own /24. In us, next to the router, sit the
GeoDNS steerdns and two unbound resolvers (one sending ECS, one not).

Addresses. Client and service subnets must look public: steerdns ignores an
ECS subnet from RFC 1918, CGNAT (100.64/10), loopback or link-local space,
and unbound sends the client's /24 as ECS. So every client gets its own
public-range /24. These prefixes only ever exist inside the lab's network
namespaces; nothing is routed to the outside. Router-to-router links use
10.255/16 (never seen by GeoDNS).

Ground truth is distance: this kernel has no netem, so every veth RTT is
alike; the optimal PoP of a client is the nearest one by great-circle
distance from the coordinates below (also what the lab's GeoIP DB says).

Planted detour: the ap router has a second BGP session to the us router
whose routes land in a separate table with local preference 200; clients
of ap2's subnet use that table for the anycast prefix (an `ip rule`), so
ap2 prefers the us PoP although the ap PoP is next door.
"""

ZONE = 'lab.test.'
GEO_NAME = 'www.lab.test'       # steered: GeoDNS answers the nearest healthy PoP
CHECK_NAME = 'static.lab.test'  # what the GeoDNS health check asks each PoP
STATIC_ADDR = '192.0.2.80'
TTL = 2                         # TTL of the steered answer (cached by unbound)

ANYCAST = '198.51.100.1'
ANYCAST_PREFIX = '198.51.100.0/24'
POP_AS = 65001                  # every PoP announces from the same AS

# Timers, short so the short form fits 3 minutes and the full one 10.
BGP_HOLD = 3                    # seconds, PoPs and routers; keepalive = hold / 3
POP_LINGER = 0.5                # seconds of DNS after the SIGTERM withdraw
POP_HEALTH = {'interval': 0.2, 'fast_interval': 0.1, 'rise': 2, 'fall': 2}
# The GeoDNS server's health check on each PoP's unicast address.
GEO_CHECK = {'type': 'dns', 'port': 53, 'qname': CHECK_NAME, 'interval': 0.5,
             'timeout': 0.3, 'rise': 2, 'fall': 2}

REGIONS = {
    'eu': {'as': 64601, 'router_id': '10.255.0.1', 'location': (50.11, 8.68),
           'country': 'DE', 'continent': 'EU', 'city': 'Frankfurt'},
    'us': {'as': 64602, 'router_id': '10.255.0.2', 'location': (38.95, -77.45),
           'country': 'US', 'continent': 'NA', 'city': 'Ashburn'},
    'ap': {'as': 64603, 'router_id': '10.255.0.3', 'location': (1.35, 103.82),
           'country': 'SG', 'continent': 'AS', 'city': 'Singapore'},
}
REGION_ORDER = ['eu', 'us', 'ap']

# One PoP per region: its unicast address on the link to the regional router.
POPS = {
    'eu': {'identity': 'eu', 'addr': '203.0.113.1', 'router_addr': '203.0.113.2'},
    'us': {'identity': 'us', 'addr': '203.0.113.5', 'router_addr': '203.0.113.6'},
    'ap': {'identity': 'ap', 'addr': '203.0.113.9', 'router_addr': '203.0.113.10'},
}
POP_PLEN = 30

# eBGP mesh between the regional routers: (a, b, addr in a, addr in b), /30s.
ROUTER_LINKS = [
    ('eu', 'us', '10.255.12.1', '10.255.12.2'),
    ('eu', 'ap', '10.255.13.1', '10.255.13.2'),
    ('us', 'ap', '10.255.23.1', '10.255.23.2'),
]

# Clients: each its own /24 behind its regional router (.1 is the router),
# placed by the GeoIP DB at a city of its region.
CLIENTS = [
    {'name': 'eu1', 'region': 'eu', 'subnet': '81.0.1.0/24', 'addr': '81.0.1.10',
     'city': 'London', 'location': (51.51, -0.13), 'country': 'GB', 'continent': 'EU'},
    {'name': 'eu2', 'region': 'eu', 'subnet': '81.0.2.0/24', 'addr': '81.0.2.10',
     'city': 'Frankfurt', 'location': (50.11, 8.68), 'country': 'DE', 'continent': 'EU'},
    {'name': 'us1', 'region': 'us', 'subnet': '24.0.1.0/24', 'addr': '24.0.1.10',
     'city': 'New York', 'location': (40.71, -74.01), 'country': 'US', 'continent': 'NA'},
    {'name': 'us2', 'region': 'us', 'subnet': '24.0.2.0/24', 'addr': '24.0.2.10',
     'city': 'Chicago', 'location': (41.88, -87.63), 'country': 'US', 'continent': 'NA'},
    {'name': 'ap1', 'region': 'ap', 'subnet': '101.0.1.0/24', 'addr': '101.0.1.10',
     'city': 'Singapore', 'location': (1.35, 103.82), 'country': 'SG', 'continent': 'AS'},
    {'name': 'ap2', 'region': 'ap', 'subnet': '101.0.2.0/24', 'addr': '101.0.2.10',
     'city': 'Tokyo', 'location': (35.68, 139.69), 'country': 'JP', 'continent': 'AS'},
]

# Services in us, each on its own /30 of 192.0.2.0/24 behind the us router;
# the DB places all of 192.0.2.0/24 in Ashburn.
SERVICES_SUBNET = '192.0.2.0/24'
GEODNS = {'name': 'geodns', 'region': 'us', 'addr': '192.0.2.2', 'router_addr': '192.0.2.1',
          'identity': 'geodns'}
RESOLVERS = [
    # ECS: unbound's subnetcache module sends the client's /24 to the GeoDNS server.
    {'name': 'res-ecs', 'region': 'us', 'addr': '192.0.2.6', 'router_addr': '192.0.2.5', 'ecs': True},
    # Plain: GeoDNS only sees the resolver's own address (in us).
    {'name': 'res-plain', 'region': 'us', 'addr': '192.0.2.10', 'router_addr': '192.0.2.9', 'ecs': False},
]
SERVICE_PLEN = 30

# The planted detour (see the module comment).
DETOUR = {
    'router': 'ap',              # where the policy lives
    'via': 'us',                 # the neighbour whose routes it prefers
    'clients': ['ap2'],          # the part of ap that follows the policy
    'local_pref': 200,
    'link': ('10.255.32.1', '10.255.32.2'),   # a second ap<->us link for the session
    'kernel_table': 100,
}

# Failover: which PoP dies, and how.
FAIL_REGION = 'eu'
KILLS_SHORT = ['SIGTERM']
KILLS_FULL = ['SIGTERM', 'SIGKILL', 'SIGSTOP']

# Probe settings.
PROBE_K = 3
PROBE_TIMEOUT_MS = 500
