/* `ccompose image ...`: load, import, ls, rm, inspect, tag.
 * Implemented in cmd-image.c. */
#ifndef CC_IMAGE_CMD_H
#define CC_IMAGE_CMD_H

struct cc_cli;

/* argv[0] is "image"; returns the process exit code. */
int cc_cmd_image(struct cc_cli *cli, int argc, char **argv);

#endif
