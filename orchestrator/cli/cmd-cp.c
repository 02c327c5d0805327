/* ccompose cp: copy files and directories between a service's container
 * and the host, as docker compose cp does (docker cp's rules for what
 * lands where), as tar streams: runtime/container/copy.c writes and reads
 * them, resolving every container path inside the container's root. A
 * stopped container's files are its overlay mounted again (without its
 * volumes). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "copy.h"
#include "image.h"
#include "state.h"

struct cp_opts {
        bool archive, follow, all;
        int index;
};

/* One side of the copy: a service's container or the host. */
struct cp_side {
        const char *service; /* NULL: the host */
        const char *path;
};

static void cc__cp_help(void)
{
        puts("Usage:  ccompose cp [OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n"
             "        ccompose cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH\n\n"
             "Copy files/folders between a service container and the local filesystem\n\n"
             "Options:\n"
             "      --all             Include containers created by the run command\n"
             "  -a, --archive         Archive mode (copy all uid/gid information)\n"
             "  -L, --follow-link     Always follow symbol link in SRC_PATH\n"
             "      --index int       Index of the container if service has multiple replicas");
}

/* docker's rule: an absolute path or one starting with "." is local;
 * otherwise "SERVICE:PATH" names a container path. */
static struct cp_side cc__cp_split(char *arg)
{
        struct cp_side s = {NULL, arg};
        if (arg[0] == '/' || arg[0] == '.')
                return s;
        char *colon = strchr(arg, ':');
        if (!colon)
                return s;
        *colon = '\0';
        s.service = arg;
        s.path = colon + 1;
        return s;
}

static bool cc__cp_contents_only(const char *path)
{
        return strcmp(path, ".") == 0 || cc_endswith(path, "/.");
}

static bool cc__cp_names_dir(const char *path)
{
        return cc_endswith(path, "/") || cc__cp_contents_only(path);
}

/* The last component of path, without trailing "/" or "/."; "." for "/". */
static char *cc__cp_base(const char *path)
{
        _cleanup_free_ char *clean = cc_path_clean(path);
        const char *slash = strrchr(clean, '/');
        const char *b = slash ? slash + 1 : clean;
        return cc_xstrdup(*b ? b : ".");
}

static char *cc__cp_parent(const char *path)
{
        _cleanup_free_ char *clean = cc_path_clean(path);
        char *slash = strrchr(clean, '/');
        if (!slash)
                return cc_xstrdup(".");
        if (slash == clean)
                return cc_xstrdup("/");
        return cc_xstrndup(clean, (size_t) (slash - clean));
}

struct cp_tar_job {
        int root;
        const char *path;
        bool follow;
        const char *name;
        int outfd;
        struct cc_error err;
        int r;
};

static void *cc__cp_tar_thread(void *data)
{
        struct cp_tar_job *j = data;
        j->r = cc_copy_tar(j->root, j->path, j->follow, j->name, j->outfd, &j->err);
        close(j->outfd);
        return NULL;
}

/* Archive src under src_root as name and extract it into dirfd. */
static int cc__cp_stream(int src_root, const char *src, bool follow, const char *name, int dirfd, bool keep_owner,
                         bool to_host, struct cc_error *err)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return cc_error_setsys(err, -errno, "pipe");
        struct cp_tar_job j = {.root = src_root, .path = src, .follow = follow, .name = name, .outfd = p[1]};
        pthread_t th;
        int e = pthread_create(&th, NULL, cc__cp_tar_thread, &j);
        if (e != 0) {
                close(p[0]);
                close(p[1]);
                return cc_error_setsys(err, -e, "start the archiving thread");
        }
        int r = cc_copy_untar(p[0], dirfd, keep_owner, to_host, err);
        close(p[0]); /* a writer still busy gets EPIPE */
        pthread_join(th, NULL);
        if (j.r < 0) {
                cc_error_set(err, j.r, "%s", cc_error_msg(&j.err));
                r = j.r;
        }
        cc_error_clear(&j.err);
        return r;
}

/* Where an archive of src (a directory or not) goes for dest, following
 * docker cp: into dest when it is a directory (contents only for "dir/.");
 * else dest's parent, with the top entry renamed to dest's name. */
static int cc__cp_plan(const char *src, bool src_dir, const char *dest, int dest_root, char **dir, char **name,
                       struct cc_error *err)
{
        struct stat st;
        _cleanup_close_ int fd = cc_copy_open(dest_root, dest, O_PATH, true);
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
                *dir = cc_xstrdup(dest);
                *name = cc_cp_archive_name(src, src_dir);
                return 0;
        }
        if (fd >= 0) {
                if (src_dir)
                        return cc_error_set(err, -ENOTDIR, "cannot copy a directory to a file: %s", dest);
        } else if (fd != -ENOENT) {
                return cc_error_setsys(err, fd, "%s", dest);
        } else if (!src_dir && cc__cp_names_dir(dest)) {
                return cc_error_set(err, -ENOENT, "no such directory: %s", dest);
        }
        *dir = cc__cp_parent(dest);
        *name = cc__cp_base(dest);
        return 0;
}

static int cc__cp_open_dir(int root, const char *path, const char *where, struct cc_error *err)
{
        int fd = cc_copy_open(root, path, O_RDONLY | O_DIRECTORY, true);
        if (fd == -ENOENT || fd == -ENOTDIR)
                return cc_error_set(err, fd, "%sno such directory: %s", where, path);
        if (fd < 0)
                return cc_error_setsys(err, fd, "%s%s", where, path);
        return fd;
}

static int cc__cp_src_is_dir(int root, const char *path, bool follow, bool *is_dir)
{
        _cleanup_close_ int fd = cc_copy_open(root, path, O_PATH, follow);
        struct stat st;
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode) && cc_endswith(path, "/"))
                return -ENOTDIR;
        *is_dir = S_ISDIR(st.st_mode);
        return 0;
}

static int cc__cp_from(int root, const struct cc_ctr_state *ct, const char *src, const char *dest,
                       const struct cp_opts *o, struct cc_error *err)
{
        bool src_dir = false;
        int r = cc__cp_src_is_dir(root, src, o->follow, &src_dir);
        if (r == -ENOENT)
                return cc_error_set(err, r, "Could not find the file %s in container %s", src, ct->name);
        if (r < 0)
                return cc_error_setsys(err, r, "%s:%s", ct->name, src);
        if (strcmp(dest, "-") == 0) {
                _cleanup_free_ char *name = cc_cp_archive_name(src, src_dir);
                return cc_copy_tar(root, src, o->follow, name, STDOUT_FILENO, err);
        }
        _cleanup_free_ char *dir = NULL, *name = NULL;
        if ((r = cc__cp_plan(src, src_dir, dest, AT_FDCWD, &dir, &name, err)) < 0)
                return r;
        _cleanup_close_ int dfd = cc__cp_open_dir(AT_FDCWD, dir, "", err);
        if (dfd < 0)
                return dfd;
        r = cc__cp_stream(root, src, o->follow, name, dfd, o->archive, true, err);
        return r < 0 ? cc_error_prefix(err, "copy %s:%s to %s", ct->name, src, dest) : r;
}

static int cc__cp_to(int root, const struct cc_ctr_state *ct, const char *src, int stdin_fd, const char *dest,
                     const struct cp_opts *o, struct cc_error *err)
{
        _cleanup_free_ char *where = cc_xasprintf("%s:", ct->name);
        if (strcmp(src, "-") == 0) {
                _cleanup_close_ int dfd = cc_copy_open(root, dest, O_RDONLY | O_DIRECTORY, true);
                if (dfd < 0)
                        return cc_error_set(err, -ENOTDIR, "destination \"%s:%s\" must be a directory", ct->name,
                                            dest);
                int r = cc_copy_untar(stdin_fd, dfd, o->archive, false, err);
                return r < 0 ? cc_error_prefix(err, "copy the archive to %s:%s", ct->name, dest) : r;
        }
        bool src_dir = false;
        int r = cc__cp_src_is_dir(AT_FDCWD, src, o->follow, &src_dir);
        if (r < 0)
                return cc_error_setsys(err, r, "%s %s", o->follow ? "stat" : "lstat", src);
        _cleanup_free_ char *dir = NULL, *name = NULL;
        if ((r = cc__cp_plan(src, src_dir, dest, root, &dir, &name, err)) < 0)
                return cc_error_prefix(err, "%s", ct->name);
        _cleanup_close_ int dfd = cc__cp_open_dir(root, dir, where, err);
        if (dfd < 0)
                return dfd;
        r = cc__cp_stream(AT_FDCWD, src, o->follow, name, dfd, o->archive, false, err);
        return r < 0 ? cc_error_prefix(err, "copy %s to %s:%s", src, ct->name, dest) : r;
}

static int cc__cp_by_number(const void *a, const void *b)
{
        const struct cc_ctr_state *x = *(const struct cc_ctr_state *const *) a;
        const struct cc_ctr_state *y = *(const struct cc_ctr_state *const *) b;
        return (x->number > y->number) - (x->number < y->number);
}

/* The containers a copy reads from (the first) or writes to (all, unless
 * --index), as docker compose picks them. */
static int cc__cp_targets(const struct cc_state *st, const char *service, const struct cp_opts *o, bool from,
                          const struct cc_ctr_state **v, size_t *n)
{
        *n = 0;
        for (size_t i = 0; i < st->n_ctrs; i++) {
                const struct cc_ctr_state *c = &st->ctrs[i];
                if (strcmp(c->service, service) == 0 && (!c->one_off || o->all) &&
                    (o->index == 0 || (!c->one_off && c->number == o->index)))
                        v[(*n)++] = c;
        }
        qsort(v, *n, sizeof(*v), cc__cp_by_number);
        if (from && *n > 1)
                *n = 1;
        if (*n > 0)
                return 0;
        if (o->index > 0)
                fprintf(stderr, "service \"%s\" is not running container #%d\n", service, o->index);
        else
                fprintf(stderr, "no container found for service \"%s\"\n", service);
        return 1;
}

/* stdin copied to a memory file, to be read once per container. */
static int cc__cp_stdin_replayable(void)
{
        int fd = memfd_create("ccompose-cp", MFD_CLOEXEC);
        if (fd < 0)
                return -1;
        char buf[65536];
        ssize_t n;
        while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 || write(fd, buf, (size_t) n) != n) {
                        close(fd);
                        return -1;
                }
        }
        return fd;
}

/* A stopped container's files: its overlay mounted again over the image's layers. */
static int cc__cp_stopped_root(const struct cc_cli *cli, const struct cc_ctr_state *ct, int *root, struct cc_error *err)
{
        struct cc_image_store *s = NULL;
        struct cc_image *img = NULL;
        int r = cc_image_store_open(cli->root, &s, err);
        if (r == 0)
                r = cc_image_lookup(s, ct->image_id && *ct->image_id ? ct->image_id : ct->image, &img, err);
        if (r == 0) {
                _cleanup_free_ char *dir = cc_xasprintf("%s/containers/%s", cli->root, ct->id);
                r = cc_copy_stopped_root(&img->layer_dirs, dir, root, err);
        }
        if (img)
                cc_image_free(img);
        if (s)
                cc_image_store_close(s);
        return r < 0 ? cc_error_prefix(err, "container %s", ct->name) : 0;
}

int cc_cp_open_root(const struct cc_cli *cli, const struct cc_ctr_state *ct, int *root, struct cc_error *err)
{
        int r;
        if ((ct->status == CC_CTR_RUNNING || ct->status == CC_CTR_PAUSED) && cc_proc_alive(ct->pid, ct->pid_start)) {
                r = cc_copy_container_root(ct->pid, root, err);
                if (r == 0 && !cc_proc_alive(ct->pid, ct->pid_start)) {
                        close(*root);
                        *root = -1;
                        r = cc_error_set(err, -ESRCH, "container %s stopped while cp started", ct->name);
                }
                return r;
        }
        if (ct->status == CC_CTR_RESTARTING)
                return cc_error_set(err, -EBUSY, "container %s is restarting: copy when it runs or has stopped",
                                    ct->name);
        return cc__cp_stopped_root(cli, ct, root, err);
}

char *cc_cp_archive_name(const char *path, bool is_dir)
{
        return is_dir && cc__cp_contents_only(path) ? cc_xstrdup(".") : cc__cp_base(path);
}

static int cc__cp_one(struct cc_cli *cli, const struct cc_ctr_state *ct, struct cp_side *src, struct cp_side *dst,
                      int stdin_fd, const struct cp_opts *o)
{
        struct cc_error err = {0};
        _cleanup_close_ int root = -1;
        if (cli->dry_run) {
                cc_cli_dry(" Container %s  Copying", ct->name);
                cc_cli_dry(" Container %s  Copied", ct->name);
                return 0;
        }
        int r = cc_cp_open_root(cli, ct, &root, &err);
        fprintf(cc_cli_status(), " Container %s  Copying\n", ct->name);
        if (r == 0 && src->service)
                r = cc__cp_from(root, ct, src->path, dst->path, o, &err);
        else if (r == 0)
                r = cc__cp_to(root, ct, src->path, stdin_fd, dst->path, o, &err);
        if (r < 0) {
                fprintf(stderr, "%s\n", cc_error_msg(&err));
                cc_error_clear(&err);
                return 1;
        }
        fprintf(cc_cli_status(), " Container %s  Copied\n", ct->name);
        return 0;
}

int cc_cmd_cp(struct cc_cli *cli, int argc, char **argv)
{
        enum { O_INDEX = 1000, O_ALL, O_DRY };
        static const struct option longopts[] = {
                {"archive", no_argument, NULL, 'a'}, {"follow-link", no_argument, NULL, 'L'},
                {"index", required_argument, NULL, O_INDEX}, {"all", no_argument, NULL, O_ALL},
                {"dry-run", no_argument, NULL, O_DRY}, {"help", no_argument, NULL, 'h'},
                {0},
        };
        struct cp_opts o = {0};
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "aLh", longopts, NULL)) != -1) {
                switch (c) {
                case 'a': o.archive = true; break;
                case 'L': o.follow = true; break;
                case O_INDEX:
                        if (cc_cli_parse_index(optarg, &o.index) != 0)
                                return 1;
                        break;
                case O_ALL: o.all = true; break;
                case O_DRY: break;
                case 'h': cc__cp_help(); return 0;
                default: return 1;
                }
        }
        if (argc - optind != 2) {
                fputs("\"ccompose cp\" requires exactly 2 arguments: SERVICE:SRC_PATH DEST_PATH|- or "
                      "SRC_PATH|- SERVICE:DEST_PATH\n",
                      stderr);
                return 1;
        }
        struct cp_side src = cc__cp_split(argv[optind]), dst = cc__cp_split(argv[optind + 1]);
        if (src.service && dst.service) {
                fputs("copying between services is not supported\n", stderr);
                return 1;
        }
        if (!src.service && !dst.service) {
                fputs("unknown copy direction: name the service in SERVICE:PATH on one side\n", stderr);
                return 1;
        }
        const char *service = src.service ? src.service : dst.service;
        const char *cpath = src.service ? src.path : dst.path;
        if (!*cpath) {
                fprintf(stderr, "%s: the path in the container is empty\n", service);
                return 1;
        }
        _cleanup_project_ struct cc_project *p = NULL;
        _cleanup_state_ struct cc_state *st = NULL;
        if (cc_cli_load_project_state(cli, (char **) &service, 1, &p, &st) != 0)
                return 1;
        _cleanup_free_ const struct cc_ctr_state **targets = cc_xcalloc(st->n_ctrs + 1, sizeof(*targets));
        size_t n = 0;
        if (cc__cp_targets(st, service, &o, src.service != NULL, targets, &n) != 0)
                return 1;
        signal(SIGPIPE, SIG_IGN);
        _cleanup_close_ int in = -1;
        if (!src.service && strcmp(src.path, "-") == 0 && n > 1 && (in = cc__cp_stdin_replayable()) < 0) {
                perror("read the archive from standard input");
                return 1;
        }
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
                if (in >= 0 && lseek(in, 0, SEEK_SET) < 0) {
                        perror("rewind the archive");
                        return 1;
                }
                rc = cc__cp_one(cli, targets[i], &src, &dst, in >= 0 ? in : STDIN_FILENO, &o);
        }
        return rc;
}
