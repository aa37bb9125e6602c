/* SPDX-License-Identifier: ISC */
/*
 * reload.h - SIGHUP: re-read the configuration file and apply what can change without a restart.
 *
 * Live keys (limits, timeouts, turns, log_level, log_messages, and any key not listed as
 * restart-only) are copied into server->config, which every check reads at the moment it
 * decides, so no connection is touched. Restart-only keys (mode, listen, line_listen,
 * agent_socket, agent_listen, key_file, agent_key_file: what start-up binds or loads) keep
 * their running values, with a warning naming them. A file with any error changes nothing:
 * every error is logged and the old configuration stays in force. systemd hears RELOADING=1
 * before and READY=1 after. agents_file is restart-only, but the file it names is re-read on
 * every reload (as the certificate is): a bad one keeps the running list, and an agent the new
 * one no longer admits is disconnected.
 */
#ifndef FRONTDESK_RELOAD_H
#define FRONTDESK_RELOAD_H

#include <stddef.h>

#include "config.h"

struct server;

/*
 * reload_merge() - @next with the restart-only keys of @running put back. Writes the names of
 * the restart-only keys that differed to @restart ("mode, listen") and of the live keys that
 * changed to @live; each "" when none.
 */
void reload_merge(const struct config *running, struct config *next, char *restart,
		  size_t restart_len, char *live, size_t live_len);

/* reload_log_errors() - log each "FILE:LINE: message" line of @errors on its own. */
void reload_log_errors(const char *errors);

/* server_reload() - the whole reload, logged; the daemon goes on serving whatever happens. */
void server_reload(struct server *s);

#endif
