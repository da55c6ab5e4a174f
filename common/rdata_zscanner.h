/*
 * rdata_zscanner.h: record data in presentation format to wire form through
 * Knot's libzscanner, so YAML zones and master files accept the same types
 * (every type libzscanner knows, and RFC 3597 "\# len hex" for any type).
 *
 * One scanner per zone load: libzscanner's context is about 200 KB, so it
 * is set up once and fed one record line per value.
 */
#ifndef STEERDNS_RDATA_ZSCANNER_H
#define STEERDNS_RDATA_ZSCANNER_H

#include <stddef.h>
#include <stdint.h>

struct rdata_scanner;

/* A scanner whose relative names are relative to origin (wire form; NULL:
 * the root). NULL when out of memory. */
struct rdata_scanner *rdata_scanner_new(const uint8_t *origin);

void rdata_scanner_free(struct rdata_scanner *rs);

/*
 * Convert text, the rdata of one record of type, into out (cap bytes).
 * As in a master file, a ';' starts a comment and parentheses may span
 * lines. Returns the rdata length, or -1 with "TYPE: reason" in err.
 */
int rdata_scanner_parse(struct rdata_scanner *rs, uint16_t type, const char *text,
                        uint8_t *out, size_t cap, char *err, size_t errlen);

/* Presentation name of a type ("MX", "TYPE65280"), into buf (>= 16 bytes). */
const char *rr_type_text(uint16_t type, char *buf, size_t cap);

#endif
