/* The example payloads the test-webhook route sends (webhooks/types.py's example()), as
 * json.dumps writes them. */
#include <string.h>

#include "hooks.h"

static const struct {
    const char *entity, *action, *json;
} examples[] = {
    {"registered_model", "created",
     "{\"name\": \"example_model\", \"tags\": {\"example_key\": \"example_value\"}, "
     "\"description\": \"An example registered model\"}"},
    {"model_version", "created",
     "{\"name\": \"example_model\", \"version\": \"1\", \"source\": \"models:/123\", "
     "\"run_id\": \"abcd1234abcd5678\", \"tags\": {\"example_key\": \"example_value\"}, "
     "\"description\": \"An example model version\"}"},
    {"model_version_tag", "set",
     "{\"name\": \"example_model\", \"version\": \"1\", \"key\": \"example_key\", "
     "\"value\": \"example_value\"}"},
    {"model_version_tag", "deleted",
     "{\"name\": \"example_model\", \"version\": \"1\", \"key\": \"example_key\"}"},
    {"model_version_alias", "created",
     "{\"name\": \"example_model\", \"alias\": \"example_alias\", \"version\": \"1\"}"},
    {"model_version_alias", "deleted", "{\"name\": \"example_model\", \"alias\": \"example_alias\"}"},
    {"prompt", "created",
     "{\"name\": \"example_prompt\", \"tags\": {\"example_key\": \"example_value\"}, "
     "\"description\": \"An example prompt\"}"},
    {"prompt_version", "created",
     "{\"name\": \"example_prompt\", \"version\": \"1\", \"template\": \"Hello {{name}}!\", "
     "\"tags\": {\"example_key\": \"example_value\"}, \"description\": \"An example prompt "
     "version\"}"},
    {"prompt_tag", "set",
     "{\"name\": \"example_prompt\", \"key\": \"example_key\", \"value\": \"example_value\"}"},
    {"prompt_tag", "deleted", "{\"name\": \"example_prompt\", \"key\": \"example_key\"}"},
    {"prompt_version_tag", "set",
     "{\"name\": \"example_prompt\", \"version\": \"1\", \"key\": \"example_key\", "
     "\"value\": \"example_value\"}"},
    {"prompt_version_tag", "deleted",
     "{\"name\": \"example_prompt\", \"version\": \"1\", \"key\": \"example_key\"}"},
    {"prompt_alias", "created",
     "{\"name\": \"example_prompt\", \"alias\": \"example_alias\", \"version\": \"1\"}"},
    {"prompt_alias", "deleted", "{\"name\": \"example_prompt\", \"alias\": \"example_alias\"}"},
    {"budget_policy", "exceeded",
     "{\"budget_policy_id\": \"bp-abc123\", \"budget_unit\": \"USD\", \"budget_amount\": "
     "100.0, \"current_spend\": 105.5, \"duration_unit\": \"MONTHS\", \"duration_value\": 1, "
     "\"target_scope\": \"ENDPOINT\", \"workspace\": \"default\", \"target_value\": "
     "\"ep-abc123\", \"window_start\": 1704067200000}"},
};

const char *hooks_example_payload(const char *entity, const char *action)
{
    for (size_t i = 0; i < sizeof examples / sizeof *examples; i++)
        if (strcmp(examples[i].entity, entity) == 0 && strcmp(examples[i].action, action) == 0)
            return examples[i].json;
    return NULL;
}
