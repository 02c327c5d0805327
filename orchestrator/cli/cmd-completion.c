/* ccompose completion bash|zsh|fish: the shell completion scripts. The
 * commands come from the command table (cli.c); flags, and what each
 * argument is (SERVICE, IMAGE, a|b|c), are read at completion time from
 * `ccompose COMMAND --help`; services from `ccompose config --services` of
 * the project the line names, images from `ccompose image ls`: one source
 * each, nothing to drift. zsh runs the bash
 * script through bashcompinit. */
#include <stdio.h>

#include "cli.h"

static const char cc__bash_head[] =
        "# bash completion for ccompose (ccompose completion bash)\n"
        "# Commands, flags (read from `ccompose COMMAND --help`), and for each\n"
        "# argument what its --help usage line names there: SERVICE, the service\n"
        "# names of the project the line names (`ccompose config --services`);\n"
        "# IMAGE, the images of the store (`ccompose image ls`); a|b|c, one of those\n"
        "# words; anything else, files.\n"
        "_ccompose_commands=\"";
static const char cc__bash_tail[] =
        "\"\n"
        "_ccompose_global_flags=\"--ansi --dry-run --env-file --file --help --no-ansi --parallel --profile --progress --project-directory --project-name --version -f -h -p -v\"\n"
        "# what the usage line of COMMAND [SUB] names at argument N (from 0): the\n"
        "# word there, or the last one when it repeats (\"[SERVICE...]\", \"[SERVICES]\")\n"
        "_ccompose_arg() {\n"
        "        local cmd=$1 sub=$2 n=$3\n"
        "        \"${_ccompose_bin:-ccompose}\" $cmd $sub --help 2>/dev/null | awk -v n=\"$n\" -v first=\"$([ -n \"$sub\" ] && echo 5 || echo 4)\" '\n"
        "                /^Usage:/ {\n"
        "                        k = 0\n"
        "                        for (i = first; i <= NF; i++) if ($i != \"[OPTIONS]\") t[k++] = $i\n"
        "                        if (n < k) print t[n]\n"
        "                        else if (k > 0 && t[k - 1] ~ /[.][.][.]|SERVICES/) print t[k - 1]\n"
        "                        exit\n"
        "                }'\n"
        "}\n"
        "# flags of COMMAND [SUB]: every --flag its --help names; with want_arg, only\n"
        "# those that take a value (\"--flag string|int|...\")\n"
        "_ccompose_flags() {\n"
        "        local cmd=$1 sub=$2 want_arg=$3\n"
        "        \"${_ccompose_bin:-ccompose}\" $cmd $sub --help 2>/dev/null | awk -v want=\"$want_arg\" '\n"
        "                /^ *(-[a-zA-Z], )?--[a-z]/ {\n"
        "                        for (i = 1; i <= NF; i++) if ($i ~ /^--[a-z]/) break\n"
        "                        f = $i; sub(/,$/, \"\", f)\n"
        "                        if (want == \"\" || $(i + 1) ~ /^(string|int|stringArray|list|duration|uint64|bytes|float)$/) {\n"
        "                                print f\n"
        "                                if (want != \"\" && i > 1) { s = $(i - 1); sub(/,$/, \"\", s); if (s ~ /^-[a-zA-Z]$/) print s }\n"
        "                        }\n"
        "                }'\n"
        "}\n"
        "_ccompose() {\n"
        "        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
        "        local i w cmd= sub= globals=() npos=0 _ccompose_bin=${COMP_WORDS[0]}\n"
        "        COMPREPLY=()\n"
        "        for ((i = 1; i < COMP_CWORD; i++)); do\n"
        "                w=${COMP_WORDS[i]}\n"
        "                if [ -z \"$cmd\" ]; then\n"
        "                        case $w in\n"
        "                        -f|--file|-p|--project-name|--project-directory|--env-file|--profile|--ansi|--parallel|--progress)\n"
        "                                globals+=(\"$w\" \"${COMP_WORDS[i+1]}\"); ((i++)); continue ;;\n"
        "                        --*=*) globals+=(\"$w\"); continue ;;\n"
        "                        -*) continue ;;\n"
        "                        *) cmd=$w; continue ;;\n"
        "                        esac\n"
        "                fi\n"
        "                if [ \"$cmd\" = image ] && [ -z \"$sub\" ] && [[ $w != -* ]]; then sub=$w; continue; fi\n"
        "                case $w in\n"
        "                --*=*|-) ;;\n"
        "                -*) [[ \" $(_ccompose_flags \"$cmd\" \"$sub\" arg | tr '\\n' ' ') \" == *\" $w \"* ]] && ((i++)) ;;\n"
        "                *) ((npos++)) ;;\n"
        "                esac\n"
        "        done\n"
        "        if [ -z \"$cmd\" ]; then\n"
        "                case $prev in\n"
        "                -f|--file|--env-file) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
        "                --project-directory) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n"
        "                --ansi) COMPREPLY=($(compgen -W \"never always auto\" -- \"$cur\")); return ;;\n"
        "                --progress) COMPREPLY=($(compgen -W \"auto tty plain json quiet\" -- \"$cur\")); return ;;\n"
        "                -p|--project-name|--profile|--parallel) return ;;\n"
        "                esac\n"
        "                if [[ $cur == -* ]]; then\n"
        "                        COMPREPLY=($(compgen -W \"$_ccompose_global_flags\" -- \"$cur\"))\n"
        "                else\n"
        "                        COMPREPLY=($(compgen -W \"$_ccompose_commands\" -- \"$cur\"))\n"
        "                fi\n"
        "                return\n"
        "        fi\n"
        "        if [[ $prev == -* ]] && [[ \" $(_ccompose_flags \"$cmd\" \"$sub\" arg | tr '\\n' ' ') \" == *\" $prev \"* ]]; then\n"
        "                COMPREPLY=($(compgen -f -- \"$cur\"))\n"
        "                return\n"
        "        fi\n"
        "        if [[ $cur == -* ]]; then\n"
        "                COMPREPLY=($(compgen -W \"$(_ccompose_flags \"$cmd\" \"$sub\")\" -- \"$cur\"))\n"
        "                return\n"
        "        fi\n"
        "        if [ \"$cmd\" = image ] && [ -z \"$sub\" ]; then\n"
        "                COMPREPLY=($(compgen -W \"$(\"$_ccompose_bin\" image --help 2>/dev/null | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }')\" -- \"$cur\"))\n"
        "                return\n"
        "        fi\n"
        "        local what; what=$(_ccompose_arg \"$cmd\" \"$sub\" \"$npos\")\n"
        "        case $what in\n"
        "        *SERVICE*)\n"
        "                COMPREPLY=($(compgen -W \"$(\"$_ccompose_bin\" \"${globals[@]}\" config --services 2>/dev/null)\" -- \"$cur\")) ;;\n"
        "        *IMAGE*)\n"
        "                local IFS=$'\\n'\n"
        "                COMPREPLY=($(compgen -W \"$(\"$_ccompose_bin\" image ls --format '{{.Repository}}:{{.Tag}}' 2>/dev/null)\" -- \"$cur\")) ;;\n"
        "        [a-z]*\\|[a-z]*)\n"
        "                [[ $what =~ ^[a-z]+([|][a-z]+)+$ ]] && COMPREPLY=($(compgen -W \"${what//|/ }\" -- \"$cur\")) ;;\n"
        "        *) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
        "        esac\n"
        "}\n"
        "complete -F _ccompose ccompose\n";
static const char cc__fish_head[] =
        "# fish completion for ccompose (ccompose completion fish)\n"
        "# Commands, flags (read from `ccompose COMMAND --help`), and for each\n"
        "# argument what the command's --help usage line names there: SERVICE, the\n"
        "# service names of the project the line names (`ccompose config\n"
        "# --services`); IMAGE, the images of the store; a|b|c, one of those words.\n"
        "complete -c ccompose -f\n"
        "set -g __ccompose_commands ";
static const char cc__fish_tail[] =
        "\n"
        "# the line before the word completed: the global options that name the\n"
        "# project, the command (and image's subcommand), the arguments after it\n"
        "function __ccompose_parse\n"
        "        set -l words (commandline -opc)\n"
        "        set -e words[1]\n"
        "        set -g __ccompose_globals\n"
        "        set -g __ccompose_cmd\n"
        "        set -g __ccompose_npos 0\n"
        "        while set -q words[1]\n"
        "                switch $words[1]\n"
        "                case -f --file -p --project-name --project-directory --env-file --profile\n"
        "                        set -a __ccompose_globals $words[1..2]\n"
        "                        set -e words[1..2]\n"
        "                case --ansi --parallel --progress\n"
        "                        set -e words[1..2]\n"
        "                case '--*=*'\n"
        "                        set -a __ccompose_globals $words[1]\n"
        "                        set -e words[1]\n"
        "                case '-*'\n"
        "                        set -e words[1]\n"
        "                case '*'\n"
        "                        set __ccompose_cmd $words[1]\n"
        "                        set -e words[1]\n"
        "                        break\n"
        "                end\n"
        "        end\n"
        "        if test \"$__ccompose_cmd\" = image; and set -q words[1]; and not string match -q -- '-*' $words[1]\n"
        "                set -a __ccompose_cmd $words[1]\n"
        "                set -e words[1]\n"
        "        end\n"
        "        set -l takes (__ccompose_flags arg)\n"
        "        while set -q words[1]\n"
        "                if contains -- $words[1] $takes\n"
        "                        set -e words[1..2]\n"
        "                        continue\n"
        "                end\n"
        "                string match -q -- '-*' $words[1]; or set __ccompose_npos (math $__ccompose_npos + 1)\n"
        "                set -e words[1]\n"
        "        end\n"
        "end\n"
        "# the flags of the command (with \"arg\": those that take a value)\n"
        "function __ccompose_flags\n"
        "        set -l re '^ *(?:-[a-zA-Z], )?(--[a-z][a-z0-9-]*)'\n"
        "        test \"$argv[1]\" = arg; and set re \"$re [a-z]\"\n"
        "        set -l help (ccompose $__ccompose_cmd --help 2>/dev/null)\n"
        "        string match -r -g -- $re $help\n"
        "        test \"$argv[1]\" = arg; and string match -r -g -- '^ *(-[a-zA-Z]), --[a-z][a-z0-9-]* [a-z]' $help\n"
        "end\n"
        "function __ccompose_no_cmd\n"
        "        __ccompose_parse\n"
        "        test -z \"$__ccompose_cmd\"\n"
        "end\n"
        "# what the usage line names at this argument: the word there, or the last\n"
        "# when it repeats ([SERVICE...])\n"
        "function __ccompose_arg\n"
        "        set -l usage (ccompose $__ccompose_cmd --help 2>/dev/null | string match -r -- '^Usage:.*')\n"
        "        set -l t (string split -n ' ' -- $usage)\n"
        "        set -e t[1..(math 2 + (count $__ccompose_cmd))]\n"
        "        set t (string match -v -- '[OPTIONS]' $t)\n"
        "        set -l n (math $__ccompose_npos + 1)\n"
        "        if test $n -le (count $t)\n"
        "                echo $t[$n]\n"
        "        else if set -q t[-1]; and string match -q -r -- '\\.\\.\\.|SERVICES' $t[-1]\n"
        "                echo $t[-1]\n"
        "        end\n"
        "end\n"
        "function __ccompose_complete\n"
        "        __ccompose_parse\n"
        "        test -n \"$__ccompose_cmd\"; or return\n"
        "        if string match -q -- '-*' (commandline -ct)\n"
        "                __ccompose_flags | sort -u\n"
        "                return\n"
        "        end\n"
        "        if test \"$__ccompose_cmd\" = image\n"
        "                ccompose image --help 2>/dev/null | string replace -r -f '^  ([a-z]+) .*' '$1'\n"
        "                return\n"
        "        end\n"
        "        set -l what (__ccompose_arg)\n"
        "        switch \"$what\"\n"
        "        case '*SERVICE*'\n"
        "                ccompose $__ccompose_globals config --services 2>/dev/null\n"
        "        case '*IMAGE*'\n"
        "                ccompose image ls --format '{{.Repository}}:{{.Tag}}' 2>/dev/null\n"
        "        case '*|*'\n"
        "                string match -q -r -- '^[a-z]+(\\|[a-z]+)+$' $what; and string split '|' -- $what\n"
        "        case ''\n"
        "        case '*'\n"
        "                __fish_complete_path (commandline -ct)\n"
        "        end\n"
        "end\n"
        "complete -c ccompose -n __ccompose_no_cmd -a \"$__ccompose_commands\"\n"
        "complete -c ccompose -n __ccompose_no_cmd -s f -l file -r -F -d \"Compose configuration files\"\n"
        "complete -c ccompose -n __ccompose_no_cmd -s p -l project-name -x -d \"Project name\"\n"
        "complete -c ccompose -n __ccompose_no_cmd -l project-directory -x -a \"(__fish_complete_directories)\" -d \"Alternate working directory\"\n"
        "complete -c ccompose -n __ccompose_no_cmd -l env-file -r -F -d \"Alternate environment file\"\n"
        "complete -c ccompose -n __ccompose_no_cmd -l profile -x -d \"Profile to enable\"\n"
        "complete -c ccompose -n __ccompose_no_cmd -l ansi -x -a \"never always auto\" -d \"When to print ANSI control characters\"\n"
        "complete -c ccompose -n __ccompose_no_cmd -l progress -x -a \"auto tty plain json quiet\" -d \"Type of progress output\"\n"
        "complete -c ccompose -n __ccompose_no_cmd -l dry-run -d \"Execute command in dry run mode\"\n"
        "complete -c ccompose -n \"not __ccompose_no_cmd\" -a \"(__ccompose_complete)\"\n";

static void cc__commands(void)
{
        struct cc_strv names = {0};
        cc_cli_command_names(&names);
        for (size_t i = 0; i < names.n; i++)
                printf("%s%s", i ? " " : "", names.v[i]);
        cc_strv_free(&names);
}

int cc_cmd_completion(struct cc_cli *cli, int argc, char **argv)
{
        if (cc_cli_wants_help(argc, argv)) {
                puts("Usage:  ccompose completion bash|zsh|fish\n\n"
                     "Print the shell completion script for bash, zsh or fish\n\n"
                     "  bash: source <(ccompose completion bash), or save it as\n"
                     "        /usr/share/bash-completion/completions/ccompose\n"
                     "  zsh:  ccompose completion zsh > \"${fpath[1]}/_ccompose\"\n"
                     "  fish: ccompose completion fish > ~/.config/fish/completions/ccompose.fish");
                return 0;
        }
        if (argc != 2) {
                fputs("ccompose completion: name one shell: bash, zsh or fish\n", stderr);
                return 1;
        }
        const char *sh = argv[1];
        if (strcmp(sh, "bash") == 0 || strcmp(sh, "zsh") == 0) {
                if (strcmp(sh, "zsh") == 0)
                        puts("#compdef ccompose\n"
                             "# zsh completion for ccompose (ccompose completion zsh): the bash one, through bashcompinit\n"
                             "autoload -U +X bashcompinit && bashcompinit");
                fputs(cc__bash_head, stdout);
                cc__commands();
                fputs(cc__bash_tail, stdout);
        } else if (strcmp(sh, "fish") == 0) {
                fputs(cc__fish_head, stdout);
                cc__commands();
                fputs(cc__fish_tail, stdout);
        } else {
                fprintf(stderr, "ccompose completion: unknown shell \"%s\": use bash, zsh or fish\n", sh);
                return 1;
        }
        return 0;
}
