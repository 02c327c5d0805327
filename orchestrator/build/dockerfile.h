/* Dockerfiles: the text becomes a list of instructions (parser directives,
 * comments, line continuations, JSON and shell forms, flags), and the words
 * of an instruction are split and expanded as BuildKit's shell lexer does
 * (quotes, the escape character, $VAR, ${VAR}, ${VAR:-x}, ${VAR:+x}, ...).
 * Pure: no syscall; the builder gives the meaning to each instruction. */
#ifndef CC_DOCKERFILE_H
#define CC_DOCKERFILE_H

#include "cc-error.h"
#include "cc-util.h"
#include "env.h"

/* A here-document of RUN, COPY or ADD ("<<EOF" ... "EOF"). */
struct cc_df_heredoc {
        char *name;           /* the delimiter word, quotes removed */
        char *body;           /* the lines up to the delimiter, each with its "\n" */
        bool expand;          /* the delimiter was not quoted: variables expand (COPY) */
};

struct cc_df_instr {
        char *cmd;            /* lower case: "run", "copy" */
        char *text;           /* the instruction as written, continuations joined */
        int line;             /* first line, from 1 */
        struct cc_strv flags; /* "--from=build" as written, before the arguments */
        char *rest;           /* the arguments after the flags, trimmed */
        bool json;            /* rest is a JSON array of strings: in json_args */
        struct cc_strv json_args;
        struct cc_df_heredoc *heredocs; /* in the order of their "<<" in the line */
        size_t nheredocs;
};

struct cc_dockerfile {
        char *path;           /* for messages: "Dockerfile" or the given path */
        char escape;          /* '\\' or '`' (# escape=) */
        char *syntax;         /* # syntax= (accepted, not used), or NULL */
        struct cc_df_instr *instrs;
        size_t n;
};

/* Parse text (the file named path, for messages) into out. Errors name the
 * file and line: "Dockerfile:3: unknown instruction: FORM". */
int cc_df_parse(const char *path, const char *text, struct cc_dockerfile *out, struct cc_error *err);
void cc_df_free(struct cc_dockerfile *df);
/* Fail for an instruction: "Dockerfile:5: RUN exit 3: <message>". */
int cc_df_fail(const struct cc_dockerfile *df, const struct cc_df_instr *in, struct cc_error *err,
               const char *fmt, ...) CC_PRINTF(4, 5);

/* Whether the builder expands variables in the arguments of cmd (the
 * Dockerfile reference's list: ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL
 * USER VOLUME WORKDIR ARG ONBUILD-less). */
bool cc_df_expands(const char *cmd);

/* Split s at unquoted blanks, keeping quotes and escapes in the words (for
 * a later cc_df_expand of each), as parseStringsWhitespaceDelimited and
 * parseWords do. */
void cc_df_split(const char *s, char escape, struct cc_strv *out);

/* One word: quotes removed, escapes applied and, when vars is not NULL,
 * variables expanded from it (unset ones are empty). An error for a bad
 * substitution or ${VAR:?msg} of an unset VAR. */
int cc_df_expand(const char *word, char escape, const struct cc_env *vars, char **out, struct cc_error *err);

/* ENV, LABEL and ARG pairs into out as "k=v": "k=v k2=v2" (each word
 * expanded) or the legacy "k v w" of ENV and LABEL (key, then the rest as
 * one value). With allow_bare (ARG) a word without '=' is a name with no
 * value, "k" in out. On an error out is emptied. */
int cc_df_pairs(const struct cc_df_instr *in, char escape, const struct cc_env *vars, bool allow_bare,
                struct cc_strv *out, struct cc_error *err);

#endif
