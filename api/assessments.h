/* An assessment in MLflow's proto JSON (api/assessments.c), also written inside trace infos. */
#ifndef MLT_API_ASSESSMENTS_H
#define MLT_API_ASSESSMENTS_H

#include <jansson.h>
#include <stdbool.h>

#include "../store/traces.h"
#include "jw.h"

void put_assessment(struct jw *w, const struct assessment *a);

/* An Assessment object in MLflow's proto JSON (borrowed) into *a, strings from the request's
 * arena: the value as json.dumps writes it, its aggregate, times, metadata. Inside a trace
 * info (in_trace_info), its assessment_id and trace_id are read too and a missing name or
 * source is taken as the proto's default; else both are required. 0, or -1 with c->e set
 * (INVALID_PARAMETER_VALUE). */
struct ctx;
int assessment_read(struct ctx *c, json_t *as, bool in_trace_info, struct assessment *a);

#endif
