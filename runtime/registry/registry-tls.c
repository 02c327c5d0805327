/* TLS to registries: the system's CAs (libcurl's default bundle), plus
 * what Docker's certs.d holds for the registry, as the docker daemon reads
 * it: in <certs.d>/<host:port>/, every *.crt is an extra CA certificate and
 * a NAME.cert with its NAME.key a client certificate. certs.d is
 * /etc/docker/certs.d, or $CCOMPOSE_CERTS_D. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "registry-client.h"

#define CA_FILE_MAX (8u << 20)

char *cc_reg_certs_dir(const char *registry)
{
        const char *root = getenv("CCOMPOSE_CERTS_D");
        if (!root || !*root)
                root = "/etc/docker/certs.d";
        if (strchr(registry, '/') || strcmp(registry, "..") == 0 || strcmp(registry, ".") == 0)
                return NULL;
        char *dir = cc_path_join(root, registry);
        struct stat st;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                free(dir);
                return NULL;
        }
        return dir;
}

static void append_file(struct cc_buf *b, const char *path)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (cc_read_file(path, &data, &len) < 0 || len > CA_FILE_MAX)
                return;
        cc_buf_add(b, data, len);
        cc_buf_putc(b, '\n');
}

/* The default CA bundle followed by the registry's *.crt files, as one PEM
 * blob (libcurl takes either a file or a blob, not both). */
static void build_ca_blob(struct cc_reg_client *c, CURL *e)
{
        struct cc_buf b = {0};
        char *def = NULL;
        if (curl_easy_getinfo(e, CURLINFO_CAINFO, &def) == CURLE_OK && def)
                append_file(&b, def);
        DIR *d = opendir(c->certs_dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (!cc_endswith(de->d_name, ".crt"))
                        continue;
                _cleanup_free_ char *path = cc_path_join(c->certs_dir, de->d_name);
                append_file(&b, path);
        }
        if (d)
                closedir(d);
        c->ca_blob = cc_buf_steal(&b);
        c->ca_blob_len = strlen(c->ca_blob);
}

/* The first NAME.cert that has a NAME.key. */
static bool client_cert(const char *dir, char **cert, char **key)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        bool found = false;
        while (d && !found && (de = readdir(d))) {
                if (!cc_endswith(de->d_name, ".cert"))
                        continue;
                size_t n = strlen(de->d_name) - 5;
                _cleanup_free_ char *keyname = cc_xasprintf("%.*s.key", (int) n, de->d_name);
                _cleanup_free_ char *k = cc_path_join(dir, keyname);
                if (access(k, R_OK) == 0) {
                        *cert = cc_path_join(dir, de->d_name);
                        *key = cc_steal(&k);
                        found = true;
                }
        }
        if (d)
                closedir(d);
        return found;
}

void cc_reg_easy_tls(struct cc_reg_client *c, CURL *e, bool registry_host)
{
        if (!c->certs_dir)
                return;
        if (!c->ca_blob)
                build_ca_blob(c, e);
        if (c->ca_blob_len > 0) {
                struct curl_blob blob = { .data = c->ca_blob, .len = c->ca_blob_len, .flags = CURL_BLOB_NOCOPY };
                curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
        }
        _cleanup_free_ char *cert = NULL, *key = NULL;
        if (registry_host && client_cert(c->certs_dir, &cert, &key)) {
                curl_easy_setopt(e, CURLOPT_SSLCERT, cert); /* libcurl copies the strings */
                curl_easy_setopt(e, CURLOPT_SSLKEY, key);
        }
}
