#!/usr/bin/perl
# asn_mmdb.pl OUT NNETS [SEED]: a GeoLite2-ASN-shaped DB (top-level
# autonomous_system_number, autonomous_system_organization) with NNETS
# random IPv4 networks (/12../24) and NNETS/4 random IPv6 /20../48 over
# the same 2400::/5 range as big_mmdb.pl, drawn from NNETS/20 distinct
# ASNs. To time geotree_product() of a location tree and an ASN tree at
# something like GeoLite2 scale.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out, $n, $seed) = @ARGV;
die "usage: $0 OUT NNETS [SEED]\n" unless $out && $n;
srand($seed // 1);

my %types = (autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string');
my $t = MaxMind::DB::Writer::Tree->new(
	ip_version => 6, record_size => 28, database_type => 'steerdns-asn-test',
	languages => ['en'], description => { en => 'steerdns generated ASN-shaped DB' },
	map_key_type_callback => sub { $types{ $_[0] } },
	alias_ipv6_to_ipv4 => 1, remove_reserved_networks => 0,
);
my $nasn = int($n / 20) || 1;
my @recs = map { { autonomous_system_number => 1000 + $_ * 7,
                   autonomous_system_organization => "AS$_ Net" } } 0 .. $nasn - 1;
for my $i (1 .. $n) {
	my $len = 12 + int(rand(13));
	my $a = int(rand(2**32)) & ~((1 << (32 - $len)) - 1);
	my $net = join('.', ($a >> 24) & 255, ($a >> 16) & 255, ($a >> 8) & 255, $a & 255) . "/$len";
	next if $net =~ /^(0|127|2[2-5]\d)\./;
	$t->insert_network($net, $recs[ int(rand($nasn)) ]);
}
for my $i (1 .. int($n / 4)) {
	my $len = 20 + int(rand(29));
	my @w = (0x2400 + int(rand(0x800)), int(rand(65536)), int(rand(65536)));
	$w[2] = 0 if $len <= 32;
	$w[2] &= ~((1 << (48 - $len)) - 1) & 0xffff if $len > 32;
	$w[1] &= ~((1 << (32 - $len)) - 1) & 0xffff if $len < 32;
	my $net = sprintf('%x:%x:%x::/%d', @w, $len);
	$t->insert_network($net, $recs[ int(rand($nasn)) ]);
}
open my $fh, '>:raw', $out or die "$out: $!\n";
$t->write_tree($fh);
close $fh;
