/* SPDX-License-Identifier: ISC */
/* fuzz-config.c - libFuzzer harness for the config parser: any bytes as frontdesk.conf. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char *errors = NULL;
	FILE *f;
	int r;

	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	config_init(&c);
	r = config_load_file(&c, f, "fuzz.conf", &errors);
	fclose(f);
	/* Success and a report exclude each other; a failure always says why. */
	if ((r == 0) != (errors == NULL))
		abort();
	if (r == 0 && (c.max_frame < 64 || c.max_frame > 9999 || c.listen.n > CONFIG_MAX_ENDPOINTS))
		abort();
	free(errors);
	return 0;
}
