/*
 * cmp_input.c: reading one input file of `steerdns compare`: detecting
 * its format from its first valid line, then handing each line (JSON
 * Lines, or the elements of one JSON array) to its format's reader.
 *
 * JSON is parsed with jansson, whose errors carry line and column, so a
 * bad line is reported as "file:line:col: reason". Nothing is dropped
 * silently: every line is either used, skipped with a message, or counted
 * malformed with a message (messages capped per file, counts never).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare/cmp_ctx.h"
#include "compare/cmp_sources.h"

static const char *const format_name[] = {
	[CF_NONE] = "unknown", [CF_PROBE] = "probe", [CF_DECISION] = "decision-log",
	[CF_ATLAS] = "atlas", [CF_CSV] = "rtt-csv", [CF_PARTIAL] = "partial",
};

enum cmp_format cmp_detect_json(const json_t *rec)
{
	if (!json_is_object(rec))
		return CF_NONE;
	if (json_object_get(rec, "vp"))
		return CF_PROBE;
	if (json_object_get(rec, "method") || json_object_get(rec, "event"))
		return CF_DECISION;   /* an answer, or a health line (formats.md) */
	const char *t = json_string_value(json_object_get(rec, "type"));
	if (t && (!strcmp(t, "dns") || !strcmp(t, "ping")) &&
	    (json_object_get(rec, "prb_id") || json_object_get(rec, "msm_id")))
		return CF_ATLAS;
	return CF_NONE;
}

/* "path:line: message" (or "path:line:col: ") on errf, up to max_msgs per
 * file; the summary in cmp_read_file says how many were not printed. */
__attribute__((format(printf, 4, 5))) static void note(struct cmp_ctx *c, struct cmp_file *f,
                                                       size_t line, const char *fmt, ...)
{
	size_t shown = f->malformed + f->skipped;
	if (!c->errf || shown > c->max_msgs)
		return;
	va_list ap;
	fprintf(c->errf, "%s:%zu: ", f->path, line);
	va_start(ap, fmt);
	vfprintf(c->errf, fmt, ap);
	va_end(ap);
	fputc('\n', c->errf);
}

/* Count the outcome r of a reader (0 used, 1 skipped, -1 malformed). */
static void outcome(struct cmp_ctx *c, struct cmp_file *f, int r, const char *why, size_t lineno)
{
	if (r == 0) {
		f->records++;
	} else if (r == 1) {
		f->skipped++;
		note(c, f, lineno, "skipped: %s", why);
	} else {
		f->malformed++;
		note(c, f, lineno, "%s", why);
	}
}

/* Hand one record to its reader and count the outcome. */
static void dispatch(struct cmp_ctx *c, struct cmp_file *f, enum cmp_format fmt, const json_t *rec,
                     const char *line, size_t lineno)
{
	char why[256] = "";
	int r;

	switch (fmt) {
	case CF_PROBE:
		r = cmp_rec_probe(c, rec, why, sizeof(why));
		break;
	case CF_DECISION:
		r = cmp_rec_decision(c, rec, why, sizeof(why));
		break;
	case CF_ATLAS:
		r = cmp_rec_atlas(c, rec, why, sizeof(why));
		break;
	case CF_CSV:
		r = cmp_rec_csv(c, line, why, sizeof(why));
		break;
	default:
		r = -1;
		snprintf(why, sizeof(why), "no format");
	}
	outcome(c, f, r, why, lineno);
}

static bool blank(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return *s == 0;
}

/* "\rpath: N lines, x of y MB (z%)" on errf, every 2^18 lines, when
 * c->progress (compare_cmd sets it when stderr is a terminal). */
static void progress(const struct cmp_ctx *c, const struct cmp_file *f, FILE *in, size_t lineno,
                     off_t size)
{
	if (!c->progress || !c->errf || (lineno & ((1u << 18) - 1)))
		return;
	double at = (double)ftello(in) / 1e6, all = (double)size / 1e6;
	fprintf(c->errf, "\r%s: %zu lines, %.0f of %.0f MB (%.0f%%)\033[K", f->path, lineno, at, all,
	        all > 0 ? 100 * at / all : 0);
	fflush(c->errf);
}

/* JSON Lines or CSV, one line at a time. */
static int read_lines(struct cmp_ctx *c, struct cmp_file *f, FILE *in)
{
	enum cmp_format fmt = CF_NONE;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	size_t lineno = 0;
	size_t first_bad = 0;
	struct stat st;
	off_t size = fstat(fileno(in), &st) == 0 ? st.st_size : 0;

	while ((n = getline(&line, &cap, in)) >= 0) {
		lineno++;
		progress(c, f, in, lineno, size);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (blank(line))
			continue;
		f->lines++;
		if (fmt == CF_CSV) {
			dispatch(c, f, fmt, NULL, line, lineno);
			continue;
		}
		if (fmt == CF_DECISION) {
			/* The form steerdns writes, without a JSON tree; any
			 * other form falls through to jansson. */
			char why[256] = "";
			int r = cmp_scan_decision(c, line, (size_t)n, why, sizeof(why));
			if (r != 2) {
				f->scanned++;
				outcome(c, f, r, why, lineno);
				continue;
			}
		}
		if (fmt == CF_NONE && cmp_csv_is_header(line)) {
			fmt = CF_CSV;
			f->format = format_name[fmt];
			f->lines--;  /* the header is no data line */
			continue;
		}
		json_error_t je;
		json_t *rec = json_loadb(line, (size_t)n, 0, &je);
		if (!rec) {
			f->malformed++;
			if (!first_bad)
				first_bad = lineno;
			note(c, f, lineno, "bad JSON at column %d: %s", je.column, je.text);
			continue;
		}
		if (fmt == CF_NONE) {
			fmt = cmp_detect_json(rec);
			if (fmt == CF_NONE) {
				json_decref(rec);
				if (c->errf)
					fprintf(c->errf,
					        "%s:%zu: not a known input format (probe results, decision "
					        "log, RIPE Atlas results or RTT CSV)\n",
					        f->path, lineno);
				free(line);
				return -1;
			}
			f->format = format_name[fmt];
		}
		dispatch(c, f, fmt, rec, line, lineno);
		json_decref(rec);
	}
	free(line);
	if (c->progress && c->errf && lineno >= (1u << 18))
		fputs("\r\033[K", c->errf);   /* the progress line goes away */
	if (ferror(in)) {
		if (c->errf)
			fprintf(c->errf, "%s: read error: %s\n", f->path, strerror(errno));
		return -1;
	}
	if (fmt == CF_NONE) {
		if (c->errf)
			fprintf(c->errf, "%s: not a known input format (%s)\n", f->path,
			        first_bad ? "no line is valid JSON" : "empty file");
		return -1;
	}
	return 0;
}

/* One JSON array (as the Atlas API serves results): element by element,
 * so each gets its own line number. A syntax error ends the file, since
 * the parser cannot find the next element after it. */
static int read_array(struct cmp_ctx *c, struct cmp_file *f, FILE *in)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, pos, line = 1, lpos = 0;
	enum cmp_format fmt = CF_NONE;
	int rc = -1;

	for (;;) {
		if (len + 65536 > cap) {
			size_t nc = cap ? cap * 2 : 1 << 20;
			char *p = realloc(buf, nc);
			if (!p)
				goto out;
			buf = p;
			cap = nc;
		}
		size_t got = fread(buf + len, 1, cap - len, in);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(in)) {
		if (c->errf)
			fprintf(c->errf, "%s: read error: %s\n", f->path, strerror(errno));
		goto out;
	}
	pos = strspn(buf, " \t\r\n") + 1;  /* past '[' (checked by the caller) */
	for (;;) {
		while (pos < len && isspace((unsigned char)buf[pos]))
			pos++;
		/* Line of pos: count newlines incrementally. */
		for (; lpos < pos && lpos < len; lpos++)
			if (buf[lpos] == '\n')
				line++;
		if (pos >= len) {
			f->malformed++;
			note(c, f, line, "JSON array not closed");
			break;
		}
		if (buf[pos] == ']')
			break;
		json_error_t je;
		json_t *rec = json_loadb(buf + pos, len - pos, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY,
		                         &je);
		if (!rec) {
			f->malformed++;
			note(c, f, line + (size_t)(je.line > 0 ? je.line - 1 : 0),
			     "bad JSON: %s (rest of the array not read)", je.text);
			break;
		}
		f->lines++;
		if (fmt == CF_NONE) {
			fmt = cmp_detect_json(rec);
			if (fmt == CF_NONE) {
				json_decref(rec);
				if (c->errf)
					fprintf(c->errf,
					        "%s:%zu: not a known input format (JSON array of RIPE "
					        "Atlas results expected)\n",
					        f->path, line);
				goto out;
			}
			f->format = format_name[fmt];
		}
		dispatch(c, f, fmt, rec, NULL, line);
		json_decref(rec);
		pos += je.position;
		while (pos < len && isspace((unsigned char)buf[pos]))
			pos++;
		if (pos < len && buf[pos] == ',')
			pos++;
		else if (pos < len && buf[pos] == ']')
			continue;
		else {
			for (; lpos < pos && lpos < len; lpos++)
				if (buf[lpos] == '\n')
					line++;
			f->malformed++;
			note(c, f, line, "expected ',' or ']' in the JSON array");
			break;
		}
	}
	if (fmt == CF_NONE) {
		if (c->errf)
			fprintf(c->errf, "%s: not a known input format (empty JSON array)\n", f->path);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

bool cmp_file_is_rtt_csv(const char *path)
{
	FILE *in = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool csv = false;
	if (!in)
		return false;
	while ((n = getline(&line, &cap, in)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (blank(line))
			continue;
		csv = cmp_csv_is_header(line);
		break;
	}
	free(line);
	fclose(in);
	return csv;
}

struct cmp_file *cmp_add_file(struct cmp_ctx *c, const char *path)
{
	if (cmp_grow((void **)&c->files, &c->cap_files, c->n_files, sizeof(*c->files)) < 0)
		return NULL;
	struct cmp_file *f = &c->files[c->n_files];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path)
		return NULL;
	f->format = format_name[CF_NONE];
	c->n_files++;
	return f;
}

const char *cmp_format_name(const char *name)
{
	for (size_t i = 0; i < sizeof(format_name) / sizeof(format_name[0]); i++)
		if (!strcmp(format_name[i], name))
			return format_name[i];
	return format_name[CF_NONE];
}

#define PARTIAL_MAGIC "{\"steerdns_compare_partial\":"

/* A partial file: one JSON object a line (compare/cmp_partial.c); any bad
 * line makes the whole file an error, since a partial result with a line
 * missing is no longer exact. */
static int read_partial(struct cmp_ctx *c, const char *path, FILE *in)
{
	char *line = NULL, why[256];
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;
	while (rc == 0 && (n = getline(&line, &cap, in)) >= 0) {
		json_error_t je;
		lineno++;
		json_t *rec = json_loadb(line, (size_t)n, 0, &je);
		if (!rec) {
			snprintf(why, sizeof(why), "bad JSON at column %d: %s", je.column, je.text);
			rc = -1;
		} else if (lineno == 1 && !json_object_get(rec, "steerdns_compare_partial")) {
			snprintf(why, sizeof(why), "not a partial file");
			rc = -1;
		} else {
			rc = cmp_rec_partial(c, rec, why, sizeof(why)) == 0 ? 0 : -1;
		}
		json_decref(rec);
	}
	free(line);
	if (rc < 0 && c->errf)
		fprintf(c->errf, "%s:%zu: %s\n", path, lineno, why);
	return rc;
}

int cmp_read_file(struct cmp_ctx *c, const char *path)
{
	FILE *in = fopen(path, "r");
	int ch, rc;

	if (!in) {
		if (c->errf)
			fprintf(c->errf, "%s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	struct cmp_file *f = NULL;
	char head[32] = "";
	size_t hn = fread(head, 1, sizeof(head) - 1, in);
	head[hn] = 0;
	rewind(in);
	/* A partial file (--save-partial) brings its own file entries. */
	if (!strncmp(head, PARTIAL_MAGIC, strlen(PARTIAL_MAGIC))) {
		rc = read_partial(c, path, in);
		fclose(in);
		return rc;
	}
	f = cmp_add_file(c, path);
	if (!f) {
		fclose(in);
		return -1;
	}
	/* A JSON array starts with '[' (after whitespace); anything else is
	 * read line by line. */
	do
		ch = getc(in);
	while (ch != EOF && isspace(ch));
	rewind(in);
	rc = ch == '[' ? read_array(c, f, in) : read_lines(c, f, in);
	fclose(in);
	if (rc == 0 && c->errf && f->malformed + f->skipped > c->max_msgs)
		fprintf(c->errf, "%s: %zu malformed and %zu skipped lines in all (%zu not shown)\n",
		        f->path, f->malformed, f->skipped, f->malformed + f->skipped - c->max_msgs);
	return rc;
}
