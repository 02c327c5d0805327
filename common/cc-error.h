/* The one error convention: a fallible function returns 0 (or a
 * non-negative result) on success and a negative errno-style code on
 * failure, after filling a struct cc_error with a message that says what
 * was being done. Callers add context with cc_error_prefix(). */
#ifndef CC_ERROR_H
#define CC_ERROR_H

#include "cc-util.h"

struct cc_error {
        int code;      /* negative errno-style code, 0 when unset */
        char *msg;     /* full message, owned */
};

/* Set the error (replacing any earlier one); returns code (negative). */
int cc_error_set(struct cc_error *err, int code, const char *fmt, ...) CC_PRINTF(3, 4);
/* Like cc_error_set, appending ": strerror(-code)". */
int cc_error_setsys(struct cc_error *err, int code, const char *fmt, ...) CC_PRINTF(3, 4);
/* Prepend context: "context: old message". Returns err->code. */
int cc_error_prefix(struct cc_error *err, const char *fmt, ...) CC_PRINTF(2, 3);
void cc_error_clear(struct cc_error *err);
const char *cc_error_msg(const struct cc_error *err);

#endif
