/* Docker's ways of showing tables, sizes and durations (go-units,
 * text/tabwriter), shared by ps, images and stats. */
#include <stdio.h>

#include "ps-format.h"

/* Columns padded like Go's tabwriter with padding 3. */
void cc_cli_print_table(const struct cc_strv *cells, size_t cols)
{
        size_t rows = cells->n / cols;
        size_t *w = cc_xcalloc(cols, sizeof(size_t));
        for (size_t r = 0; r < rows; r++)
                for (size_t c = 0; c < cols; c++) {
                        const char *s = cells->v[r * cols + c];
                        size_t len = 0;
                        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                                if ((*p & 0xc0) != 0x80)
                                        len++;
                        if (len > w[c])
                                w[c] = len;
                }
        for (size_t r = 0; r < rows; r++) {
                for (size_t c = 0; c < cols; c++) {
                        const char *s = cells->v[r * cols + c];
                        if (c + 1 == cols) {
                                printf("%s", s);
                                break;
                        }
                        size_t len = 0;
                        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                                if ((*p & 0xc0) != 0x80)
                                        len++;
                        printf("%s%*s", s, (int) (w[c] - len + 3), "");
                }
                putchar('\n');
        }
        free(w);
}

static char *cc__custom_size(double v, int precision, double base, const char *const *units, size_t n)
{
        size_t i = 0;
        while (v >= base && i < n - 1) {
                v /= base;
                i++;
        }
        return cc_xasprintf("%.*g%s", precision, v, units[i]);
}

char *cc_human_size(double size)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
        return cc__custom_size(size, 3, 1000.0, units, CC_ARRAY_SIZE(units));
}

char *cc_bytes_size(double size)
{
        static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
        return cc__custom_size(size, 4, 1024.0, units, CC_ARRAY_SIZE(units));
}
