/* query_guard.c: cookies and RRL on the answer path; see query_guard.h. */
#include "common/query_guard.h"

#include <string.h>
#include <time.h>

#include "common/config.h"

static uint32_t clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint32_t)ts.tv_sec;
}

size_t guard_cookie(const struct config *cfg, const struct query_ctx *q, uint8_t out[24])
{
	const struct cookie_query *cq = &q->edns.cookie;
	if (!cfg->cookies.enabled || !cq->present || cq->malformed || !q->peer)
		return 0;
	memcpy(out, cq->data, COOKIE_CLIENT_LEN);
	/* Wall-clock seconds: RFC 9018 timestamps must agree across the
	 * servers of a site. The coarse clock costs no syscall. */
	cookie_make(cfg->cookies.secret, cq->data, q->peer, clock_s(CLOCK_REALTIME_COARSE),
	            out + COOKIE_CLIENT_LEN);
	return COOKIE_CLIENT_LEN + COOKIE_SERVER_LEN;
}

/* The response class (rrl.h) from the response header: rcode, counts, AA. */
static enum rrl_class response_class(const uint8_t *resp, size_t len)
{
	if (len < 12)
		return RRL_ERROR;
	unsigned rcode = resp[3] & 0x0F;
	unsigned an = (unsigned)resp[6] << 8 | resp[7];
	unsigned ns = (unsigned)resp[8] << 8 | resp[9];
	bool aa = resp[2] & 0x04;
	if (rcode == 3)
		return RRL_NXDOMAIN;
	if (rcode != 0)
		return RRL_ERROR;
	if (an)
		return RRL_POSITIVE;
	return !aa && ns ? RRL_REFERRAL : RRL_NODATA;
}

enum rrl_action guard_rrl(const struct config *cfg, const struct query_ctx *q,
                          const uint8_t *resp, size_t len)
{
	static __thread uint32_t slip_ctr;   /* per reader: no shared write */
	const struct rrl_conf *rc = &cfg->rrl;

	if (!rc->enabled || q->tcp || !q->peer || !cfg->rrl_table)
		return RRL_PASS;
	if (rrl_exempt(rc, q->peer))
		return RRL_PASS;
	/* A valid server cookie proves the source address (RFC 7873 5.2.5):
	 * such a client cannot be a spoofed victim. */
	if (q->edns.cookie.present &&
	    cookie_valid(&cfg->cookies, &q->edns.cookie, q->peer, clock_s(CLOCK_REALTIME_COARSE)))
		return RRL_PASS;
	enum rrl_class cls = response_class(resp, len);
	/* Positive answers and NODATA are counted per name; NXDOMAIN and
	 * errors per prefix, so random names share one account. */
	const uint8_t *name = cls == RRL_POSITIVE || cls == RRL_NODATA ? q->qname_lc : NULL;
	return rrl_account(cfg->rrl_table, rc, q->peer, cls, name,
	                   clock_s(CLOCK_MONOTONIC_COARSE), &slip_ctr);
}
