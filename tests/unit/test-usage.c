/* stats' counters: the parsers of cgroup v1 and v2 files and of
 * /proc/PID/net/dev, on text as the kernel writes it, and the go-units
 * sizes docker prints them with. */
#include <stdint.h>

#include "cgroup.h"
#include "ps-format.h"
#include "tap.h"
#include "usage.h"

TEST(memory_stat_keys_v1_and_v2)
{
        /* v1 memory.stat: total_* after the local counters */
        const char *v1 = "cache 4096\nrss 1277952\ninactive_file 0\ntotal_cache 8192\n"
                         "total_inactive_file 12288\ntotal_active_file 4096\n";
        ASSERT(cc_cgroup_parse_key(v1, "total_inactive_file") == 12288);
        ASSERT(cc_cgroup_parse_key(v1, "inactive_file") == 0);
        ASSERT(cc_cgroup_parse_key(v1, "cache") == 4096);
        ASSERT(cc_cgroup_parse_key(v1, "total") == -1);
        /* v2 memory.stat and cpu.stat */
        const char *v2 = "anon 1048576\nfile 65536\nkernel 0\ninactive_file 32768\nactive_file 32768\n";
        ASSERT(cc_cgroup_parse_key(v2, "inactive_file") == 32768);
        ASSERT(cc_cgroup_parse_key(v2, "file") == 65536);
        const char *cpu = "usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\nnr_periods 0\n";
        ASSERT(cc_cgroup_parse_key(cpu, "usage_usec") == 1234567);
        ASSERT(cc_cgroup_parse_key("", "usage_usec") == -1);
}

TEST(blkio_v1_sums_read_and_write_over_devices)
{
        const char *text = "8:16 Read 4096\n8:16 Write 8192\n8:16 Sync 12288\n8:16 Async 0\n"
                           "8:16 Discard 0\n8:16 Total 12288\n"
                           "253:0 Read 100\n253:0 Write 1\n253:0 Total 101\nTotal 12389\n";
        uint64_t r, w;
        cc_cgroup_parse_blkio(text, &r, &w);
        ASSERT(r == 4196);
        ASSERT(w == 8193);
        cc_cgroup_parse_blkio("Total 0\n", &r, &w);
        ASSERT(r == 0 && w == 0);
}

TEST(io_stat_v2_sums_rbytes_and_wbytes)
{
        const char *text = "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
                           "253:0 rbytes=800 wbytes=200 rios=1 wios=1 dbytes=0 dios=0\n";
        uint64_t r, w;
        cc_cgroup_parse_io_stat(text, &r, &w);
        ASSERT(r == 1460000);
        ASSERT(w == 314773704);
        cc_cgroup_parse_io_stat("", &r, &w);
        ASSERT(r == 0 && w == 0);
}

TEST(memory_limits_v1_unlimited_v2_max)
{
        ASSERT(cc_cgroup_parse_limit("9223372036854771712") == UINT64_MAX);
        ASSERT(cc_cgroup_parse_limit("max") == UINT64_MAX);
        ASSERT(cc_cgroup_parse_limit("268435456") == 268435456);
        ASSERT(cc_cgroup_parse_limit("") == UINT64_MAX);
}

TEST(net_dev_sums_every_interface_but_lo)
{
        const char *text =
                "Inter-|   Receive                                                |  Transmit\n"
                " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
                "    lo:  999999     10    0    0    0     0          0         0   999999      10    0    0    0     0       0          0\n"
                "  eth0:    2150     25    0    0    0     0          0         0     1006      13    0    0    0     0       0          0\n"
                "  eth1:      50      1    0    0    0     0          0         0       6       1    0    0    0     0       0          0\n";
        uint64_t rx, tx;
        cc_usage_parse_net_dev(text, &rx, &tx);
        ASSERT(rx == 2200);
        ASSERT(tx == 1012);
}

TEST(docker_sizes)
{
        char *s;
        ASSERT_STREQ(s = cc_human_size(0), "0B");
        free(s);
        ASSERT_STREQ(s = cc_human_size(2150), "2.15kB");
        free(s);
        ASSERT_STREQ(s = cc_human_size(1982459), "1.98MB");
        free(s);
        ASSERT_STREQ(s = cc_bytes_size(208896), "204KiB");
        free(s);
        ASSERT_STREQ(s = cc_bytes_size(25275920384.0), "23.54GiB");
        free(s);
}
