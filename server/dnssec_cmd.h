/*
 * dnssec_cmd.h: `steerdns dnssec -c FILE ds ZONE`: print the DS record
 * (SHA-256, RFC 4509) of a signed zone's key, the line to give the parent,
 * in the form dnssec-dsfromkey prints. Loading the config creates the key
 * if the zone's key_dir has none yet, so this is also how a key is made
 * before the server first runs.
 */
#ifndef STEERDNS_DNSSEC_CMD_H
#define STEERDNS_DNSSEC_CMD_H

/* argv[0] is "dnssec". Returns the exit code: 0, 1 on error, 2 on usage. */
int dnssec_cmd(int argc, char **argv);

#endif
