/* `ccompose image ...`: load, import, ls, rm, inspect, tag.
 * Implemented in cmd-image.c. */
#ifndef CC_IMAGE_CMD_H
#define CC_IMAGE_CMD_H

struct cc_cli;

/* argv[0] is "image"; returns the process exit code. */
int cc_cmd_image(struct cc_cli *cli, int argc, char **argv);
/* A container of a project of this runtime dir made from image id:
 * "<name>" (caller frees), or NULL. */
char *cc_image_container_using(const struct cc_cli *cli, const char *id);
/* Remove tag ref, then the image it names (ref may be its ID) once no tag
 * and no container of any project names it (with the blobs and layers
 * only it used): down --rmi, watch --prune.
 * 0; 1 when ref names nothing in the store; -errno with err set. */
struct cc_error;
int cc_image_remove_unused(const struct cc_cli *cli, const char *ref, struct cc_error *err);

/* docker image inspect's object for the image with this ID ("sha256:..."),
 * as the CLI prints it and the API answers it; NULL with err set. */
#include <json-c/json.h>
struct cc_image_store;
struct cc_error;
json_object *cc_image_inspect_json(struct cc_image_store *s, const char *id, struct cc_error *err);

#endif
