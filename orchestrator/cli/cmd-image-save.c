/* `ccompose image save [-o FILE] IMAGE...` (docker save): a docker-archive
 * of images of the store, on standard output or in FILE. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "image-store.h"

int cc_cmd_image_save(struct cc_cli *cli, int argc, char **argv)
{
        const char *output = NULL;
        static const struct option longopts[] = {
                { "output", required_argument, NULL, 'o' },
                { "platform", required_argument, NULL, 'P' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'o': output = optarg; break;
                case 'P': break; /* the store holds one platform per image */
                case 'h':
                        puts("Usage:  ccompose image save [OPTIONS] IMAGE [IMAGE...]\n\n"
                             "Save one or more images to a tar archive (streamed to STDOUT by default), in\n"
                             "the format of docker save (docker load and ccompose image load read it)\n\n"
                             "Options:\n"
                             "  -o, --output string   Write to a file, instead of STDOUT");
                        return 0;
                default:
                        return 1;
                }
        }
        if (optind >= argc) {
                fputs("\"ccompose image save\" requires at least 1 argument: IMAGE [IMAGE...]\n", stderr);
                return 1;
        }
        if ((!output || strcmp(output, "-") == 0) && isatty(STDOUT_FILENO)) {
                fputs("Error: cowardly refusing to save to a terminal. Use the -o flag or redirect\n", stderr);
                return 1;
        }
        if (output && strcmp(output, "-") == 0)
                output = NULL;
        struct cc_image_store *s;
        if (cc_cli_open_store(cli, &s))
                return 1;
        struct cc_error err = {0};
        int rc = 0;
        if (cc_image_save(s, (const char *const *) argv + optind, (size_t) (argc - optind), output, &err) < 0) {
                fprintf(stderr, "Error: %s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                rc = 1;
        }
        cc_image_store_close(s);
        return rc;
}
