/*
 * compare.h: `steerdns compare`: which steering method sends more clients
 * to the right PoP, and what the misses cost (issue 5). Reads probe
 * results, decision logs, RIPE Atlas results and RTT CSVs (formats in
 * compare/formats.md) and reports per method and A/B arm: the
 * optimal-PoP hit rate, latency and distance inflation, a confusion
 * matrix and breakdowns by continent and country (compare/cmp_report.h).
 */
#ifndef STEERDNS_COMPARE_H
#define STEERDNS_COMPARE_H

/*
 * The subcommand: argv[0] is "compare", then
 *   [-c CONFIG] [--json FILE] [--html FILE] [--min-samples N] INPUT...
 *   [-c CONFIG] --save-partial FILE INPUT...   (the read state, mergeable)
 * Prints the terminal report on stdout, file:line messages on stderr.
 * Returns the exit code: 0 done (malformed lines are counted and
 * reported, not fatal), 1 a config, input (unreadable, unknown format)
 * or output error, 2 usage.
 */
int compare_cmd(int argc, char **argv);

#endif
