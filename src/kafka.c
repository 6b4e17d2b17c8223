/*
 * kafka.c: the Kafka source of a job: librdkafka's consumer queue served
 * from the libevent loop in bounded, never-blocking batches, with the
 * owner deciding start offsets on every assignment.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <librdkafka/rdkafka.h>

#include "daemon.h"
#include "kafka.h"
#include "log.h"
#include "xmalloc.h"

#define KAFKA_BATCH_MAX		1000
#define KAFKA_BATCH_BYTES	((size_t)16 << 20)
#define KAFKA_BATCH_US		1000	/* records handed on per callback */
#define KAFKA_BATCH_CLOCK	8	/* records between two clock reads */
#define KAFKA_CLOSE_POLL_MS	10

/* What we know about one partition of the topic, indexed by its id. */
struct kafka_part {
	int		 assigned;
	int64_t		 next;		/* next offset to deliver, -1 unknown */
	int64_t		 taken;		/* after the last one taken, or -1 */
	int64_t		 reset_at;	/* not in Kafka: reread from start */
	int64_t		 start;		/* librdkafka offset assigned at */
	int		 refetch;	/* from its start, once assigned */
};

struct kafka {
	struct event_base	*base;
	rd_kafka_t		*rk;
	rd_kafka_queue_t	*queue;		/* the consumer queue */
	int			 pipe[2];	/* librdkafka -> loop wakeups */
	struct event		*ev;
	struct event		*again;		/* next round, next iteration */
	struct event		*close_timer;
	struct event		*keepalive;	/* serve at least every second */

	char			*name;
	char			*topic;
	struct kafka_options	 opt;		/* callbacks, limits */
	enum kafka_start	 startup;

	/* Messages taken from librdkafka, delivered from pos to len. */
	rd_kafka_message_t	**msgs;
	size_t			 pos;
	size_t			 len;
	size_t			 cap;

	struct kafka_header	*hdrs;		/* scratch for one record */
	size_t			 hdrs_cap;

	struct kafka_part	*parts;
	size_t			 nparts;

	struct kafka_partition	*pending;	/* assignment awaiting owner */
	size_t			 npending;
	int			 assign_due;	/* answered during a take */

	rd_kafka_message_t	**in;		/* one take's messages */
	size_t			 in_cap;
	int			 taking;	/* inside consume_batch */

	/* librdkafka's queue limits, and waking its fetcher (kafka_kick) */
	size_t			 queue_max_bytes; /* .kbytes, in bytes */
	size_t			 queue_max_msgs; /* queued.min.messages */
	uint64_t		 taken_msgs;
	uint64_t		 taken_bytes;
	int			 queue_full;	/* seen near a limit */
	uint64_t		 kicks;

	int			 paused;
	int			 closing;
	int			 closed;
	uint64_t		 records;
	uint64_t		 dropped;	/* duplicates refused */
};

struct kafka_setting {
	const char	*key;
	const char	*value;		/* NULL: the job's group id */
};

/* Settings bronzed owns: the passthrough lists may not set them. */
static const struct kafka_setting kafka_forced[] = {
	{ "group.id", NULL },
	{ "enable.auto.commit", "false" },
	{ "enable.auto.offset.store", "false" },
	{ "enable.partition.eof", "false" },
	{ "log.queue", "true" },
};

/* Defaults, overridable by the passthrough lists. */
static const struct kafka_setting kafka_defaults[] = {
	{ "queued.max.messages.kbytes", "4096" },
	{ "auto.offset.reset", "error" },	/* kafka_out_of_range */
	{ "partition.assignment.strategy", "range" },
};

#define KAFKA_NFORCED	(sizeof kafka_forced / sizeof kafka_forced[0])
#define KAFKA_NDEFAULTS	(sizeof kafka_defaults / sizeof kafka_defaults[0])

static void	kafka_serve(struct kafka *);
static void	kafka_refetch_due(struct kafka *);

/* Report an error to the owner, or log it if nobody listens. */
static void
kafka_report(struct kafka *k, int fatal, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (k->opt.error != NULL)
		k->opt.error(k->opt.arg, fatal, msg);
	else
		log_warnx("kafka %s: %s", k->name, msg);
	free(msg);
}

/*
 * Set one property; the cause names the key but never echoes the value
 * (librdkafka's message may quote it, and it may be a secret).
 */
static int
kafka_conf_set(rd_kafka_conf_t *conf, const char *where, const char *key,
    const char *value, char **cause)
{
	char	errstr[512];

	if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) ==
	    RD_KAFKA_CONF_OK)
		return (0);
	if (*value != '\0' && strstr(errstr, value) != NULL)
		snprintf(errstr, sizeof errstr, "invalid value");
	*cause = xasprintf("%s%s: %s", where, key, errstr);
	return (-1);
}

/* Apply a passthrough list, refusing the settings bronzed owns. */
static int
kafka_conf_list(rd_kafka_conf_t *conf, const struct config_kvlist *list,
    const char *prefix, char **cause)
{
	const struct config_kv	*kv;
	char			*where;
	size_t			 i, j;
	int			 rc = 0;

	for (i = 0; list != NULL && i < list->count && rc == 0; i++) {
		kv = &list->items[i];
		where = xasprintf("line %d: %s", kv->line, prefix);
		for (j = 0; j < KAFKA_NFORCED && rc == 0; j++) {
			if (strcmp(kv->key, kafka_forced[j].key) == 0) {
				*cause = xasprintf("%s%s: set by bronzed, "
				    "cannot be overridden", where, kv->key);
				rc = -1;
			}
		}
		if (rc == 0)
			rc = kafka_conf_set(conf, where, kv->key, kv->value,
			    cause);
		free(where);
	}
	return (rc);
}

/* Apply a table of settings; a NULL value stands for the group id. */
static int
kafka_conf_table(rd_kafka_conf_t *conf, const struct kafka_setting *t,
    size_t n, const char *group_id, char **cause)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (kafka_conf_set(conf, "", t[i].key, t[i].value != NULL ?
		    t[i].value : group_id, cause) != 0)
			return (-1);
	}
	return (0);
}

static void	kafka_rebalance_cb(rd_kafka_t *, rd_kafka_resp_err_t,
		    rd_kafka_topic_partition_list_t *, void *);
static void	kafka_error_cb(rd_kafka_t *, int, const char *, void *);
static int	kafka_stats_cb(rd_kafka_t *, char *, size_t, void *);
static void	kafka_log_cb(const rd_kafka_t *, int, const char *,
		    const char *);

/* Build the librdkafka configuration: defaults, lists, then forced. */
static rd_kafka_conf_t *
kafka_conf(struct kafka *k, const struct kafka_options *o, char **cause)
{
	rd_kafka_conf_t	*conf = rd_kafka_conf_new();
	char		*prefix, *client_id;
	int		 rc;

	client_id = xasprintf("bronzed-%s", k->name);
	rc = kafka_conf_set(conf, "", "client.id", client_id, cause);
	free(client_id);
	if (rc == 0)
		rc = kafka_conf_table(conf, kafka_defaults, KAFKA_NDEFAULTS,
		    o->group_id, cause);
	if (rc == 0)
		rc = kafka_conf_list(conf, o->global, "kafka.", cause);
	prefix = xasprintf("job.%s.kafka.", k->name);
	if (rc == 0)
		rc = kafka_conf_list(conf, o->job, prefix, cause);
	free(prefix);
	if (rc == 0)
		rc = kafka_conf_table(conf, kafka_forced, KAFKA_NFORCED,
		    o->group_id, cause);
	if (rc != 0) {
		rd_kafka_conf_destroy(conf);
		return (NULL);
	}
	rd_kafka_conf_set_opaque(conf, k);
	rd_kafka_conf_set_rebalance_cb(conf, kafka_rebalance_cb);
	rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
	rd_kafka_conf_set_stats_cb(conf, kafka_stats_cb);
	rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
	return (conf);
}

/* A numeric setting as librdkafka will use it (0 if unreadable). */
static size_t
kafka_conf_number(rd_kafka_conf_t *conf, const char *key)
{
	char	buf[64];
	size_t	len = sizeof buf;

	if (rd_kafka_conf_get(conf, key, buf, &len) != RD_KAFKA_CONF_OK)
		return (0);
	return ((size_t)strtoull(buf, NULL, 10));
}

/* The wakeup pipe: non-blocking both ends, as librdkafka requires. */
static int
kafka_pipe(struct kafka *k, char **cause)
{
	if (pipe2(k->pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
		*cause = xasprintf("kafka %s: pipe: %s", k->name,
		    strerror(errno));
		k->pipe[0] = k->pipe[1] = -1;
		return (-1);
	}
	return (0);
}

static void	kafka_again(struct kafka *);

static const struct timeval kafka_keepalive_tv = { 1, 0 };

/*
 * The pipe is readable: drain it and schedule a round.  Rounds only run
 * from the again timer, so one loop iteration serves at most one batch.
 */
static void
kafka_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kafka	*k = arg;
	char		 drain[256];

	while (read(k->pipe[0], drain, sizeof drain) > 0)
		;
	kafka_again(k);
}

/* The next round of a backlog, one loop iteration later. */
static void
kafka_again_cb(evutil_socket_t fd, short what, void *arg)
{
	kafka_serve(arg);
}

/*
 * Schedule another round.  A zero timeout rather than event_active: libevent
 * runs events activated from a callback in the same iteration, which would
 * let a backlog starve timers and sockets; a timer waits for the next one.
 */
static void
kafka_again(struct kafka *k)
{
	static const struct timeval	zero = { 0, 0 };

	if (k->again != NULL && !evtimer_pending(k->again, NULL))
		evtimer_add(k->again, &zero);
}

/*
 * Serve the queue at least once a second even when nothing arrives: an
 * idle or paused consumer must still poll, or librdkafka makes it leave
 * the group after max.poll.interval.ms and its partitions are rebalanced.
 */
static void
kafka_keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	kafka_again(arg);
}

/* Route every queue (main, log, consumer) into one, signalled on the pipe. */
static int
kafka_join_loop(struct kafka *k, char **cause)
{
	rd_kafka_resp_err_t	err;

	if ((err = rd_kafka_poll_set_consumer(k->rk)) != 0) {
		*cause = xasprintf("kafka %s: %s", k->name,
		    rd_kafka_err2str(err));
		return (-1);
	}
	k->queue = rd_kafka_queue_get_consumer(k->rk);
	if ((err = rd_kafka_set_log_queue(k->rk, k->queue)) != 0) {
		*cause = xasprintf("kafka %s: log queue: %s", k->name,
		    rd_kafka_err2str(err));
		return (-1);
	}
	if (kafka_pipe(k, cause) != 0)
		return (-1);
	rd_kafka_queue_io_event_enable(k->queue, k->pipe[1], "1", 1);
	k->ev = event_new(k->base, k->pipe[0], EV_READ | EV_PERSIST,
	    kafka_event_cb, k);
	k->again = evtimer_new(k->base, kafka_again_cb, k);
	k->keepalive = event_new(k->base, -1, EV_PERSIST, kafka_keepalive_cb,
	    k);
	if (k->ev == NULL || k->again == NULL || k->keepalive == NULL ||
	    event_add(k->ev, NULL) != 0 ||
	    event_add(k->keepalive, &kafka_keepalive_tv) != 0) {
		*cause = xasprintf("kafka %s: cannot add event", k->name);
		return (-1);
	}
	/* Serve anything queued before the pipe was connected. */
	kafka_again(k);
	return (0);
}

/* The job's startup mode as a start for partitions the table lacks. */
static enum kafka_start
kafka_startup(enum config_startup_mode m)
{
	switch (m) {
	case CONFIG_STARTUP_LATEST:
		return (KAFKA_START_LATEST);
	case CONFIG_STARTUP_GROUP_OFFSETS:
		return (KAFKA_START_GROUP);
	default:
		return (KAFKA_START_EARLIEST);
	}
}

struct kafka *
kafka_new(struct event_base *base, const struct kafka_options *o,
    char **cause)
{
	struct kafka	*k;
	rd_kafka_conf_t	*conf;
	char		 errstr[512];

	if (o->name == NULL || o->topic == NULL || o->group_id == NULL ||
	    o->record == NULL) {
		*cause = xstrdup("kafka: job name, topic, group id and record "
		    "callback are required");
		return (NULL);
	}
	k = xcalloc(1, sizeof *k);
	k->base = base;
	k->pipe[0] = k->pipe[1] = -1;
	k->name = xstrdup(o->name);
	k->topic = xstrdup(o->topic);
	k->opt = *o;
	k->opt.name = k->name;
	k->opt.topic = k->topic;
	k->opt.group_id = NULL;
	k->opt.global = k->opt.job = NULL;
	if (k->opt.batch_max == 0)
		k->opt.batch_max = KAFKA_BATCH_MAX;
	if (k->opt.batch_bytes == 0)
		k->opt.batch_bytes = KAFKA_BATCH_BYTES;
	k->startup = kafka_startup(o->startup_mode);
	if ((conf = kafka_conf(k, o, cause)) == NULL)
		goto fail;
	k->queue_max_bytes = kafka_conf_number(conf,
	    "queued.max.messages.kbytes") * 1024;
	k->queue_max_msgs = kafka_conf_number(conf, "queued.min.messages");
	k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
	if (k->rk == NULL) {
		rd_kafka_conf_destroy(conf);
		*cause = xasprintf("kafka %s: %s", k->name, errstr);
		goto fail;
	}
	if (kafka_join_loop(k, cause) != 0)
		goto fail;
	return (k);
fail:
	kafka_free(k);
	return (NULL);
}

int
kafka_start(struct kafka *k, char **cause)
{
	rd_kafka_topic_partition_list_t	*list;
	rd_kafka_resp_err_t		 err;

	list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(list, k->topic,
	    RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(k->rk, list);
	rd_kafka_topic_partition_list_destroy(list);
	if (err != 0) {
		*cause = xasprintf("kafka %s: subscribe to %s: %s", k->name,
		    k->topic, rd_kafka_err2str(err));
		return (-1);
	}
	return (0);
}

/* The slot of a partition, growing the table as ids appear. */
static struct kafka_part *
kafka_part(struct kafka *k, int32_t partition)
{
	size_t	n;

	if (partition < 0)
		fatalx("kafka %s: partition %d", k->name, (int)partition);
	if ((size_t)partition >= k->nparts) {
		n = (size_t)partition + 1;
		k->parts = xreallocarray(k->parts, n, sizeof *k->parts);
		memset(k->parts + k->nparts, 0,
		    (n - k->nparts) * sizeof *k->parts);
		k->nparts = n;
	}
	return (&k->parts[partition]);
}

/* Drop undelivered messages, of one partition or (-1) of all. */
static void
kafka_drop(struct kafka *k, int32_t partition)
{
	size_t	i, j;

	for (i = j = k->pos; i < k->len; i++) {
		if (partition == -1 || k->msgs[i]->partition == partition)
			rd_kafka_message_destroy(k->msgs[i]);
		else
			k->msgs[j++] = k->msgs[i];
	}
	k->len = j;
}

/* Free an rd_kafka_error_t if there is one. */
static void
kafka_error_free(rd_kafka_error_t *error)
{
	if (error != NULL)
		rd_kafka_error_destroy(error);
}

/* Nonzero if the group runs the cooperative (incremental) protocol. */
static int
kafka_cooperative(struct kafka *k)
{
	return (strcmp(rd_kafka_rebalance_protocol(k->rk), "COOPERATIVE") ==
	    0);
}

/* Pause or resume a list, or the whole assignment (list NULL). */
static void
kafka_pause_list(struct kafka *k, rd_kafka_topic_partition_list_t *list,
    int pause)
{
	rd_kafka_topic_partition_list_t	*all = NULL;
	rd_kafka_resp_err_t		 err;

	if (list == NULL) {
		if (rd_kafka_assignment(k->rk, &all) != 0)
			return;
		list = all;
	}
	if (list->cnt > 0) {
		err = pause ? rd_kafka_pause_partitions(k->rk, list) :
		    rd_kafka_resume_partitions(k->rk, list);
		if (err != 0)
			kafka_report(k, 0, "%s: %s", pause ? "pause" :
			    "resume", rd_kafka_err2str(err));
	}
	if (all != NULL)
		rd_kafka_topic_partition_list_destroy(all);
}

/* rd_kafka offset for an owner's answer. */
static int64_t
kafka_start_offset(const struct kafka_partition *p)
{
	switch (p->start) {
	case KAFKA_START_OFFSET:
		return (p->offset >= 0 ? p->offset : RD_KAFKA_OFFSET_BEGINNING);
	case KAFKA_START_LATEST:
		return (RD_KAFKA_OFFSET_END);
	case KAFKA_START_GROUP:
		return (RD_KAFKA_OFFSET_STORED);
	default:
		return (RD_KAFKA_OFFSET_BEGINNING);
	}
}

int
kafka_assign_ready(struct kafka *k, char **cause)
{
	rd_kafka_topic_partition_list_t	*list;
	rd_kafka_error_t		*error = NULL;
	rd_kafka_resp_err_t		 err = 0;
	struct kafka_part		*part;
	size_t				 i;
	int				 rc = 0;

	if (k->pending == NULL)
		return (0);
	if (k->taking) {
		k->assign_due = 1;
		return (0);
	}
	k->assign_due = 0;
	list = rd_kafka_topic_partition_list_new((int)k->npending);
	for (i = 0; i < k->npending; i++) {
		rd_kafka_topic_partition_list_add(list, k->topic,
		    k->pending[i].partition)->offset =
		    kafka_start_offset(&k->pending[i]);
		part = kafka_part(k, k->pending[i].partition);
		part->assigned = 1;
		part->taken = -1;
		part->reset_at = -1;
		part->refetch = 0;
		part->start = kafka_start_offset(&k->pending[i]);
		part->next = k->pending[i].start == KAFKA_START_OFFSET ?
		    k->pending[i].offset : -1;
	}
	if (kafka_cooperative(k))
		error = rd_kafka_incremental_assign(k->rk, list);
	else
		err = rd_kafka_assign(k->rk, list);
	if (error != NULL || err != 0) {
		*cause = xasprintf("kafka %s: assign: %s", k->name,
		    error != NULL ? rd_kafka_error_string(error) :
		    rd_kafka_err2str(err));
		rc = -1;
	} else if (k->paused)
		kafka_pause_list(k, list, 1);
	if (error != NULL)
		rd_kafka_error_destroy(error);
	rd_kafka_topic_partition_list_destroy(list);
	free(k->pending);
	k->pending = NULL;
	k->npending = 0;
	if (rc == 0)
		kafka_refetch_due(k);
	return (rc);
}

/* Copy an rdkafka list into owner-facing partitions. */
static struct kafka_partition *
kafka_partitions(struct kafka *k, const rd_kafka_topic_partition_list_t *list)
{
	struct kafka_partition	*parts;
	int			 i;

	parts = xcalloc((size_t)list->cnt + 1, sizeof *parts);
	for (i = 0; i < list->cnt; i++) {
		parts[i].topic = k->topic;
		parts[i].partition = list->elems[i].partition;
		parts[i].start = k->startup;
		parts[i].offset = -1;
	}
	return (parts);
}

/* Partitions arrive: ask the owner where each starts. */
static void
kafka_on_assign(struct kafka *k, rd_kafka_topic_partition_list_t *list)
{
	char	*cause = NULL;
	int	 later = 0;

	if (k->closing) {
		/* librdkafka turns this into an unassign while closing. */
		if (kafka_cooperative(k))
			kafka_error_free(rd_kafka_incremental_assign(k->rk,
			    list));
		else
			rd_kafka_assign(k->rk, NULL);
		return;
	}
	if (k->pending != NULL)
		log_debug("kafka %s: assignment replaces an unanswered one",
		    k->name);
	free(k->pending);
	k->pending = kafka_partitions(k, list);
	k->npending = (size_t)list->cnt;
	if (k->opt.assign != NULL)
		later = k->opt.assign(k->opt.arg, k->pending, k->npending);
	if (later == 0 && kafka_assign_ready(k, &cause) != 0) {
		kafka_report(k, 1, "%s", cause);
		free(cause);
	}
}

/* Partitions go: tell the owner first, then drop and unassign them. */
static void
kafka_on_revoke(struct kafka *k, rd_kafka_topic_partition_list_t *list)
{
	struct kafka_partition	*parts;
	int			 i, lost;

	lost = rd_kafka_assignment_lost(k->rk);
	parts = kafka_partitions(k, list);
	if (k->opt.revoke != NULL)
		k->opt.revoke(k->opt.arg, parts, (size_t)list->cnt, lost);
	free(parts);
	free(k->pending);
	k->pending = NULL;
	k->npending = 0;
	k->assign_due = 0;
	for (i = 0; i < list->cnt; i++) {
		kafka_drop(k, list->elems[i].partition);
		kafka_part(k, list->elems[i].partition)->assigned = 0;
	}
	if (kafka_cooperative(k))
		kafka_error_free(rd_kafka_incremental_unassign(k->rk, list));
	else
		rd_kafka_assign(k->rk, NULL);
}

/* A rebalance event, served on the loop from inside kafka_take. */
static void
kafka_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *list, void *opaque)
{
	struct kafka	*k = opaque;

	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		kafka_on_assign(k, list);
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		kafka_on_revoke(k, list);
		break;
	default:
		kafka_report(k, 0, "rebalance: %s", rd_kafka_err2str(err));
		kafka_on_revoke(k, list);
		break;
	}
}

/* An error event: fatal ones carry the underlying error separately. */
static void
kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka	*k = opaque;
	char		 buf[512];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		err = rd_kafka_fatal_error(rk, buf, sizeof buf);
		kafka_report(k, 1, "fatal: %s: %s", rd_kafka_err2name(err),
		    buf);
		return;
	}
	kafka_report(k, 0, "%s: %s", rd_kafka_err2name(err), reason);
}

static int
kafka_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct kafka	*k = opaque;

	if (k->opt.stats != NULL)
		k->opt.stats(k->opt.arg, json, len);
	return (0);
}

/* Log at a level chosen at run time. */
static void
kafka_logf(enum log_level level, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* librdkafka's log lines (syslog levels), served on the loop (log.queue). */
static void
kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
    const char *line)
{
	struct kafka	*k = rd_kafka_opaque(rk);
	enum log_level	 l;

	if (level <= 4)
		l = LOG_LEVEL_WARN;
	else if (level <= 6)
		l = LOG_LEVEL_INFO;
	else
		l = LOG_LEVEL_DEBUG;
	kafka_logf(l, "kafka %s: %s: %s", k->name, fac, line);
}

/* Point the scratch header array at the message's headers. */
static size_t
kafka_headers(struct kafka *k, rd_kafka_message_t *m)
{
	rd_kafka_headers_t	*hdrs;
	const void		*val;
	size_t			 i, n, len;

	if (rd_kafka_message_headers(m, &hdrs) != 0)
		return (0);
	n = rd_kafka_header_cnt(hdrs);
	if (n > k->hdrs_cap) {
		k->hdrs = xreallocarray(k->hdrs, n, sizeof *k->hdrs);
		k->hdrs_cap = n;
	}
	for (i = 0; i < n; i++) {
		if (rd_kafka_header_get_all(hdrs, i, &k->hdrs[i].name, &val,
		    &len) != 0)
			break;
		k->hdrs[i].value = val;
		k->hdrs[i].len = val != NULL ? len : 0;
	}
	return (i);
}

/* Where fetching a partition goes on: after what was taken or delivered. */
static int64_t
kafka_resume_offset(const struct kafka_part *part)
{
	if (part->taken >= 0)
		return (part->taken);
	if (part->next >= 0)
		return (part->next);
	return (part->start);
}

/*
 * Fetch partition p again from offset.  A seek cannot do it: librdkafka
 * 2.0 ignores seeks on a partition that stopped on an error.  So it is
 * assigned again; an eager assignment is replaced whole, the other
 * partitions going on after what was taken of them.
 */
static void
kafka_refetch(struct kafka *k, int32_t p, int64_t offset)
{
	rd_kafka_topic_partition_list_t	*list;
	rd_kafka_error_t		*error = NULL;
	rd_kafka_resp_err_t		 err = 0;
	struct kafka_part		*part;
	size_t				 i;

	list = rd_kafka_topic_partition_list_new(1);
	if (kafka_cooperative(k)) {
		rd_kafka_topic_partition_list_add(list, k->topic, p);
		error = rd_kafka_incremental_unassign(k->rk, list);
		list->elems[0].offset = offset;
		if (error == NULL)
			error = rd_kafka_incremental_assign(k->rk, list);
	} else {
		for (i = 0; i < k->nparts; i++) {
			part = &k->parts[i];
			if (part->assigned)
				rd_kafka_topic_partition_list_add(list,
				    k->topic, (int32_t)i)->offset = (int32_t)i ==
				    p ? offset : kafka_resume_offset(part);
		}
		err = rd_kafka_assign(k->rk, list);
	}
	if (error != NULL || err != 0)
		kafka_report(k, 1, "%s [%d]: fetching again: %s", k->topic,
		    (int)p, error != NULL ? rd_kafka_error_string(error) :
		    rd_kafka_err2str(err));
	else if (k->paused)
		kafka_pause_list(k, list, 1);
	if (error != NULL)
		rd_kafka_error_destroy(error);
	rd_kafka_topic_partition_list_destroy(list);
}

/*
 * With auto.offset.reset "error", librdkafka stops fetching a partition
 * whose position the broker does not have, or that has no group offset to
 * start from.  Read it again from its start: without a position that is
 * simply the earliest record (startup mode group-offsets); with one, where
 * the first record falls tells what happened (kafka_reset_seen).
 */
static void
kafka_out_of_range(struct kafka *k, rd_kafka_message_t *m)
{
	struct kafka_part	*part = kafka_part(k, m->partition);

	if (!part->assigned)
		return;
	if (part->next >= 0) {
		part->reset_at = part->next;
		log_warnx("kafka %s: %s [%d]: offset %" PRId64 " is not in "
		    "Kafka (%s): reading the partition from its start",
		    k->name, k->topic, (int)m->partition, part->next,
		    rd_kafka_message_errstr(m));
	} else
		log_info("kafka %s: %s [%d]: no offset to start from: "
		    "starting at the earliest", k->name, k->topic,
		    (int)m->partition);
	part->taken = -1;	/* no kick back to the missing offset */
	part->start = RD_KAFKA_OFFSET_BEGINNING;
	if (k->pending != NULL)	/* assigning now would answer a rebalance */
		part->refetch = 1;
	else
		kafka_refetch(k, m->partition, RD_KAFKA_OFFSET_BEGINNING);
}

/*
 * After an assignment answer: partitions that lost their position while
 * it was awaited.  An eager assignment replaced them all (those still
 * ours start again where the owner said, and fail again if need be).
 */
static void
kafka_refetch_due(struct kafka *k)
{
	size_t	i;

	for (i = 0; i < k->nparts; i++) {
		if (!k->parts[i].refetch)
			continue;
		k->parts[i].refetch = 0;
		if (k->parts[i].assigned && kafka_cooperative(k))
			kafka_refetch(k, (int32_t)i, RD_KAFKA_OFFSET_BEGINNING);
	}
}

/*
 * The first record of a partition reread from its start (reset_at set).
 * Past the lost position: the records between left Kafka before the job
 * read them; tell the owner and go on.  Before it: the partition's
 * offsets no longer mean what the table says, so writing would mix two
 * histories under the same offsets and skipping would lose records: stop
 * the partition with a fatal error, the record not delivered (-1).
 */
static int
kafka_reset_seen(struct kafka *k, struct kafka_part *part,
    rd_kafka_message_t *m)
{
	int64_t	at = part->reset_at;

	if (m->offset < at) {
		part->assigned = 0;	/* nothing more of it, until restart */
		kafka_report(k, 1, "%s [%d]: the table has this partition's "
		    "records below offset %" PRId64 ", but Kafka no longer has "
		    "that offset and starts the partition at %" PRId64 ": the "
		    "topic was deleted and created again, or truncated, or "
		    "this is another cluster.  Nothing of it is written; to "
		    "ingest it, give the job a new table (sink.table)",
		    k->topic, (int)m->partition, at, m->offset);
		return (-1);
	}
	part->reset_at = -1;
	if (m->offset > at && k->opt.gone != NULL)
		k->opt.gone(k->opt.arg, m->partition, at, m->offset);
	return (0);
}

/* Hand one message to the owner, refusing offsets already delivered. */
static void
kafka_deliver(struct kafka *k, rd_kafka_message_t *m, int64_t taken_us)
{
	struct kafka_part	*part = kafka_part(k, m->partition);
	struct kafka_record	 r;
	rd_kafka_timestamp_type_t tstype;

	if (part->assigned && part->reset_at >= 0 &&
	    kafka_reset_seen(k, part, m) == -1)
		return;
	if (!part->assigned || (part->next >= 0 && m->offset < part->next)) {
		k->dropped++;
		log_debug("kafka %s: dropped [%d] offset %" PRId64, k->name,
		    (int)m->partition, m->offset);
		return;
	}
	part->next = m->offset + 1;
	memset(&r, 0, sizeof r);
	r.topic = rd_kafka_topic_name(m->rkt);
	r.partition = m->partition;
	r.offset = m->offset;
	r.value = m->payload != NULL ? m->payload : "";
	r.value_len = m->payload != NULL ? m->len : 0;
	r.value_null = m->payload == NULL;
	r.key = m->key;
	r.key_len = m->key != NULL ? m->key_len : 0;
	r.timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
	if (tstype == RD_KAFKA_TIMESTAMP_CREATE_TIME)
		r.timestamp_type = KAFKA_TS_CREATE;
	else if (tstype == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME)
		r.timestamp_type = KAFKA_TS_LOG_APPEND;
	else
		r.timestamp_ms = -1;
	r.nheaders = kafka_headers(k, m);
	r.headers = r.nheaders > 0 ? k->hdrs : NULL;
	r.taken_us = taken_us;
	k->records++;
	k->opt.record(k->opt.arg, &r);
}

/* A consumer error carried as a message. */
static void
kafka_message_error(struct kafka *k, rd_kafka_message_t *m)
{
	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
		return;
	if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET &&
	    m->rkt != NULL) {
		kafka_out_of_range(k, m);
		return;
	}
	if (m->rkt != NULL)
		kafka_report(k, 0, "%s [%d]: %s: %s",
		    rd_kafka_topic_name(m->rkt), (int)m->partition,
		    rd_kafka_err2name(m->err), rd_kafka_message_errstr(m));
	else
		kafka_report(k, 0, "%s: %s", rd_kafka_err2name(m->err),
		    rd_kafka_message_errstr(m));
}

/*
 * Deliver taken messages until paused, closing or the byte budget, and for
 * about KAFKA_BATCH_US at most: what the record callback does (a Parquet
 * page cut compresses the page) varies, and a backlog must not hold the
 * loop's timers for more than a millisecond or two.  The rest waits for
 * the next round.
 */
static void
kafka_deliver_batch(struct kafka *k)
{
	rd_kafka_message_t	*m;
	size_t			 bytes = 0, n = 0;
	int64_t			 start = daemon_mono_us(), now = start;
	int64_t			 wall = daemon_wall_us();

	while (k->pos < k->len && !k->paused && !k->closing &&
	    bytes < k->opt.batch_bytes) {
		if (++n % KAFKA_BATCH_CLOCK == 0) {
			now = daemon_mono_us();
			if (now - start > KAFKA_BATCH_US)
				break;
		}
		m = k->msgs[k->pos++];
		if (m->err != 0)
			kafka_message_error(k, m);
		else {
			kafka_deliver(k, m, wall + (now - start));
			bytes += m->len + m->key_len;
		}
		rd_kafka_message_destroy(m);
	}
	if (k->closing)
		kafka_drop(k, -1);
	if (k->pos == k->len)
		k->pos = k->len = 0;
}

/*
 * Take up to max messages (serving rebalances, errors, logs and stats on
 * the way) without waiting, and append them to what is undelivered.  A
 * revoke served during the call may follow messages of the revoked
 * partitions in the same batch: those are not assigned any more and are
 * dropped here.  Assignments are never applied during the call (see
 * kafka_assign_ready), so nothing older can pass for the new assignment.
 */
static void
kafka_take(struct kafka *k, size_t max)
{
	rd_kafka_message_t	*m;
	ssize_t			 n, i;

	if (k->in_cap < max) {
		k->in = xreallocarray(k->in, max, sizeof *k->in);
		k->in_cap = max;
	}
	k->taking = 1;
	n = rd_kafka_consume_batch_queue(k->queue, 0, k->in, max);
	k->taking = 0;
	if (n < 0) {
		kafka_report(k, 0, "consume: %s",
		    rd_kafka_err2str(rd_kafka_last_error()));
		return;
	}
	if (k->pos > 0) {
		memmove(k->msgs, k->msgs + k->pos,
		    (k->len - k->pos) * sizeof *k->msgs);
		k->len -= k->pos;
		k->pos = 0;
	}
	if (k->len + (size_t)n > k->cap) {
		k->cap = k->len + (size_t)n;
		k->msgs = xreallocarray(k->msgs, k->cap, sizeof *k->msgs);
	}
	for (i = 0; i < n; i++) {
		m = k->in[i];
		if (m->err == 0 && !kafka_part(k, m->partition)->assigned) {
			k->dropped++;
			rd_kafka_message_destroy(m);
			continue;
		}
		if (m->err == 0) {
			kafka_part(k, m->partition)->taken = m->offset + 1;
			k->taken_msgs++;
			k->taken_bytes += m->len + m->key_len;
		}
		k->msgs[k->len++] = m;
	}
}

/*
 * librdkafka 2.0.2 stops fetching while its queue holds
 * queued.max.messages.kbytes or queued.min.messages, and looks again only
 * when its broker thread next wakes: up to a second later, so a catch-up
 * would run at one queue's worth a second with the loop idle most of the
 * time (newer versions have fetch.queue.backoff.ms for this).  A resume
 * is noticed as late.  Once the queue has been near either limit (before:
 * what was queued before this round's take), or after a resume, and it is
 * drained, seek each partition to the message after the last one taken.
 * That is where its fetch stands anyway: nothing is skipped or read twice
 * (a message still queued would be dropped by librdkafka and fetched
 * again), and a seek wakes the broker thread at once.
 */
static void
kafka_kick(struct kafka *k, size_t before)
{
	rd_kafka_topic_partition_list_t	*list;
	rd_kafka_error_t		*error;
	size_t				 avg, i;

	avg = k->taken_msgs > 0 ? (size_t)(k->taken_bytes / k->taken_msgs) : 0;
	if ((k->queue_max_msgs > 0 && before * 4 >= k->queue_max_msgs * 3) ||
	    (k->queue_max_bytes > 0 &&
	    before * avg * 4 >= k->queue_max_bytes * 3))
		k->queue_full = 1;
	if (!k->queue_full || rd_kafka_queue_length(k->queue) > 0 ||
	    k->paused || k->closing)
		return;
	k->queue_full = 0;
	list = rd_kafka_topic_partition_list_new(0);
	for (i = 0; i < k->nparts; i++)
		if (k->parts[i].assigned && k->parts[i].taken >= 0)
			rd_kafka_topic_partition_list_add(list, k->topic,
			    (int32_t)i)->offset = k->parts[i].taken;
	if (list->cnt > 0) {
		k->kicks++;
		if ((error = rd_kafka_seek_partitions(k->rk, list, 0)) !=
		    NULL) {
			kafka_report(k, 0, "seek: %s",
			    rd_kafka_error_string(error));
			rd_kafka_error_destroy(error);
		}
	}
	rd_kafka_topic_partition_list_destroy(list);
}

/* One bounded round of work; re-arm if more is waiting. */
static void
kafka_serve(struct kafka *k)
{
	size_t	 left = k->len - k->pos;
	size_t	 queued = rd_kafka_queue_length(k->queue);
	char	*cause = NULL;

	if (k->paused || k->closing)
		kafka_take(k, k->opt.batch_max);
	else if (left < k->opt.batch_max)
		kafka_take(k, k->opt.batch_max - left);
	kafka_kick(k, queued);
	if (k->assign_due && kafka_assign_ready(k, &cause) != 0) {
		kafka_report(k, 1, "%s", cause);
		free(cause);
	}
	kafka_deliver_batch(k);
	if (rd_kafka_queue_length(k->queue) > 0 ||
	    (k->pos < k->len && !k->paused && !k->closing))
		kafka_again(k);
}

void
kafka_pause(struct kafka *k)
{
	if (k->paused)
		return;
	k->paused = 1;
	kafka_pause_list(k, NULL, 1);
}

void
kafka_resume(struct kafka *k)
{
	if (!k->paused)
		return;
	k->paused = 0;
	kafka_pause_list(k, NULL, 0);
	/* librdkafka would notice the resume at its next wakeup only */
	k->queue_full = 1;
	kafka_again(k);
}

int
kafka_paused(const struct kafka *k)
{
	return (k->paused);
}

static void
kafka_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *list, void *opaque)
{
	struct kafka	*k = opaque;
	int		 i;

	if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
		return;
	if (err != 0) {
		kafka_report(k, 0, "offset commit: %s", rd_kafka_err2str(err));
		return;
	}
	for (i = 0; list != NULL && i < list->cnt; i++) {
		if (list->elems[i].err != 0) {
			kafka_report(k, 0, "offset commit [%d]: %s",
			    (int)list->elems[i].partition,
			    rd_kafka_err2str(list->elems[i].err));
			return;
		}
	}
}

int
kafka_commit_offsets(struct kafka *k, const struct kafka_offset *offs,
    size_t n, char **cause)
{
	rd_kafka_topic_partition_list_t	*list;
	rd_kafka_resp_err_t		 err;
	size_t				 i;

	if (n == 0)
		return (0);
	list = rd_kafka_topic_partition_list_new((int)n);
	for (i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(list, k->topic,
		    offs[i].partition)->offset = offs[i].offset;
	err = rd_kafka_commit_queue(k->rk, list, k->queue, kafka_commit_cb, k);
	rd_kafka_topic_partition_list_destroy(list);
	if (err != 0) {
		*cause = xasprintf("kafka %s: offset commit: %s", k->name,
		    rd_kafka_err2str(err));
		return (-1);
	}
	return (0);
}

size_t
kafka_positions(struct kafka *k, struct kafka_position **out)
{
	struct kafka_position	*pos = NULL;
	int64_t			 lo, hi;
	size_t			 i, n = 0;

	for (i = 0; i < k->nparts; i++) {
		if (!k->parts[i].assigned)
			continue;
		pos = xreallocarray(pos, n + 1, sizeof *pos);
		pos[n].partition = (int32_t)i;
		pos[n].next = k->parts[i].next;
		if (rd_kafka_get_watermark_offsets(k->rk, k->topic, (int32_t)i,
		    &lo, &hi) != 0 || hi < 0)
			hi = -1;
		pos[n].high = hi;
		pos[n].lag = hi >= 0 && pos[n].next >= 0 ?
		    (hi > pos[n].next ? hi - pos[n].next : 0) : -1;
		pos[n].committed = -1;
		n++;
	}
	*out = pos;
	return (n);
}

uint64_t
kafka_records(const struct kafka *k)
{
	return (k->records);
}

uint64_t
kafka_fetch_wakeups(const struct kafka *k)
{
	return (k->kicks);
}

static void
kafka_close_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kafka	*k = arg;

	if (!rd_kafka_consumer_closed(k->rk))
		return;
	event_del(k->close_timer);
	k->closed = 1;
	if (k->opt.closed != NULL)
		k->opt.closed(k->opt.arg);
}

void
kafka_close(struct kafka *k)
{
	struct timeval	 tv = { 0, KAFKA_CLOSE_POLL_MS * 1000 };
	rd_kafka_error_t *error;

	if (k->closing)
		return;
	k->closing = 1;
	kafka_drop(k, -1);
	error = rd_kafka_consumer_close_queue(k->rk, k->queue);
	if (error != NULL) {
		kafka_report(k, 0, "close: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	k->close_timer = event_new(k->base, -1, EV_PERSIST,
	    kafka_close_timer_cb, k);
	event_add(k->close_timer, &tv);
	kafka_again(k);
}

int
kafka_closed(const struct kafka *k)
{
	return (k->closed);
}

void
kafka_free(struct kafka *k)
{
	if (k == NULL)
		return;
	kafka_drop(k, -1);
	if (k->queue != NULL) {
		rd_kafka_queue_io_event_enable(k->queue, -1, NULL, 0);
		rd_kafka_queue_destroy(k->queue);
	}
	if (k->rk != NULL)
		rd_kafka_destroy_flags(k->rk, k->closed ? 0 :
		    RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	if (k->ev != NULL)
		event_free(k->ev);
	if (k->again != NULL)
		event_free(k->again);
	if (k->keepalive != NULL)
		event_free(k->keepalive);
	if (k->close_timer != NULL)
		event_free(k->close_timer);
	if (k->pipe[0] != -1)
		close(k->pipe[0]);
	if (k->pipe[1] != -1)
		close(k->pipe[1]);
	free(k->msgs);
	free(k->in);
	free(k->hdrs);
	free(k->parts);
	free(k->pending);
	free(k->name);
	free(k->topic);
	free(k);
}
