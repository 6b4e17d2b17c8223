/*
 * tbl/config-keys.h: every configuration key, declared once.  config.c
 * expands these rows into its key tables, which drive the defaults, the
 * parser and the dump (config_visit).
 *
 * CONFIG_KEY(key, field, type, default, min, max, names, check, flags, help)
 *	a global key; field is the member of struct config.
 * CONFIG_JOB_KEY(key, field, type, default, min, max, names, check, flags,
 *     help)
 *	a per-job key, written job.<name>.<key>; field is the member of
 *	struct config_job.
 *
 * type is STRING, PORT, BOOL, INT, DURATION (ms), SIZE (bytes) or ENUM
 * (names is then the NULL-terminated list of values, in enum order).
 * default is the value text, parsed like a value from the file (so it may
 * use ${ENV:-fallback}); NULL means unset.  min and max bound PORT, INT,
 * DURATION and SIZE values.  check, if not NULL, further validates the
 * text.  flags: CONFIG_F_SECRET (never shown), CONFIG_F_REQUIRED.
 *
 * An includer defines both macros (one may expand to nothing).
 */

CONFIG_KEY("admin.bind", admin_bind, STRING, "127.0.0.1", 0, 0,
    NULL, config_check_address, 0,
    "IP address the admin API and metrics listen on, or localhost")
CONFIG_KEY("admin.port", admin_port, PORT, "8082", 0, 65535,
    NULL, NULL, 0,
    "admin API port (0 picks any free port)")
CONFIG_KEY("admin.token", admin_token, STRING, NULL, 0, 0,
    NULL, NULL, CONFIG_F_SECRET,
    "bearer token required by the admin API (unset: no authentication)")
CONFIG_KEY("admin.ready-max-freshness", ready_max_freshness_ms, DURATION,
    "5m", 0, CONFIG_DAY_MS, NULL, NULL, 0,
    "/readyz fails while a job holds records uncommitted for longer (0: off)")
CONFIG_KEY("metrics.port", metrics_port, PORT, "9091", 0, 65535,
    NULL, NULL, 0,
    "Prometheus metrics port (0 picks any free port)")
CONFIG_KEY("metrics.flink-names", metrics_flink_names, BOOL, "true", 0, 0,
    NULL, NULL, 0,
    "export Flink's camelCase metric names (false: snake_case bronzed_*)")
CONFIG_KEY("state.dir", state_dir, STRING, "/var/lib/bronzed", 0, 0,
    NULL, NULL, 0,
    "directory of the durable state (LMDB)")
CONFIG_KEY("checkpoint.interval", checkpoint_interval_ms, DURATION, "10s",
    100, CONFIG_DAY_MS, NULL, NULL, 0,
    "time between checkpoints (commits to the table)")
CONFIG_KEY("checkpoint.timeout", checkpoint_timeout_ms, DURATION, "60s",
    1000, CONFIG_DAY_MS, NULL, NULL, 0,
    "a checkpoint taking longer than this fails")
CONFIG_KEY("catalog.type", catalog_type, ENUM, "filesystem", 0, 0,
    config_catalog_names, NULL, 0,
    "Iceberg catalog: rest or filesystem")
CONFIG_KEY("catalog.uri", catalog_uri, STRING, NULL, 0, 0,
    NULL, config_check_url, 0,
    "REST catalog base URL (required when catalog.type is rest)")
CONFIG_KEY("catalog.warehouse", catalog_warehouse, STRING, NULL, 0, 0,
    NULL, NULL, CONFIG_F_REQUIRED,
    "warehouse location: s3://bucket/prefix/ or a local directory")
CONFIG_KEY("catalog.credential", catalog_credential, STRING, NULL, 0, 0,
    NULL, NULL, CONFIG_F_SECRET,
    "REST catalog OAuth2 client credentials (client_id:client_secret)")
CONFIG_KEY("catalog.token", catalog_token, STRING, NULL, 0, 0,
    NULL, NULL, CONFIG_F_SECRET,
    "REST catalog bearer token")
CONFIG_KEY("s3.endpoint", s3_endpoint, STRING, NULL, 0, 0,
    NULL, config_check_url, 0,
    "S3 endpoint URL (unset: AWS)")
CONFIG_KEY("s3.region", s3_region, STRING, "${AWS_REGION:-us-east-1}", 0, 0,
    NULL, NULL, 0,
    "S3 region for request signing (default $AWS_REGION, else us-east-1)")
CONFIG_KEY("s3.path-style-access", s3_path_style, BOOL, "true", 0, 0,
    NULL, NULL, 0,
    "address buckets as endpoint/bucket instead of bucket.endpoint")
CONFIG_KEY("s3.access-key-id", s3_access_key_id, STRING,
    "${AWS_ACCESS_KEY_ID:-}", 0, 0, NULL, NULL, CONFIG_F_SECRET,
    "S3 access key id (default $AWS_ACCESS_KEY_ID)")
CONFIG_KEY("s3.secret-access-key", s3_secret_access_key, STRING,
    "${AWS_SECRET_ACCESS_KEY:-}", 0, 0, NULL, NULL, CONFIG_F_SECRET,
    "S3 secret access key (default $AWS_SECRET_ACCESS_KEY)")

CONFIG_JOB_KEY("source.topic", topic, STRING, NULL, 0, 0,
    NULL, config_check_topic, CONFIG_F_REQUIRED,
    "Kafka topic to read")
CONFIG_JOB_KEY("source.group-id", group_id, STRING, NULL, 0, 0,
    NULL, NULL, 0,
    "Kafka consumer group (default bronze-<name>)")
CONFIG_JOB_KEY("source.startup-mode", startup_mode, ENUM, "earliest", 0, 0,
    config_startup_names, NULL, 0,
    "where a job without state starts: earliest, latest or group-offsets")
CONFIG_JOB_KEY("sink.table", table, STRING, NULL, 0, 0,
    NULL, config_check_table, CONFIG_F_REQUIRED,
    "Iceberg table written, namespace.table")
CONFIG_JOB_KEY("sink.partition-by", partition_by, ENUM,
    "day(ingestion_timestamp)", 0, 0, config_partition_names, NULL, 0,
    "partition transform of the table")
CONFIG_JOB_KEY("sink.target-file-size", target_file_size, SIZE, "128MB",
    1024, CONFIG_TARGET_MAX, NULL, NULL, 0,
    "a data file is closed once it reaches this size")
CONFIG_JOB_KEY("sink.compression", compression, ENUM, "zstd", 0, 0,
    config_compression_names, NULL, 0,
    "Parquet page compression: zstd, snappy or none")
CONFIG_JOB_KEY("sink.compression-level", compression_level, INT, "1", 1, 22,
    NULL, NULL, 0,
    "compression level (zstd: 1..22)")
CONFIG_JOB_KEY("sink.value-type", value_type, ENUM, "binary", 0, 0,
    config_value_type_names, NULL, 0,
    "type of the value column: binary or string")
