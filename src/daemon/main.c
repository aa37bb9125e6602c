/* SPDX-License-Identifier: ISC */
/* main.c - frontdeskd: command line, configuration, then the server's loop. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents.h"
#include "build-config.h"
#include "canned.h"
#include "config-cluster.h"
#include "config.h"
#include "console.h"
#include "evmem.h"
#include "log.h"
#include "nick.h"
#include "server.h"

#define DEFAULT_CONFIG FRONTDESK_SYSCONFDIR "/frontdesk/frontdesk.conf"
/*
 * Freed heap that glibc keeps for reuse before it gives memory back to the kernel. A broadcast
 * fills every member's output buffer and the next loop turn writes and frees them all; with
 * glibc's default (128 KiB, adapting) the heap top was returned and faulted in again on every
 * round: about one page fault per 25 deliveries, a quarter of the CPU per delivery at
 * saturation (contrib/bench, scenario a). Output stays bounded by max_output_bytes per peer.
 */
#define HEAP_TRIM_THRESHOLD (16 << 20)

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: frontdeskd [OPTION]...\n"
	    "The frontdesk chat daemon: a customer-service desk or a group chat room.\n"
	    "\n"
	    "  -c, --config FILE   read FILE (default " DEFAULT_CONFIG ";\n"
	    "                      built-in defaults when that file does not exist)\n"
	    "  -t, --check-config  check the configuration and exit (0 = valid)\n"
	    "      --console       this terminal is the agent (single-agent mode); Ctrl-D stops\n"
	    "  -v, --verbose       log debug messages\n"
	    "  -q, --quiet         log warnings and errors only\n"
	    "  -h, --help          show this help\n"
	    "  -V, --version       show the version\n"
	    "\n"
	    "Built-in defaults: mode = single-agent, listen = 127.0.0.1:%d, turns = strict.\n"
	    "Runs in the foreground; stop it with SIGINT or SIGTERM, reload the configuration\n"
	    "with SIGHUP. Under systemd it uses socket activation, readiness notification\n"
	    "and the watchdog; see frontdeskd(8).\n",
	    CONFIG_DEFAULT_PORT);
}

/* The console agent is named after the login, when that is a valid nickname. */
static const char *console_nick(void)
{
	const char *user = getenv("USER");

	if (!user || !fd_nick_valid(user, strlen(user)))
		return "agent";
	return user;
}

struct options {
	const char *path; /* -c; NULL: DEFAULT_CONFIG, which may be missing */
	bool check, console;
	int verbosity; /* -v 1, -q -1 */
};

/* The command line into @o; -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "console", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:tvqhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->path = optarg;
			break;
		case 't':
			o->check = true;
			break;
		case 'C':
			o->console = true;
			break;
		case 'v':
			o->verbosity = 1;
			break;
		case 'q':
			o->verbosity = -1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("frontdeskd %s\n", FRONTDESK_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "frontdeskd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return -1;
}

/* --check-config: agents_file is the admin's to edit too, so its lines are checked as well. */
static int check_agents(const struct config *cfg)
{
	struct agents *a = NULL;
	char *errors = NULL;
	int r;

	if (!cfg->agents_file[0])
		return 0;
	r = agents_load(cfg->agents_file, &a, &errors);
	if (r < 0)
		fputs(errors ? errors : "agents_file: out of memory\n", stderr);
	free(errors);
	agents_free(a);
	return r;
}

/* --check-config: the cluster's password file is read, as at start-up. */
static int check_cluster(const struct config *cfg)
{
	char password[512], err[256];
	int r;

	if (!cfg->cluster)
		return 0;
	r = config_cluster_password(cfg, password, sizeof(password), err, sizeof(err));
	explicit_bzero(password, sizeof(password));
	if (r < 0)
		fprintf(stderr, "%s\n", err);
	return r;
}

/*
 * The configuration into @cfg and canned_file's replies into *@ret_canned (or both just
 * checked, with -t); -1 to go on, else the exit code.
 */
static int load_config(const struct options *o, struct config *cfg, struct canned **ret_canned)
{
	char *errors = NULL;
	int r;

	config_init(cfg);
	r = config_load(cfg, o->path ? o->path : DEFAULT_CONFIG, &errors);
	if (r == -ENOENT && !o->path) {
		free(errors);
		if (o->check) {
			printf("%s: not found; the built-in defaults apply\n", DEFAULT_CONFIG);
			return 0;
		}
		log_info("no %s; using the built-in defaults", DEFAULT_CONFIG);
	} else if (r < 0) {
		fputs(errors ? errors : "cannot load the configuration\n", stderr);
		free(errors);
		return 1;
	}
	/* Read now, so that a bad file refuses to start (and fails the check) like a bad key. */
	if (cfg->canned_file[0] && canned_load(cfg->canned_file, ret_canned, &errors) < 0) {
		fputs(errors ? errors : "cannot load canned_file\n", stderr);
		free(errors);
		r = 1;
	}
	if (o->check) {
		canned_free(*ret_canned);
		/* Every file the admin edits is checked: all their errors in one round. */
		/* Each check says what is wrong with its part, all of them in one round. */
		if ((check_agents(cfg) < 0) + (check_cluster(cfg) < 0) || r == 1)
			return 1;
		printf("%s: ok\n", o->path ? o->path : DEFAULT_CONFIG);
		return 0;
	}
	if (r == 1)
		return 1;
	if (o->console && cfg->mode != MODE_SINGLE_AGENT) {
		fprintf(stderr, "frontdeskd: --console needs mode = single-agent\n");
		canned_free(*ret_canned);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct console *con = NULL;
	struct canned *canned = NULL;
	struct config cfg;
	struct server *s;
	int r;

	mallopt(M_TRIM_THRESHOLD, HEAP_TRIM_THRESHOLD);
	/* Before libevent allocates anything; released on every way out, fatal() included. */
	evmem_install(EVMEM_MAX_BLOCKS);
	atexit(evmem_release);
	if ((r = parse_args(argc, argv, &o)) >= 0)
		return r;
	log_init("frontdeskd", LOG_LEVEL_INFO);
	if ((r = load_config(&o, &cfg, &canned)) >= 0)
		return r;
	/* On the console the log shares the screen with the chat: keep it to warnings. */
	log_set_level(o.verbosity > 0                ? LOG_LEVEL_DEBUG
		      : o.verbosity < 0 || o.console ? LOG_LEVEL_WARN
						     : cfg.log_level);

	r = server_new(&cfg, &s);
	if (r < 0) {
		log_warnx("cannot start: %s", strerror(-r));
		canned_free(canned);
		return 1;
	}
	s->canned = canned;
	s->config_path = o.path ? o.path : DEFAULT_CONFIG;
	s->config_optional = !o.path;
	s->log_level_forced = o.verbosity != 0;
	if (o.console) {
		r = console_new(s, console_nick(), &con);
		if (r < 0) {
			log_warnx("cannot start the console: %s", strerror(-r));
			server_free(s);
			return 1;
		}
	}
	r = server_run(s);
	console_free(con);
	server_free(s);
	log_info("stopped");
	return r;
}
