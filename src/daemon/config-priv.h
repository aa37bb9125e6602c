/* SPDX-License-Identifier: ISC */
/*
 * config-priv.h - what the parts of the config parser share: the key table's row and the
 * parsers that live outside config.c (config-net.c: addresses; config-cluster.c: the cluster).
 */
#ifndef FRONTDESK_CONFIG_PRIV_H
#define FRONTDESK_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct config_key {
	const char *name;
	int (*parse)(const struct config_key *k, struct config *c, const char *value, char *err,
		     size_t errlen);
	size_t offset;
	unsigned long min, max;
	const char *const *choices; /* for enums: names in value order, NULL-terminated */
};

/* "off" (or nothing) disables a listener, a socket, a file, the cluster. */
bool config_is_off(const char *value);

/* listen and the like: "HOST:PORT, ..." (at most CONFIG_MAX_ENDPOINTS). */
int config_parse_endpoints(const struct config_key *k, struct config *c, const char *value,
			   char *err, size_t errlen);
/* The same, or "off". */
int config_parse_endpoints_or_off(const struct config_key *k, struct config *c, const char *value,
				  char *err, size_t errlen);
/* proxy_from = ADDRESS[/PREFIX], ... or "off". */
int config_parse_nets(const struct config_key *k, struct config *c, const char *value, char *err,
		      size_t errlen);

/*
 * web_origins and web_embed_origins = ORIGIN, ... (config-web.c): "scheme://host[:port]" each;
 * "same" for the default.
 */
int config_parse_web_origins(const struct config_key *k, struct config *c, const char *value,
			     char *err, size_t errlen);

/* cluster = off | redis://HOST[:PORT][/DB] (config-cluster.c). */
int config_parse_cluster(const struct config_key *k, struct config *c, const char *value, char *err,
			 size_t errlen);
/* cluster_name, node_name: [A-Za-z0-9_.-]{1,k->max}. */
int config_parse_name(const struct config_key *k, struct config *c, const char *value, char *err,
		      size_t errlen);

#endif
