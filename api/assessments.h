/* An assessment in MLflow's proto JSON (api/assessments.c), also written inside trace infos. */
#ifndef MLT_API_ASSESSMENTS_H
#define MLT_API_ASSESSMENTS_H

#include "../store/traces.h"
#include "jw.h"

void put_assessment(struct jw *w, const struct assessment *a);

#endif
