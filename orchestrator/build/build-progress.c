/* The build's progress as BuildKit shows it. Plain: a vertex opens with
 * "#N [stage i/n] TEXT" and closes with "#N DONE 0.3s", "#N CACHED" or
 * "#N CANCELED" (an error block ends a failed one). On a terminal: a view
 * redrawn in place, "[+] Building 2.1s (5/7)" over a row per vertex with
 * its time, the running ones counting up, the finished ones kept; at the
 * end, the whole list once more, "FINISHED", then what was held back
 * (warnings, an error block). */
#include <stdarg.h>
#include <sys/ioctl.h>
#include <time.h>

#include "build-stage.h"

enum row_state { ROW_RUNNING, ROW_DONE, ROW_CACHED, ROW_CANCELED, ROW_ERROR, ROW_SUB };

struct cc_build_row {
        unsigned no;
        char *text;
        double t0, t1;
        enum row_state state;
};

struct cc_build_view {
        struct cc_build_row *rows;
        size_t n;
        unsigned drawn;          /* lines of the live frame on the screen */
        double start;
        bool closed;             /* the final frame is out: nothing more is drawn */
        struct cc_buf held;      /* lines printed after the final frame */
};

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void term_size(FILE *f, unsigned *cols, unsigned *lines)
{
        struct winsize ws;
        *cols = 80;
        *lines = 24;
        if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 && ws.ws_row > 4) {
                *cols = ws.ws_col;
                *lines = ws.ws_row;
        }
}

static void draw_row(FILE *f, const struct cc_build_row *r, unsigned cols, double now)
{
        static const char *const tags[] = {"", "", "CACHED ", "CANCELED ", "ERROR ", "=> "};
        char time[32] = "";
        if (r->state != ROW_SUB)
                snprintf(time, sizeof(time), "%.1fs", (r->state == ROW_RUNNING ? now : r->t1) - r->t0);
        /* " => TAGTEXT", cut to leave room for the time at the right edge */
        int room = (int) cols - 5 - (int) strlen(tags[r->state]) - (int) strlen(time);
        int len = (int) strlen(r->text);
        if (room < 8)
                room = 8;
        fprintf(f, " => %s%.*s%*s%s\x1b[K\n", tags[r->state], len < room ? len : room, r->text,
                len < room ? room - len + 1 : 1, "", time);
}

/* Draw the frame over the last one: the header and the rows that fit
 * (all of them in the final frame). */
static void redraw(struct cc_builder *b, bool final)
{
        struct cc_build_view *v = b->view;
        unsigned cols, lines, done = 0, total = 0;
        term_size(b->out, &cols, &lines);
        double now = now_s();
        for (size_t i = 0; i < v->n; i++)
                if (v->rows[i].state != ROW_SUB) {
                        total++;
                        done += v->rows[i].state != ROW_RUNNING;
                }
        if (v->drawn)
                fprintf(b->out, "\x1b[%uA\r", v->drawn);
        fprintf(b->out, "[+] Building %.1fs (%u/%u)%s\x1b[K\n", now - v->start, done, total, final ? " FINISHED" : "");
        size_t first = 0;
        if (!final && v->n > lines - 2)
                first = v->n - (lines - 2);
        for (size_t i = first; i < v->n; i++)
                draw_row(b->out, &v->rows[i], cols, now);
        v->drawn = final ? 0 : (unsigned) (v->n - first + 1);
        fflush(b->out);
}

static struct cc_build_row *add_row(struct cc_build_view *v, unsigned no, char *text, enum row_state state)
{
        v->rows = cc_xrealloc(v->rows, (v->n + 1) * sizeof(*v->rows));
        struct cc_build_row *r = &v->rows[v->n++];
        *r = (struct cc_build_row){.no = no, .text = text, .t0 = now_s(), .state = state};
        r->t1 = r->t0;
        return r;
}

void cc_builder_view_start(struct cc_builder *b)
{
        b->view = cc_xcalloc(1, sizeof(*b->view));
        b->view->start = now_s();
}

void cc_builder_view_close(struct cc_builder *b)
{
        struct cc_build_view *v = b->view;
        if (!v || v->closed)
                return;
        redraw(b, true);
        v->closed = true;
        if (v->held.len)
                fputs(v->held.s, b->out);
        fflush(b->out);
}

void cc_builder_view_free(struct cc_builder *b)
{
        struct cc_build_view *v = b->view;
        if (!v)
                return;
        for (size_t i = 0; i < v->n; i++)
                free(v->rows[i].text);
        free(v->rows);
        cc_buf_free(&v->held);
        free(v);
        b->view = NULL;
}

void cc_builder_view_tick(struct cc_builder *b)
{
        if (b->view && !b->view->closed)
                redraw(b, false);
}

bool cc_builder_live(const struct cc_builder *b)
{
        return b->view != NULL;
}

/* A row of the live view, or the plain line "#N TEXT". */
static void emit(struct cc_builder *b, unsigned no, enum row_state state, const char *fmt, va_list ap)
{
        struct cc_buf t = {0};
        cc_buf_vprintf(&t, fmt, ap);
        if (b->view) {
                add_row(b->view, no, cc_buf_steal(&t), state);
                if (!b->view->closed)
                        redraw(b, false);
                return;
        }
        fprintf(b->out, "#%u %s\n", no, t.s);
        cc_buf_free(&t);
        fflush(b->out);
}

struct cc_vertex cc_builder_vertex(struct cc_builder *b, const char *fmt, ...)
{
        struct cc_vertex v = {.no = ++b->vertex, .t0 = now_s()};
        b->last = v;
        if (!b->out)
                return v;
        va_list ap;
        va_start(ap, fmt);
        emit(b, v.no, ROW_RUNNING, fmt, ap);
        va_end(ap);
        return v;
}

void cc_builder_vertex_log(struct cc_builder *b, const char *fmt, ...)
{
        if (!b->out)
                return;
        va_list ap;
        va_start(ap, fmt);
        emit(b, b->last.no, ROW_SUB, fmt, ap);
        va_end(ap);
}

void cc_builder_note(struct cc_builder *b, const char *fmt, ...)
{
        if (!b->out)
                return;
        va_list ap;
        va_start(ap, fmt);
        if (b->view && !b->view->closed) {
                cc_buf_vprintf(&b->view->held, fmt, ap);
        } else {
                vfprintf(b->out, fmt, ap);
                fflush(b->out);
        }
        va_end(ap);
}

void cc_builder_vertex_end(struct cc_builder *b, const struct cc_vertex *v, enum cc_vertex_end how)
{
        if (!b->out)
                return;
        if (b->view) {
                static const enum row_state states[] = {ROW_DONE, ROW_CACHED, ROW_CANCELED, ROW_ERROR};
                for (size_t i = b->view->n; i-- > 0;)
                        if (b->view->rows[i].no == v->no && b->view->rows[i].state == ROW_RUNNING) {
                                b->view->rows[i].state = states[how];
                                b->view->rows[i].t1 = now_s();
                                break;
                        }
                if (!b->view->closed)
                        redraw(b, false);
                return;
        }
        switch (how) {
        case CC_VERTEX_DONE: fprintf(b->out, "#%u DONE %.1fs\n\n", v->no, now_s() - v->t0); break;
        case CC_VERTEX_CACHED: fprintf(b->out, "#%u CACHED\n\n", v->no); break;
        case CC_VERTEX_CANCELED: fprintf(b->out, "#%u CANCELED\n\n", v->no); break;
        case CC_VERTEX_ERROR: break;
        }
        fflush(b->out);
}

void cc_builder_vertex_done(struct cc_builder *b, bool cached)
{
        cc_builder_vertex_end(b, &b->last, cached ? CC_VERTEX_CACHED : CC_VERTEX_DONE);
}
