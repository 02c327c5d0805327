/* The build's progress as BuildKit's plain output shows it: a vertex
 * opens with "#N [stage i/n] TEXT" and closes with "#N DONE 0.3s",
 * "#N CACHED", "#N CANCELED" or (after the error block) nothing more. */
#include <stdarg.h>
#include <time.h>

#include "build-stage.h"

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

struct cc_vertex cc_builder_vertex(struct cc_builder *b, const char *fmt, ...)
{
        struct cc_vertex v = {.no = ++b->vertex, .t0 = now_s()};
        b->last = v;
        if (!b->out)
                return v;
        va_list ap;
        va_start(ap, fmt);
        fprintf(b->out, "#%u ", v.no);
        vfprintf(b->out, fmt, ap);
        fputc('\n', b->out);
        va_end(ap);
        fflush(b->out);
        return v;
}

void cc_builder_vertex_end(struct cc_builder *b, const struct cc_vertex *v, enum cc_vertex_end how)
{
        if (!b->out)
                return;
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
