/* SPDX-License-Identifier: ISC */
/* main.c - frontdesk, the terminal client (see the client issue; this is its entry point). */
#include <getopt.h>
#include <stdio.h>

#include "build-config.h"

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			printf("Usage: frontdesk [OPTION]... [HOST[:PORT] | unix:PATH]\n");
			return 0;
		case 'V':
			printf("frontdesk %s\n", FRONTDESK_VERSION);
			return 0;
		default:
			return 2;
		}
	}
	fprintf(stderr, "frontdesk: not implemented yet\n");
	return 1;
}
