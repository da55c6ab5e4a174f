#!/usr/bin/perl
# source_nets.pl JSON: one line per network of a MaxMind test DB's
# source-data file (tests/data/mmdb/source-data/*.json):
#   ADDR LEN ASN
# ADDR as written there (IPv4 "a.b.c.d", or IPv6 including "::a.b.c.d"),
# LEN in the 128-bit space (IPv4 prefixes + 96, as ::ffff:a.b.c.d), ASN
# the record's autonomous_system_number or 0. The C tests read this
# through popen() rather than parse JSON themselves. JSON::PP is core Perl.
use strict;
use warnings;
use JSON::PP;

my $file = shift or die "usage: $0 JSON\n";
open my $fh, '<:raw', $file or die "$file: $!\n";
my $doc = decode_json(do { local $/; <$fh> });
for my $item (@$doc) {
	for my $net (sort keys %$item) {
		my ($addr, $len) = split m{/}, $net;
		die "$file: bad network $net\n" unless defined $len && $len =~ /^\d+$/;
		$len += 96 unless $addr =~ /:/;
		my $rec = $item->{$net};
		my $asn = ref $rec eq 'HASH' ? ($rec->{autonomous_system_number} // 0) : 0;
		print "$addr $len $asn\n";
	}
}
