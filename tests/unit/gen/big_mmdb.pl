#!/usr/bin/perl
# big_mmdb.pl OUT NNETS [SEED]: a GeoIP2-City-shaped DB (location/latitude,
# country/iso_code, continent/code, subdivisions/0/iso_code) with NNETS
# random IPv4 networks (/16../28) and NNETS/4 random IPv6 /32../56, drawn
# from NNETS/10 distinct locations. For build-time and memory numbers on
# something closer to GeoLite2-City's scale than MaxMind's test DBs.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out, $n, $seed) = @ARGV;
die "usage: $0 OUT NNETS [SEED]\n" unless $out && $n;
srand($seed // 1);

my %types = (
	location => 'map', latitude => 'double', longitude => 'double',
	country => 'map', iso_code => 'utf8_string', continent => 'map',
	code => 'utf8_string', subdivisions => [ 'array', 'map' ],
);
my $t = MaxMind::DB::Writer::Tree->new(
	ip_version => 6, record_size => 28, database_type => 'steerdns-big-test',
	languages => ['en'], description => { en => 'steerdns generated City-shaped DB' },
	map_key_type_callback => sub { $types{ $_[0] } },
	alias_ipv6_to_ipv4 => 1, remove_reserved_networks => 0,
);
my @cc = qw(US DE FR GB JP BR AU IN CN ZA CA NL SE PL IT ES RU KR MX AR);
my @ct = qw(NA EU EU EU AS SA OC AS AS AF NA EU EU EU EU EU EU AS NA SA);
my $nloc = int($n / 10) || 1;
my @locs;
for my $i (0 .. $nloc - 1) {
	my $c = int(rand(@cc));
	push @locs, {
		location => { latitude => int(rand(18000)) / 100 - 90, longitude => int(rand(36000)) / 100 - 180 },
		country => { iso_code => $cc[$c] }, continent => { code => $ct[$c] },
		subdivisions => [ { iso_code => 'S' . int(rand(50)) } ],
	};
}
for my $i (1 .. $n) {
	my $len = 16 + int(rand(13));
	my $a = int(rand(2**32)) & ~((1 << (32 - $len)) - 1);
	my $net = join('.', ($a >> 24) & 255, ($a >> 16) & 255, ($a >> 8) & 255, $a & 255) . "/$len";
	next if $net =~ /^(0|127|2[2-5]\d)\./;
	$t->insert_network($net, $locs[ int(rand($nloc)) ]);
}
for my $i (1 .. int($n / 4)) {
	my $len = 32 + int(rand(25));
	my @w = (0x2400 + int(rand(0x800)), int(rand(65536)), int(rand(65536)), int(rand(65536)));
	$w[3] &= ~((1 << (64 - $len)) - 1) & 0xffff if $len > 48;
	$w[3] = 0 if $len <= 48;
	$w[2] = 0 if $len <= 32;
	$w[2] &= ~((1 << (48 - $len)) - 1) & 0xffff if $len > 32 && $len < 48;
	my $net = sprintf('%x:%x:%x:%x::/%d', @w, $len);
	$t->insert_network($net, $locs[ int(rand($nloc)) ]);
}
open my $fh, '>:raw', $out or die "$out: $!\n";
$t->write_tree($fh);
close $fh;
