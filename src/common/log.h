/* SPDX-License-Identifier: ISC */
/*
 * log.h - the one place frontdesk writes diagnostics.
 *
 * Helpers return errors; the caller at the edge logs them once. Lines go to stderr: with
 * JOURNAL_STREAM naming our stderr (started by systemd) they carry sd-daemon "<N>" priority
 * prefixes and no timestamp (the journal adds its own), otherwise a timestamp. libevent's own
 * warnings are routed here too.
 */
#ifndef FRONTDESK_LOG_H
#define FRONTDESK_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_init(const char *progname, enum log_level level);
void log_set_level(enum log_level level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* appends errno */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * log_escape() - untrusted text (a chat message) as one printable line: backslash, control
 * characters and DEL become \\, \n, \t, \xNN, so a peer cannot forge log lines. Cut with "..."
 * when @buf is too small. Returns @buf.
 */
const char *log_escape(const char *text, size_t len, char *buf, size_t buflen);

/* fatal: start-up failures and programmer errors only, never anything a peer sent. */
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
