/* The pull display. Without a prefix it is docker pull's:
 *
 *   latest: Pulling from library/busybox
 *   1eb6147f50d1: Downloading [=====>                      ]  1.049MB/3.169MB
 *   Digest: sha256:...
 *   Status: Downloaded newer image for busybox:latest
 *
 * with a prefix (a service name) docker compose pull's ("web Pulling",
 * " 1eb6147f50d1 Pull complete", "web Pulled"). On a terminal each layer
 * keeps one line, redrawn in place; otherwise a line is printed per change
 * of state, without the progress bars. */
#include <stdio.h>
#include <sys/ioctl.h>
#include <time.h>

#include "image-store.h"
#include "registry.h"

#define REDRAW_INTERVAL 0.1

struct layer_line {
        char id[13];
        char *text;
        enum cc_pull_status status;
};

struct cc_pull_display {
        FILE *out;
        bool tty;
        char *prefix;
        struct layer_line *lines;
        size_t n, cap;
        double last_draw;
        unsigned width;  /* terminal columns, 0 when unknown */
};

struct cc_pull_display *cc_pull_display_new(FILE *out, bool tty, const char *prefix)
{
        struct cc_pull_display *d = cc_xcalloc(1, sizeof(*d));
        d->out = out;
        d->tty = tty;
        d->prefix = prefix ? cc_xstrdup(prefix) : NULL;
        struct winsize ws;
        if (tty && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0)
                d->width = ws.ws_col;
        return d;
}

static void reset_lines(struct cc_pull_display *d)
{
        for (size_t i = 0; i < d->n; i++)
                free(d->lines[i].text);
        d->n = 0;
}

void cc_pull_display_free(struct cc_pull_display *d)
{
        if (!d)
                return;
        reset_lines(d);
        free(d->lines);
        free(d->prefix);
        free(d);
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* go-units HumanSize: decimal units, 4 significant digits. */
static void human(uint64_t v, char *buf, size_t len)
{
        static const char *units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
        double f = (double) v;
        size_t i = 0;
        while (f >= 1000.0 && i + 1 < CC_ARRAY_SIZE(units)) {
                f /= 1000.0;
                i++;
        }
        snprintf(buf, len, "%.4g%s", f, units[i]);
}

static const char *status_text(enum cc_pull_status s)
{
        switch (s) {
        case CC_PULL_LAYER_WAITING: return "Pulling fs layer";
        case CC_PULL_LAYER_EXISTS: return "Already exists";
        case CC_PULL_LAYER_DOWNLOAD: return "Downloading";
        case CC_PULL_LAYER_VERIFYING: return "Verifying Checksum";
        case CC_PULL_LAYER_DOWNLOADED: return "Download complete";
        case CC_PULL_LAYER_EXTRACT: return "Extracting";
        case CC_PULL_LAYER_DONE: return "Pull complete";
        default: return "";
        }
}

static char *layer_text(const struct cc_pull_display *d, const struct cc_pull_event *ev, const char *id)
{
        struct cc_buf b = {0};
        if (d->prefix)
                cc_buf_printf(&b, " %s %s", id, status_text(ev->status));
        else
                cc_buf_printf(&b, "%s: %s", id, status_text(ev->status));
        if (d->tty && ev->status == CC_PULL_LAYER_DOWNLOAD && ev->total > 0) {
                char cur[32], tot[32];
                human(ev->current, cur, sizeof(cur));
                human(ev->total, tot, sizeof(tot));
                /* The bar only when the terminal is wide enough, as docker. */
                if (d->width == 0 || d->width >= 110) {
                        int pct = (int) ((double) ev->current / (double) ev->total * 100.0) / 2;
                        if (pct > 50)
                                pct = 50;
                        cc_buf_puts(&b, " [");
                        for (int i = 0; i < pct; i++)
                                cc_buf_putc(&b, '=');
                        cc_buf_putc(&b, '>');
                        for (int i = pct; i < 50; i++)
                                cc_buf_putc(&b, ' ');
                        cc_buf_putc(&b, ']');
                }
                cc_buf_printf(&b, " %8s/%s", cur, tot);
        }
        /* A line that wraps would break the redrawing. */
        if (d->tty && d->width > 1 && b.len >= d->width) {
                b.len = d->width - 1;
                b.s[b.len] = '\0';
        }
        return cc_buf_steal(&b);
}

static void layer_event(struct cc_pull_display *d, const struct cc_pull_event *ev)
{
        char id[13];
        snprintf(id, sizeof(id), "%.12s", ev->layer && cc_digest_valid(ev->layer) ? cc_digest_hex(ev->layer)
                                                                                   : (ev->layer ? ev->layer : ""));
        size_t i = 0;
        while (i < d->n && strcmp(d->lines[i].id, id) != 0)
                i++;
        bool progress = ev->status == CC_PULL_LAYER_DOWNLOAD || ev->status == CC_PULL_LAYER_EXTRACT;
        if (!d->tty) {
                /* Plain output: states, not progress. */
                if (progress || (i < d->n && d->lines[i].status == ev->status))
                        return;
        } else if (ev->status == CC_PULL_LAYER_DOWNLOAD && i < d->n && ev->current < ev->total &&
                   now() - d->last_draw < REDRAW_INTERVAL) {
                return;
        }
        char *text = layer_text(d, ev, id);
        if (i == d->n) {
                if (d->n == d->cap) {
                        d->cap = d->cap ? d->cap * 2 : 8;
                        d->lines = cc_xrealloc(d->lines, d->cap * sizeof(*d->lines));
                }
                memset(&d->lines[i], 0, sizeof(d->lines[i]));
                snprintf(d->lines[i].id, sizeof(d->lines[i].id), "%s", id);
                d->n++;
                fprintf(d->out, "%s\n", text);
        } else if (d->tty) {
                size_t up = d->n - i;
                fprintf(d->out, "\x1b[%zuA\r\x1b[2K%s\r\x1b[%zuB", up, text, up);
        } else {
                fprintf(d->out, "%s\n", text);
        }
        free(d->lines[i].text);
        d->lines[i].text = text;
        d->lines[i].status = ev->status;
        d->last_draw = now();
        fflush(d->out);
}

void cc_pull_display_event(const struct cc_pull_event *ev, void *display)
{
        struct cc_pull_display *d = display;
        _cleanup_free_ char *repo = NULL, *tag = NULL, *digest = NULL, *fam = NULL, *famref = NULL;
        cc_image_ref_split(ev->ref, &repo, &tag, &digest);
        switch (ev->status) {
        case CC_PULL_RESOLVING:
                reset_lines(d);
                if (d->prefix) {
                        fprintf(d->out, "%s Pulling\n", d->prefix);
                } else {
                        /* "latest: Pulling from library/busybox" */
                        const char *slash = strchr(repo, '/');
                        fam = cc_xstrdup(slash ? slash + 1 : repo);
                        fprintf(d->out, "%s: Pulling from %s\n", digest ? digest : tag ? tag : "latest", fam);
                }
                break;
        case CC_PULL_DONE:
                if (d->prefix) {
                        fprintf(d->out, "%s Pulled\n", d->prefix);
                } else {
                        famref = cc_image_ref_familiar(ev->ref);
                        fprintf(d->out, "Digest: %s\n", ev->digest ? ev->digest : "");
                        fprintf(d->out, "Status: %s for %s\n",
                                ev->updated ? "Downloaded newer image" : "Image is up to date", famref);
                }
                reset_lines(d);
                break;
        default:
                layer_event(d, ev);
                return;
        }
        fflush(d->out);
}
