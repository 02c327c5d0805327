/* attach's --detach-keys, read as docker reads them. */
#include <errno.h>

#include "cli.h"
#include "tap.h"

TEST(default_and_docker_forms)
{
        char k[16];
        size_t n;
        ASSERT(cc_detach_keys_parse("ctrl-p,ctrl-q", k, sizeof(k), &n) == 0);
        ASSERT(n == 2 && k[0] == 0x10 && k[1] == 0x11);
        ASSERT(cc_detach_keys_parse("ctrl-a,x", k, sizeof(k), &n) == 0);
        ASSERT(n == 2 && k[0] == 1 && k[1] == 'x');
        ASSERT(cc_detach_keys_parse("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", k, sizeof(k), &n) == 0);
        ASSERT(n == 6 && k[0] == 0 && k[1] == 27 && k[2] == 28 && k[3] == 29 && k[4] == 30 && k[5] == 31);
        ASSERT(cc_detach_keys_parse("a", k, sizeof(k), &n) == 0 && n == 1 && k[0] == 'a');
}

TEST(invalid_keys_are_refused)
{
        char k[4];
        size_t n;
        static const char *const bad[] = {"", "ctrl-", "ctrl-1", "ctrl-pq", "ab", "ctrl-p,", ",", "ctrl-P",
                                          "a,b,c,d,e"};
        for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++)
                ASSERT(cc_detach_keys_parse(bad[i], k, sizeof(k), &n) == -EINVAL);
}
