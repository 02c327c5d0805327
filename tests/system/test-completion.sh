#!/bin/bash
# ccompose completion bash|zsh|fish (issue 17): bash's completion function,
# as bash calls it on Tab (COMP_WORDS, COMP_CWORD; the answer in
# COMPREPLY), completes commands, global and command flags, service names
# of the project the line names and images of the store.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UP_PREFIX=ccshipcomp
source "$(dirname "${BASH_SOURCE[0]}")/test-up-lib.sh"

compose <<'YAML'
services:
  web:
    image: busybox:test
  worker:
    image: busybox:test
  db:
    image: busybox:test
    profiles: [extra]
YAML

# comp WORD...: COMPREPLY for the line WORD... (the last word is the one
# completed), one a line, sorted, from a fresh bash that sourced the script
comp() {
        bash -c 'source <("$1" completion bash) || exit 1; shift
                 COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _ccompose
                 printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$CCOMPOSE" "$@"
}
lines() { printf '%s\n' "$@" | sort; }

t_commands() {
        assert_eq "$(comp "$CCOMPOSE" u)" "$(lines unpause up)" || return 1
        assert_eq "$(comp "$CCOMPOSE" com)" "$(lines completion)" || return 1
        # a command not built yet is not offered
        local all; all=$(comp "$CCOMPOSE" "")
        assert_contains "$all" "logs" || return 1
        assert_eq "$(comp "$CCOMPOSE" "" | wc -l)" "$("$CCOMPOSE" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { on = 0 } on' | wc -l)"
}
t_flags() {
        assert_eq "$(comp "$CCOMPOSE" --project-d)" "--project-directory" || return 1
        assert_eq "$(comp "$CCOMPOSE" --ansi a)" "$(lines always auto)" || return 1
        assert_eq "$(comp "$CCOMPOSE" up --abort)" "$(lines --abort-on-container-exit --abort-on-container-failure)" || return 1
        assert_eq "$(comp "$CCOMPOSE" -p x down --vol)" "--volumes"
}
t_services() {
        # the project in the working directory ...
        assert_eq "$(cd "$D" && comp "$CCOMPOSE" up "")" "$(lines web worker)" || return 1
        assert_eq "$(cd "$D" && comp "$CCOMPOSE" logs w)" "$(lines web worker)" || return 1
        # ... or the one -f and --profile name, wherever the shell is
        assert_eq "$(cd / && comp "$CCOMPOSE" -f "$D/compose.yaml" --profile extra stop "")" "$(lines db web worker)" || return 1
        # a flag's value is not a service: -e A=1 is skipped
        assert_eq "$(cd "$D" && comp "$CCOMPOSE" run -e A=1 --rm we)" "web" || return 1
        # after exec's service comes its command: no services offered
        assert_eq "$(cd "$D" && comp "$CCOMPOSE" exec web wo)" "" || return 1
        # no project: nothing, and no error on the terminal
        local out; out=$(cd / && comp "$CCOMPOSE" up "" 2>&1)
        assert_eq "$out" ""
}
# what an argument is comes from the command's own usage line: SERVICE,
# [SERVICE...] (every later argument), IMAGE, a|b|c; no list to keep
t_usage_line() {
        assert_eq "$(cd "$D" && comp "$CCOMPOSE" wait web "")" "$(lines web worker)" || return 1
        assert_eq "$(cd "$D" && comp "$CCOMPOSE" down w)" "$(lines web worker)" || return 1
        assert_eq "$(cd "$D" && comp "$CCOMPOSE" port we)" "web" || return 1
        assert_eq "$(comp "$CCOMPOSE" completion "")" "$(lines bash fish zsh)" || return 1
        assert_eq "$(cd / && comp "$CCOMPOSE" image inspect busybox:test bu)" "busybox:test"
}
t_images() {
        assert_eq "$(comp "$CCOMPOSE" image "")" "$(lines import inspect load ls pull rm tag)" || return 1
        assert_eq "$(comp "$CCOMPOSE" image rm bu)" "busybox:test"
}
t_other_shells() {
        local out
        out=$("$CCOMPOSE" completion zsh) || return 1
        assert_eq "$(head -1 <<<"$out")" "#compdef ccompose" || return 1
        assert_contains "$out" "complete -F _ccompose ccompose" || return 1
        out=$("$CCOMPOSE" completion fish) || return 1
        assert_contains "$out" "complete -c ccompose -n __fish_use_subcommand -a \"attach " || return 1
        out=$("$CCOMPOSE" completion tcsh 2>&1) && { fail "tcsh accepted"; return 1; }
        assert_contains "$out" 'unknown shell "tcsh": use bash, zsh or fish'
}

run_cases \
        "commands:t_commands" \
        "global and command flags:t_flags" \
        "service names of the project:t_services" \
        "images of the store:t_images" \
        "arguments as the usage line names them:t_usage_line" \
        "zsh and fish scripts; an unknown shell refused:t_other_shells"
