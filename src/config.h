/*
 * config.h: the daemon's configuration, parsed from flat "key: value" lines
 * (flink-conf.yaml style) as ../shared/DESIGN.md "Config" fixes them.
 *
 * config_load() returns a fully validated, defaulted struct config or NULL
 * with *cause set to "FILE:LINE: KEY: reason" (heap string, caller frees).
 * The struct is owned by the caller and released with config_free().
 * Secret values (s3.secret-access-key, s3.access-key-id, catalog.credential,
 * catalog.token, admin.token, and any kafka property whose name contains
 * password, secret, sasl.oauthbearer.config, ssl.key.pem or ssl_key) are
 * kept, but config_is_secret() names them so every dump redacts them; no
 * error message ever contains one.
 *
 * Every key, its type, default and bounds are declared in tbl/config-keys.h;
 * the file format is documented in bronzed.conf(5) (src/bronzed.conf.5).
 * A string key given an empty value takes its default (NULL if none).  A
 * struct config is immutable once returned; the jobs array and every string
 * in it live until config_free().
 */
#ifndef BRONZE_CONFIG_H
#define BRONZE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* Exit status of --check-config (and of startup) on a config error. */
#define CONFIG_EXIT_ERROR	78	/* EX_CONFIG */

enum config_catalog_type {
	CONFIG_CATALOG_FILESYSTEM = 0,
	CONFIG_CATALOG_REST
};

enum config_startup_mode {
	CONFIG_STARTUP_EARLIEST = 0,
	CONFIG_STARTUP_LATEST,
	CONFIG_STARTUP_GROUP_OFFSETS
};

enum config_partition_transform {
	CONFIG_PART_DAY = 0,		/* day(ingestion_timestamp), default */
	CONFIG_PART_HOUR,		/* hour(ingestion_timestamp) */
	CONFIG_PART_IDENTITY_TOPIC,	/* identity(topic) */
	CONFIG_PART_NONE
};

enum config_compression {
	CONFIG_COMPRESS_ZSTD = 0,
	CONFIG_COMPRESS_SNAPPY,
	CONFIG_COMPRESS_NONE
};

enum config_value_type {
	CONFIG_VALUE_BINARY = 0,
	CONFIG_VALUE_STRING
};

/* One "key: value" pair passed through to librdkafka. */
struct config_kv {
	char	*key;		/* librdkafka property name, without prefix */
	char	*value;
	int	 line;		/* where it was set, for error messages */
};

struct config_kvlist {
	struct config_kv	*items;
	size_t			 count;
};

struct config_job {
	char			*name;		/* job.<name>.* */
	char			*topic;		/* source.topic (required) */
	char			*group_id;	/* source.group-id (default bronze-<name>) */
	enum config_startup_mode startup_mode;	/* default earliest */
	struct config_kvlist	 kafka;		/* job.<name>.kafka.* overrides */
	char			*table;		/* sink.table "namespace.table" (required) */
	char			*table_namespace; /* split from table */
	char			*table_name;
	enum config_partition_transform partition_by;
	uint64_t		 target_file_size;	/* bytes, default 128MB */
	enum config_compression	 compression;		/* default zstd */
	int			 compression_level;	/* default 1 */
	enum config_value_type	 value_type;		/* default binary */
	int			 line;		/* first line that named the job */
};

struct config {
	char			*path;		/* the file it came from */

	char			*admin_bind;	/* default 127.0.0.1 */
	int			 admin_port;	/* default 8082; 0 = any free port */
	char			*admin_token;	/* NULL = no auth (secret) */
	int			 metrics_port;	/* default 9091; 0 = any free port */
	int			 metrics_flink_names;	/* default 1 */
	char			*state_dir;	/* default /var/lib/bronzed */

	uint64_t		 checkpoint_interval_ms;	/* default 10s */
	uint64_t		 checkpoint_timeout_ms;		/* default 60s */
	uint64_t		 ready_max_freshness_ms;	/* default 5m */

	enum config_catalog_type catalog_type;	/* default filesystem */
	char			*catalog_uri;	/* required for rest */
	char			*catalog_warehouse;	/* required */
	char			*catalog_credential;	/* secret */
	char			*catalog_token;		/* secret */

	char			*s3_endpoint;
	char			*s3_region;	/* $AWS_REGION, us-east-1 */
	int			 s3_path_style;	/* default 1 */
	char			*s3_access_key_id;	/* secret, $AWS_... */
	char			*s3_secret_access_key;	/* secret, $AWS_SECRET_... */

	struct config_kvlist	 kafka;		/* kafka.* passthrough */

	struct config_job	*jobs;
	size_t			 njobs;
};

/* Parse and validate a file.  NULL and *cause on error. */
struct config	*config_load(const char *path, char **cause);
/* Same, from a string; name is used in error messages as the file name. */
struct config	*config_parse(const char *name, const char *text, char **cause);
void		 config_free(struct config *);

/* Find a job by name; NULL if none. */
const struct config_job *config_find_job(const struct config *, const char *);

/* Nonzero if the full key (e.g. "s3.secret-access-key") holds a secret. */
int		 config_is_secret(const char *key);

/*
 * Visit every effective setting as (full key, value, is_secret), defaults
 * included, in a stable order; used by the admin API's config dump and by
 * the config fingerprint of savepoints.
 */
typedef void (*config_visit_fn)(const char *key, const char *value,
    int is_secret, void *arg);
/*
 * Order: global keys in table order, kafka.* sorted, then each job's keys
 * (job.<name>.*, table order, then job.<name>.kafka.* sorted).  Values are
 * canonical: durations "10s"/"500ms", sizes "128MB", booleans true/false.
 * Unset optional strings are skipped.  Secret values are passed as they
 * are with is_secret set: a dump must print "******" instead.
 */
void		 config_visit(const struct config *, config_visit_fn, void *);
/* Only one job's settings, as config_visit names them. */
void		 config_visit_job(const struct config_job *, config_visit_fn,
		    void *);

/*
 * Parse "10s", "500ms", "2m", "1h" (a plain number is ms) into
 * milliseconds; -1 on error (garbage, negative, overflow).
 */
int		 config_parse_duration(const char *, uint64_t *ms);
/*
 * Parse "128MB", "64KB", "1GB", "4096" into bytes; units are
 * case-insensitive and binary (KB = KiB = 1024); -1 on error.
 */
int		 config_parse_size(const char *, uint64_t *bytes);

#endif
