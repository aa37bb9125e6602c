/* SPDX-License-Identifier: ISC */
/*
 * conf.c - the daemon's configuration as frontdeskctl reads it (ctl.h): the same file and the
 * same parser (config.c) as frontdeskd, so that the store and the metrics address found here
 * are the daemon's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "config.h"
#include "ctl.h"

#define DEFAULT_CONFIG FRONTDESK_SYSCONFDIR "/frontdesk/frontdesk.conf"

/* config_load()'s "FILE:LINE: message" lines, each as one of ours. */
static void say_config_errors(const char *errors)
{
	const char *s = errors ? errors : "cannot load the configuration";
	size_t n;

	while (*s) {
		n = strcspn(s, "\n");
		ctl_error("%.*s", (int)n, s);
		s += n + (s[n] == '\n');
	}
}

int ctl_config(const struct ctl *c, struct config *cfg, const char **ret_file)
{
	const char *file = c->config ? c->config : DEFAULT_CONFIG;
	char *errors = NULL;
	int r;

	config_init(cfg);
	r = config_load(cfg, file, &errors);
	if (r < 0 && !(r == -ENOENT && !c->config)) {
		say_config_errors(errors);
		free(errors);
		return -1;
	}
	free(errors);
	*ret_file = file;
	return r < 0; /* the default file missing: the built-in defaults */
}

int ctl_where(const struct ctl *c, struct config *cfg, const char *what)
{
	const char *file;

	if (c->store)
		return CTL_FROM_STORE;
	if (c->redis && !c->config) {
		/* No configuration: the built-in cluster_name, no password. */
		config_init(cfg);
		return CTL_FROM_REDIS;
	}
	if (ctl_config(c, cfg, &file) < 0) {
		ctl_error("no %s without a valid configuration (or --store sqlite:PATH, or --redis "
			  "redis://HOST:PORT)",
			  what);
		return -1;
	}
	return c->redis || cfg->cluster ? CTL_FROM_REDIS : CTL_FROM_STORE;
}
