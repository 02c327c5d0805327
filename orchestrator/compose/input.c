/* Bounded reads of the loader's input files (see input.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc-util.h"
#include "input.h"

int cc_input_too_large(const char *what, const char *name, struct cc_error *err)
{
        return cc_error_set(err, -EFBIG, "%s %s is larger than %s (%zu bytes), the limit for an input file", what,
                            name, CC_INPUT_MAX_SIZE_TEXT, CC_INPUT_MAX_SIZE);
}

int cc_input_read(const char *path, const char *what, char **out, size_t *len, struct cc_error *err)
{
        const size_t limit = CC_INPUT_MAX_SIZE;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return cc_error_setsys(err, -errno, "couldn't read %s %s", what, path);
        /* a regular file says its size: refuse it before reading anything */
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (unsigned long long) st.st_size > limit)
                return cc_input_too_large(what, path, err);

        struct cc_buf b = {0};
        char tmp[65536];
        for (;;) {
                ssize_t n = read(fd, tmp, sizeof(tmp));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = -errno;
                        cc_buf_free(&b);
                        return cc_error_setsys(err, e, "couldn't read %s %s", what, path);
                }
                if (n == 0)
                        break;
                /* a device or pipe: stop as soon as it goes past the limit */
                if ((size_t) n > limit - b.len) {
                        cc_buf_free(&b);
                        return cc_input_too_large(what, path, err);
                }
                cc_buf_add(&b, tmp, (size_t) n);
        }
        if (len)
                *len = b.len;
        *out = cc_buf_steal(&b);
        return 0;
}
