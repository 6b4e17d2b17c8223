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
#include "tap.h"

/* Minimal valid config, to which a test appends its own lines. */
#define BASE								\
	"catalog.warehouse: /tmp/wh\n"					\
	"kafka.bootstrap.servers: 127.0.0.1:9092\n"			\
	"job.a.source.topic: a.raw\n"					\
	"job.a.sink.table: ns.a\n"

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

	unsetenv("BRONZE_KAFKA_BOOTSTRAP");
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
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
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

	unsetenv("AWS_REGION");
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
	{ "basic errors", test_basic_errors },
};

TAP_MAIN(cases)
