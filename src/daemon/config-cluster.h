/* SPDX-License-Identifier: ISC */
/*
 * config-cluster.h - the cluster's settings (cluster = redis://HOST[:PORT][/DB] and its
 * companions in struct config): what start-up needs beyond the parsed values.
 */
#ifndef FRONTDESK_CONFIG_CLUSTER_H
#define FRONTDESK_CONFIG_CLUSTER_H

#include <stddef.h>

#include "config.h"

#define CONFIG_CLUSTER_DEFAULT_PORT 6379
#define CONFIG_CLUSTER_MAX_DB       1000

/* config_cluster_init() - the cluster keys' defaults (node_name from gethostname()). */
void config_cluster_init(struct config *c);

/*
 * config_cluster_set_url() - "redis://HOST[:PORT][/DB]" into @c's cluster address, checked as
 * the cluster key is (frontdeskctl --redis). Return: 0, or -EINVAL with @err set.
 */
int config_cluster_set_url(struct config *c, const char *url, char *err, size_t errlen);

/*
 * config_cluster_resolve() - the address of cluster_host, resolved now (getaddrinfo: it may
 * block, so at start-up only): a literal IP into @ip, for rlink (which never resolves).
 * Return: 0, or a negative errno with @err set ("cluster: cannot resolve NAME: ...").
 */
int config_cluster_resolve(const struct config *c, char *ip, size_t iplen, char *err,
			   size_t errlen);

/*
 * config_cluster_password() - cluster_password_file's first line, trailing whitespace cut;
 * "" when no file is set. A file others may read is used, with a warning (as key_file is).
 * Return: 0, or a negative errno with @err set.
 */
int config_cluster_password(const struct config *c, char *buf, size_t len, char *err,
			    size_t errlen);

#endif
