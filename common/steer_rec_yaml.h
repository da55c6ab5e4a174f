/*
 * steer_rec_yaml.h: a zone name's `steer: {ttl, answers, mode}` mapping,
 * YAML -> struct steer_rec (common/steer_rec.h). Errors follow
 * common/yaml_doc.h ("file:line:col: message").
 */
#ifndef STEERDNS_STEER_REC_YAML_H
#define STEERDNS_STEER_REC_YAML_H

#include <stddef.h>

#include "common/steer_rec.h"
#include "common/yaml_doc.h"

/*
 * Parse mapping n into *out, applying the defaults (ttl 30, answers 1,
 * mode STEER_MODE_DEFAULT). `mode:` is one of steer_mode_name's names;
 * whether the config can answer it is the caller's check. The caller owns
 * *out.
 */
int steer_rec_from_yaml(struct ydoc *d, yaml_node_t *n, struct steer_rec *out, char *err,
                        size_t errlen);

#endif
