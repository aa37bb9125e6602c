/* SPDX-License-Identifier: ISC */
/*
 * main.c - frontdesk, the terminal client: options, the target, and exit codes.
 *
 * Everything below main() returns errors; main() prints each one once, as a single line
 * "frontdesk: ...", and picks the exit code: 0 normal end, 1 connection or protocol failure,
 * 2 usage. A terminal on stdin means the interactive client (term.c), anything else the script
 * client (script.c).
 */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth.h"
#include "build-config.h"
#include "client.h"
#include "nick.h"
#include "target.h"

static const char usage_text[] =
    "Usage: frontdesk [OPTION]... [HOST[:PORT] | unix:PATH]\n"
    "Chat with a frontdesk server (default 127.0.0.1:21567).\n"
    "\n"
    "  -n, --name NICK      nickname (default: your login name)\n"
    "  -a, --agent          attach as the agent (default target: the agent socket,\n"
    "                       $RUNTIME_DIRECTORY/agent.sock or /run/frontdesk/agent.sock)\n"
    "  -l, --line           newline protocol, for a group line listener (default port 6666)\n"
    "  -k, --key-file FILE  answer the server's authentication challenge with this key\n"
    "  -o, --oper-key FILE  in a group room: become an operator with this key\n"
    "  -s, --tls            connect with TLS (1.2 or later) and check the server's certificate\n"
    "      --ca-file FILE   trust the certificates in FILE (default: the system's)\n"
    "      --insecure       with --tls: do not check the certificate (testing only)\n"
    "  -t, --timeout SECS   script mode: give up after SECS without an answer (default: wait)\n"
    "  -r, --reconnect      interactive: reconnect with back-off when the connection is lost\n"
    "  -d, --download-dir DIR\n"
    "                       save received files in DIR (default: ~/Downloads/frontdesk)\n"
    "      --no-download    list received files instead of saving them (/get N saves one)\n"
    "      --auto-download  in a room too, save every member's file as it comes\n"
    "  -h, --help           show this help and exit\n"
    "  -V, --version        show the version and exit\n"
    "\n"
    "On a terminal: type and press Enter to send; /help lists the commands.\n"
    "Otherwise: each input line is sent as a message (a line /send PATH sends a file),\n"
    "each message received is printed on standard output, notices on standard error.\n"
    "Exit status: 0 normal end, 1 connection or protocol failure, 2 usage error.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "frontdesk: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'frontdesk --help' for more information.\n");
	return EXIT_USAGE;
}

static const char *login_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *user = getenv("USER");

	if (pw && pw->pw_name && *pw->pw_name)
		return pw->pw_name;
	return user && *user ? user : "guest";
}

static bool parse_seconds(const char *s, unsigned *ret)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 86400 * 7)
		return false;
	*ret = (unsigned)v;
	return true;
}

/* Colour only on a terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb. */
static bool want_colour(void)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && !(no && *no) && !(term && strcmp(term, "dumb") == 0);
}

/* The files the flags name, read once the flags are all known. */
struct key_files {
	const char *key;  /* --key-file */
	const char *oper; /* --oper-key */
};

static int check_flags(int argc, char **argv, const struct session_config *c,
		       const struct key_files *ret_files);

/* The flags of the command line into @o, @ret_nick and @ret_files; -1 to go on, else the exit
 * code. */
static int parse_flags(int argc, char **argv, struct client_options *o, const char **ret_nick,
		       struct key_files *ret_files)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "agent", no_argument, NULL, 'a' },
		{ "line", no_argument, NULL, 'l' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "oper-key", required_argument, NULL, 'o' },
		{ "tls", no_argument, NULL, 's' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "timeout", required_argument, NULL, 't' },
		{ "reconnect", no_argument, NULL, 'r' },
		{ "download-dir", required_argument, NULL, 'd' },
		{ "no-download", no_argument, NULL, 'D' },
		{ "auto-download", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct session_config *c = &o->session;
	int ch;

	while ((ch = getopt_long(argc, argv, "n:alk:o:st:rd:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			*ret_nick = optarg;
			break;
		case 'a':
			c->agent = true;
			break;
		case 'l':
			c->line = true;
			break;
		case 'k':
			ret_files->key = optarg;
			break;
		case 'o':
			ret_files->oper = optarg;
			break;
		case 's':
			c->tls = true;
			break;
		case 'C':
			if (strlen(optarg) >= sizeof(c->ca_file))
				return usage_error("--ca-file path is too long");
			snprintf(c->ca_file, sizeof(c->ca_file), "%s", optarg);
			break;
		case 'I':
			c->insecure = true;
			break;
		case 't':
			if (!parse_seconds(optarg, &o->timeout))
				return usage_error("--timeout takes seconds, not '%s'", optarg);
			break;
		case 'r':
			o->reconnect = true;
			break;
		case 'd':
			if (!*optarg || strlen(optarg) >= sizeof(c->download_dir))
				return usage_error("%s",
						   "--download-dir wants a path, not too long");
			snprintf(c->download_dir, sizeof(c->download_dir), "%s", optarg);
			break;
		case 'D':
			c->no_download = true;
			break;
		case 'A':
			c->auto_download = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'V':
			printf("frontdesk %s\n", FRONTDESK_VERSION);
			return EXIT_OK;
		default:
			fprintf(stderr, "Try 'frontdesk --help' for more information.\n");
			return EXIT_USAGE;
		}
	}
	return check_flags(argc, argv, c, ret_files);
}

/* Flags that do not go together; -1 when all is well, else the exit code. */
static int check_flags(int argc, char **argv, const struct session_config *c,
		       const struct key_files *ret_files)
{
	if (argc - optind > 1)
		return usage_error("one target at most, not also '%s'", argv[optind + 1]);
	if (c->agent && c->line)
		return usage_error("%s", "--agent and --line do not go together");
	if (ret_files->oper && c->line)
		return usage_error("%s", "--oper-key needs a framed connection, not --line");
	if ((c->ca_file[0] || c->insecure) && !c->tls)
		return usage_error("%s", "--ca-file and --insecure go with --tls");
	if (c->ca_file[0] && c->insecure)
		return usage_error("%s", "--ca-file and --insecure exclude each other");
	return -1;
}

/* A key file (@what: the flag) into @key; -1 when read, else the exit code. */
static int read_key(const char *what, const char *path, unsigned char *key, size_t max,
		    size_t *ret_len)
{
	int r = auth_read_key(path, S_IRWXG | S_IRWXO, key, max, ret_len);

	if (r >= 0)
		return -1;
	fprintf(stderr, "frontdesk: cannot use %s %s: %s\n", what, path,
		r == -EPERM    ? "others may read it (chmod 600)"
		: r == -EINVAL ? "it is empty"
			       : strerror(-r));
	return EXIT_USAGE;
}

/* ~/Downloads/frontdesk unless --download-dir said; made when the first file comes. */
static int default_download_dir(struct session_config *c)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (c->download_dir[0])
		return -1;
	if (!home || !*home) {
		pw = getpwuid(getuid());
		home = pw && pw->pw_dir ? pw->pw_dir : "/";
	}
	if (snprintf(c->download_dir, sizeof(c->download_dir), "%s/Downloads/frontdesk", home) >=
	    (int)sizeof(c->download_dir))
		return usage_error("%s", "$HOME is too long; use --download-dir");
	return -1;
}

/* What the flags name, made real: the nickname, the target, the keys, TLS. */
static int settle_options(int argc, char **argv, struct client_options *o, const char *nick,
			  const struct key_files *files)
{
	struct session_config *c = &o->session;
	int r;

	if (!nick)
		nick = login_name();
	if (!fd_nick_valid(nick, strlen(nick)))
		return usage_error("bad nickname '%s': 1 to %d characters, not starting with '-', "
				   "without spaces, ':', ',' or control characters",
				   nick, FD_NICK_MAX);
	snprintf(c->nick, sizeof(c->nick), "%s", nick);

	if (optind < argc) {
		if (target_parse(argv[optind], &c->target) < 0)
			return usage_error("bad target '%s': want HOST[:PORT] or unix:PATH",
					   argv[optind]);
		if (c->line && !c->target.is_unix && !strchr(argv[optind], ']') &&
		    !strchr(argv[optind], ':'))
			c->target.port = 6666;
	} else if (c->agent) {
		if (target_agent_default(&c->target) < 0)
			return usage_error("%s",
					   "$RUNTIME_DIRECTORY is too long for a socket path");
	} else {
		target_parse(TARGET_DEFAULT_HOST, &c->target);
		if (c->line)
			c->target.port = 6666;
	}

	if (files->key &&
	    (r = read_key("key file", files->key, c->key, sizeof(c->key), &c->key_len)) >= 0)
		return r;
	if (files->oper && (r = read_key("operator key file", files->oper, c->oper_key,
					 sizeof(c->oper_key), &c->oper_key_len)) >= 0)
		return r;
	if (c->tls && c->target.is_unix)
		return usage_error("%s", "--tls is for TCP targets, not unix:PATH");
	if (c->tls) {
		char err[512];

		if (session_check_tls(c, err, sizeof(err)) < 0) {
			fprintf(stderr, "frontdesk: %s\n", err);
			return EXIT_USAGE;
		}
	}
	o->colour = want_colour();
	o->stamps = isatty(STDOUT_FILENO);
	return default_download_dir(c);
}

/* Fill @o from the command line; return -1 to go on, else the exit code. */
static int parse_options(int argc, char **argv, struct client_options *o)
{
	struct key_files files = { 0 };
	const char *nick = NULL;
	int r = parse_flags(argc, argv, o, &nick, &files);

	return r >= 0 ? r : settle_options(argc, argv, o, nick, &files);
}

int main(int argc, char **argv)
{
	struct client_options opts = { 0 };
	struct event_base *base;
	int code;

	setlocale(LC_ALL, "");
	code = parse_options(argc, argv, &opts);
	if (code >= 0)
		return code;
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	if (!base) {
		fprintf(stderr, "frontdesk: cannot start the event loop\n");
		return EXIT_FAILURE_;
	}
	if (isatty(STDIN_FILENO))
		code = term_run(base, &opts);
	else
		code = script_run(base, &opts);
	explicit_bzero(opts.session.key, sizeof(opts.session.key));
	explicit_bzero(opts.session.oper_key, sizeof(opts.session.oper_key));
	event_base_free(base);
	return code;
}
