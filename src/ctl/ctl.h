/* SPDX-License-Identifier: ISC */
/*
 * ctl.h - frontdeskctl's command line as its commands see it, and the commands.
 *
 * main.c parses the whole command line into one struct ctl (WHEN arguments already turned
 * into Unix milliseconds) and hands it to the command named on it. Each command opens the
 * store itself (storefile.h), for reading or for writing, or asks the running daemon over
 * its metrics listener (status.c), or, history and transcripts in a cluster, Redis
 * (history-redis.c, transcript-redis.c), and returns the exit code. Whatever
 * fails is said once, on stderr, as "frontdeskctl: ...", by the function that knows the
 * details (a path, SQLite's own words); callers only pass the failure on.
 */
#ifndef FRONTDESK_CTL_H
#define FRONTDESK_CTL_H

#include <stdbool.h>
#include <stdint.h>

enum ctl_exit {
	CTL_OK = 0,
	CTL_ERROR = 1,
	CTL_USAGE = 2,
	CTL_NOT_READY = 3, /* status: the daemon answers, but is not ready */
};

struct config;

struct ctl {
	const char *config; /* -c FILE; NULL: the default file, which may be missing */
	const char *store;  /* --store sqlite:PATH, overriding the config; NULL: none */
	const char *url;    /* status --url http://HOST:PORT, overriding the config; NULL */
	const char *redis;  /* --redis redis://HOST:PORT[/DB], overriding it; NULL */
	bool json;
	bool has_since, has_before;
	int64_t since_ms, before_ms; /* --since, --before: Unix milliseconds */
	const char *customer;        /* --customer NAME; NULL: any */
	unsigned count;              /* history -n; 0: all */
	bool no_vacuum;              /* purge --no-vacuum */
	const char *output;          /* file -o PATH; NULL: standard output */
	char **args;                 /* the command's own arguments, after its name */
	int nargs;
};

/* ctl_error() - "frontdeskctl: MESSAGE" on stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* ctl_usage_error() - the same plus a pointer to --help; returns CTL_USAGE. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * ctl_config() - the daemon's configuration, read as frontdeskd reads it: -c FILE, else the
 * default file. *@ret_file is the file's name, for messages.
 * Return: 0; 1 when the default file does not exist (@cfg holds the built-in defaults); -1
 * when the file cannot be read or has errors (said on stderr, each "FILE:LINE: ...").
 */
int ctl_config(const struct ctl *c, struct config *cfg, const char **ret_file);

enum ctl_from {
	CTL_FROM_STORE,
	CTL_FROM_REDIS,
};

/*
 * ctl_where() - where history, transcripts and transcript read: --store sqlite:PATH, that
 * store; --redis URL, that Redis (under -c's cluster_name and password, else the built-in
 * ones); else the configuration's cluster when it has one (cluster = redis://...), else its
 * store. @cfg: the configuration, for Redis; @what names the command in the message.
 * Return: CTL_FROM_STORE, CTL_FROM_REDIS, or -1 once said (the configuration is not valid).
 */
int ctl_where(const struct ctl *c, struct config *cfg, const char *what);

int ctl_transcripts(const struct ctl *c);
int ctl_transcript(const struct ctl *c);
/*
 * A desk across nodes keeps its transcripts in the cluster's Redis (transcript-redis.c), @cfg's
 * cluster keys or --redis: the conversations, and conversation @conv.
 */
int ctl_transcripts_redis(const struct ctl *c, struct config *cfg);
int ctl_transcript_redis(const struct ctl *c, struct config *cfg, int64_t conv);
int ctl_history(const struct ctl *c);
/* ctl_history_redis() - history from the cluster's Redis (@cfg's cluster keys, or --redis). */
int ctl_history_redis(const struct ctl *c, struct config *cfg);
int ctl_purge(const struct ctl *c);
/* ctl_file() - file SHA256 [-o PATH]: a kept file's bytes (file.c). */
int ctl_file(const struct ctl *c);
int ctl_status(const struct ctl *c);

#endif
