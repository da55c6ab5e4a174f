/*
 * cmp_sql.c: `steerdns compare --sql clickhouse`: the SQL that computes
 * the report's main figures for decision logs loaded into ClickHouse (the
 * table is in compare/formats.md, "Decision logs in ClickHouse"), by the
 * same rules as compare (formats.md, "How answers are attributed and
 * rated"): per method and A/B arm the samples, those not rated because
 * they are located only at their resolver, the rated ones (by distance:
 * the log's own "nearest", computed by the server from the same location
 * and PoPs), hits, the hit rate with its Wilson 95% interval, and the
 * distance inflation's nearest-rank median and p90 (from the logged
 * pop_km - nearest_km, so to the 0.1 km the log rounds to). RTTs (an RTT
 * CSV) are not in the table: with them, compare's figures are by RTT.
 */
#include <stdio.h>
#include <string.h>

#include "compare/cmp_report.h"
#include "geodns/geo_config.h"

/* A string literal for SQL: quote and backslash escaped. */
static void sql_str(FILE *o, const char *s)
{
	fputc('\'', o);
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			fputc('\\', o);
		fputc(*s, o);
	}
	fputc('\'', o);
}

int cmp_sql_clickhouse(const struct geo_config *geo, const char *table, FILE *o)
{
	fputs("-- steerdns compare: main figures from the decision log (compare/formats.md)\n"
	      "SELECT method, samples, unrated_at_resolver, rated, hits,\n"
	      "  if(rated > 0, hits / rated, NULL) AS hit_rate,\n"
	      "  -- Wilson 95% interval, z = 1.959963984540054\n"
	      "  if(rated > 0, greatest(0, (hits / rated + z2 / (2 * rated)) / (1 + z2 / rated)\n"
	      "     - sqrt(z2) / (1 + z2 / rated) * sqrt(hits / rated * (1 - hits / rated) / rated\n"
	      "       + z2 / (4 * rated * rated))), NULL) AS hit_rate_lo,\n"
	      "  if(rated > 0, least(1, (hits / rated + z2 / (2 * rated)) / (1 + z2 / rated)\n"
	      "     + sqrt(z2) / (1 + z2 / rated) * sqrt(hits / rated * (1 - hits / rated) / rated\n"
	      "       + z2 / (4 * rated * rated))), NULL) AS hit_rate_hi,\n"
	      "  km_n,\n"
	      "  -- nearest rank: the value at rank ceil(p * n / 100)\n"
	      "  if(km_n > 0, km[toUInt64(greatest(1, ceil(50 * km_n / 100)))], NULL) AS km_median,\n"
	      "  if(km_n > 0, km[toUInt64(greatest(1, ceil(90 * km_n / 100)))], NULL) AS km_p90\n"
	      "FROM (\n"
	      "  SELECT grp AS method, count() AS samples, countIf(is_at_resolver) AS "
	      "unrated_at_resolver,\n"
	      "    countIf(is_rated) AS rated, countIf(is_rated AND pop = nearest_pop) AS hits,\n"
	      "    arraySort(groupArrayIf(km_one, is_rated)) AS km, countIf(is_rated) AS km_n,\n"
	      "    3.841458820694124 AS z2\n"
	      "  FROM (\n"
	      "    SELECT arrayJoin(if(arm_name = '', [method_name], [method_name, concat('ab:', "
	      "arm_name)])) AS grp,\n"
	      "      is_at_resolver, located AND NOT is_at_resolver AS is_rated, pop, nearest_pop, "
	      "km_one\n"
	      "    FROM (\n"
	      "      SELECT ifNull(arm, '') AS arm_name, assumeNotNull(pop) AS pop,\n"
	      "        -- ECS used: the line says so, or the located client is the ECS prefix\n"
	      "        coalesce(ecs_used, ifNull(ecs = client, 0)) AS used,\n"
	      "        multiIf(method = 'anycast', 'anycast', used = 1, 'geodns-ecs', "
	      "'geodns-resolver') AS method_name,\n"
	      "        method = 'geodns' AND used = 0 AS is_at_resolver,\n"
	      "        isNotNull(nearest) AND isNotNull(pop_km) AND isNotNull(nearest_km) AS located,\n"
	      "        ifNull(nearest, '') AS nearest_pop,\n"
	      "        ifNull(pop_km, 0) - ifNull(nearest_km, 0) AS km_one\n",
	      o);
	fputs("      FROM ", o);
	fputs(table, o);
	/* Health lines (formats.md) load into the same table with no method. */
	fputs("\n      WHERE method IN ('geodns', 'anycast') AND pop IN (", o);
	for (size_t i = 0; i < geo->n_pops; i++) {
		if (i)
			fputs(", ", o);
		sql_str(o, geo->pops[i].name);
	}
	fputs(")\n    )\n  )\n  GROUP BY grp\n)\nORDER BY method\n", o);
	return 0;
}
