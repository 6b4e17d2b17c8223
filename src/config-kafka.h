/*
 * config-kafka.h: the librdkafka passthrough of the config parser
 * (kafka.<prop> and job.<name>.kafka.<prop>).  Each property is judged by
 * librdkafka itself on a scratch rd_kafka_conf_t; librdkafka's property
 * listing supplies spelling hints, aliases and which properties are
 * producer-only.  Used by config.c only.
 *
 * A struct config_kafka lives for one parse (config_kafka_new/_free).
 * Reasons are heap strings the caller frees; they never contain a secret.
 */
#ifndef BRONZE_CONFIG_KAFKA_H
#define BRONZE_CONFIG_KAFKA_H

#include "config.h"

struct config_kafka;

struct config_kafka	*config_kafka_new(void);
void			 config_kafka_free(struct config_kafka *);

/*
 * Check prop = value (key is the full key, ending in prop) and append it
 * to l, set at line.  shown is the value as written when ${ENV} was
 * expanded in it, else NULL.  Returns NULL, or the reason it is refused.
 */
char	*config_kafka_add(struct config_kafka *, struct config_kvlist *l,
	    const char *key, const char *prop, const char *value,
	    const char *shown, int line);

/* Nonzero if the librdkafka property (no prefix) holds a secret. */
int	 config_kafka_is_secret(const char *prop);
/* Nonzero if the list names the brokers to bootstrap from. */
int	 config_kafka_has_brokers(const struct config_kvlist *);
/* Free the items of a list (wiping secret values) and empty it. */
void	 config_kafka_list_free(struct config_kvlist *);

#endif
