/*
 * test-config.c: unit tests for the configuration parser: the example
 * files, values and defaults, env expansion, quoting, durations and sizes,
 * every error class with its "FILE:LINE: KEY:" prefix, and redaction.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "suggest.h"
#include "tap.h"
#include "xmalloc.h"

/* Minimal valid config, to which a test appends its own lines. */
#define BASE								\
	"catalog.warehouse: /tmp/wh\n"					\
	"kafka.bootstrap.servers: 127.0.0.1:9092\n"			\
	"job.a.source.topic: a.raw\n"					\
	"job.a.sink.table: ns.a\n"

/* The environment variables the config reads by default. */
static void
clear_env(void)
{
	unsetenv("AWS_REGION");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("BRONZE_KAFKA_BOOTSTRAP");
}

static char *
srcpath(const char *rel)
{
	const char	*top = getenv("BRONZE_SRCDIR");
	static char	 path[4096];

	if (top == NULL)
		top = getenv("srcdir");
	snprintf(path, sizeof path, "%s/%s", top != NULL ? top : ".", rel);
	return (path);
}

/* Parse text and expect an error starting with want. */
static void
expect_error(const char *text, const char *want)
{
	struct config	*cfg;
	char		*cause = NULL;

	cfg = config_parse("x.conf", text, &cause);
	TAP_CHECK(cfg == NULL);
	if (cfg != NULL) {
		printf("# parsed, want error %s\n", want);
		config_free(cfg);
		return;
	}
	if (cause == NULL || strncmp(cause, want, strlen(want)) != 0) {
		printf("# cause \"%s\", want prefix \"%s\"\n",
		    cause ? cause : "(null)", want);
		TAP_CHECK(0);
	}
	free(cause);
}

static struct config *
parse_ok(const char *text)
{
	struct config	*cfg;
	char		*cause = NULL;

	cfg = config_parse("x.conf", text, &cause);
	if (cfg == NULL) {
		printf("# unexpected error: %s\n", cause);
		free(cause);
	}
	TAP_CHECK(cfg != NULL);
	return (cfg);
}

static void
test_etc_files(void)
{
	struct config		*cfg;
	const struct config_job	*job;
	char			*cause = NULL;

	clear_env();
	cfg = config_load(srcpath("etc/bronzed-local.conf"), &cause);
	if (cfg == NULL)
		printf("# %s\n", cause);
	TAP_CHECK(cfg != NULL);
	if (cfg != NULL) {
		TAP_CHECK_INT(cfg->njobs, 2);
		TAP_CHECK_INT(cfg->catalog_type, CONFIG_CATALOG_FILESYSTEM);
		TAP_CHECK_STR(cfg->catalog_warehouse, "var/warehouse");
		TAP_CHECK_STR(cfg->state_dir, "var/state");
		TAP_CHECK_INT(cfg->admin_port, 8082);
		TAP_CHECK_INT(cfg->metrics_port, 9091);
		TAP_CHECK_INT(cfg->checkpoint_interval_ms, 10000);
		TAP_CHECK_INT(cfg->kafka.count, 1);
		TAP_CHECK_STR(cfg->kafka.items[0].value, "127.0.0.1:9092");
		job = config_find_job(cfg, "kraken");
		TAP_CHECK(job != NULL);
		if (job != NULL) {
			TAP_CHECK_STR(job->topic, "kraken.raw");
			TAP_CHECK_STR(job->table_namespace, "market_data");
			TAP_CHECK_STR(job->table_name, "bronze_kraken_trades");
			TAP_CHECK_STR(job->group_id, "bronze-kraken");
		}
		config_free(cfg);
	}
	cfg = config_load(srcpath("etc/bronzed.conf"), &cause);
	if (cfg == NULL)
		printf("# %s\n", cause);
	TAP_CHECK(cfg != NULL);
	if (cfg != NULL) {
		TAP_CHECK_INT(cfg->catalog_type, CONFIG_CATALOG_REST);
		TAP_CHECK_STR(cfg->catalog_uri, "http://iceberg-rest:8181");
		TAP_CHECK_STR(cfg->s3_endpoint, "http://minio:9000");
		TAP_CHECK(cfg->s3_access_key_id == NULL);
		TAP_CHECK_INT(cfg->s3_path_style, 1);
		TAP_CHECK(config_find_job(cfg, "binance") != NULL);
		config_free(cfg);
	}
}

static void
test_defaults(void)
{
	struct config		*cfg;
	const struct config_job	*job;

	clear_env();
	if ((cfg = parse_ok(BASE)) == NULL)
		return;
	TAP_CHECK_STR(cfg->admin_bind, "127.0.0.1");
	TAP_CHECK_INT(cfg->admin_port, 8082);
	TAP_CHECK(cfg->admin_token == NULL);
	TAP_CHECK_INT(cfg->metrics_port, 9091);
	TAP_CHECK_STR(cfg->state_dir, "/var/lib/bronzed");
	TAP_CHECK_INT(cfg->checkpoint_interval_ms, 10000);
	TAP_CHECK_INT(cfg->checkpoint_timeout_ms, 60000);
	TAP_CHECK_INT(cfg->catalog_type, CONFIG_CATALOG_FILESYSTEM);
	TAP_CHECK_STR(cfg->s3_region, "us-east-1");
	TAP_CHECK_INT(cfg->s3_path_style, 1);
	job = &cfg->jobs[0];
	TAP_CHECK_STR(job->name, "a");
	TAP_CHECK_INT(job->line, 3);
	TAP_CHECK_STR(job->group_id, "bronze-a");
	TAP_CHECK_INT(job->startup_mode, CONFIG_STARTUP_EARLIEST);
	TAP_CHECK_INT(job->partition_by, CONFIG_PART_DAY);
	TAP_CHECK_INT(job->target_file_size, 128 * 1024 * 1024);
	TAP_CHECK_INT(job->compression, CONFIG_COMPRESS_ZSTD);
	TAP_CHECK_INT(job->compression_level, 1);
	TAP_CHECK_INT(job->value_type, CONFIG_VALUE_BINARY);
	config_free(cfg);
}

/* A duration or size case: text, whether it parses, and to what. */
struct scaled_case {
	const char	*text;
	int		 ok;
	uint64_t	 want;
};

#define BAD(text)	{ text, 0, 0 }
#define GOOD(text, v)	{ text, 1, v }

static const struct scaled_case durations[] = {
	GOOD("0", 0), GOOD("500", 500), GOOD("500ms", 500),
	GOOD("10s", 10000), GOOD("2m", 120000), GOOD("1h", 3600000),
	GOOD("10 s", 10000), GOOD("18446744073709551615", UINT64_MAX),
	GOOD("5124095576030h", 5124095576030ULL * 3600000),
	BAD(""), BAD("-1"), BAD("-5s"), BAD("10 sec"), BAD("10sec"),
	BAD("1.5s"), BAD("s"), BAD("10S"), BAD("+5"), BAD(" 5"), BAD("5d"),
	BAD("0x10"), BAD("18446744073709551616"),
	BAD("18446744073709551615s"), BAD("5124095576031h"), BAD("10s5"),
};

static const struct scaled_case sizes[] = {
	GOOD("0", 0), GOOD("4096", 4096), GOOD("1B", 1), GOOD("1b", 1),
	GOOD("64KB", 65536), GOOD("64kb", 65536), GOOD("64KiB", 65536),
	GOOD("64kib", 65536), GOOD("64k", 65536), GOOD("128MB", 128 << 20),
	GOOD("128 MB", 128 << 20), GOOD("128MiB", 128 << 20),
	GOOD("1GB", 1 << 30), GOOD("1gib", 1 << 30), GOOD("2TB", 2ULL << 40),
	GOOD("17179869183GB", 17179869183ULL << 30),
	BAD(""), BAD("-1KB"), BAD("1.5GB"), BAD("KB"), BAD("1PB"),
	BAD("12 megs"), BAD("1KBB"), BAD("1 K B"), BAD("17179869184GB"),
	BAD("99999999999999999999"),
};

static void
check_scaled(const struct scaled_case *c, size_t n,
    int (*parse)(const char *, uint64_t *))
{
	uint64_t	v;
	size_t		i;
	int		rc;

	for (i = 0; i < n; i++) {
		v = 12345;
		rc = parse(c[i].text, &v);
		if (rc != (c[i].ok ? 0 : -1) || (rc == 0 && v != c[i].want)) {
			printf("# \"%s\": rc %d value %llu\n", c[i].text, rc,
			    (unsigned long long)v);
			TAP_CHECK(0);
		}
	}
}

static void
test_durations(void)
{
	check_scaled(durations, sizeof durations / sizeof durations[0],
	    config_parse_duration);
}

static void
test_sizes(void)
{
	check_scaled(sizes, sizeof sizes / sizeof sizes[0],
	    config_parse_size);
}

static void
test_values(void)
{
	struct config		*cfg;
	const struct config_job	*job;

	cfg = parse_ok(BASE
	    "admin.bind: \"0.0.0.0\"   # quoted, then a comment\n"
	    "  admin.port :   0   \n"
	    "metrics.port: 0\n"
	    "state.dir: /srv/a#b # '#' only starts a comment after a space\n"
	    "checkpoint.interval: 2m\n"
	    "checkpoint.timeout: 90000\n"
	    "s3.path-style-access: off\n"
	    "s3.region: 'eu-west-1'\n"
	    "catalog.credential: 'id:s#cret ${NOT_EXPANDED}'\n"
	    "catalog.token: \"t # ok\"\n"
	    "# a comment line\n"
	    "\t# an indented comment\n"
	    "\r\n"
	    "job.a.source.group-id: g1\r\n"
	    "job.a.source.startup-mode: Group-Offsets\n"
	    "job.a.sink.partition-by: identity(topic)\n"
	    "job.a.sink.target-file-size: 64KiB\n"
	    "job.a.sink.compression: none\n"
	    "job.a.sink.value-type: string\n"
	    "job.b-2_X.sink.table: a.b.c_d\n"
	    "job.b-2_X.source.topic: t.x-y_z\n"
	    "job.b-2_X.sink.compression-level: 22\n"
	    "job.b-2_X.kafka.fetch.min.bytes: 1000\n"
	    "job.b-2_X.sink.partition-by: hour(ingestion_timestamp)\n"
	    "kafka.client.id: bronze");
	if (cfg == NULL)
		return;
	TAP_CHECK_STR(cfg->admin_bind, "0.0.0.0");
	TAP_CHECK_INT(cfg->admin_port, 0);
	TAP_CHECK_INT(cfg->metrics_port, 0);
	TAP_CHECK_STR(cfg->state_dir, "/srv/a#b");
	TAP_CHECK_INT(cfg->checkpoint_interval_ms, 120000);
	TAP_CHECK_INT(cfg->checkpoint_timeout_ms, 90000);
	TAP_CHECK_INT(cfg->s3_path_style, 0);
	TAP_CHECK_STR(cfg->s3_region, "eu-west-1");
	TAP_CHECK_STR(cfg->catalog_credential, "id:s#cret ${NOT_EXPANDED}");
	TAP_CHECK_STR(cfg->catalog_token, "t # ok");
	TAP_CHECK_INT(cfg->kafka.count, 2);
	TAP_CHECK_STR(cfg->kafka.items[1].key, "client.id");
	TAP_CHECK_INT(cfg->kafka.items[1].line, 29);
	TAP_CHECK_INT(cfg->njobs, 2);
	job = config_find_job(cfg, "a");
	TAP_CHECK(job == &cfg->jobs[0]);
	TAP_CHECK_STR(job->group_id, "g1");
	TAP_CHECK_INT(job->startup_mode, CONFIG_STARTUP_GROUP_OFFSETS);
	TAP_CHECK_INT(job->partition_by, CONFIG_PART_IDENTITY_TOPIC);
	TAP_CHECK_INT(job->target_file_size, 65536);
	TAP_CHECK_INT(job->compression, CONFIG_COMPRESS_NONE);
	TAP_CHECK_INT(job->value_type, CONFIG_VALUE_STRING);
	job = config_find_job(cfg, "b-2_X");
	TAP_CHECK(job == &cfg->jobs[1]);
	TAP_CHECK_INT(job->line, 24);
	TAP_CHECK_STR(job->table_namespace, "a.b");
	TAP_CHECK_STR(job->table_name, "c_d");
	TAP_CHECK_STR(job->topic, "t.x-y_z");
	TAP_CHECK_STR(job->group_id, "bronze-b-2_X");
	TAP_CHECK_INT(job->compression_level, 22);
	TAP_CHECK_INT(job->partition_by, CONFIG_PART_HOUR);
	TAP_CHECK_INT(job->kafka.count, 1);
	TAP_CHECK_STR(job->kafka.items[0].value, "1000");
	TAP_CHECK(config_find_job(cfg, "b") == NULL);
	config_free(cfg);
}

static void
test_env(void)
{
	struct config	*cfg;
	char		*cause = NULL;

	setenv("BRONZE_T_DIR", "/data", 1);
	setenv("BRONZE_T_EMPTY", "", 1);
	unsetenv("BRONZE_T_UNSET");
	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI", 1);
	cfg = parse_ok(BASE
	    "state.dir: ${BRONZE_T_DIR}/state-${BRONZE_T_DIR}\n"
	    "admin.bind: ${BRONZE_T_UNSET:-::1}\n"
	    "catalog.uri: \"${BRONZE_T_EMPTY:-http://h:1}/v1\"\n"
	    "admin.token: ${BRONZE_T_EMPTY}\n"
	    "s3.endpoint: http://$HOME/${BRONZE_T_UNSET:-}x\n");
	if (cfg != NULL) {
		TAP_CHECK_STR(cfg->state_dir, "/data/state-/data");
		TAP_CHECK_STR(cfg->admin_bind, "::1");
		TAP_CHECK_STR(cfg->catalog_uri, "http://h:1/v1");
		TAP_CHECK(cfg->admin_token == NULL);
		TAP_CHECK_STR(cfg->s3_endpoint, "http://$HOME/x");
		TAP_CHECK_STR(cfg->s3_region, "us-east-1");
		TAP_CHECK_STR(cfg->s3_access_key_id, "AKIDEXAMPLE");
		TAP_CHECK_STR(cfg->s3_secret_access_key, "wJalrXUtnFEMI");
		config_free(cfg);
	}
	/* The file wins over the environment; empty means the default. */
	setenv("AWS_REGION", "eu-central-1", 1);
	cfg = parse_ok(BASE "s3.access-key-id: fromfile\n"
	    "state.dir: ${BRONZE_T_EMPTY}\n");
	if (cfg != NULL) {
		TAP_CHECK_STR(cfg->s3_access_key_id, "fromfile");
		TAP_CHECK_STR(cfg->s3_secret_access_key, "wJalrXUtnFEMI");
		TAP_CHECK_STR(cfg->s3_region, "eu-central-1");
		TAP_CHECK_STR(cfg->state_dir, "/var/lib/bronzed");
		config_free(cfg);
	}
	clear_env();
	expect_error(BASE "state.dir: ${BRONZE_T_UNSET}\n",
	    "x.conf:5: state.dir: environment variable BRONZE_T_UNSET is not "
	    "set");
	expect_error(BASE "state.dir: ${BRONZE_T_DIR\n",
	    "x.conf:5: state.dir: unterminated ${");
	expect_error(BASE "state.dir: ${1X}\n",
	    "x.conf:5: state.dir: bad ${...} reference");
	expect_error(BASE "state.dir: ${}\n",
	    "x.conf:5: state.dir: bad ${...} reference");
	expect_error(BASE "state.dir: ${A-b}\n",
	    "x.conf:5: state.dir: bad ${...} reference");
	/* A value from the environment is shown as written, not expanded. */
	setenv("BRONZE_T_SECRET", "S3cr3tVal", 1);
	expect_error(BASE "admin.port: ${BRONZE_T_SECRET}\n",
	    "x.conf:5: admin.port: `${BRONZE_T_SECRET}`: not a number");
	expect_error(BASE "s3.endpoint: \"ftp://${BRONZE_T_SECRET}\" # c\n",
	    "x.conf:5: s3.endpoint: `ftp://${BRONZE_T_SECRET}`: not an http");
	expect_error(BASE "checkpoint.interval: ${BRONZE_T_SECRET:-1}s\n",
	    "x.conf:5: checkpoint.interval: `${BRONZE_T_SECRET:-1}s`: not a "
	    "number");
	expect_error(BASE "catalog.type: ${BRONZE_T_SECRET}\n",
	    "x.conf:5: catalog.type: unknown value `${BRONZE_T_SECRET}`");
	expect_error(BASE "s3.path-style-access: ${BRONZE_T_SECRET}\n",
	    "x.conf:5: s3.path-style-access: `${BRONZE_T_SECRET}`: not a "
	    "boolean");
	expect_error(BASE "job.a.kafka.debug: ${BRONZE_T_SECRET}\n",
	    "x.conf:5: job.a.kafka.debug: ");
	cfg = config_parse("x.conf", BASE "kafka.debug: ${BRONZE_T_SECRET}\n",
	    &cause);
	TAP_CHECK(cfg == NULL && cause != NULL);
	if (cause != NULL && strstr(cause, "S3cr3tVal") != NULL) {
		printf("# leaked: %s\n", cause);
		TAP_CHECK(0);
	}
	free(cause);
	unsetenv("BRONZE_T_SECRET");
	expect_error(BASE "job.a.kafka.client.id: ${BRONZE_T_UNSET}\n",
	    "x.conf:5: job.a.kafka.client.id: environment variable "
	    "BRONZE_T_UNSET is not set");
}

/* Every class of error, with its exact "FILE:LINE: KEY: reason" start. */
static const struct {
	const char	*text;		/* appended to BASE (lines 5...) */
	const char	*want;
} errors[] = {
	{ "state.dri: /x", "x.conf:5: state.dri: unknown key (did you mean "
	  "`state.dir`?)" },
	{ "checkpoint_interval: 1s", "x.conf:5: checkpoint_interval: unknown "
	  "key (did you mean `checkpoint.interval`?)" },
	{ "kafak.bootstrap.servers: x", "x.conf:5: kafak.bootstrap.servers: "
	  "unknown key (did you mean `kafka.bootstrap.servers`?)" },
	{ "jobs.a.source.topic: x", "x.conf:5: jobs.a.source.topic: unknown "
	  "key (did you mean `job.a.source.topic`?)" },
	{ "source.topic: x", "x.conf:5: source.topic: unknown key (a per-job "
	  "key: write job.<name>.source.topic)" },
	{ "frobnicate: x", "x.conf:5: frobnicate: unknown key" },
	{ "job.a.sink.tabel: a.b", "x.conf:5: job.a.sink.tabel: unknown key "
	  "(did you mean `job.a.sink.table`?)" },
	{ "job.a.topic: x", "x.conf:5: job.a.topic: unknown key (did you mean "
	  "`job.a.source.topic`?)" },
	{ "job.a.state.dir: x", "x.conf:5: job.a.state.dir: unknown key "
	  "(state.dir is a global key" },
	{ "job.a: x", "x.conf:5: job.a: unknown key (expected "
	  "job.<name>.<key>)" },
	{ "job..source.topic: x", "x.conf:5: job..source.topic: unknown key" },
	{ "job.a.: x", "x.conf:5: job.a.: unknown key" },
	{ "state.dir /x", "x.conf:5: state.dir: expected `key: value`" },
	{ "just words", "x.conf:5: (no key): expected `key: value`" },
	{ ": value", "x.conf:5: (no key): missing key before `:`" },
	{ "state dir: x", "x.conf:5: state: invalid character in key" },
	{ "#x: y\n  *: x", "x.conf:6: (no key): invalid character in key" },
	{ "state.dir=/x", "x.conf:5: state.dir: expected `key: value` (not "
	  "key=value)" },
	{ "admin.port: 1\nadmin.port: 2", "x.conf:6: admin.port: duplicate "
	  "key (first set at line 5)" },
	{ "job.a.source.topic: b", "x.conf:5: job.a.source.topic: duplicate "
	  "key (first set at line 3)" },
	{ "kafka.client.id: a\nkafka.client.id: b", "x.conf:6: "
	  "kafka.client.id: duplicate key (first set at line 5)" },
	{ "admin.port: 65536", "x.conf:5: admin.port: `65536`: out of range "
	  "(0 to 65535)" },
	{ "admin.port: -1", "x.conf:5: admin.port: `-1`: out of range" },
	{ "admin.port: 80x", "x.conf:5: admin.port: `80x`: not a number" },
	{ "admin.port: 99999999999999999999", "x.conf:5: admin.port: "
	  "`99999999999999999999`: out of range" },
	{ "admin.port:", "x.conf:5: admin.port: missing value" },
	{ "s3.path-style-access: maybe", "x.conf:5: s3.path-style-access: "
	  "`maybe`: not a boolean" },
	{ "checkpoint.interval: 10 sec", "x.conf:5: checkpoint.interval: "
	  "`10 sec`: unknown unit" },
	{ "checkpoint.interval: 99ms", "x.conf:5: checkpoint.interval: out of "
	  "range (100ms to 24h)" },
	{ "checkpoint.timeout: 999", "x.conf:5: checkpoint.timeout: out of "
	  "range (1s to 24h)" },
	{ "checkpoint.timeout: -1s", "x.conf:5: checkpoint.timeout: `-1s`: "
	  "negative values are not allowed" },
	{ "checkpoint.timeout: 99999999999999999999", "x.conf:5: "
	  "checkpoint.timeout: `99999999999999999999`: value too large" },
	{ "job.a.sink.target-file-size: 1000", "x.conf:5: "
	  "job.a.sink.target-file-size: out of range (1KB to 64GB)" },
	{ "job.a.sink.target-file-size: 12 megs", "x.conf:5: "
	  "job.a.sink.target-file-size: `12 megs`: unknown unit" },
	{ "catalog.type: hive", "x.conf:5: catalog.type: unknown value `hive` "
	  "(expected one of: filesystem, rest)" },
	{ "job.a.sink.partition-by: month(ingestion_timestamp)", "x.conf:5: "
	  "job.a.sink.partition-by: unknown value" },
	{ "job.a.source.startup-mode: newest", "x.conf:5: "
	  "job.a.source.startup-mode: unknown value `newest` (expected one of: "
	  "earliest, latest, group-offsets)" },
	{ "job.a.sink.compression: gzip", "x.conf:5: job.a.sink.compression: "
	  "unknown value" },
	{ "job.a.sink.value-type: json", "x.conf:5: job.a.sink.value-type: "
	  "unknown value" },
	{ "job.a.sink.compression-level: 0", "x.conf:5: "
	  "job.a.sink.compression-level: `0`: out of range (1 to 22)" },
	{ "job.a.sink.compression: none\njob.a.sink.compression-level: 3",
	  "x.conf:6: job.a.sink.compression-level: only zstd has levels" },
	{ "catalog.type: rest", "x.conf:5: catalog.uri: required key missing "
	  "(catalog.type is rest)" },
	{ "metrics.port: 8082", "x.conf:5: metrics.port: 8082 is also "
	  "admin.port" },
	{ "metrics.port: 1234\nadmin.port: 1234", "x.conf:6: metrics.port: "
	  "1234 is also admin.port" },
	{ "metrics.port: 0\nadmin.port: 0\ncatalog.type: REST",
	  "x.conf:7: catalog.uri: required key missing" },
	{ "catalog.uri: ftp://x", "x.conf:5: catalog.uri: `ftp://x`: not an "
	  "http:// or https:// URL" },
	{ "s3.endpoint: http://", "x.conf:5: s3.endpoint: `http://`: URL "
	  "without a host" },
	{ "catalog.warehouse: x", "x.conf:5: catalog.warehouse: duplicate" },
	{ "job.b.source.topic: b\njob.b.sink.table: ns.a", "x.conf:6: "
	  "job.b.sink.table: table ns.a is already written by job a" },
	{ "job.b.source.topic: b\njob.b.sink.table: NS.A", "x.conf:6: "
	  "job.b.sink.table: table NS.A is already written by job a" },
	{ "job.b.source.topic: b\njob.b.sink.table: ns.b\n"
	  "job.b.source.group-id: bronze-a", "x.conf:7: "
	  "job.b.source.group-id: consumer group bronze-a is already used by "
	  "job a" },
	{ "job.b.source.topic: b", "x.conf:5: job.b.sink.table: required key "
	  "missing" },
	{ "job.b.sink.table: x.y\n\njob.b.sink.compression: none",
	  "x.conf:5: job.b.source.topic: required key missing" },
	{ "job.b.source.topic: ", "x.conf:5: job.b.source.topic: empty value" },
	{ "job.b.source.topic: a/b", "x.conf:5: job.b.source.topic: `a/b`: "
	  "not a valid Kafka topic name" },
	{ "job.b.sink.table: a", "x.conf:5: job.b.sink.table: `a`: not "
	  "namespace.table" },
	{ "job.b.sink.table: a..b", "x.conf:5: job.b.sink.table: `a..b`: not "
	  "namespace.table" },
	{ "job.b.sink.table: .a", "x.conf:5: job.b.sink.table: `.a`: not "
	  "namespace.table" },
	{ "job.b.sink.table: a.b.", "x.conf:5: job.b.sink.table: `a.b.`: not "
	  "namespace.table" },
	{ "job.b.sink.table: a-b.c", "x.conf:5: job.b.sink.table: `a-b.c`: "
	  "not namespace.table" },
	{ "job.a+b.source.topic: x", "x.conf:5: job.a: invalid character in "
	  "key" },
	{ "job.x12345678901234567890123456789012345678901234567890123456789"
	  "01234.source.topic: x", "x.conf:5: job.x1234567890123456789012345"
	  "6789012345678901234567890123456789" },
	{ "admin.bind: \"x", "x.conf:5: admin.bind: unterminated quote" },
	{ "admin.bind: 0.0.0.0:8082", "x.conf:5: admin.bind: `0.0.0.0:8082`: "
	  "not an IP address or localhost" },
	{ "admin.bind: example.com", "x.conf:5: admin.bind: `example.com`: "
	  "not an IP address" },
	{ "admin.bind: 'x' y", "x.conf:5: admin.bind: text after the closing "
	  "quote" },
	{ "kafka.fetch.min.byte: 1", "x.conf:5: kafka.fetch.min.byte: No such "
	  "configuration property: \"fetch.min.byte\" (did you mean "
	  "`kafka.fetch.min.bytes`?)" },
	{ "job.a.kafka.fetch.min.byte: 1", "x.conf:5: "
	  "job.a.kafka.fetch.min.byte: No such configuration property: "
	  "\"fetch.min.byte\" (did you mean `job.a.kafka.fetch.min.bytes`?)" },
	{ "kafka.zzzzzzzzzz: 1", "x.conf:5: kafka.zzzzzzzzzz: No such "
	  "configuration property: \"zzzzzzzzzz\"" },
	{ "kafka.fetch.wait.max.ms: soon", "x.conf:5: kafka.fetch.wait.max.ms: "
	  "Invalid value" },
	{ "kafka.: x", "x.conf:5: kafka.: missing librdkafka property name" },
	{ "kafka.metadata.broker.list: b:1", "x.conf:5: "
	  "kafka.metadata.broker.list: duplicate key (set at line 2 as "
	  "bootstrap.servers, another name for the same property)" },
	{ "kafka.group.id: g", "x.conf:5: kafka.group.id: set by bronzed: use "
	  "job.<name>.source.group-id" },
	{ "job.a.kafka.group.id: g", "x.conf:5: job.a.kafka.group.id: set by "
	  "bronzed" },
	{ "kafka.enable.auto.commit: true", "x.conf:5: "
	  "kafka.enable.auto.commit: set by bronzed" },
	{ "kafka.enable.auto.offset.store: true", "x.conf:5: "
	  "kafka.enable.auto.offset.store: set by bronzed" },
	{ "job.a.kafka.auto.offset.reset: latest", "x.conf:5: "
	  "job.a.kafka.auto.offset.reset: set by bronzed: use "
	  "job.<name>.source.startup-mode" },
	{ "kafka.acks: all", "x.conf:5: kafka.acks: a producer property" },
};

static void
test_errors(void)
{
	char	text[1024];
	size_t	i;

	for (i = 0; i < sizeof errors / sizeof errors[0]; i++) {
		snprintf(text, sizeof text, "%s%s\n", BASE, errors[i].text);
		expect_error(text, errors[i].want);
	}
	expect_error("catalog.warehouse: /w\nkafka.bootstrap.servers: k:1\n",
	    "x.conf:1: job.<name>.source.topic: no job defined");
	expect_error("", "x.conf:1: catalog.warehouse: required key missing");
	expect_error("kafka.bootstrap.servers: k:1\njob.a.source.topic: a\n"
	    "job.a.sink.table: a.b\ncatalog.warehouse:\n",
	    "x.conf:4: catalog.warehouse: empty value");
	expect_error("catalog.warehouse: /w\njob.a.source.topic: a\n"
	    "job.a.sink.table: a.b\n", "x.conf:2: kafka.bootstrap.servers: "
	    "required key missing (needed by job a)");
}
static void
visit_cb(const char *key, const char *value, int is_secret, void *arg)
{
	buf_printf(arg, "%s=%s%s\n", key, value, is_secret ? " *" : "");
}

static void
test_visit(void)
{
	struct config	*cfg;
	struct buf	 b = BUF_INIT;

	clear_env();
	cfg = parse_ok(BASE "admin.token: tok3n\nkafka.sasl.password: pw\n"
	    "kafka.client.id: c\njob.a.kafka.ssl.key.password: kp\n"
	    "job.a.kafka.fetch.min.bytes: 10\ncheckpoint.interval: 90s\n"
	    "job.a.sink.target-file-size: 1536\n");
	if (cfg == NULL)
		return;
	config_visit(cfg, visit_cb, &b);
	TAP_CHECK_STR(buf_cstr(&b),
	    "admin.bind=127.0.0.1\n"
	    "admin.port=8082\n"
	    "admin.token=tok3n *\n"
	    "admin.ready-max-freshness=5m\n"
	    "metrics.port=9091\n"
	    "metrics.flink-names=true\n"
	    "state.dir=/var/lib/bronzed\n"
	    "checkpoint.interval=90s\n"
	    "checkpoint.timeout=1m\n"
	    "catalog.type=filesystem\n"
	    "catalog.warehouse=/tmp/wh\n"
	    "s3.region=us-east-1\n"
	    "s3.path-style-access=true\n"
	    "kafka.bootstrap.servers=127.0.0.1:9092\n"
	    "kafka.client.id=c\n"
	    "kafka.sasl.password=pw *\n"
	    "job.a.source.topic=a.raw\n"
	    "job.a.source.group-id=bronze-a\n"
	    "job.a.source.startup-mode=earliest\n"
	    "job.a.sink.table=ns.a\n"
	    "job.a.sink.partition-by=day(ingestion_timestamp)\n"
	    "job.a.sink.target-file-size=1536B\n"
	    "job.a.sink.compression=zstd\n"
	    "job.a.sink.compression-level=1\n"
	    "job.a.sink.value-type=binary\n"
	    "job.a.kafka.fetch.min.bytes=10\n"
	    "job.a.kafka.ssl.key.password=kp *\n");
	buf_reset(&b);
	config_visit_job(&cfg->jobs[0], visit_cb, &b);
	TAP_CHECK(strncmp(buf_cstr(&b), "job.a.source.topic=a.raw\n", 25) == 0);
	buf_free(&b);
	config_free(cfg);
	cfg = parse_ok(BASE "checkpoint.interval: 500\n"
	    "job.a.sink.target-file-size: 3GiB\ncheckpoint.timeout: 7200s\n");
	if (cfg == NULL)
		return;
	config_visit(cfg, visit_cb, &b);
	TAP_CHECK(strstr(buf_cstr(&b), "\ncheckpoint.interval=500ms\n"));
	TAP_CHECK(strstr(buf_cstr(&b), "\ncheckpoint.timeout=2h\n"));
	TAP_CHECK(strstr(buf_cstr(&b), "\njob.a.sink.target-file-size=3GB\n"));
	buf_free(&b);
	config_free(cfg);
}

static void
test_secrets(void)
{
	static const char *const yes[] = {
		"admin.token", "s3.access-key-id", "s3.secret-access-key",
		"catalog.credential", "catalog.token", "kafka.sasl.password",
		"kafka.ssl.key.password", "kafka.ssl.keystore.password",
		"kafka.sasl.oauthbearer.config",
		"kafka.sasl.oauthbearer.client.secret", "kafka.ssl.key.pem",
		"kafka.ssl_key.pem", "job.a.kafka.sasl.password",
	};
	static const char *const no[] = {
		"admin.bind", "s3.region", "s3.endpoint",
		"kafka.bootstrap.servers", "kafka.sasl.username",
		"kafka.ssl.certificate.pem", "job.a.source.topic",
		"job.a.kafka.client.id", "job.a", "job.", "nonsense",
	};
	static const char *const broken[] = {
		"s3.secret-access-key: S3cr3tVal\n"
		"s3.secret-access-key: S3cr3tVal\n",
		"admin.token: 'S3cr3tVal\n",
		"catalog.token: \"S3cr3tVal\" x\n",
		"catalog.credential S3cr3tVal\n",
		"S3cr3tVal\n",
		"kafka.sasl.password: S3cr3tVal\n"
		"kafka.sasl.password: S3cr3tVal\n",
		"job.a.kafka.ssl.key.password: S3cr3tVal\n"
		"job.a.kafka.ssl.key.password: S3cr3tVal\n",
		"admin.token: S3cr3tVal\njob.a.sink.table: ns.b\n",
		"kafka.sasl.password=S3cr3tVal\n",
		"kafka.sasl.password = S3cr3tVal\n",
		"s3.secret-access-key=S3cr3tVal:x\n",
		"admin.token S3cr3tVal: x\n",
	};
	struct config	*cfg;
	char		 text[1024], *cause;
	size_t		 i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (!config_is_secret(yes[i])) {
			printf("# %s is not secret\n", yes[i]);
			TAP_CHECK(0);
		}
	}
	for (i = 0; i < sizeof no / sizeof no[0]; i++) {
		if (config_is_secret(no[i])) {
			printf("# %s is secret\n", no[i]);
			TAP_CHECK(0);
		}
	}
	for (i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		snprintf(text, sizeof text, "%s%s", BASE, broken[i]);
		cause = NULL;
		cfg = config_parse("x.conf", text, &cause);
		TAP_CHECK(cfg == NULL && cause != NULL);
		if (cause != NULL && strstr(cause, "S3cr3tVal") != NULL) {
			printf("# leaked: %s\n", cause);
			TAP_CHECK(0);
		}
		if (cause != NULL && strncmp(cause, "x.conf:", 7) != 0)
			TAP_CHECK(0);
		free(cause);
		config_free(cfg);
	}
}

static void
test_load(void)
{
	char		 path[] = "/tmp/test-config-XXXXXX", *cause = NULL;
	struct config	*cfg;
	FILE		*f;
	int		 fd;

	cfg = config_load("/nonexistent/bronzed.conf", &cause);
	TAP_CHECK(cfg == NULL);
	TAP_CHECK_STR(cause, "/nonexistent/bronzed.conf: No such file or "
	    "directory");
	free(cause);
	cause = NULL;
	cfg = config_load("/tmp", &cause);
	TAP_CHECK(cfg == NULL && cause != NULL &&
	    strncmp(cause, "/tmp: ", 6) == 0);
	free(cause);
	cause = NULL;

	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		TAP_CHECK(0);
		return;
	}
	fwrite("# x\nstate.dir: a\0b\n", 1, 19, f);
	fclose(f);
	cfg = config_load(path, &cause);
	TAP_CHECK(cfg == NULL && cause != NULL);
	if (cause != NULL) {
		TAP_CHECK(strncmp(cause, path, strlen(path)) == 0);
		TAP_CHECK_STR(cause + strlen(path), ":2: (no key): NUL byte in "
		    "the file");
	}
	free(cause);
	cause = NULL;
	f = fopen(path, "w");
	fputs("\xef\xbb\xbf" BASE "state.dir: /s", f);	/* BOM, no final \n */
	fclose(f);
	cfg = config_load(path, &cause);
	TAP_CHECK(cfg != NULL);
	if (cfg != NULL) {
		TAP_CHECK_STR(cfg->path, path);
		TAP_CHECK_STR(cfg->state_dir, "/s");
		config_free(cfg);
	} else
		free(cause);
	unlink(path);
}

/* Read a whole source file into b (NUL-terminated). */
static int
slurp(const char *rel, struct buf *b)
{
	FILE	*f;
	char	 chunk[4096];
	size_t	 n;

	if ((f = fopen(srcpath(rel), "r")) == NULL)
		return (-1);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(b, chunk, n);
	fclose(f);
	buf_cstr(b);
	return (0);
}

struct doc_check {
	const char	*man;
	const char	*conf;
	int		 keys;
};

static void
doc_cb(const char *key, const char *value, int is_secret, void *arg)
{
	struct doc_check	*dc = arg;
	char			 want[256], want2[256];
	const char		*k = key;

	if (strncmp(key, "kafka.", 6) == 0)
		return;
	dc->keys++;
	if (strncmp(key, "job.a.", 6) == 0)
		k = key + 6;
	snprintf(want, sizeof want, ".It Ic %s ", k);
	snprintf(want2, sizeof want2, ".It Ic %s\n", k);
	if (strstr(dc->man, want) == NULL && strstr(dc->man, want2) == NULL) {
		printf("# %s is not in bronzed.conf.5\n", k);
		TAP_CHECK(0);
	}
	snprintf(want, sizeof want, "%s%s:", k == key ? "" : "job.binance.",
	    k);
	if (strstr(dc->conf, want) == NULL) {
		printf("# %s is not in etc/bronzed.conf\n", want);
		TAP_CHECK(0);
	}
}

/* Every key is in the manual page and in the production example. */
static void
test_documented(void)
{
	struct buf		 man = BUF_INIT, conf = BUF_INIT;
	struct config		*cfg;
	struct doc_check	 dc;

	TAP_CHECK(slurp("src/bronzed.conf.5", &man) == 0);
	TAP_CHECK(slurp("etc/bronzed.conf", &conf) == 0);
	cfg = parse_ok(BASE "catalog.uri: http://c\ncatalog.credential: a:b\n"
	    "catalog.token: t\ns3.endpoint: http://s\ns3.access-key-id: a\n"
	    "s3.secret-access-key: s\nadmin.token: t\n");
	if (cfg != NULL && man.data != NULL && conf.data != NULL) {
		dc.man = (const char *)man.data;
		dc.conf = (const char *)conf.data;
		dc.keys = 0;
		config_visit(cfg, doc_cb, &dc);
		TAP_CHECK_INT(dc.keys, 19 + 9);
	}
	config_free(cfg);
	buf_free(&man);
	buf_free(&conf);
}

/*
 * Random damage to the production example (deterministic): every parse
 * either succeeds or fails with a "FILE:LINE: " cause; under ASan this also
 * proves the error paths free what they allocate.
 */
static void
test_mutations(void)
{
	static const char	 alphabet[] = "#:'\"${}-. \t\n\rx0aZ\\_";
	struct buf		 orig = BUF_INIT;
	struct config		*cfg;
	char			*text, *cause;
	uint32_t		 seed = 42;
	size_t			 i, k, n, pos;
	int			 ok = 0, bad = 0;

	if (slurp("etc/bronzed.conf", &orig) != 0) {
		TAP_CHECK(0);
		return;
	}
	for (i = 0; i < 1500; i++) {
		text = xstrdup((const char *)orig.data);
		n = 1 + i % 4;
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			pos = (seed >> 8) % orig.len;
			seed = seed * 1103515245 + 12345;
			text[pos] = alphabet[(seed >> 8) %
			    (sizeof alphabet - 1)];
		}
		cause = NULL;
		cfg = config_parse("m.conf", text, &cause);
		if (cfg != NULL) {
			ok++;
			TAP_CHECK(cause == NULL);
		} else {
			bad++;
			TAP_CHECK(cause != NULL &&
			    strncmp(cause, "m.conf:", 7) == 0);
		}
		config_free(cfg);
		free(cause);
		free(text);
	}
	printf("# %d mutated configs parsed, %d rejected\n", ok, bad);
	TAP_CHECK(ok > 0 && bad > 0);
	buf_free(&orig);
}

static void
test_suggest(void)
{
	static const struct { const char *name; int x; } names[] = {
		{ "state.dir", 0 }, { "admin.port", 1 }, { "metrics.port", 2 },
	};
	char	long1[80], long2[80];

	TAP_CHECK_INT(suggest_distance("", ""), 0);
	TAP_CHECK_INT(suggest_distance("", "abc"), 3);
	TAP_CHECK_INT(suggest_distance("abc", "abc"), 0);
	TAP_CHECK_INT(suggest_distance("ab", "ba"), 1);
	TAP_CHECK_INT(suggest_distance("state.dri", "state.dir"), 1);
	TAP_CHECK_INT(suggest_distance("kitten", "sitting"), 3);
	memset(long1, 'a', sizeof long1 - 1);
	long1[sizeof long1 - 1] = '\0';
	memcpy(long2, long1, sizeof long2);
	TAP_CHECK(suggest_distance(long1, long2) == SIZE_MAX);
	TAP_CHECK_STR(suggest_closest("admin.prot", names, 3, sizeof names[0]),
	    "admin.port");
	TAP_CHECK_STR(suggest_closest("metric.port", names, 3,
	    sizeof names[0]), "metrics.port");
	TAP_CHECK(suggest_closest("port", names, 3, sizeof names[0]) == NULL);
	TAP_CHECK(suggest_closest("xyz", names, 0, sizeof names[0]) == NULL);
}

static void
test_basic_errors(void)
{
	expect_error(BASE "state.dri: /x\n",
	    "x.conf:5: state.dri: unknown key (did you mean `state.dir`?)");
	expect_error(BASE "state.dir /x\n", "x.conf:5: state.dir: ");
	expect_error(BASE "admin.port: 1\nadmin.port: 2\n",
	    "x.conf:6: admin.port: duplicate key (first set at line 5)");
	expect_error("catalog.warehouse: /w\nkafka.bootstrap.servers: k:1\n"
	    "job.b.source.topic: t\n",
	    "x.conf:3: job.b.sink.table: required key missing");
}

static const struct tap_case cases[] = {
	{ "example configs parse", test_etc_files },
	{ "defaults", test_defaults },
	{ "durations", test_durations },
	{ "sizes", test_sizes },
	{ "values, quoting, comments", test_values },
	{ "environment expansion", test_env },
	{ "errors: FILE:LINE: KEY: reason", test_errors },
	{ "config_visit: order, rendering, secrets", test_visit },
	{ "secrets never in errors", test_secrets },
	{ "config_load: read errors, NUL, BOM", test_load },
	{ "every key documented", test_documented },
	{ "mutated configs", test_mutations },
	{ "suggestions", test_suggest },
	{ "basic errors", test_basic_errors },
};

TAP_MAIN(cases)
