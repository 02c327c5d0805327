/* libFuzzer target: arbitrary bytes as a layer archive (any compression)
 * through the layer unpacker, into a fresh directory each run. Besides
 * crashes, leaks and sanitizer reports, it is a bug when anything appears
 * next to the layer directory (an escape), or when the directory cannot be
 * removed afterwards. Layout: <base>/a/layer is the destination; <base> and
 * <base>/a must hold nothing else. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[] = "/tmp/fuzz-layer-XXXXXX";
static int basefd = -1, afd = -1;

static void cleanup(void)
{
        if (basefd >= 0) {
                cc_layer_rm_tree(basefd, "a", NULL);
                rmdir(base);
        }
}

static void setup(void)
{
        if (!mkdtemp(base)) {
                perror("mkdtemp");
                abort();
        }
        basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (basefd < 0 || mkdirat(basefd, "a", 0700) < 0)
                abort();
        afd = openat(basefd, "a", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (afd < 0)
                abort();
        atexit(cleanup);
        /* Decompression bombs: files stop growing at 16 MiB (EFBIG, no signal). */
        struct rlimit rl = { 16u << 20, 16u << 20 };
        setrlimit(RLIMIT_FSIZE, &rl);
        signal(SIGXFSZ, SIG_IGN);
}

/* dirfd must hold exactly the entry named only. */
static void expect_only(int dirfd, const char *only, const char *where)
{
        int fd = dup(dirfd);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d)
                abort();
        rewinddir(d);
        struct dirent *de;
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
                    (only && strcmp(de->d_name, only) == 0))
                        continue;
                fprintf(stderr, "ESCAPE: \"%s\" appeared in %s\n", de->d_name, where);
                abort();
        }
        closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (basefd < 0)
                setup();
        if (mkdirat(afd, "layer", 0755) < 0)
                abort();
        int lfd = openat(afd, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lfd < 0)
                abort();
        struct cc_error err = {0};
        struct cc_layer_info info;
        cc_layer_unpack_mem(data, size, lfd, CC_LAYER_IMAGE, &info, &err);
        cc_error_clear(&err);
        close(lfd);
        expect_only(basefd, "a", base);
        expect_only(afd, "layer", "the layer's parent");
        if (cc_layer_rm_tree(afd, "layer", &err) < 0) {
                fprintf(stderr, "cannot remove the layer: %s\n", cc_error_msg(&err));
                abort();
        }
        expect_only(afd, NULL, "the layer's parent after removal");
        return 0;
}
