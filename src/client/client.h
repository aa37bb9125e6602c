/* SPDX-License-Identifier: ISC */
/*
 * client.h - what main.c hands to a front end (interactive or script), and the exit codes.
 */
#ifndef FRONTDESK_CLIENT_H
#define FRONTDESK_CLIENT_H

#include <stdbool.h>

#include "session.h"

enum client_exit {
	EXIT_OK = 0,       /* normal end: quit, Ctrl-D, end of input, the agent said goodbye */
	EXIT_FAILURE_ = 1, /* connection or protocol failure, timeout */
	EXIT_USAGE = 2,    /* bad options or target */
	EXIT_NOT_SENT =
	    3, /* script mode: a normal end, but a /send failed (missing, refused ...) */
};

struct client_options {
	struct session_config session;
	unsigned timeout; /* script mode: seconds without news while waiting; 0 = forever */
	bool reconnect;   /* reconnect with back-off instead of asking (or exiting) */
	bool colour;      /* interactive: colour and timestamps */
	bool stamps;
};

struct event_base;

/* term_run() - the interactive client (stdin is a terminal). Return: an exit code. */
int term_run(struct event_base *base, const struct client_options *opts);

/* script_run() - the script client (stdin is not a terminal). Return: an exit code. */
int script_run(struct event_base *base, const struct client_options *opts);

#endif
