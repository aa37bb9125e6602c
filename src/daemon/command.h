/* SPDX-License-Identifier: ISC */
/*
 * command.h - type 4 frames ("next", "kick bob", "who"): the table shape every mode fills in,
 * and the one dispatcher that checks a command's role and argument before running it.
 */
#ifndef FRONTDESK_COMMAND_H
#define FRONTDESK_COMMAND_H

#include <frontdesk/frame.h>

struct conn;

enum command_arg {
	ARG_NONE,
	ARG_OPTIONAL,
	ARG_REQUIRED,
};

/* A command a peer can send as a type 4 frame, e.g. "kick bob". */
struct command {
	const char *name;
	unsigned roles;       /* bit mask of 1 << enum conn_role */
	enum command_arg arg; /* the rest of the body after the name and a space */
	void (*run)(struct conn *c, const char *arg);
};

/*
 * command_run() - "NAME" or "NAME ARG" from @c: looked up in the common table (hello, quit,
 * ping, pong, caps, history, time, info, typing, canned), then in the mode's; an unknown name,
 * a role that may not use it or a missing or extra argument is answered with a non-fatal error
 * notice.
 */
void command_run(struct conn *c, const struct fd_frame *f);

/*
 * command_unknown() - the answer to a command @c may not use, word for word the one to a name
 * that is no command at all ("typing" without the capability: nothing tells them apart).
 */
void command_unknown(struct conn *c, const char *name);

/*
 * command_caps_parse() - the capabilities (enum conn_cap bits) that "caps @arg" asks for, out
 * of @offered: words separated by spaces, unknown ones and repeats ignored.
 */
unsigned command_caps_parse(const char *arg, unsigned offered);

/* command_send_caps() - "caps WORD..." with @c's capabilities, then "epoch E" with ids. */
void command_send_caps(struct conn *c);

#endif
