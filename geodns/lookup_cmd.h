/*
 * lookup_cmd.h: `steerdns lookup -c FILE ADDR[/LEN] [--resolver ADDR]`:
 * print what the server would answer a client, and why (the location found,
 * the rule matched, the ranked PoPs with distances and health, the ECS
 * scope). Uses the same compiled structures as the answer path, so what it
 * prints is what the server does.
 */
#ifndef STEERDNS_LOOKUP_CMD_H
#define STEERDNS_LOOKUP_CMD_H

#include <stdio.h>

struct config;

/*
 * client: "ADDR" (located as a resolver address, as a query without ECS
 * would be) or "ADDR/LEN" (an ECS subnet with source prefix LEN). resolver:
 * the resolver's address for the ECS trust check, or NULL (127.0.0.1).
 * Returns 0, or 1 with a message on stderr for bad input.
 */
int lookup_cmd(const struct config *cfg, const char *client, const char *resolver, FILE *out);

#endif
