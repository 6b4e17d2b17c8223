/*
 * mockkafka.c: bronze-mockkafka, a Kafka cluster for the tests and the
 * quickstart, built on librdkafka's mock cluster (it speaks the real Kafka
 * protocol, so bronzed and kcat talk to it unchanged).  It prints one line
 * "BOOTSTRAP host:port,..." once ready, then answers commands read from
 * stdin, one per line, with one line "OK ..." or "ERR reason".  EOF on
 * stdin, "quit", SIGTERM or SIGINT stop it cleanly (exit 0).
 *
 * One thread: poll() on stdin drives the command reader and the trickles
 * (background producers at a fixed rate); the mock cluster and the producer
 * run on librdkafka's own threads.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "buf.h"
#include "log.h"
#include "xmalloc.h"

#define MK_MAXARGS	8
#define MK_TIMEOUT_MS	10000	/* metadata, watermarks, message timeout */
#define MK_FLUSH_MS	15000	/* longer than the message timeout */
#define MK_TICK_MS	100	/* longest poll() without a trickle due */
#define MK_BURST	2000	/* most trickle records sent per wakeup */

/* A file's lines, NUL-terminated, pointing into one allocation. */
struct mk_file {
	char		 *data;
	char		**line;
	size_t		  n;
	char		 *source;	/* basename, the "source" header */
};

/* Delivery outcome of one produce command (the message opaque). */
struct mk_count {
	size_t			ok;
	size_t			failed;
	rd_kafka_resp_err_t	err;	/* first failure */
};

struct mk_trickle {
	char			*topic;
	struct mk_file		 file;
	double			 rate;		/* records per second */
	uint64_t		 start_ms;
	uint64_t		 sent;
	struct mk_trickle	*next;
};

struct mk {
	rd_kafka_t		*host;		/* owns the mock cluster */
	rd_kafka_mock_cluster_t	*mcluster;
	rd_kafka_t		*rk;		/* producer for the commands */
	struct mk_trickle	*trickles;
	struct buf		 in;		/* stdin not yet split */
	int			 done;
	char			**tnames;	/* topics created, and their */
	int			*tparts;	/* partition counts */
	size_t			 ntopics;
	uint64_t		 value_bytes;	/* of records produced */
	int64_t			 tx_bytes;	/* to the brokers, last stats */
	uint64_t		 nstats;	/* statistics seen */
};

static volatile sig_atomic_t mk_signalled;

static void	mk_usage(int) __attribute__((noreturn));

/* Print the help; exit with STATUS. */
static void
mk_usage(int status)
{
	fprintf(stderr,
"usage: bronze-mockkafka [-q] [-b BROKERS] [-t TOPIC:PARTITIONS[:RF]]...\n"
"                        [-z CODEC]\n"
"  -b N      number of brokers (default 3)\n"
"  -t SPEC   create a topic (repeatable); RF defaults to min(3, brokers)\n"
"  -z CODEC  compress produced batches: gzip, snappy, lz4 or zstd\n"
"            (default none), as a producer's compression.codec\n"
"  -q        quiet: no diagnostics on stderr\n"
"Prints \"BOOTSTRAP host:port,...\" once ready, then reads commands on\n"
"stdin, one per line, answering \"OK ...\" or \"ERR reason\":\n"
"  down BROKER | up BROKER           take a broker down or bring it back\n"
"  leader TOPIC PARTITION BROKER     move a partition's leader\n"
"  produce TOPIC FILE [KEYFIELD]     one record per line of FILE, round-robin\n"
"                                    or keyed by a JSON field, with header\n"
"                                    source=<FILE basename>; OK <count>\n"
"  value TOPIC PARTITION null|empty|FILE\n"
"                                    one record: a tombstone, an empty value\n"
"                                    or FILE's bytes; OK 1\n"
"  trickle TOPIC FILE RATE           produce FILE's lines in a loop at RATE/s\n"
"  stop TOPIC                        stop that trickle; OK <records sent>\n"
"  count TOPIC                       high watermarks summed\n"
"  sent                              OK <value bytes produced> <bytes sent\n"
"                                    to the brokers> (librdkafka's tx_bytes:\n"
"                                    below the first when batches compress)\n"
"  quit                              exit (EOF, SIGTERM, SIGINT too)\n"
"Note: the mock cluster trims each partition's log past about 5 MB (or\n"
"100k message sets): keep per-partition data under that.  Like a broker\n"
"with default settings it creates a topic it is asked about.\n");
	exit(status);
}

/* Monotonic clock in milliseconds. */
static uint64_t
mk_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static void
mk_signal_cb(int sig)
{
	mk_signalled = 1;
}

/* Parse a decimal in [min, max]; -1 if it is not one. */
static int
mk_num(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

/* librdkafka's log lines, unless -q. */
static void
mk_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *msg)
{
	if (log_get_level() >= LOG_LEVEL_INFO)
		log_info("rdkafka %s: %s", fac, msg);
}

/* Delivery report: count into the produce command's struct, if any. */
static void
mk_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct mk_count	*c = m->_private;

	if (c == NULL) {
		if (m->err)
			log_warnx("trickle: %s", rd_kafka_err2str(m->err));
		return;
	}
	if (m->err == 0) {
		c->ok++;
		return;
	}
	if (c->failed++ == 0)
		c->err = m->err;
}

static void
mk_file_free(struct mk_file *f)
{
	free(f->data);
	free(f->line);
	free(f->source);
	memset(f, 0, sizeof *f);
}

/* Read FILE into lines (empty ones skipped); -1 with cause on failure. */
static int
mk_file_load(struct mk_file *f, const char *path, char **cause)
{
	struct buf	 b = BUF_INIT;
	FILE		*fp;
	char		*p, *nl, *next, *copy;
	size_t		 got;

	if ((fp = fopen(path, "r")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return (-1);
	}
	do {
		buf_reserve(&b, 65536);
		got = fread(b.data + b.len, 1, 65536, fp);
		b.len += got;
	} while (got > 0);
	fclose(fp);
	memset(f, 0, sizeof *f);
	buf_cstr(&b);
	f->data = (char *)buf_steal(&b, &got);
	for (p = f->data; *p != '\0'; p = next) {
		if ((nl = strchr(p, '\n')) != NULL) {
			*nl = '\0';
			next = nl + 1;
		} else
			next = p + strlen(p);
		if (*p == '\0')
			continue;
		f->line = xreallocarray(f->line, f->n + 1, sizeof *f->line);
		f->line[f->n++] = p;
	}
	copy = xstrdup(path);
	f->source = xstrdup(basename(copy));
	free(copy);
	if (f->n == 0) {
		*cause = xasprintf("%s: no lines", path);
		mk_file_free(f);
		return (-1);
	}
	return (0);
}

/* The value of the first "FIELD": in a JSON line (quotes dropped). */
static const char *
mk_key(const char *line, const char *field, size_t *len)
{
	char		*pat;
	const char	*p, *end;

	pat = xasprintf("\"%s\":", field);
	p = strstr(line, pat);
	if (p != NULL)
		p += strlen(pat);
	free(pat);
	if (p == NULL)
		return (NULL);
	p += strspn(p, " ");
	if (*p == '"')
		end = strchr(++p, '"');
	else
		end = p + strcspn(p, ",} ");
	if (end == NULL)
		return (NULL);
	*len = end - p;
	return (p);
}

/*
 * Queue one record.  A produce command (c set) waits while the local queue
 * is full; a trickle (c NULL) gives up and tries again on its next turn.
 */
static rd_kafka_resp_err_t
mk_send(struct mk *mk, const char *topic, int32_t part, const char *line,
    const struct mk_file *f, const char *keyfield, struct mk_count *c)
{
	rd_kafka_resp_err_t	 err;
	const char		*key = NULL;
	size_t			 klen = 0, len = strlen(line);

	if (keyfield != NULL && (key = mk_key(line, keyfield, &klen)) != NULL)
		part = RD_KAFKA_PARTITION_UA;
	for (;;) {
		err = rd_kafka_producev(mk->rk, RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_PARTITION(part),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_VALUE((void *)line, len),
		    RD_KAFKA_V_KEY((void *)key, klen),
		    RD_KAFKA_V_HEADER("source", f->source, -1),
		    RD_KAFKA_V_OPAQUE(c), RD_KAFKA_V_END);
		if (err == 0)
			mk->value_bytes += len;
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || c == NULL ||
		    mk_signalled)
			return (err);
		rd_kafka_poll(mk->rk, 50);
	}
}

/*
 * Partition count of TOPIC: the count it was created with, else from the
 * cluster's metadata (which can time out while a broker is down); -1 with
 * cause.
 */
static int
mk_partitions(struct mk *mk, const char *topic, char **cause)
{
	const struct rd_kafka_metadata	*md;
	rd_kafka_topic_t		*rkt;
	rd_kafka_resp_err_t		 err;
	int				 n = -1;
	size_t				 i;

	for (i = 0; i < mk->ntopics; i++)
		if (strcmp(mk->tnames[i], topic) == 0)
			return (mk->tparts[i]);
	rkt = rd_kafka_topic_new(mk->rk, topic, NULL);
	err = rd_kafka_metadata(mk->rk, 0, rkt, &md, MK_TIMEOUT_MS);
	rd_kafka_topic_destroy(rkt);
	if (err != 0) {
		*cause = xasprintf("metadata: %s", rd_kafka_err2str(err));
		return (-1);
	}
	if (md->topic_cnt != 1 || md->topics[0].err != 0)
		*cause = xasprintf("%s: %s", topic, md->topic_cnt != 1 ?
		    "no such topic" : rd_kafka_err2str(md->topics[0].err));
	else if ((n = md->topics[0].partition_cnt) <= 0) {
		*cause = xasprintf("%s: no partitions", topic);
		n = -1;
	}
	rd_kafka_metadata_destroy(md);
	return (n);
}

/* Wait for every record counted in c; purge the rest past the timeout. */
static void
mk_wait(struct mk *mk, struct mk_count *c, size_t n)
{
	rd_kafka_flush(mk->rk, MK_FLUSH_MS);
	if (c->ok + c->failed == n)
		return;
	rd_kafka_purge(mk->rk, RD_KAFKA_PURGE_F_QUEUE |
	    RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_flush(mk->rk, MK_FLUSH_MS);
	if (c->ok + c->failed != n)
		fatalx("produce: %zu delivery reports missing",
		    n - c->ok - c->failed);
}

/* produce TOPIC FILE [KEYFIELD] */
static char *
mk_cmd_produce(struct mk *mk, int argc, char **argv)
{
	struct mk_file		 f;
	struct mk_count		 c = { 0, 0, 0 };
	rd_kafka_resp_err_t	 err = 0;
	char			*cause = NULL;
	int			 nparts;
	size_t			 i;

	if ((nparts = mk_partitions(mk, argv[1], &cause)) < 0 ||
	    mk_file_load(&f, argv[2], &cause) != 0) {
		return (cause);
	}
	for (i = 0; i < f.n && err == 0; i++) {
		err = mk_send(mk, argv[1], (int32_t)(i % nparts), f.line[i],
		    &f, argc > 3 ? argv[3] : NULL, &c);
	}
	mk_wait(mk, &c, err == 0 ? i : i - 1);
	mk_file_free(&f);
	if (err != 0)
		return (xasprintf("produce: %s", rd_kafka_err2str(err)));
	if (c.failed != 0) {
		return (xasprintf("%zu of %zu failed: %s", c.failed, i,
		    rd_kafka_err2str(c.err)));
	}
	return (xasprintf("OK %zu", c.ok));
}

/* value TOPIC PARTITION null|empty|FILE: one record of exactly that value */
static char *
mk_cmd_value(struct mk *mk, int argc, char **argv)
{
	struct mk_count		 c = { 0, 0, 0 };
	struct buf		 b = BUF_INIT;
	rd_kafka_resp_err_t	 err;
	FILE			*fp = NULL;
	char			 chunk[65536];
	size_t			 got;
	int			 isnull = strcmp(argv[3], "null") == 0;

	if (!isnull && strcmp(argv[3], "empty") != 0) {
		if ((fp = fopen(argv[3], "rb")) == NULL)
			return (xasprintf("%s: %s", argv[3], strerror(errno)));
		while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0)
			buf_append(&b, chunk, got);
		fclose(fp);
	}
	err = rd_kafka_producev(mk->rk, RD_KAFKA_V_TOPIC(argv[1]),
	    RD_KAFKA_V_PARTITION((int32_t)atoi(argv[2])),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	    RD_KAFKA_V_VALUE(isnull ? NULL : b.len > 0 ? b.data : (void *)"",
	    b.len), RD_KAFKA_V_OPAQUE(&c), RD_KAFKA_V_END);
	if (err == 0)
		mk_wait(mk, &c, 1);
	buf_free(&b);
	if (err != 0 || c.failed != 0)
		return (xasprintf("value: %s", rd_kafka_err2str(err != 0 ? err :
		    c.err)));
	return (xstrdup("OK 1"));
}

/* Where TOPIC's trickle is linked (*result is NULL if it has none). */
static struct mk_trickle **
mk_trickle_find(struct mk *mk, const char *topic)
{
	struct mk_trickle	**tp;

	for (tp = &mk->trickles; *tp != NULL; tp = &(*tp)->next) {
		if (strcmp((*tp)->topic, topic) == 0)
			break;
	}
	return (tp);
}

/* Unlink and free *tp; return the records it sent. */
static uint64_t
mk_trickle_remove(struct mk_trickle **tp)
{
	struct mk_trickle	*t = *tp;
	uint64_t		 sent = t->sent;

	*tp = t->next;
	mk_file_free(&t->file);
	free(t->topic);
	free(t);
	return (sent);
}

/* trickle TOPIC FILE RATE: replaces a trickle already on TOPIC. */
static char *
mk_cmd_trickle(struct mk *mk, int argc, char **argv)
{
	struct mk_trickle	*t, **tp;
	char			*cause = NULL, *end;
	double			 rate;

	rate = strtod(argv[3], &end);
	if (*end != '\0' || !(rate > 0 && rate <= 1e6))
		return (xasprintf("bad rate: %s", argv[3]));
	if (mk_partitions(mk, argv[1], &cause) < 0)
		return (cause);
	t = xcalloc(1, sizeof *t);
	if (mk_file_load(&t->file, argv[2], &cause) != 0) {
		free(t);
		return (cause);
	}
	if (*(tp = mk_trickle_find(mk, argv[1])) != NULL)
		mk_trickle_remove(tp);
	t->topic = xstrdup(argv[1]);
	t->rate = rate;
	t->start_ms = mk_now_ms();
	t->next = mk->trickles;
	mk->trickles = t;
	return (xasprintf("OK trickle %s %g/s", t->topic, rate));
}

/* stop TOPIC */
static char *
mk_cmd_stop(struct mk *mk, int argc, char **argv)
{
	struct mk_trickle	**tp;

	if (*(tp = mk_trickle_find(mk, argv[1])) == NULL)
		return (xasprintf("no trickle on %s", argv[1]));
	return (xasprintf("OK %" PRIu64, mk_trickle_remove(tp)));
}

/* Send what each trickle owes by now; ms until the next one is due. */
static int
mk_trickle_run(struct mk *mk)
{
	struct mk_trickle	*t;
	uint64_t		 now = mk_now_ms(), due, next;
	int			 wait = MK_TICK_MS, n;

	for (t = mk->trickles; t != NULL; t = t->next) {
		due = (uint64_t)((now - t->start_ms) * t->rate / 1000);
		for (n = 0; t->sent < due && n < MK_BURST; n++, t->sent++) {
			if (mk_send(mk, t->topic, RD_KAFKA_PARTITION_UA,
			    t->file.line[t->sent % t->file.n], &t->file, NULL,
			    NULL) != 0)
				break;
		}
		next = t->start_ms + (uint64_t)((t->sent + 1) * 1000 / t->rate);
		if (next <= now)
			wait = 0;
		else if (next - now < (uint64_t)wait)
			wait = (int)(next - now);
	}
	return (wait);
}

/* count TOPIC: high watermarks summed over its partitions. */
static char *
mk_cmd_count(struct mk *mk, int argc, char **argv)
{
	rd_kafka_resp_err_t	 err;
	char			*cause = NULL;
	int64_t			 lo, hi, sum = 0;
	int			 i, n, tries;

	if ((n = mk_partitions(mk, argv[1], &cause)) < 0)
		return (cause);
	for (i = 0; i < n; i++) {
		/* right after a leader move the client may ask the old one */
		for (tries = 0; tries < 20; tries++) {
			err = rd_kafka_query_watermark_offsets(mk->rk, argv[1],
			    i, &lo, &hi, MK_TIMEOUT_MS);
			if (err != RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION &&
			    err != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE)
				break;
			rd_kafka_poll(mk->rk, 250);
		}
		if (err != 0) {
			return (xasprintf("%s [%d]: %s", argv[1], i,
			    rd_kafka_err2str(err)));
		}
		sum += hi;
	}
	return (xasprintf("OK %" PRId64, sum));
}

/*
 * sent: value bytes produced and bytes sent to the brokers, from
 * statistics emitted after everything queued was delivered.
 */
static char *
mk_cmd_sent(struct mk *mk, int argc, char **argv)
{
	uint64_t	seen, end = mk_now_ms() + MK_TIMEOUT_MS;

	rd_kafka_flush(mk->rk, MK_FLUSH_MS);
	seen = mk->nstats;
	while (mk->nstats < seen + 2 && mk_now_ms() < end)
		rd_kafka_poll(mk->rk, 50);
	if (mk->nstats < seen + 2)
		return (xasprintf("no statistics from the producer"));
	return (xasprintf("OK %" PRIu64 " %" PRId64, mk->value_bytes,
	    mk->tx_bytes));
}

/* down BROKER, up BROKER */
static char *
mk_cmd_updown(struct mk *mk, int argc, char **argv)
{
	rd_kafka_resp_err_t	err;
	long			id;

	if (mk_num(argv[1], 0, INT32_MAX, &id) != 0)
		return (xasprintf("bad broker: %s", argv[1]));
	if (strcmp(argv[0], "down") == 0)
		err = rd_kafka_mock_broker_set_down(mk->mcluster, (int32_t)id);
	else
		err = rd_kafka_mock_broker_set_up(mk->mcluster, (int32_t)id);
	if (err != 0)
		return (xasprintf("broker %ld: %s", id, rd_kafka_err2str(err)));
	return (xasprintf("OK %s %ld", argv[0], id));
}

/* leader TOPIC PARTITION BROKER */
static char *
mk_cmd_leader(struct mk *mk, int argc, char **argv)
{
	rd_kafka_resp_err_t	err;
	long			part, id;

	if (mk_num(argv[2], 0, INT32_MAX, &part) != 0 ||
	    mk_num(argv[3], -1, INT32_MAX, &id) != 0)
		return (xasprintf("bad partition or broker"));
	err = rd_kafka_mock_partition_set_leader(mk->mcluster, argv[1],
	    (int32_t)part, (int32_t)id);
	if (err != 0)
		return (xasprintf("%s [%ld]: %s", argv[1], part,
		    rd_kafka_err2str(err)));
	return (xasprintf("OK leader %s %ld %ld", argv[1], part, id));
}

static char *
mk_cmd_quit(struct mk *mk, int argc, char **argv)
{
	mk->done = 1;
	return (xasprintf("OK bye"));
}

static const struct mk_cmd {
	const char	*name;
	int		 minargs;	/* counting the name */
	int		 maxargs;
	char		*(*fn)(struct mk *, int, char **);
} mk_cmds[] = {
	{ "down",	2, 2, mk_cmd_updown },
	{ "up",		2, 2, mk_cmd_updown },
	{ "leader",	4, 4, mk_cmd_leader },
	{ "produce",	3, 4, mk_cmd_produce },
	{ "value",	4, 4, mk_cmd_value },
	{ "trickle",	4, 4, mk_cmd_trickle },
	{ "stop",	2, 2, mk_cmd_stop },
	{ "count",	2, 2, mk_cmd_count },
	{ "sent",	1, 1, mk_cmd_sent },
	{ "quit",	1, 1, mk_cmd_quit },
};

/* Run one command line and print its answer. */
static void
mk_command(struct mk *mk, char *line)
{
	const struct mk_cmd	*cmd = NULL;
	char			*argv[MK_MAXARGS], *word, *reply;
	int			 argc = 0;
	size_t			 i;

	while ((word = strsep(&line, " \t\r")) != NULL) {
		if (*word != '\0' && argc < MK_MAXARGS)
			argv[argc++] = word;
	}
	if (argc == 0)
		return;
	for (i = 0; i < sizeof mk_cmds / sizeof mk_cmds[0]; i++) {
		if (strcmp(mk_cmds[i].name, argv[0]) == 0)
			cmd = &mk_cmds[i];
	}
	if (cmd == NULL)
		reply = xasprintf("unknown command: %s", argv[0]);
	else if (argc < cmd->minargs || argc > cmd->maxargs)
		reply = xasprintf("usage: see bronze-mockkafka -h");
	else
		reply = cmd->fn(mk, argc, argv);
	if (strncmp(reply, "OK", 2) == 0)
		printf("%s\n", reply);
	else
		printf("ERR %s\n", reply);
	fflush(stdout);
	log_debug("%s -> %s", argv[0], reply);
	free(reply);
}

/* Read what stdin has and run the complete lines; 0 at EOF. */
static int
mk_read(struct mk *mk)
{
	char	*nl, *line;
	ssize_t	 got;

	buf_reserve(&mk->in, 4096);
	got = read(STDIN_FILENO, mk->in.data + mk->in.len, 4096);
	if (got < 0)
		return (errno == EINTR || errno == EAGAIN ? 1 : 0);
	mk->in.len += got;
	while (!mk->done &&
	    (nl = memchr(mk->in.data, '\n', mk->in.len)) != NULL) {
		line = xstrndup((char *)mk->in.data, nl - (char *)mk->in.data);
		buf_consume(&mk->in, nl - (char *)mk->in.data + 1);
		mk_command(mk, line);
		free(line);
	}
	return (got > 0);
}

/* Serve commands and trickles until quit, EOF or a signal. */
static void
mk_loop(struct mk *mk)
{
	struct pollfd	pfd = { STDIN_FILENO, POLLIN, 0 };
	int		wait;

	while (!mk->done && !mk_signalled) {
		wait = mk_trickle_run(mk);
		rd_kafka_poll(mk->rk, 0);
		if (poll(&pfd, 1, wait) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd.revents != 0 && mk_read(mk) == 0)
			break;
	}
}

/* The producer's statistics: keep the bytes it has sent to the brokers. */
static int
mk_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *arg)
{
	struct mk	*mk = arg;
	const char	*key = "\"tx_bytes\":", *p;

	/* the top-level counter comes before the per-broker ones */
	if ((p = memmem(json, len, key, strlen(key))) != NULL)
		mk->tx_bytes = strtoll(p + strlen(key), NULL, 10);
	mk->nstats++;
	return (0);
}

/*
 * A handle with the common settings: the cluster's host (mk NULL, no
 * bootstrap) or mk's producer, which compresses its batches with codec
 * (NULL: none) and reports statistics every 100 ms.
 */
static rd_kafka_t *
mk_handle(struct mk *mk, const char *bootstrap, const char *codec)
{
	rd_kafka_conf_t	*conf = rd_kafka_conf_new();
	rd_kafka_t	*rk;
	char		 err[256], ms[32];

	/* The cluster's host handle has no brokers: keep it from saying so. */
	snprintf(ms, sizeof ms, "%d", MK_TIMEOUT_MS);
	if ((bootstrap == NULL ? rd_kafka_conf_set(conf, "log_level", "3",
	    err, sizeof err) : rd_kafka_conf_set(conf, "bootstrap.servers",
	    bootstrap, err, sizeof err)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "message.timeout.ms", ms, err,
	    sizeof err) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "linger.ms", "5", err,
	    sizeof err) != RD_KAFKA_CONF_OK ||
	    (codec != NULL && rd_kafka_conf_set(conf, "compression.codec",
	    codec, err, sizeof err) != RD_KAFKA_CONF_OK) ||
	    (mk != NULL && rd_kafka_conf_set(conf, "statistics.interval.ms",
	    "100", err, sizeof err) != RD_KAFKA_CONF_OK))
		fatalx("config: %s", err);
	if (mk != NULL) {
		rd_kafka_conf_set_opaque(conf, mk);
		rd_kafka_conf_set_stats_cb(conf, mk_stats_cb);
	}
	rd_kafka_conf_set_log_cb(conf, mk_log_cb);
	rd_kafka_conf_set_dr_msg_cb(conf, mk_dr_cb);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err,
	    sizeof err)) == NULL)
		fatalx("rd_kafka_new: %s", err);
	return (rk);
}

/* Create topic SPEC (TOPIC:PARTITIONS[:RF]). */
static void
mk_topic(struct mk *mk, char *spec, int nbrokers)
{
	rd_kafka_resp_err_t	 err;
	char			*name, *parts, *rf;
	long			 np, nr = nbrokers < 3 ? nbrokers : 3;

	name = strsep(&spec, ":");
	parts = strsep(&spec, ":");
	rf = spec;
	if (*name == '\0' || parts == NULL ||
	    mk_num(parts, 1, 100000, &np) != 0 ||
	    (rf != NULL && mk_num(rf, 1, nbrokers, &nr) != 0))
		fatalx("bad topic: -t TOPIC:PARTITIONS[:RF], RF <= brokers");
	err = rd_kafka_mock_topic_create(mk->mcluster, name, (int)np, (int)nr);
	if (err != 0)
		fatalx("topic %s: %s", name, rd_kafka_err2str(err));
	mk->tnames = xreallocarray(mk->tnames, mk->ntopics + 1,
	    sizeof *mk->tnames);
	mk->tparts = xreallocarray(mk->tparts, mk->ntopics + 1,
	    sizeof *mk->tparts);
	mk->tnames[mk->ntopics] = xstrdup(name);
	mk->tparts[mk->ntopics++] = (int)np;
}

/* Start the cluster, create the topics and connect the producer. */
static void
mk_start(struct mk *mk, int nbrokers, char **topics, int ntopics,
    const char *codec)
{
	const struct rd_kafka_metadata	*md;
	int				 i;

	memset(mk, 0, sizeof *mk);
	mk->host = mk_handle(NULL, NULL, NULL);
	if ((mk->mcluster = rd_kafka_mock_cluster_new(mk->host,
	    nbrokers)) == NULL)
		fatalx("cannot create the mock cluster");
	for (i = 0; i < ntopics; i++)
		mk_topic(mk, topics[i], nbrokers);
	mk->rk = mk_handle(mk, rd_kafka_mock_cluster_bootstraps(mk->mcluster),
	    codec);
	if (rd_kafka_metadata(mk->rk, 1, NULL, &md, MK_TIMEOUT_MS) != 0)
		fatalx("the mock cluster does not answer");
	rd_kafka_metadata_destroy(md);
}

/* Stop the trickles, deliver what is queued (bounded), free it all. */
static void
mk_finish(struct mk *mk)
{
	while (mk->trickles != NULL)
		mk_trickle_remove(&mk->trickles);
	rd_kafka_flush(mk->rk, 2000);
	rd_kafka_destroy(mk->rk);
	rd_kafka_mock_cluster_destroy(mk->mcluster);
	rd_kafka_destroy(mk->host);
	buf_free(&mk->in);
	while (mk->ntopics > 0)
		free(mk->tnames[--mk->ntopics]);
	free(mk->tnames);
	free(mk->tparts);
}

int
main(int argc, char **argv)
{
	struct mk		  mk;
	struct sigaction	  sa;
	long			  nbrokers = 3;
	char			**topics = NULL;
	const char		 *codec = NULL;
	int			  ch, ntopics = 0;

	log_set_progname("bronze-mockkafka");
	while ((ch = getopt(argc, argv, "b:t:z:qh")) != -1) {
		switch (ch) {
		case 'b':
			if (mk_num(optarg, 1, 64, &nbrokers) != 0)
				mk_usage(1);
			break;
		case 't':
			topics = xreallocarray(topics, ntopics + 1,
			    sizeof *topics);
			topics[ntopics++] = optarg;
			break;
		case 'z':
			codec = optarg;
			break;
		case 'q':
			log_set_level(LOG_LEVEL_ERROR);
			break;
		case 'h':
			mk_usage(0);
		default:
			mk_usage(1);
		}
	}
	if (optind != argc)
		mk_usage(1);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = mk_signal_cb;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	mk_start(&mk, (int)nbrokers, topics, ntopics, codec);
	free(topics);
	printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mk.mcluster));
	fflush(stdout);
	log_info("%ld brokers ready", nbrokers);
	mk_loop(&mk);
	mk_finish(&mk);
	return (0);
}
