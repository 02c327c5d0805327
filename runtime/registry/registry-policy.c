/* Compose pull policies (pull_policy: missing, always, never, build,
 * daily, weekly, every_<duration>) and cc_image_ensure, which `up`, `run`
 * and `create` call before looking an image up. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "image-store.h"
#include "registry.h"

/* "1w2d3h4m5s" -> seconds; -1 when malformed. */
static int64_t parse_interval(const char *s)
{
        int64_t total = 0;
        if (!*s)
                return -1;
        while (*s) {
                if (!isdigit((unsigned char) *s))
                        return -1;
                int64_t n = 0;
                while (isdigit((unsigned char) *s)) {
                        if (n > INT64_MAX / 10 / 604800)
                                return -1;
                        n = n * 10 + (*s++ - '0');
                }
                int64_t unit;
                switch (*s++) {
                case 'w': unit = 604800; break;
                case 'd': unit = 86400; break;
                case 'h': unit = 3600; break;
                case 'm': unit = 60; break;
                case 's': unit = 1; break;
                default: return -1;
                }
                total += n * unit;
        }
        return total;
}

int cc_pull_policy_parse(const char *s, enum cc_pull_policy *policy, int64_t *interval, struct cc_error *err)
{
        *interval = 0;
        if (!s || !*s || strcmp(s, "missing") == 0 || strcmp(s, "if_not_present") == 0) {
                *policy = CC_PULL_POLICY_MISSING;
        } else if (strcmp(s, "always") == 0 || strcmp(s, "refresh") == 0) {
                *policy = CC_PULL_POLICY_ALWAYS;
        } else if (strcmp(s, "never") == 0) {
                *policy = CC_PULL_POLICY_NEVER;
        } else if (strcmp(s, "build") == 0) {
                *policy = CC_PULL_POLICY_BUILD;
        } else if (strcmp(s, "daily") == 0) {
                *policy = CC_PULL_POLICY_EVERY;
                *interval = 86400;
        } else if (strcmp(s, "weekly") == 0) {
                *policy = CC_PULL_POLICY_EVERY;
                *interval = 7 * 86400;
        } else if (cc_startswith(s, "every_") && (*interval = parse_interval(s + 6)) > 0) {
                *policy = CC_PULL_POLICY_EVERY;
        } else {
                return cc_error_set(err, -EINVAL,
                                    "invalid pull_policy \"%s\": use missing, always, never, build, daily, weekly "
                                    "or every_<duration>",
                                    s);
        }
        return 0;
}

/* Is ref in the store, and when did it last arrive (pulled, else added)? */
static bool present(struct cc_image_store *s, const char *ref, time_t *when)
{
        _cleanup_free_ char *id = NULL;
        if (cc_image_index_load(s, NULL) < 0 || cc_image_resolve(s, ref, &id, NULL, NULL) < 0)
                return false;
        _cleanup_free_ char *norm = cc_image_ref_normalize(ref);
        time_t t = norm ? cc_image_pulled(s, norm, NULL) : -1;
        *when = t >= 0 ? t : cc_image_added(s, id);
        return true;
}

int cc_image_ensure(const char *root, const char *ref, const char *pull_policy, const char *platform, bool quiet,
                    struct cc_error *err)
{
        enum cc_pull_policy policy;
        int64_t interval;
        int r = cc_pull_policy_parse(pull_policy, &policy, &interval, err);
        if (r < 0)
                return r;
        struct cc_image_store *s;
        r = cc_image_store_open(root, &s, err);
        if (r < 0)
                return r;
        time_t when = -1;
        bool have = present(s, ref, &when);
        _cleanup_free_ char *norm = cc_image_ref_normalize(ref);
        bool pull;
        switch (policy) {
        case CC_PULL_POLICY_ALWAYS:
                pull = true;
                break;
        case CC_PULL_POLICY_EVERY:
                pull = !have || when < 0 || difftime(time(NULL), when) >= (double) interval;
                break;
        case CC_PULL_POLICY_NEVER:
        case CC_PULL_POLICY_BUILD:
                pull = false;
                if (!have)
                        r = cc_error_set(err, -ENOENT,
                                         "image \"%s\" not found and pull_policy is %s: load it with 'ccompose image "
                                         "load' or pull it with 'ccompose image pull %s'",
                                         ref, pull_policy, ref);
                break;
        default:
                pull = !have;
                break;
        }
        /* An image ID names no registry: never pulled. */
        if (pull && (!norm || cc_startswith(ref, "sha256:"))) {
                pull = false;
                if (!have)
                        r = cc_error_set(err, -ENOENT, "image \"%s\" not found", ref);
        }
        if (r == 0 && pull) {
                struct cc_pull_display *d = quiet ? NULL : cc_pull_display_new(stderr, isatty(STDERR_FILENO), NULL);
                struct cc_pull_options o = {
                        .ref = ref,
                        .platform = platform,
                        .progress = d ? cc_pull_display_event : NULL,
                        .progress_data = d,
                };
                struct cc_pull_result res;
                r = cc_image_pull(s, &o, &res, err);
                cc_pull_result_free(&res);
                cc_pull_display_free(d);
        }
        cc_image_store_close(s);
        return r;
}
