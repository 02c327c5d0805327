/* /etc/hosts of containers: see hosts.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include "hosts.h"

char *net_hosts_render(const struct net_hosts_entry *e, size_t n, const struct cc_strv *extra)
{
        struct cc_buf b = {0};
        cc_buf_puts(&b, "127.0.0.1\tlocalhost\n"
                        "::1\tlocalhost ip6-localhost ip6-loopback\n"
                        "fe00::0\tip6-localnet\n"
                        "ff00::0\tip6-mcastprefix\n"
                        "ff02::1\tip6-allnodes\n"
                        "ff02::2\tip6-allrouters\n");
        for (size_t i = 0; i < n; i++)
                cc_buf_printf(&b, "%s\t%s\n", e[i].ip, e[i].names);
        for (size_t i = 0; extra && i < extra->n; i++) {
                const char *s = extra->v[i];
                size_t k = strcspn(s, ":=");
                if (!s[k])
                        continue;
                cc_buf_printf(&b, "%s\t%.*s\n", s + k + 1, (int) k, s);
        }
        return cc_buf_steal(&b);
}

int net_hosts_write(const char *path, const char *data)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        size_t len = strlen(data);
        ssize_t w = pwrite(fd, data, len, 0);
        int r = w == (ssize_t) len ? 0 : -EIO;
        if (r == 0 && ftruncate(fd, (off_t) len) < 0)
                r = -errno;
        close(fd);
        return r;
}
