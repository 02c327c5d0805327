/* A small TAP test runner: every TEST runs in its own forked process (a
 * crash or a failed assertion ends only that test), and its result is one
 * TAP line that meson counts. */
#ifndef CC_TAP_H
#define CC_TAP_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*tap_fn)(void);
void tap_register(const char *name, tap_fn fn);
void tap_fail(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
/* End the running test as skipped, with the reason on its TAP line. */
void tap_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* A new directory "<prefix>-XXXXXX" under the runner's scratch root,
 * removed with everything in it after the last test (malloc'd). */
char *tap_tmpdir(const char *prefix);
int tap_main(int argc, char **argv);

#define TEST(name)                                                                  \
        static void test_##name(void);                                              \
        __attribute__((constructor)) static void tap_reg_##name(void)               \
        {                                                                           \
                tap_register(#name, test_##name);                                   \
        }                                                                           \
        static void test_##name(void)

#define ASSERT(c)                                                                   \
        do {                                                                        \
                if (!(c))                                                           \
                        tap_fail(__FILE__, __LINE__, "assertion failed: %s", #c);  \
        } while (0)

#define ASSERT_STREQ(a, b)                                                          \
        do {                                                                        \
                const char *tap_a_ = (a), *tap_b_ = (b);                           \
                if (!tap_a_ || !tap_b_ || strcmp(tap_a_, tap_b_) != 0)             \
                        tap_fail(__FILE__, __LINE__, "%s == %s: got \"%s\", want \"%s\"", #a, #b, \
                                 tap_a_ ? tap_a_ : "(null)", tap_b_ ? tap_b_ : "(null)"); \
        } while (0)

#define ASSERT_CONTAINS(hay, needle)                                                \
        do {                                                                        \
                const char *tap_h_ = (hay), *tap_n_ = (needle);                    \
                if (!tap_h_ || !strstr(tap_h_, tap_n_))                            \
                        tap_fail(__FILE__, __LINE__, "%s does not contain \"%s\": got \"%s\"", #hay, \
                                 tap_n_, tap_h_ ? tap_h_ : "(null)");              \
        } while (0)

#define ASSERT_INTEQ(a, b)                                                          \
        do {                                                                        \
                long long tap_a_ = (long long) (a), tap_b_ = (long long) (b);      \
                if (tap_a_ != tap_b_)                                               \
                        tap_fail(__FILE__, __LINE__, "%s == %s: got %lld, want %lld", #a, #b, tap_a_, tap_b_); \
        } while (0)

#define ASSERT_NULL(p) ASSERT((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT((p) != NULL)

#endif
