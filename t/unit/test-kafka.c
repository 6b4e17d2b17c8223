/*
 * test-kafka.c: the Kafka source against librdkafka's in-process mock
 * cluster, driven by a libevent loop: exactly-once delivery with byte-equal
 * fields, owner-supplied and startup-mode starts, pause/resume, a loop that
 * never blocks, and settings errors.
 *
 * BRONZE_KAFKA_BENCH=N runs a throughput measurement instead (N records of
 * 200 bytes), comparing the source with kcat on the same topic;
 * BRONZE_KAFKA_BENCH_RATE=R produces them at R per second meanwhile.
 */
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kafka.h"
#include "log.h"
#include "tap.h"
#include "xmalloc.h"

#define NPART		4
#define NREC		2000		/* records in the main topic */
#define PERPART		(NREC / NPART)
#define TS_BASE		1700000000000LL
#define TOPIC		"t1"

static rd_kafka_t		*mock_rk;
static rd_kafka_mock_cluster_t	*mock;
static const char		*bootstraps;
static rd_kafka_t		*prod;
static int			 group_seq;
static pthread_t		 main_thread;
/*
 * Every test consumer's settings.  The mock keeps a group whose last member
 * left waiting for session.timeout.ms - 1 s before a new member may join,
 * so the tests that reuse a group keep that short.
 */
static struct config_kv		 boot_kv[] = {
	{ "bootstrap.servers", NULL, 1 },
	{ "session.timeout.ms", "3000", 2 },
	{ "heartbeat.interval.ms", "500", 3 },
	{ "reconnect.backoff.max.ms", "200", 4 },
};
static struct config_kvlist	 boot_list = { boot_kv, 4 };
static struct config_kv		 debug_kv = { "debug", NULL, 2 };
static struct config_kvlist	 debug_list = { &debug_kv, 1 };

struct ctx {
	struct event_base	*base;
	struct kafka		*k;
	struct event		*tick;
	int64_t			 last_tick_us;
	int64_t			 max_gap_us;
	int			 ticks;
	int			 got_at_tick;
	int			 max_per_tick;	/* records between two ticks */

	int			 got;		/* records delivered */
	int			 want;
	uint8_t			 seen[NPART][PERPART + 64];
	int			 dups;
	int			 bad;		/* field mismatches */
	int64_t			 first[NPART];	/* first offset seen */
	int64_t			 last_ts;

	int			 assigns;
	int			 revokes;
	int			 errors;	/* fatal ones */
	int			 transient;
	int			 stats;
	int			 wrong_thread;	/* callback off the loop */
	int			 closed;
	int			 async_assign;	/* answer assignments later */
	struct event		*answer;
	int64_t			 start[NPART];	/* -1: startup mode */
	int			 track;		/* restart after last seen */
	int64_t			 next[NPART];	/* last seen + 1, or -1 */
	int			 lost;
	int			 pause_at;	/* pause when got reaches it */
	int			 free_when_closed;
	int			 busy_us;	/* work per record */
};

static int64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* What record i carries: key, value and headers vary by i. */
static void
expect_key(int i, const char **key, size_t *len)
{
	static char	buf[32];

	if (i % 10 == 0) {
		*key = NULL;
		*len = 0;
	} else if (i % 10 == 1) {
		*key = "";
		*len = 0;
	} else {
		*len = (size_t)snprintf(buf, sizeof buf, "k%d", i);
		*key = buf;
	}
}

static void
expect_value(int i, const char **val, size_t *len)
{
	static char	buf[64];

	if (i % 7 == 0) {
		*val = NULL;
		*len = 0;
	} else if (i % 7 == 1) {
		*val = "";
		*len = 0;
	} else {
		*len = (size_t)snprintf(buf, sizeof buf,
		    "v%d\001\377 binary-%d", i, i * 7);
		*val = buf;
	}
}

/*
 * Produce records lo..hi-1 of the main topic (timestamp identifies i), in
 * batches of 20: the mock answers a fetch with one batch per partition, so
 * a fetch brings at most 5 records of each.
 */
static void
produce(int lo, int hi)
{
	const char		*key, *val;
	size_t			 klen, vlen;
	rd_kafka_headers_t	*h;
	char			 hv[32];
	int			 i;
	rd_kafka_resp_err_t	 err;

	for (i = lo; i < hi; i++) {
		expect_key(i, &key, &klen);
		expect_value(i, &val, &vlen);
		h = rd_kafka_headers_new(2);
		if (i % 3 == 1) {
			snprintf(hv, sizeof hv, "x%d", i);
			rd_kafka_header_add(h, "h1", -1, hv, -1);
		} else if (i % 3 == 2) {
			rd_kafka_header_add(h, "h1", -1, NULL, 0);
			rd_kafka_header_add(h, "h2", -1, "yy", 2);
		}
		err = rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(TOPIC),
		    RD_KAFKA_V_PARTITION(i % NPART),
		    RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_VALUE((void *)val,
		    vlen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_TIMESTAMP(TS_BASE + i),
		    RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
		if (err != 0) {
			printf("# produce: %s\n", rd_kafka_err2str(err));
			rd_kafka_headers_destroy(h);
		}
		if ((i - lo) % 20 == 19)
			rd_kafka_flush(prod, 10000);
	}
	rd_kafka_flush(prod, 10000);
}

/* Check the headers of record i. */
static int
check_headers(int i, const struct kafka_record *r)
{
	char	hv[32];

	if (i % 3 == 0)
		return (r->nheaders == 0 && r->headers == NULL);
	if (i % 3 == 1) {
		snprintf(hv, sizeof hv, "x%d", i);
		return (r->nheaders == 1 && strcmp(r->headers[0].name,
		    "h1") == 0 && r->headers[0].len == strlen(hv) &&
		    memcmp(r->headers[0].value, hv, strlen(hv)) == 0);
	}
	return (r->nheaders == 2 && strcmp(r->headers[0].name, "h1") == 0 &&
	    r->headers[0].value == NULL && r->headers[0].len == 0 &&
	    strcmp(r->headers[1].name, "h2") == 0 && r->headers[1].len == 2 &&
	    memcmp(r->headers[1].value, "yy", 2) == 0);
}

/* Compare every field of a delivered record with what was produced. */
static int
check_record(const struct kafka_record *r)
{
	const char	*key, *val;
	size_t		 klen, vlen;
	int		 i = (int)(r->timestamp_ms - TS_BASE);

	if (i < 0 || i >= NREC + 1000 || r->timestamp_type != KAFKA_TS_CREATE)
		return (0);
	expect_key(i, &key, &klen);
	expect_value(i, &val, &vlen);
	if (strcmp(r->topic, TOPIC) != 0 || r->partition != i % NPART ||
	    r->offset != i / NPART)
		return (0);
	if ((key == NULL) != (r->key == NULL) || r->key_len != klen ||
	    (klen > 0 && memcmp(r->key, key, klen) != 0))
		return (0);
	if (r->value == NULL || (val == NULL) != (r->value_null != 0) ||
	    r->value_len != vlen || (vlen > 0 && memcmp(r->value, val,
	    vlen) != 0))
		return (0);
	return (check_headers(i, r));
}

/* Taken a moment ago by the wall clock, not later than now. */
static int
check_taken(const struct kafka_record *r)
{
	struct timespec	ts;
	int64_t		wall;

	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	return (r->taken_us <= wall + 1000 && r->taken_us > wall - 1000000);
}

static void
record_cb(void *arg, const struct kafka_record *r)
{
	struct ctx	*c = arg;
	int64_t		 t0;

	if (!pthread_equal(pthread_self(), main_thread))
		c->wrong_thread++;
	if (!check_record(r) || !check_taken(r)) {
		if (c->bad++ < 5)
			printf("# bad record [%d] %" PRId64 " ts %" PRId64 "\n",
			    (int)r->partition, r->offset, r->timestamp_ms);
	}
	if (r->partition >= 0 && r->partition < NPART && r->offset >= 0 &&
	    r->offset < PERPART + 64) {
		if (c->seen[r->partition][r->offset]++)
			c->dups++;
		if (c->first[r->partition] < 0)
			c->first[r->partition] = r->offset;
	}
	c->last_ts = r->timestamp_ms;
	if (c->busy_us > 0) {
		t0 = now_us();
		while (now_us() - t0 < c->busy_us)
			;
	}
	if (r->partition >= 0 && r->partition < NPART)
		c->next[r->partition] = r->offset + 1;
	c->got++;
	if (c->pause_at != 0 && c->got == c->pause_at)
		kafka_pause(c->k);
}

static void
answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctx	*c = arg;
	char		*cause = NULL;

	if (kafka_assign_ready(c->k, &cause) != 0) {
		printf("# %s\n", cause);
		free(cause);
		c->errors++;
	}
}

static int
assign_cb(void *arg, struct kafka_partition *parts, size_t n)
{
	struct ctx	*c = arg;
	struct timeval	 tv = { 0, 50000 };
	size_t		 i;

	c->assigns++;
	for (i = 0; i < n; i++) {
		if (c->track && parts[i].partition < NPART &&
		    c->next[parts[i].partition] >= 0)
			c->start[parts[i].partition] =
			    c->next[parts[i].partition];
		if (parts[i].partition < NPART &&
		    c->start[parts[i].partition] >= 0) {
			parts[i].start = KAFKA_START_OFFSET;
			parts[i].offset = c->start[parts[i].partition];
		}
	}
	if (!c->async_assign)
		return (0);
	evtimer_add(c->answer, &tv);
	return (1);
}

static void
revoke_cb(void *arg, const struct kafka_partition *parts, size_t n, int lost)
{
	struct ctx	*c = arg;

	c->revokes++;
	c->lost += lost;
}

static void
error_cb(void *arg, int fatal, const char *msg)
{
	struct ctx	*c = arg;

	printf("# kafka error (%s): %s\n", fatal ? "fatal" : "transient", msg);
	if (!pthread_equal(pthread_self(), main_thread))
		c->wrong_thread++;
	if (fatal)
		c->errors++;
	else
		c->transient++;
}

static void
stats_cb(void *arg, const char *json, size_t len)
{
	struct ctx	*c = arg;

	if (!pthread_equal(pthread_self(), main_thread))
		c->wrong_thread++;
	if (len > 2 && json[0] == '{' && strstr(json, "\"topics\"") != NULL)
		c->stats++;
}

static void
closed_cb(void *arg)
{
	struct ctx	*c = arg;

	c->closed = 1;
	if (c->free_when_closed) {
		kafka_free(c->k);
		c->k = NULL;
	}
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctx	*c = arg;
	int64_t		 now = now_us();

	if (c->last_tick_us != 0 && now - c->last_tick_us > c->max_gap_us)
		c->max_gap_us = now - c->last_tick_us;
	if (c->got - c->got_at_tick > c->max_per_tick)
		c->max_per_tick = c->got - c->got_at_tick;
	c->got_at_tick = c->got;
	c->last_tick_us = now;
	c->ticks++;
}

/* A consumer of the main topic in a fresh group (or the named one). */
static void
ctx_init(struct ctx *c, const char *group, enum config_startup_mode mode,
    const struct config_kvlist *job)
{
	struct kafka_options	 o;
	struct timeval		 tv = { 0, 10000 };
	char			 gname[64], *cause = NULL;
	int			 i;

	memset(c, 0, sizeof *c);
	c->base = event_base_new();
	for (i = 0; i < NPART; i++) {
		c->first[i] = -1;
		c->start[i] = -1;
		c->next[i] = -1;
	}
	if (group == NULL) {
		snprintf(gname, sizeof gname, "g-%d-%d", (int)getpid(),
		    group_seq++);
		group = gname;
	}
	memset(&o, 0, sizeof o);
	o.name = "test";
	o.topic = TOPIC;
	o.group_id = group;
	o.startup_mode = mode;
	o.global = &boot_list;
	o.job = job;
	/* BRONZE_KAFKA_DEBUG=cgrp,fetch turns on librdkafka's debug log. */
	if (job == NULL && (debug_kv.value = getenv("BRONZE_KAFKA_DEBUG")) !=
	    NULL)
		o.job = &debug_list;
	if (o.job == &debug_list)
		log_set_level(LOG_LEVEL_DEBUG);
	o.batch_max = 300;
	o.record = record_cb;
	o.assign = assign_cb;
	o.revoke = revoke_cb;
	o.error = error_cb;
	o.stats = stats_cb;
	o.closed = closed_cb;
	o.arg = c;
	c->k = kafka_new(c->base, &o, &cause);
	if (c->k == NULL)
		printf("# kafka_new: %s\n", cause);
	free(cause);
	c->answer = evtimer_new(c->base, answer_cb, c);
	c->tick = event_new(c->base, -1, EV_PERSIST, tick_cb, c);
	evtimer_add(c->tick, &tv);
}

/* Run the loop until *flag reaches want or the time runs out. */
static int
run_until(struct ctx *c, const int *flag, int want, int ms)
{
	int64_t	end = now_us() + (int64_t)ms * 1000;

	while (*flag < want && now_us() < end)
		event_base_loop(c->base, EVLOOP_ONCE);
	return (*flag >= want);
}

/* Run the loop for ms milliseconds. */
static void
run_for(struct ctx *c, int ms)
{
	int	never = 0;

	run_until(c, &never, 1, ms);
}

static void
ctx_done(struct ctx *c)
{
	int64_t	t0, t1;

	if (c->k != NULL) {
		t0 = now_us();
		kafka_close(c->k);
		TAP_CHECK(run_until(c, &c->closed, 1, 10000));
		TAP_CHECK(c->k == NULL || kafka_closed(c->k));
		t1 = now_us();
		kafka_free(c->k);
		printf("# close %.1f ms (on the loop), free %.1f ms\n",
		    (t1 - t0) / 1000.0, (now_us() - t1) / 1000.0);
	}
	event_free(c->answer);
	event_free(c->tick);
	event_base_free(c->base);
}

/* Count partitions/offsets seen once, from from[p] up to PERPART. */
static int
count_once(const struct ctx *c, const int64_t *from, int *missing)
{
	int	p, o, once = 0;

	*missing = 0;
	for (p = 0; p < NPART; p++) {
		for (o = (int)from[p]; o < PERPART; o++) {
			if (c->seen[p][o] == 1)
				once++;
			else
				(*missing)++;
		}
	}
	return (once);
}

/*
 * Run until every record from from[p] on (plus extra newer ones) came, and
 * check each came once, intact, starting exactly at from[p].
 */
static void
expect_from(struct ctx *c, const int64_t *from, int extra)
{
	int	p, missing, want = extra;

	for (p = 0; p < NPART; p++)
		want += PERPART - (int)from[p];
	TAP_CHECK(run_until(c, &c->got, want, 20000));
	run_for(c, 300);
	TAP_CHECK_INT(c->got, want);
	TAP_CHECK_INT(c->dups, 0);
	TAP_CHECK_INT(c->bad, 0);
	TAP_CHECK_INT(count_once(c, from, &missing), want - extra);
	TAP_CHECK_INT(missing, 0);
	for (p = 0; p < NPART; p++)
		TAP_CHECK_INT(c->first[p], from[p]);
	TAP_CHECK_INT(c->wrong_thread, 0);
}

static void
test_earliest(void)
{
	static const int64_t	 zero[NPART];
	struct ctx		 c;
	struct kafka_position	*pos;
	struct kafka_offset	 offs[2] = { { 0, 100 }, { 1, 200 } };
	char			*cause = NULL;
	size_t			 n, i;
	int			 ok;

	ctx_init(&c, "g-shared", CONFIG_STARTUP_EARLIEST, NULL);
	TAP_CHECK(c.k != NULL);
	if (c.k == NULL)
		return;
	/* 300-record batches of 50 us each: 15 ms per callback at most. */
	c.busy_us = 50;
	TAP_CHECK_INT(kafka_start(c.k, &cause), 0);
	expect_from(&c, zero, 0);
	TAP_CHECK_INT(kafka_records(c.k), NREC);
	TAP_CHECK_INT(c.assigns, 1);
	TAP_CHECK_INT(c.errors, 0);
	/*
	 * The loop kept its 10 ms timer going while records flowed: at most
	 * one batch per loop iteration, and a due timer waits at most for
	 * the batch in progress and the next one (the first may already be
	 * scheduled when it comes due).
	 */
	printf("# %d ticks, max gap %.1f ms, at most %d records between "
	    "ticks\n", c.ticks, c.max_gap_us / 1000.0, c.max_per_tick);
	TAP_CHECK(c.ticks > 100);
	TAP_CHECK(c.max_per_tick <= 2 * 300);
	TAP_CHECK(c.max_gap_us < 150000);

	n = kafka_positions(c.k, &pos);
	TAP_CHECK_INT(n, NPART);
	for (i = 0, ok = 1; i < n; i++) {
		if (pos[i].next != PERPART || pos[i].high != PERPART ||
		    pos[i].lag != 0)
			ok = 0;
	}
	TAP_CHECK(ok);
	free(pos);

	/* Commit offsets for the group-offsets case below. */
	TAP_CHECK_INT(kafka_commit_offsets(c.k, offs, 2, &cause), 0);
	run_for(&c, 500);
	TAP_CHECK_INT(c.errors, 0);
	ctx_done(&c);
	TAP_CHECK(c.revokes >= 1);
}

static void
test_owner_offsets(void)
{
	static const int64_t	 from[NPART] = { 50, 0, 499, 250 };
	struct ctx		 c;
	char			*cause = NULL;
	int			 p;

	ctx_init(&c, NULL, CONFIG_STARTUP_LATEST, NULL);
	if (c.k == NULL)
		return;
	c.async_assign = 1;
	for (p = 0; p < NPART; p++)
		c.start[p] = from[p];
	TAP_CHECK_INT(kafka_start(c.k, &cause), 0);
	expect_from(&c, from, 0);
	ctx_done(&c);
}

static void
test_group_offsets(void)
{
	static const int64_t	 from[NPART] = { 100, 200, 0, 0 };
	struct ctx		 c;
	char			*cause = NULL;

	ctx_init(&c, "g-shared", CONFIG_STARTUP_GROUP_OFFSETS, NULL);
	if (c.k == NULL)
		return;
	TAP_CHECK_INT(kafka_start(c.k, &cause), 0);
	expect_from(&c, from, 0);
	ctx_done(&c);
}

/*
 * Latest: only records produced after the assignment; statistics come
 * through the loop meanwhile.
 */
static void
test_latest(void)
{
	struct config_kv	 kv = { "statistics.interval.ms", "200", 4 };
	struct config_kvlist	 job = { &kv, 1 };
	struct ctx		 c;
	char			*cause = NULL;

	ctx_init(&c, NULL, CONFIG_STARTUP_LATEST, &job);
	if (c.k == NULL)
		return;
	TAP_CHECK_INT(kafka_start(c.k, &cause), 0);
	TAP_CHECK(run_until(&c, &c.assigns, 1, 20000));
	run_for(&c, 1000);
	TAP_CHECK_INT(c.got, 0);
	/* 40 more records (offsets PERPART..PERPART+9 per partition). */
	produce(NREC, NREC + 40);
	TAP_CHECK(run_until(&c, &c.got, 40, 10000));
	run_for(&c, 300);
	TAP_CHECK_INT(c.got, 40);
	TAP_CHECK_INT(c.first[0], PERPART);
	TAP_CHECK_INT(c.dups, 0);
	TAP_CHECK_INT(c.bad, 0);
	TAP_CHECK_INT(c.last_ts >= TS_BASE + NREC, 1);
	TAP_CHECK(c.stats > 3);
	TAP_CHECK_INT(c.wrong_thread, 0);
	ctx_done(&c);
}

static void
test_pause_resume(void)
{
	static const int64_t	 zero[NPART];
	struct ctx		 c;
	char			*cause = NULL;
	uint64_t		 wakeups;
	int			 before;

	ctx_init(&c, NULL, CONFIG_STARTUP_EARLIEST, NULL);
	if (c.k == NULL)
		return;
	c.pause_at = 500;
	TAP_CHECK_INT(kafka_start(c.k, &cause), 0);
	TAP_CHECK(run_until(&c, &c.got, 500, 20000));
	TAP_CHECK(kafka_paused(c.k));
	run_for(&c, 800);
	before = c.got;
	TAP_CHECK_INT(before, 500);
	wakeups = kafka_fetch_wakeups(c.k);
	kafka_resume(c.k);
	TAP_CHECK(!kafka_paused(c.k));
	expect_from(&c, zero, 40);
	/* the fetcher was woken for the resume, not left to its next tick */
	TAP_CHECK(kafka_fetch_wakeups(c.k) > wakeups);
	ctx_done(&c);
}

/*
 * A queue of 1 KB: librdkafka stops fetching each time a few records are
 * queued, and the source wakes it by seeking each partition past the last
 * record taken.  Dozens of such seeks: every record still comes once,
 * in order from offset 0 (without the wakeups each refill would wait for
 * librdkafka's one-second tick and this would run out of time).
 */
static void
test_small_queue(void)
{
	static const int64_t	 zero[NPART];
	struct config_kv	 kv = { "queued.max.messages.kbytes", "1", 3 };
	struct config_kvlist	 job = { &kv, 1 };
	struct ctx		 c;
	char			*cause = NULL;

	ctx_init(&c, NULL, CONFIG_STARTUP_EARLIEST, &job);
	if (c.k == NULL)
		return;
	c.busy_us = 200;	/* slower than the fetcher: its queue fills */
	TAP_CHECK_INT(kafka_start(c.k, &cause), 0);
	expect_from(&c, zero, 40);
	printf("# %" PRIu64 " fetch wakeups\n", kafka_fetch_wakeups(c.k));
	TAP_CHECK(kafka_fetch_wakeups(c.k) > 20);
	ctx_done(&c);
}

static void
test_cooperative(void)
{
	static const int64_t	 from[NPART] = { 0, 5, 0, 0 };
	struct config_kv	 kv = { "partition.assignment.strategy",
	    "cooperative-sticky", 3 };
	struct config_kvlist	 job = { &kv, 1 };
	struct ctx		 c;
	char			*cause = NULL;

	ctx_init(&c, NULL, CONFIG_STARTUP_EARLIEST, &job);
	if (c.k == NULL)
		return;
	c.start[1] = from[1];
	TAP_CHECK_INT(kafka_start(c.k, &cause), 0);
	expect_from(&c, from, 40);
	ctx_done(&c);
}

/* Close while the group join is still pending (a quick SIGTERM). */
static void
close_early(const struct config_kvlist *job, int free_when_closed)
{
	struct ctx	 c;
	char		*cause = NULL;

	ctx_init(&c, NULL, CONFIG_STARTUP_EARLIEST, job);
	if (c.k == NULL)
		return;
	c.free_when_closed = free_when_closed;
	TAP_CHECK_INT(kafka_start(c.k, &cause), 0);
	run_for(&c, 500);
	TAP_CHECK_INT(c.assigns, 0);
	ctx_done(&c);
	TAP_CHECK_INT(c.got, 0);
	TAP_CHECK(c.closed);
}

static void
test_close_early(void)
{
	close_early(NULL, 0);
}

static void
test_close_early_coop(void)
{
	struct config_kv	 kv = { "partition.assignment.strategy",
	    "cooperative-sticky", 3 };
	struct config_kvlist	 job = { &kv, 1 };

	close_early(&job, 1);
}

/*
 * The broker goes away for longer than the session timeout: transient
 * errors, the assignment is lost, and the owner restarts each partition
 * after the last record it saw: nothing is lost or repeated.
 */
static void
test_broker_down(void)
{
	static const int64_t	 zero[NPART];
	struct ctx		 c;
	char			*cause = NULL;

	ctx_init(&c, NULL, CONFIG_STARTUP_EARLIEST, NULL);
	if (c.k == NULL)
		return;
	c.track = 1;
	TAP_CHECK_INT(kafka_start(c.k, &cause), 0);
	TAP_CHECK(run_until(&c, &c.got, NREC + 40, 20000));
	rd_kafka_mock_broker_set_down(mock, 1);
	run_for(&c, 3500);
	rd_kafka_mock_broker_set_up(mock, 1);
	TAP_CHECK(c.transient > 0);
	TAP_CHECK_INT(c.errors, 0);
	produce(NREC + 40, NREC + 80);
	expect_from(&c, zero, 80);
	TAP_CHECK(c.lost >= 1);
	TAP_CHECK(c.assigns >= 2);
	printf("# %d assignments, %d revokes (%d lost), %d transient errors\n",
	    c.assigns, c.revokes, c.lost, c.transient);
	ctx_done(&c);
}

/* kafka_new with one passthrough setting; returns the cause or NULL. */
static char *
try_setting(const char *key, const char *value)
{
	struct config_kv	 kv = { (char *)key, (char *)value, 7 };
	struct config_kvlist	 list = { &kv, 1 };
	struct kafka_options	 o;
	struct event_base	*base = event_base_new();
	struct kafka		*k;
	char			*cause = NULL;

	memset(&o, 0, sizeof o);
	o.name = "bad";
	o.topic = TOPIC;
	o.group_id = "g-bad";
	o.global = &list;
	o.record = record_cb;
	k = kafka_new(base, &o, &cause);
	kafka_free(k);
	event_base_free(base);
	return (k == NULL ? cause : NULL);
}

static void
test_settings(void)
{
	char	*cause;

	cause = try_setting("enable.auto.commit", "true");
	TAP_CHECK(cause != NULL && strstr(cause,
	    "line 7: kafka.enable.auto.commit") != NULL);
	free(cause);
	cause = try_setting("no.such.property", "1");
	TAP_CHECK(cause != NULL && strstr(cause, "no.such.property") != NULL);
	free(cause);
	cause = try_setting("fetch.min.bytes", "hunter2secret");
	TAP_CHECK(cause != NULL && strstr(cause, "fetch.min.bytes") != NULL &&
	    strstr(cause, "hunter2secret") == NULL);
	if (cause != NULL)
		printf("# %s\n", cause);
	free(cause);
	cause = try_setting("auto.offset.reset", "hunter2secret");
	TAP_CHECK(cause != NULL && strstr(cause, "auto.offset.reset") !=
	    NULL && strstr(cause, "hunter2secret") == NULL);
	if (cause != NULL)
		printf("# %s\n", cause);
	free(cause);
	cause = try_setting("fetch.min.bytes", "1000");
	TAP_CHECK(cause == NULL);
	free(cause);
}

/* Start the mock cluster and fill the main topic. */
static int
setup(const char *topic, int partitions)
{
	rd_kafka_conf_t	*conf;
	char		 errstr[256];

	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
	mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
	if (mock_rk == NULL)
		return (-1);
	mock = rd_kafka_mock_cluster_new(mock_rk, 1);
	bootstraps = rd_kafka_mock_cluster_bootstraps(mock);
	boot_kv[0].value = (char *)bootstraps;
	rd_kafka_mock_topic_create(mock, topic, partitions, 1);
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, NULL, 0);
	rd_kafka_conf_set(conf, "enable.idempotence", "true", NULL, 0);
	rd_kafka_conf_set(conf, "linger.ms", "5", NULL, 0);
	rd_kafka_conf_set(conf, "log_level", "2", NULL, 0);
	prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
	return (prod == NULL ? -1 : 0);
}

static void
teardown(void)
{
	rd_kafka_destroy(prod);
	rd_kafka_mock_cluster_destroy(mock);
	rd_kafka_destroy(mock_rk);
}

static const struct tap_case cases[] = {
	{ "settings: forced keys, unknown keys, no values in errors",
	    test_settings },
	{ "earliest: every record once, fields equal, loop not blocked",
	    test_earliest },
	{ "owner-supplied offsets, answered asynchronously",
	    test_owner_offsets },
	{ "group offsets, falling back to earliest", test_group_offsets },
	{ "latest: only new records; stats", test_latest },
	{ "pause stops delivery, resume restarts it", test_pause_resume },
	{ "a 1 KB queue: fetcher woken, every record once",
	    test_small_queue },
	{ "cooperative-sticky assignment", test_cooperative },
	{ "close before the first assignment", test_close_early },
	{ "close before the first assignment, cooperative, free when closed",
	    test_close_early_coop },
	{ "broker down past the session timeout: nothing lost or repeated",
	    test_broker_down },
};

/* Throughput of the source and of kcat over N records of 200 bytes. */
struct bench {
	int	got;
	int64_t	first_us;
	int64_t	last_us;
};

static void
bench_record_cb(void *arg, const struct kafka_record *r)
{
	struct bench	*b = arg;

	if (b->got++ == 0)
		b->first_us = now_us();
	b->last_us = now_us();
}

static double
cpu_s(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec +
	    (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6);
}

/* Produce n records of 200 bytes, rate per second (0: at once). */
static void
bench_produce(int n, int parts, int rate)
{
	struct timespec	slice = { 0, 10000000 };
	char		val[200];
	int		i;

	memset(val, 'x', sizeof val);
	for (i = 0; i < n; i++) {
		if (rate > 0 && i % (rate / 100 + 1) == 0) {
			nanosleep(&slice, NULL);
			rd_kafka_poll(prod, 0);
		}
		snprintf(val, sizeof val, "{\"seq\":%d,", i);
		val[strlen(val)] = 'x';
		while (rd_kafka_producev(prod, RD_KAFKA_V_TOPIC("bench"),
		    RD_KAFKA_V_PARTITION(i % parts),
		    RD_KAFKA_V_VALUE(val, sizeof val),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(prod, 10);
	}
	rd_kafka_flush(prod, 60000);
}

/* BRONZE_KAFKA_BENCH_CONF="key=value,..." adds settings to the source. */
static struct config_kvlist *
bench_settings(void)
{
	static struct config_kv		 kv[16];
	static struct config_kvlist	 list = { kv, 0 };
	const char			*env;
	char				*copy, *item, *eq, *save = NULL;

	if ((env = getenv("BRONZE_KAFKA_BENCH_CONF")) == NULL)
		return (NULL);
	copy = xstrdup(env);
	for (item = strtok_r(copy, ",", &save); item != NULL &&
	    list.count < 16; item = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(item, '=')) == NULL)
			continue;
		*eq = '\0';
		kv[list.count].key = item;
		kv[list.count].value = eq + 1;
		kv[list.count++].line = 0;
	}
	return (&list);
}

static void
bench_ours(int n)
{
	struct kafka_options	 o;
	struct event_base	*base = event_base_new();
	struct bench		 b = { 0, 0, 0 };
	struct rusage		 r0, r1;
	struct kafka		*k;
	char			*cause = NULL, group[32];
	int64_t			 end = now_us() + 120 * 1000000LL;

	memset(&o, 0, sizeof o);
	snprintf(group, sizeof group, "bench-%d", (int)getpid());
	o.name = "bench";
	o.topic = "bench";
	o.group_id = group;
	o.global = &boot_list;
	o.job = bench_settings();
	o.record = bench_record_cb;
	o.arg = &b;
	if ((k = kafka_new(base, &o, &cause)) == NULL ||
	    kafka_start(k, &cause) != 0) {
		printf("# %s\n", cause);
		exit(1);
	}
	getrusage(RUSAGE_SELF, &r0);
	while (b.got < n && now_us() < end)
		event_base_loop(base, EVLOOP_ONCE);
	getrusage(RUSAGE_SELF, &r1);
	printf("bronzed source: %d records in %.3f s (first to last): "
	    "%.0f records/s; process CPU %.2f s incl. join wait; "
	    "max RSS %ld MB\n", b.got, (b.last_us - b.first_us) / 1e6,
	    b.got / ((b.last_us - b.first_us) / 1e6), cpu_s(&r1) - cpu_s(&r0),
	    r1.ru_maxrss / 1024);
	kafka_free(k);
	event_base_free(base);
}

static void
bench_kcat(int n)
{
	struct rusage	ru;
	int64_t		t0;
	pid_t		pid;
	int		status;

	fflush(stdout);
	t0 = now_us();
	if ((pid = fork()) == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execlp("kcat", "kcat", "-C", "-b", bootstraps, "-t", "bench",
		    "-o", "beginning", "-e", "-q", (char *)NULL);
		_exit(127);
	}
	wait4(pid, &status, 0, &ru);
	printf("kcat -C: %d records in %.3f s (whole run): %.0f records/s; "
	    "kcat CPU %.2f s\n", n, (now_us() - t0) / 1e6,
	    n / ((now_us() - t0) / 1e6), cpu_s(&ru));
}

/*
 * The mock runs in a child process so the consumer's CPU is its own;
 * the child prints the bootstrap address and serves until killed.  With
 * a rate (BRONZE_KAFKA_BENCH_RATE) it produces while the source consumes,
 * and kcat is skipped.
 */
static int
bench(int n, int rate)
{
	static char	addr[256];
	int		fds[2], parts;
	pid_t		pid;
	ssize_t		len;

	/* The mock trims a partition past 5 MB: keep each under 3 MB. */
	parts = n / 15000 + 1 > 32 ? n / 15000 + 1 : 32;
	if (pipe(fds) != 0)
		return (1);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (setup("bench", parts) != 0)
			_exit(1);
		if (rate == 0)
			bench_produce(n, parts, 0);
		if (write(fds[1], bootstraps, strlen(bootstraps)) < 0)
			_exit(1);
		if (rate > 0)
			bench_produce(n, parts, rate);
		for (;;)
			pause();
	}
	len = read(fds[0], addr, sizeof addr - 1);
	if (len <= 0)
		return (1);
	addr[len] = '\0';
	bootstraps = addr;
	boot_kv[0].value = addr;
	printf("mock bootstrap: %s (topic bench, %d partitions, %d x 200 B)\n",
	    bootstraps, parts, n);
	bench_ours(n);
	if (rate == 0)
		bench_kcat(n);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return (0);
}

int
main(void)
{
	const char	*b = getenv("BRONZE_KAFKA_BENCH");
	const char	*rate = getenv("BRONZE_KAFKA_BENCH_RATE");
	int		 rc;

	main_thread = pthread_self();
	if (b != NULL)
		return (bench((int)strtol(b, NULL, 10), rate != NULL ?
		    (int)strtol(rate, NULL, 10) : 0));
	if (setup(TOPIC, NPART) != 0) {
		printf("1..0 # SKIP no mock cluster\n");
		return (0);
	}
	produce(0, NREC);
	rc = tap_run(cases, sizeof cases / sizeof cases[0]);
	teardown();
	return (rc);
}
