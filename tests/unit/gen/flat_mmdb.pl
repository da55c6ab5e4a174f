#!/usr/bin/perl
# flat_mmdb.pl OUTDIR: write the flat-schema test databases used by
# tests/unit/test_geodb.c and test_geotree.c (DB-IP lite / ip-location-db
# shape: latitude, longitude, country_code at the top level).
#
#   flat-v6.mmdb   ip_version 6, IPv4 aliased into ::ffff:0:0/96:
#                  10.0.0.0/8 as 256 /16s alternating two German cities
#                  (one decision by country must give /8), 11.0.0.0/16 FR,
#                  12.0.0.0/16 JP country only (centroid), 13.0.0.0/16 with
#                  coordinates as strings, 14.0.0.0/16 country ZZ,
#                  2a00:1000::/32 NZ, 2a00:2000::/32 BR country only.
#   flat-v4.mmdb   ip_version 4: 192.0.2.0/24 US, 198.51.100.0/24 AU.
#   flat-v6only.mmdb  ip_version 6, only 2a00:3000::/32 CA, no IPv4.
#   flat-noalias.mmdb ip_version 6 without the ::ffff:0:0/96 alias:
#                  172.16.0.0/12 NL (must still answer for ::ffff:172.16.x.x).
# Exits 2 if MaxMind::DB::Writer is missing so the test can SKIP.
use strict;
use warnings;

BEGIN {
	eval { require MaxMind::DB::Writer::Tree; 1 } or do {
		print STDERR "MaxMind::DB::Writer::Tree not installed (Debian: libmaxmind-db-writer-perl)\n";
		exit 2;
	};
}

my $dir = shift or die "usage: $0 OUTDIR\n";

my %types = (
	latitude     => 'double',
	longitude    => 'double',
	country_code => 'utf8_string',
	city         => 'utf8_string',
);

sub tree {
	my ($ipv, $alias) = @_;
	return MaxMind::DB::Writer::Tree->new(
		ip_version               => $ipv,
		record_size              => 24,
		database_type            => 'steerdns-flat-test',
		languages                => ['en'],
		description              => { en => 'steerdns flat-schema test DB' },
		map_key_type_callback    => sub { $types{ $_[0] } },
		alias_ipv6_to_ipv4       => $alias,
		remove_reserved_networks => 0,
	);
}

sub write_db {
	my ($t, $name) = @_;
	open my $fh, '>:raw', "$dir/$name" or die "$dir/$name: $!\n";
	$t->write_tree($fh);
	close $fh or die "$dir/$name: $!\n";
}

my $t6 = tree(6, 1);
for my $i (0 .. 255) {
	my $rec = $i % 2
	    ? { latitude => 48.1374, longitude => 11.5755, country_code => 'DE', city => 'Munich' }
	    : { latitude => 50.1109, longitude => 8.6821, country_code => 'DE', city => 'Frankfurt' };
	$t6->insert_network("10.$i.0.0/16", $rec);
}
$t6->insert_network('11.0.0.0/16', { latitude => 48.8566, longitude => 2.3522, country_code => 'FR' });
$t6->insert_network('12.0.0.0/16', { country_code => 'jp' });
$t6->insert_network('13.0.0.0/16', { latitude => '-33.8688', longitude => '151.2093', country_code => 'AU' });
$t6->insert_network('14.0.0.0/16', { country_code => 'ZZ' });
$t6->insert_network('2a00:1000::/32', { latitude => -36.8485, longitude => 174.7633, country_code => 'NZ' });
$t6->insert_network('2a00:2000::/32', { country_code => 'BR' });
write_db($t6, 'flat-v6.mmdb');

my $t4 = tree(4, 0);
$t4->insert_network('192.0.2.0/24', { latitude => 39.0438, longitude => -77.4874, country_code => 'US' });
$t4->insert_network('198.51.100.0/24', { latitude => -33.8688, longitude => 151.2093, country_code => 'AU' });
write_db($t4, 'flat-v4.mmdb');

my $t6o = tree(6, 0);
$t6o->insert_network('2a00:3000::/32', { latitude => 43.6532, longitude => -79.3832, country_code => 'CA' });
write_db($t6o, 'flat-v6only.mmdb');

my $tna = tree(6, 0);
$tna->insert_network('172.16.0.0/12', { latitude => 52.3676, longitude => 4.9041, country_code => 'NL' });
write_db($tna, 'flat-noalias.mmdb');
exit 0;
