/* How docker shows durations and container states. */
#ifndef CC_PS_FORMAT_H
#define CC_PS_FORMAT_H

#include "state.h"

/* go-units HumanDuration: "Less than a second", "5 seconds", "About a minute", ... */
char *cc_human_duration(long long secs);
/* "Up 5 minutes (healthy)", "Exited (0) 3 seconds ago", ... */
char *cc_ctr_status_text(const struct cc_ctr_state *c, long long now);

/* docker's Publishers of `ps --format json`, from the ports text the
 * supervisor records ("0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"): one
 * {URL, TargetPort, PublishedPort, Protocol} a binding. */
#include <json-c/json.h>
json_object *cc_ports_publishers(const char *ports);

/* cells: rows of cols strings, the first row the header; columns padded
 * like Go's text/tabwriter with padding 3, as docker prints tables. */
void cc_cli_print_table(const struct cc_strv *cells, size_t cols);
/* go-units HumanSizeWithPrecision(size, 3): "1.23kB", "648B" (powers of 1000). */
char *cc_human_size(double size);
/* go-units BytesSize: "1.465MiB" (powers of 1024, 4 digits). */
char *cc_bytes_size(double size);

#endif
