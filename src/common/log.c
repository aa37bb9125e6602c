/* SPDX-License-Identifier: ISC */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>

/* The process logs through one configuration, set once at start-up (and by SIGHUP). */
static struct {
	const char *progname;
	enum log_level level;
	bool journal;
} log_state = { "frontdesk", LOG_LEVEL_INFO, false };

/* sd-daemon(3) priorities: err, warning, info, debug. */
static const char *const journal_prefix[] = { "<3>", "<4>", "<6>", "<7>" };

static void log_vwrite(enum log_level level, const char *suffix, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void log_vwrite(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > log_state.level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_state.journal) {
		fprintf(stderr, "%s%s%s%s\n", journal_prefix[level], msg, suffix ? ": " : "",
			suffix ? suffix : "");
	} else {
		char stamp[32];
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: %s%s%s\n", stamp, ts.tv_nsec / 1000000,
			log_state.progname, msg, suffix ? ": " : "", suffix ? suffix : "");
	}
}

static void libevent_log_cb(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent: %s", msg);
		break;
	}
}

/*
 * $JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected; it is inherited, so it counts
 * only while stderr is still that stream (systemd.exec(5)), not after a redirect to a file.
 */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *progname, enum log_level level)
{
	log_state.progname = progname;
	log_state.level = level;
	log_state.journal = stderr_is_journal();
	setvbuf(stderr, NULL, _IOLBF, 0);
	event_set_log_callback(libevent_log_cb);
}

void log_set_level(enum log_level level)
{
	log_state.level = level;
}

const char *log_escape(const char *text, size_t len, char *buf, size_t buflen)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		char esc[5];
		size_t n;

		if (ch == '\\')
			n = (size_t)snprintf(esc, sizeof(esc), "\\\\");
		else if (ch == '\n')
			n = (size_t)snprintf(esc, sizeof(esc), "\\n");
		else if (ch == '\t')
			n = (size_t)snprintf(esc, sizeof(esc), "\\t");
		else if (ch < 0x20 || ch == 0x7f)
			n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", ch);
		else
			n = (size_t)snprintf(esc, sizeof(esc), "%c", ch);
		if (o + n + 4 > buflen) {
			/* Do not leave half a UTF-8 sequence before the dots. */
			while (o > 0 && ((unsigned char)buf[o - 1] & 0xc0) == 0x80)
				o--;
			if (o > 0 && (unsigned char)buf[o - 1] >= 0xc0)
				o--;
			snprintf(buf + o, buflen - o, "...");
			return buf;
		}
		memcpy(buf + o, esc, n);
		o += n;
	}
	buf[o] = '\0';
	return buf;
}

#define LOG_FN(name, level, suffix_expr)                                                           \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		const char *suffix = (suffix_expr);                                                \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vwrite(level, suffix, fmt, ap);                                                \
		va_end(ap);                                                                        \
	}

LOG_FN(log_warn, LOG_LEVEL_WARN, strerror(errno))
LOG_FN(log_warnx, LOG_LEVEL_WARN, NULL)
LOG_FN(log_info, LOG_LEVEL_INFO, NULL)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, NULL)

void fatal(const char *fmt, ...)
{
	const char *suffix = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERR, suffix, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
