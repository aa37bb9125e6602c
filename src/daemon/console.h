/* SPDX-License-Identifier: ISC */
/* console.h - the daemon's terminal as the agent (`frontdeskd --console`); see console.c. */
#ifndef FRONTDESK_CONSOLE_H
#define FRONTDESK_CONSOLE_H

struct server;
struct console;

/* console_new() - attach stdin/stdout as the agent named @nick. Return 0 or -ENOMEM. */
int console_new(struct server *s, const char *nick, struct console **ret);
void console_free(struct console *con);

#endif
