/* The project-level steps of loading, once every file is merged:
 * profiles, defaults compose-go applies only then, resource names,
 * references between sections, env_file contents, and the order of the
 * printed model. Private to the loader (loader.c, loader-model.c). */
#ifndef CC_LOADER_MODEL_H
#define CC_LOADER_MODEL_H

#include "loader.h"

extern const char *const cc_model_sections[4]; /* networks, volumes, secrets, configs */
bool cc_loader_file_exists(const char *p);

void cc_model_apply_profiles(struct cc_project *p, const struct cc_load_options *o);
int cc_model_finish_services(struct cc_project *p, const struct cc_load_options *o, const char *home,
                             struct cc_error *err);
void cc_model_default_network(struct cc_project *p);
void cc_model_service_defaults(struct cc_project *p);
void cc_model_name_resources(struct cc_project *p);
int cc_model_check_references(struct cc_project *p, struct cc_error *err);
int cc_model_apply_env_files(struct cc_project *p, struct cc_error *err);
int cc_model_apply_label_files(struct cc_project *p, struct cc_error *err);
void cc_model_order(struct cc_project *p);
/* driver_opts values as strings, an empty ipam left out (model-output.c) */
void cc_model_resource_values(struct cc_project *p, const struct cc_load_options *o, const char *home);

#endif
