/* SPDX-License-Identifier: ISC */
/*
 * status-text.h - the daemon's /status document (METRICS-SPEC: one JSON object) for a person:
 * a line per subject, a label column, counts and durations in words ("1h 02m", "3.2 KiB").
 * Whatever the document lacks or holds of another type is left out, not guessed at; every
 * string from it is made printable (print_safe()).
 */
#ifndef FRONTDESK_CTL_STATUS_TEXT_H
#define FRONTDESK_CTL_STATUS_TEXT_H

#include <stdio.h>

#include "jread.h"

void status_text(FILE *f, const struct jvalue *doc);

#endif
