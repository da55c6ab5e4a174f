/*
 * rdata_text.h: record data in presentation format (what a zone file says,
 * e.g. "10 mail" for MX) to uncompressed wire form, as the YAML zones write
 * it. The parsing is libzscanner's (rdata_zscanner.h), so every type a
 * master file takes is taken here too, with names kept as written.
 *
 * One YAML convenience on top: TXT text that does not start with '"' is
 * the text itself, cut into 255-byte strings ("v=spf1 -all" needs no
 * quoting). Messages carry no file position; the zone loader adds it.
 */
#ifndef STEERDNS_RDATA_TEXT_H
#define STEERDNS_RDATA_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "common/rdata_zscanner.h"

/*
 * Convert text (NUL-terminated) for type into out (cap bytes) with the
 * zone's scanner rs (relative names are relative to its origin). Returns
 * the rdata length (0..65535), or -1 with a message in err.
 */
int rdata_text_parse(struct rdata_scanner *rs, uint16_t type, const char *text,
                     uint8_t *out, size_t cap, char *err, size_t errlen);

/* The same with a scanner made for this one call (origin: wire form, NULL
 * for the root). */
int rdata_from_text(uint16_t type, const char *text, const uint8_t *origin,
                    uint8_t *out, size_t cap, char *err, size_t errlen);

/* Type code for a mnemonic (case-insensitive) or "TYPEnnn", or -1 for an
 * unknown name and for the meta types (OPT, TSIG, AXFR, ANY, ...), which
 * are not data a zone can hold (RFC 6895 3.1). */
int rr_type_from_name(const char *name);

/* Mnemonic for a type code ("A", "CAA", ...), or NULL if it has none. */
const char *rr_type_name(uint16_t type);

#endif
