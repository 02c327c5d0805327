/* How docker shows durations and container states. */
#ifndef CC_PS_FORMAT_H
#define CC_PS_FORMAT_H

#include "state.h"

/* go-units HumanDuration: "Less than a second", "5 seconds", "About a minute", ... */
char *cc_human_duration(long long secs);
/* "Up 5 minutes (healthy)", "Exited (0) 3 seconds ago", ... */
char *cc_ctr_status_text(const struct cc_ctr_state *c, long long now);

#endif
