/*
 * conf_schema.c: print the effective configuration and the configuration
 * reference from the schema rows; see conf_schema.h.
 *
 * The printed form is canonical so that printing it again gives the same
 * bytes: block mappings indented by two, keys in table order (mappings the
 * schema does not describe, e.g. a geoip.schema of field paths: file
 * order), lists of scalars in flow form ([a, b]), lists of mappings as
 * block entries, and a scalar plain when it was plain in the file and is
 * safe plain, else double-quoted. Paths are made absolute.
 */
#include "common/conf_schema.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct printer {
	FILE *out;
	struct ydoc_penv env;
	const char *dir;          /* the config's directory: "" or ending in '/' */
	char cwd[PATH_MAX];
	int dash;                 /* >= 0: the next line starts with "- " at this indent */
	unsigned lines;           /* lines written to out */
};

/* ---- effective values ---- */

/* The variant of table t that applies to mapping m (t itself without
 * variants), or NULL. */
static const struct ydoc_table *table_for(struct ydoc *d, const struct ydoc_table *t,
                                          yaml_node_t *m)
{
	if (!t || !t->variants)
		return t;
	const char *tag = ydoc_scalar(ydoc_map_get(d, m, t->variant_key));
	for (size_t i = 0; tag && i < t->nvariants; i++)
		if (strcmp(t->variants[i]->tag, tag) == 0)
			return t->variants[i];
	return NULL;
}

static bool default_text(const struct ydoc_penv *e, const struct ydoc_key *k, char *buf,
                         size_t len)
{
	if (k->defprint)
		return k->defprint(e, buf, len);
	if (!k->def)
		return false;
	snprintf(buf, len, "%s", k->def);
	return true;
}

bool ydoc_penv_value(const struct ydoc_penv *e, size_t up, const char *key, char *buf,
                     size_t len)
{
	if (up >= e->depth)
		return false;
	size_t level = e->depth - 1 - up;
	yaml_node_t *m = e->maps[level];
	yaml_node_t *v = ydoc_map_get(e->d, m, key);
	if (v) {
		const char *s = ydoc_scalar(v);
		if (!s)
			return false;
		snprintf(buf, len, "%s", s);
		return true;
	}
	const struct ydoc_table *t = table_for(e->d, e->tables[level], m);
	const struct ydoc_key *k = t ? ydoc_table_key(t, key) : NULL;
	if (!k)
		return false;
	struct ydoc_penv at = *e;
	at.depth = level + 1;
	return default_text(&at, k, buf, len);
}

double ydoc_penv_number(const struct ydoc_penv *e, size_t up, const char *key, double fallback)
{
	char buf[64];
	if (!ydoc_penv_value(e, up, key, buf, sizeof(buf)))
		return fallback;
	char *end;
	double v = strtod(buf, &end);
	return end == buf ? fallback : v;
}

void conf_seconds_text(double seconds, char *buf, size_t len)
{
	snprintf(buf, len, "%g", seconds);
}

/* ---- canonical YAML text ---- */

static void start_line(struct printer *p, int indent)
{
	if (p->dash >= 0) {
		fprintf(p->out, "%*s- ", p->dash, "");
		p->dash = -1;
	} else {
		fprintf(p->out, "%*s", indent, "");
	}
	p->lines++;
}

/* Can s be written as a plain scalar in block and flow context alike? */
static bool plain_ok(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || s[len - 1] == ' ')
		return false;
	if (strchr("?:,[]{}#&*!|>'\"%@` ", s[0]))
		return false;
	if (s[0] == '-' && (len == 1 || s[1] == ' '))
		return false;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f || strchr(":#,[]{}", *c))
			return false;
	return true;
}

static void put_scalar(struct printer *p, const char *s, bool quoted)
{
	if (!quoted && plain_ok(s)) {
		fputs(s, p->out);
		return;
	}
	fputc('"', p->out);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(p->out, "\\%c", *c);
		else if (*c == '\n')
			fputs("\\n", p->out);
		else if (*c == '\t')
			fputs("\\t", p->out);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(p->out, "\\x%02x", *c);
		else
			fputc(*c, p->out);
	}
	fputc('"', p->out);
}

static bool node_quoted(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	       n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

/* A default's text: a whole flow collection ("[a, b]", "{}") as written,
 * anything else a scalar, quoted as needed ("[v6]:port" is a scalar). */
static void put_default(struct printer *p, const char *text)
{
	size_t len = strlen(text);
	if (len >= 2 && ((text[0] == '[' && text[len - 1] == ']') ||
	                 (text[0] == '{' && text[len - 1] == '}')))
		fputs(text, p->out);
	else
		put_scalar(p, text, false);
}

static bool all_scalars(struct ydoc *d, yaml_node_t *seq)
{
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
	     it++)
		if (ydoc_node(d, *it)->type != YAML_SCALAR_NODE)
			return false;
	return true;
}

/* A path made absolute the way the loader resolves it (against the
 * config's directory, then the working directory). */
static void put_path(struct printer *p, yaml_node_t *n)
{
	const char *rel = ydoc_scalar(n);
	char buf[PATH_MAX * 3];
	if (!rel)
		rel = "";
	if (rel[0] == '/')
		snprintf(buf, sizeof(buf), "%s", rel);
	else if (p->dir[0] == '/')
		snprintf(buf, sizeof(buf), "%s%s", p->dir, rel);
	else
		snprintf(buf, sizeof(buf), "%s/%s%s", p->cwd, p->dir, rel);
	put_scalar(p, buf, node_quoted(n));
}

/* After "key:" (no space yet): a value the schema does not describe. */
static void put_node(struct printer *p, yaml_node_t *v, int indent, bool path)
{
	struct ydoc *d = p->env.d;
	if (v->type == YAML_SCALAR_NODE) {
		fputc(' ', p->out);
		if (path)
			put_path(p, v);
		else
			put_scalar(p, ydoc_scalar(v) ? ydoc_scalar(v) : "", node_quoted(v));
		fputc('\n', p->out);
		return;
	}
	if (v->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it = v->data.sequence.items.start, *top = v->data.sequence.items.top;
		if (all_scalars(d, v)) {
			fputs(" [", p->out);
			for (; it < top; it++) {
				if (it != v->data.sequence.items.start)
					fputs(", ", p->out);
				if (path)
					put_path(p, ydoc_node(d, *it));
				else
					put_scalar(p, ydoc_scalar(ydoc_node(d, *it)), node_quoted(ydoc_node(d, *it)));
			}
			fputs("]\n", p->out);
			return;
		}
		fputc('\n', p->out);
		for (; it < top; it++) {
			yaml_node_t *item = ydoc_node(d, *it);
			p->dash = indent + 2;
			if (item->type == YAML_MAPPING_NODE &&
			    item->data.mapping.pairs.start < item->data.mapping.pairs.top) {
				for (yaml_node_pair_t *pr = item->data.mapping.pairs.start;
				     pr < item->data.mapping.pairs.top; pr++) {
					start_line(p, indent + 4);
					put_scalar(p, ydoc_scalar(ydoc_node(d, pr->key)), false);
					fputc(':', p->out);
					put_node(p, ydoc_node(d, pr->value), indent + 4, false);
				}
			} else {
				/* "- value" (or "- {}"): put_node writes the space */
				fprintf(p->out, "%*s-", indent + 2, "");
				p->dash = -1;
				p->lines++;
				put_node(p, item, indent + 2, path);
			}
		}
		return;
	}
	yaml_node_pair_t *pr = v->data.mapping.pairs.start, *top = v->data.mapping.pairs.top;
	if (pr == top) {
		fputs(" {}\n", p->out);
		return;
	}
	fputc('\n', p->out);
	for (; pr < top; pr++) {
		start_line(p, indent + 2);
		put_scalar(p, ydoc_scalar(ydoc_node(d, pr->key)), false);
		fputc(':', p->out);
		put_node(p, ydoc_node(d, pr->value), indent + 2, false);
	}
}

static void print_table(struct printer *p, const struct ydoc_table *t, yaml_node_t *m,
                        const char *name, int indent);

/* "key:" and a mapping described by t: block, or {} when nothing in it
 * prints. The body goes to a buffer first to know which. */
static void put_section(struct printer *p, const struct ydoc_table *t, yaml_node_t *m,
                        const char *name, int indent)
{
	char *body = NULL;
	size_t blen = 0;
	FILE *saved = p->out;
	unsigned saved_lines = p->lines;
	p->out = open_memstream(&body, &blen);
	if (!p->out) {
		p->out = saved;
		return;
	}
	p->lines = 0;
	print_table(p, t, m, name, indent + 2);
	fclose(p->out);
	p->out = saved;
	if (p->lines == 0)
		fputs(" {}\n", p->out);
	else
		fprintf(p->out, "\n%s", body);
	p->lines += saved_lines;
	free(body);
}

static void print_row(struct printer *p, const struct ydoc_key *k, yaml_node_t *m, int indent)
{
	struct ydoc *d = p->env.d;
	yaml_node_t *v = ydoc_map_get(d, m, k->key);
	char buf[1024];

	if (!v) {
		if (default_text(&p->env, k, buf, sizeof(buf))) {
			start_line(p, indent);
			fprintf(p->out, "%s: ", k->key);
			put_default(p, buf);
			fputc('\n', p->out);
		} else if (k->kind == YK_MAP && k->sub && (k->flags & YF_IMPLIED) &&
		           (!k->with || ydoc_map_get(d, m, k->with))) {
			start_line(p, indent);
			fprintf(p->out, "%s:", k->key);
			put_section(p, k->sub, NULL, NULL, indent);
		}
		return;
	}
	start_line(p, indent);
	fprintf(p->out, "%s:", k->key);
	if ((k->flags & YF_NAMED) && v->type == YAML_MAPPING_NODE) {
		yaml_node_pair_t *pr = v->data.mapping.pairs.start, *top = v->data.mapping.pairs.top;
		fputs(pr == top ? " {}\n" : "\n", p->out);
		for (; pr < top; pr++) {
			const char *name = ydoc_scalar(ydoc_node(d, pr->key));
			start_line(p, indent + 2);
			put_scalar(p, name, false);
			fputc(':', p->out);
			put_section(p, k->sub, ydoc_node(d, pr->value), name, indent + 2);
		}
	} else if ((k->flags & YF_ENTRIES) && v->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it = v->data.sequence.items.start, *top = v->data.sequence.items.top;
		fputs(it == top ? " []\n" : "\n", p->out);
		for (; it < top; it++) {
			unsigned before = p->lines;
			p->dash = indent + 2;
			print_table(p, k->sub, ydoc_node(d, *it), NULL, indent + 4);
			if (p->lines == before) {
				start_line(p, indent + 2);
				fputs("{}\n", p->out);
			}
		}
	} else if (k->sub && v->type == YAML_MAPPING_NODE) {
		put_section(p, k->sub, v, NULL, indent);
	} else {
		put_node(p, v, indent, (k->flags & YF_PATH) != 0);
	}
}

static void print_table(struct printer *p, const struct ydoc_table *t, yaml_node_t *m,
                        const char *name, int indent)
{
	struct ydoc_penv *e = &p->env;
	if (e->depth == CONF_PRINT_DEPTH)
		return;
	e->maps[e->depth] = m;
	e->tables[e->depth] = t;
	e->names[e->depth] = name;
	e->depth++;
	const struct ydoc_table *sel = table_for(e->d, t, m);
	for (size_t i = 0; sel && i < sel->n; i++)
		print_row(p, &sel->keys[i], m, indent);
	e->depth--;
}

int conf_print(const struct conf_schema *s, const char *path, const void *user, FILE *out,
               char *err, size_t errlen)
{
	struct ydoc d;
	if (ydoc_load(&d, path, path, err, errlen) != 0)
		return -1;
	struct printer p = { .out = out, .dash = -1 };
	p.env.d = &d;
	p.env.user = user;
	if (!getcwd(p.cwd, sizeof(p.cwd))) {
		snprintf(err, errlen, "%s: cannot get the working directory", path);
		ydoc_free(&d);
		return -1;
	}
	char dir[PATH_MAX] = "";
	const char *slash = strrchr(path, '/');
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path + 1), path);
	p.dir = dir;
	struct ydoc_table root = { .what = "config", .keys = s->keys, .n = s->n };
	fputs("# steerdns checkconf --print: the effective configuration, every default filled in\n",
	      out);
	print_table(&p, &root, ydoc_root(&d), NULL, 0);
	ydoc_free(&d);
	return 0;
}

/* ---- the configuration reference ---- */

static void md_cell(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else
			fputc(*s, out);
	}
}

static const char *kind_text(const struct ydoc_key *k)
{
	if (k->type)
		return k->type;
	if (k->flags & YF_NAMED)
		return "mapping of names";
	if (k->flags & YF_ENTRIES)
		return "list of mappings";
	if (k->flags & YF_PATH)
		return "path";
	switch (k->kind) {
	case YK_STR: return "string";
	case YK_UINT: return "integer";
	case YK_SEQ: return "list";
	case YK_MAP: return "mapping";
	case YK_SECONDS: return "seconds";
	case YK_NUMBER: return "number";
	case YK_BOOL: return "true or false";
	case YK_ANY: break;
	}
	return "value";
}

static void md_default(FILE *out, const struct ydoc_key *k)
{
	if (k->def && k->defprint)
		md_cell(out, k->def);
	else if (k->def)
		fprintf(out, "`%s`", k->def);
	else if (k->required)
		fputs("required", out);
	else if (k->kind == YK_MAP && (k->flags & YF_IMPLIED) && k->with)
		fprintf(out, "its keys' defaults, with `%s`", k->with);
	else if (k->kind == YK_MAP && (k->flags & YF_IMPLIED))
		fputs("its keys' defaults", out);
	else
		fputs("none", out);
}

static void md_range(FILE *out, const struct ydoc_key *k)
{
	if (k->kind == YK_SECONDS)
		fprintf(out, "%g..%g", k->lo / 1000.0, k->hi / 1000.0);
	else if (k->kind == YK_UINT || ((k->kind == YK_ANY || k->kind == YK_NUMBER) && k->hi))
		fprintf(out, "%u..%u", k->lo, k->hi);
}

static void md_table(FILE *out, const struct ydoc_table *t, const char *prefix);

static void md_row(FILE *out, const struct ydoc_key *k, const char *prefix)
{
	char path[256];
	snprintf(path, sizeof(path), "%s%s", prefix, k->key);
	fprintf(out, "| `%s` | ", path);
	md_cell(out, kind_text(k));
	fputs(" | ", out);
	md_default(out, k);
	fputs(" | ", out);
	md_range(out, k);
	fputs(" | ", out);
	md_cell(out, k->doc);
	fputs(" |\n", out);
	if (!k->sub)
		return;
	char sub[sizeof(path) + 8];
	if (k->flags & YF_NAMED)
		snprintf(sub, sizeof(sub), "%s.NAME.", path);
	else if (k->flags & YF_ENTRIES)
		snprintf(sub, sizeof(sub), "%s[].", path);
	else
		snprintf(sub, sizeof(sub), "%s.", path);
	md_table(out, k->sub, sub);
}

/* The rows of a table with variants, merged: each key once, with the
 * variants that have it and their defaults when they differ. */
static void md_variants(FILE *out, const struct ydoc_table *t, const char *prefix)
{
	const char *seen[64];
	size_t nseen = 0;
	for (size_t v = 0; v < t->nvariants; v++) {
		for (size_t i = 0; i < t->variants[v]->n; i++) {
			const struct ydoc_key *k = &t->variants[v]->keys[i];
			bool dup = false;
			for (size_t j = 0; j < nseen; j++)
				dup |= strcmp(seen[j], k->key) == 0;
			if (dup || nseen == 64)
				continue;
			seen[nseen++] = k->key;
			/* Which variants have it, and do their defaults agree? */
			size_t nin = 0;
			bool same = true;
			for (size_t w = 0; w < t->nvariants; w++) {
				const struct ydoc_key *o = ydoc_table_key(t->variants[w], k->key);
				if (!o)
					continue;
				nin++;
				same &= o->required == k->required &&
				        ((!o->def && !k->def) || (o->def && k->def && !strcmp(o->def, k->def)));
			}
			fprintf(out, "| `%s%s` | ", prefix, k->key);
			md_cell(out, kind_text(k));
			fputs(" | ", out);
			if (same) {
				md_default(out, k);
			} else {
				size_t at = 0;
				for (size_t w = 0; w < t->nvariants; w++) {
					const struct ydoc_key *o = ydoc_table_key(t->variants[w], k->key);
					if (!o)
						continue;
					fprintf(out, "%s%s: ", at++ ? ", " : "", t->variants[w]->tag);
					md_default(out, o);
				}
			}
			fputs(" | ", out);
			md_range(out, k);
			fputs(" | ", out);
			md_cell(out, k->doc);
			if (nin < t->nvariants) {
				fputs(" (", out);
				size_t at = 0;
				for (size_t w = 0; w < t->nvariants; w++)
					if (ydoc_table_key(t->variants[w], k->key))
						fprintf(out, "%s%s", at++ ? ", " : "", t->variants[w]->tag);
				fputs(")", out);
			}
			fputs(" |\n", out);
		}
	}
}

static void md_table(FILE *out, const struct ydoc_table *t, const char *prefix)
{
	if (t->variants) {
		md_variants(out, t, prefix);
		return;
	}
	for (size_t i = 0; i < t->n; i++)
		md_row(out, &t->keys[i], prefix);
}

void conf_markdown(const struct conf_schema *s, FILE *out)
{
	for (size_t i = 0; i < s->n; i++) {
		fprintf(out, "%s| key | type | default | range | description |\n"
		        "|---|---|---|---|---|\n", i ? "\n" : "");
		md_row(out, &s->keys[i], "");
	}
}
