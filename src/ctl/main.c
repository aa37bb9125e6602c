/* SPDX-License-Identifier: ISC */
/*
 * main.c - frontdeskctl: the command line and the command table.
 *
 * One getopt pass reads every option wherever it stands (before or after the command's name);
 * the command table then says which of them each command takes, so "history --since 1d" is a
 * usage error rather than an option silently ignored. Exit codes: 0 done, 1 error (said on
 * stderr), 2 usage; status adds 3, the daemon answers but is not ready.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "ctl.h"
#include "when.h"

enum {
	OPT_JSON = 1 << 0,
	OPT_SINCE = 1 << 1,
	OPT_CUSTOMER = 1 << 2,
	OPT_BEFORE = 1 << 3,
	OPT_COUNT = 1 << 4,
	OPT_NO_VACUUM = 1 << 5,
	OPT_URL = 1 << 6,
	OPT_REDIS = 1 << 7,
	OPT_OUTPUT = 1 << 8,
};

struct command {
	const char *name;
	int nargs;     /* arguments after the name, exactly */
	unsigned opts; /* OPT_* it takes */
	int (*run)(const struct ctl *c);
};

static const struct command commands[] = {
	{ "transcripts", 0, OPT_SINCE | OPT_CUSTOMER | OPT_JSON | OPT_REDIS, ctl_transcripts },
	{ "transcript", 1, OPT_JSON | OPT_REDIS, ctl_transcript },
	{ "history", 0, OPT_COUNT | OPT_JSON | OPT_REDIS, ctl_history },
	{ "purge", 0, OPT_CUSTOMER | OPT_BEFORE | OPT_NO_VACUUM, ctl_purge },
	{ "status", 0, OPT_JSON | OPT_URL, ctl_status },
	{ "file", 1, OPT_OUTPUT, ctl_file },
};

static const char usage_text[] =
    "Usage: frontdeskctl [-c FILE | --store sqlite:PATH] COMMAND [OPTION]...\n"
    "Read and purge what frontdeskd keeps in its store, beside the running daemon,\n"
    "and the room's history and the desk's transcripts in a cluster's Redis; show the\n"
    "running daemon's state.\n"
    "\n"
    "Commands:\n"
    "  transcripts [--since WHEN] [--customer NAME] [--json] [--redis URL]\n"
    "                       the desk's conversations, newest last; in a cluster from\n"
    "                       Redis (the newest 1000)\n"
    "  transcript ID [--json] [--redis URL]\n"
    "                       one conversation (N or cN) with all its messages and every\n"
    "                       pass between agents; in a cluster from Redis\n"
    "  history [-n N] [--json] [--redis redis://HOST:PORT[/DB]]\n"
    "                       the room's last N messages (default 20, 0 = all), oldest first;\n"
    "                       in a cluster (cluster = redis://...) from Redis's stream\n"
    "  purge --customer NAME | --before WHEN [--no-vacuum]\n"
    "                       delete ended conversations of NAME, or ended before WHEN\n"
    "                       together with the room's messages older than WHEN; then\n"
    "                       rewrite the file (VACUUM) unless --no-vacuum\n"
    "  status [--json] [--url http://HOST:PORT]\n"
    "                       the running daemon's state: connections, the line, the\n"
    "                       agents, the store; asked over its metrics_listen (GET /status)\n"
    "  file SHA256 [-o PATH]\n"
    "                       a file kept in files_dir (a transcript's file message names\n"
    "                       it) to standard output, or to PATH (made 0600, never over\n"
    "                       an existing file)\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE    the daemon's configuration, to find the store and\n"
    "                       metrics_listen in (default\n"
    "                       " FRONTDESK_SYSCONFDIR "/frontdesk/frontdesk.conf, else the\n"
    "                       built-in defaults)\n"
    "      --store sqlite:PATH\n"
    "                       the store's file, instead of the configuration's\n"
    "      --redis redis://HOST:PORT[/DB]\n"
    "                       the cluster's Redis, where history reads the room and\n"
    "                       transcripts the desk, instead of the configuration's cluster\n"
    "      --url http://HOST:PORT\n"
    "                       where status asks, instead of the configuration's\n"
    "                       metrics_listen\n"
    "      --json           one JSON document instead of text (status: as the daemon\n"
    "                       sent it)\n"
    "  -h, --help           show this help and exit\n"
    "  -V, --version        show the version and exit\n"
    "\n"
    "WHEN: 2026-11-29 or 2026-11-29T10:00 (local time), or an age: 7d, 12h, 30m.\n"
    "Exit status: 0 done, 1 error, 2 usage error; status: 0 ready, 1 not reached,\n"
    "3 answering but not ready.\n";

static void verror(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void verror(const char *fmt, va_list ap)
{
	fputs("frontdeskctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	putc('\n', stderr);
}

void ctl_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
}

int ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
	fputs("Try 'frontdeskctl --help' for more information.\n", stderr);
	return CTL_USAGE;
}

/* -n N: 0 (all) up to a million; CTL_OK or the usage error. */
static int parse_count(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v > 1000000)
		return ctl_usage_error("-n takes 0 (all) to 1000000 messages, not '%s'", s);
	*ret = (unsigned)v;
	return CTL_OK;
}

static int parse_when(const char *opt, const char *s, int64_t *ret_ms)
{
	if (when_parse(s, when_now_ms(), ret_ms) < 0)
		return ctl_usage_error("%s: '%s' is not a WHEN: 2026-11-29, 2026-11-29T10:00, "
				       "or an age such as 7d, 12h, 30m",
				       opt, s);
	return CTL_OK;
}

enum {
	LONG_STORE = 256,
	LONG_JSON,
	LONG_SINCE,
	LONG_CUSTOMER,
	LONG_BEFORE,
	LONG_NO_VACUUM,
	LONG_URL,
	LONG_REDIS,
};

/*
 * The option getopt_long() just refused: a short one is in optopt (it may stand inside a
 * cluster such as -jx); a long one (optopt 0, or its LONG_* value) is the word before optind.
 */
static const char *bad_option(char **argv)
{
	static char opt[3] = "-?";

	if (optopt <= 0 || optopt >= LONG_STORE)
		return argv[optind - 1];
	opt[1] = (char)optopt;
	return opt;
}

/* The options into @c, and into *@seen the OPT_* ones given; -1 to go on, else the exit code. */
static int parse_options(int argc, char **argv, struct ctl *c, unsigned *seen)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, LONG_STORE },
		{ "json", no_argument, NULL, LONG_JSON },
		{ "since", required_argument, NULL, LONG_SINCE },
		{ "customer", required_argument, NULL, LONG_CUSTOMER },
		{ "before", required_argument, NULL, LONG_BEFORE },
		{ "no-vacuum", no_argument, NULL, LONG_NO_VACUUM },
		{ "url", required_argument, NULL, LONG_URL },
		{ "redis", required_argument, NULL, LONG_REDIS },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, r = CTL_OK;

	opterr = 0; /* its messages name argv[0], a path; ours say "frontdeskctl" */
	while (r == CTL_OK && (ch = getopt_long(argc, argv, ":c:n:o:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c->config = optarg;
			break;
		case LONG_STORE:
			if (strncmp(optarg, "sqlite:", 7) != 0 || !optarg[7])
				return ctl_usage_error("--store takes sqlite:PATH, not '%s'",
						       optarg);
			c->store = optarg;
			break;
		case LONG_JSON:
			*seen |= OPT_JSON;
			c->json = true;
			break;
		case LONG_SINCE:
			*seen |= OPT_SINCE;
			c->has_since = true;
			r = parse_when("--since", optarg, &c->since_ms);
			break;
		case LONG_CUSTOMER:
			*seen |= OPT_CUSTOMER;
			c->customer = optarg;
			break;
		case LONG_BEFORE:
			*seen |= OPT_BEFORE;
			c->has_before = true;
			r = parse_when("--before", optarg, &c->before_ms);
			break;
		case LONG_NO_VACUUM:
			*seen |= OPT_NO_VACUUM;
			c->no_vacuum = true;
			break;
		case LONG_URL:
			*seen |= OPT_URL;
			c->url = optarg;
			break;
		case LONG_REDIS:
			*seen |= OPT_REDIS;
			c->redis = optarg;
			break;
		case 'o':
			*seen |= OPT_OUTPUT;
			c->output = optarg;
			break;
		case 'n':
			*seen |= OPT_COUNT;
			r = parse_count(optarg, &c->count);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return CTL_OK;
		case 'V':
			printf("frontdeskctl %s\n", FRONTDESK_VERSION);
			return CTL_OK;
		case ':':
			return ctl_usage_error("option '%s' needs a value", bad_option(argv));
		default:
			return ctl_usage_error("unknown option '%s'", bad_option(argv));
		}
	}
	return r == CTL_OK ? -1 : r;
}

static const char *option_name(unsigned bit)
{
	static const char *const names[] = { "--json",   "--since", "--customer",
					     "--before", "-n",      "--no-vacuum",
					     "--url",    "--redis", "-o" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bit & (1u << i))
			return names[i];
	return "?";
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	struct ctl c = { .count = 20 };
	const struct command *cmd;
	unsigned seen = 0;
	int r;

	if ((r = parse_options(argc, argv, &c, &seen)) >= 0)
		return r;
	if (optind >= argc)
		return ctl_usage_error(
		    "no command: transcripts, transcript, history, purge, status or file");
	cmd = find_command(argv[optind]);
	if (!cmd)
		return ctl_usage_error("unknown command '%s'", argv[optind]);
	c.args = argv + optind + 1;
	c.nargs = argc - optind - 1;
	if (c.nargs > cmd->nargs)
		return ctl_usage_error("%s: unexpected argument '%s'", cmd->name,
				       c.args[cmd->nargs]);
	if (c.nargs < cmd->nargs)
		return ctl_usage_error("%s: missing argument", cmd->name);
	if (seen & ~cmd->opts)
		return ctl_usage_error("%s does not take %s", cmd->name,
				       option_name(seen & ~cmd->opts));
	if (c.redis && c.store)
		return ctl_usage_error("%s takes --store or --redis, not both", cmd->name);
	r = cmd->run(&c);
	/* Output is buffered: a full disk or a closed pipe shows only now. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_error("cannot write the output: %s", strerror(errno));
		return CTL_ERROR;
	}
	return r;
}
