/*
 * rdata_text.h: record data in presentation format (what a zone file says,
 * e.g. "10 mail" for MX) to uncompressed wire form, lowercasing names.
 *
 * Supported types: A NS CNAME SOA PTR MX TXT AAAA SRV CAA. Messages carry
 * no file position; the zone loader adds it.
 */
#ifndef STEERDNS_RDATA_TEXT_H
#define STEERDNS_RDATA_TEXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Convert text (NUL-terminated) for type into out (cap bytes). Names not
 * ending in '.' are relative to origin (wire form, may be NULL if every
 * name is absolute). Fields:
 *   A "192.0.2.1"; AAAA "2001:db8::1"; NS/CNAME/PTR "name";
 *   MX "pref exchange"; SRV "prio weight port target";
 *   SOA "mname rname serial refresh retry expire minimum";
 *   CAA "flags tag value" (value quoted or a single token, RFC 8659 4.1.1);
 *   TXT: text starting with '"' is one or more presentation character-
 *   strings ("..." with \" \\ \DDD, or bare tokens) separated by blanks;
 *   any other text is taken literally and cut into 255-byte strings.
 * Returns the rdata length (0..65535), or -1 with a message in err.
 */
int rdata_from_text(uint16_t type, const char *text, const uint8_t *origin,
                    uint8_t *out, size_t cap, char *err, size_t errlen);

/* Type code for a mnemonic (case-insensitive) among the supported types,
 * or -1. */
int rr_type_from_name(const char *name);

/* Mnemonic for a type code ("A", "CAA", ...), or NULL if not supported. */
const char *rr_type_name(uint16_t type);

#endif
