#!/bin/bash
# ccompose completion bash|zsh|fish (issue 17): bash's completion function,
# as bash calls it on Tab (COMP_WORDS, COMP_CWORD; the answer in
# COMPREPLY), completes commands, global and command flags, service names
# of the project the line names and images of the store. zsh's completion
# system is driven through a pseudo-terminal (zpty): Tab on a line, the
# matches compadd was given; fish's with `complete -C LINE`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_commands zsh fish
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
        assert_eq "$(comp "$CCOMPOSE" image "")" "$(lines build import inspect load ls pull push rm save tag)" || return 1
        assert_eq "$(comp "$CCOMPOSE" image rm bu)" "busybox:test"
}
t_other_shells() {
        local out
        out=$("$CCOMPOSE" completion zsh) || return 1
        assert_eq "$(head -1 <<<"$out")" "#compdef ccompose" || return 1
        out=$("$CCOMPOSE" completion tcsh 2>&1) && { fail "tcsh accepted"; return 1; }
        assert_contains "$out" 'unknown shell "tcsh": use bash, zsh or fish'
}

# the scripts call the ccompose of PATH, as installed
mkdir -p "$TMP/bin"
ln -s "$CCOMPOSE" "$TMP/bin/ccompose"
# zcomp LINE: the matches zsh's completion system offers on Tab after LINE,
# one a line, sorted: an interactive zsh in a pseudo-terminal, with
# compinit and the script loaded and compadd wrapped to print what it adds
cat >"$TMP/zcomp.zsh" <<'ZSH'
zmodload zsh/zpty zsh/datetime
zpty z zsh -f -i
zpty -w z 'PS1= PS2= RPS1=; autoload -U compinit && compinit -u -D; source <(ccompose completion zsh)'
zpty -w z 'compadd() { local -a m; builtin compadd -O m "$@"; (( $#m )) && print -rl -- "" MATCH:${^m}; builtin compadd "$@"; }'
zpty -w z 'zle-line-init() { print -rn -- ZLE""-WAITS; }; zle -N zle-line-init'
zpty -w z 'zstyle ":completion:*" menu no; print READY-FOR""-LINE'
# the line once zle waits for it (typed ahead, it may be dropped): after
# the set-up's last command, the next line's zle-line-init
zpty -r z ready '*READY-FOR-LINE*'
zpty -r z ready '*ZLE-WAITS*'
zpty -n -w z "$1"$'\t'
zpty -w z $'\C-u''print END-OF""-MATCHES'
out= end=$(( EPOCHREALTIME + 30 ))
while (( EPOCHREALTIME < end )); do
        if zpty -r -t z chunk; then out+=$chunk; else sleep 0.05; fi
        [[ $out == *END-OF-MATCHES* ]] && break
done
zpty -d z
[[ $out == *END-OF-MATCHES* ]] || { print -u2 "zsh did not answer: $out"; exit 1; }
# (the lines compadd printed; the terminal's echo of the set-up has MATCH: mid-line)
print -r -- "$out" | tr -d '\r' | grep '^MATCH:' | sed 's/^MATCH://; s/ .*//' | sort -u
ZSH
zcomp() { PATH=$TMP/bin:$PATH timeout 60 zsh -f "$TMP/zcomp.zsh" "$1"; }
# fcomp LINE: fish's completions of LINE, without their descriptions
fcomp() { PATH=$TMP/bin:$PATH fish -N -c 'source (ccompose completion fish | psub); complete -C $argv[1]' "$1" | cut -f1 | sort -u; }

t_zsh() {
        assert_eq "$(cd "$D" && zcomp "ccompose u")" "$(lines unpause up)" || return 1
        assert_eq "$(cd "$D" && zcomp "ccompose --dry")" "--dry-run" || return 1
        assert_eq "$(cd "$D" && zcomp "ccompose up --abort")" "$(lines --abort-on-container-exit --abort-on-container-failure)" || return 1
        assert_eq "$(cd "$D" && zcomp "ccompose up ")" "$(lines web worker)" || return 1
        assert_eq "$(cd / && zcomp "ccompose -f $D/compose.yaml --profile extra stop ")" "$(lines db web worker)" || return 1
        assert_eq "$(zcomp "ccompose completion ")" "$(lines bash fish zsh)" || return 1
        assert_eq "$(zcomp "ccompose image rm bu")" "busybox:test"
}
t_fish() {
        assert_eq "$(cd "$D" && fcomp "ccompose u")" "$(lines unpause up)" || return 1
        assert_eq "$(cd "$D" && fcomp "ccompose --dry")" "--dry-run" || return 1
        assert_eq "$(cd "$D" && fcomp "ccompose up --abort")" "$(lines --abort-on-container-exit --abort-on-container-failure)" || return 1
        assert_eq "$(cd "$D" && fcomp "ccompose up ")" "$(lines web worker)" || return 1
        assert_eq "$(cd "$D" && fcomp "ccompose logs w")" "$(lines web worker)" || return 1
        # the project and profiles the line names, wherever the shell is
        assert_eq "$(cd / && fcomp "ccompose -f $D/compose.yaml --profile extra stop ")" "$(lines db web worker)" || return 1
        assert_eq "$(cd / && fcomp "ccompose -f $D/compose.yaml u")" "$(lines unpause up)" || return 1
        assert_eq "$(cd / && fcomp "ccompose -p x -f $D/compose.yaml up --no-d")" "--no-deps" || return 1
        # a flag's value is not an argument; exec's service only once
        assert_eq "$(cd "$D" && fcomp "ccompose run -e A=1 --rm we")" "web" || return 1
        assert_eq "$(cd "$D" && fcomp "ccompose exec web wo")" "" || return 1
        assert_eq "$(fcomp "ccompose completion ")" "$(lines bash fish zsh)" || return 1
        assert_eq "$(fcomp "ccompose image ")" "$(lines build import inspect load ls pull push rm save tag)" || return 1
        assert_eq "$(fcomp "ccompose image rm bu")" "busybox:test"
}

run_cases \
        "commands:t_commands" \
        "global and command flags:t_flags" \
        "service names of the project:t_services" \
        "images of the store:t_images" \
        "arguments as the usage line names them:t_usage_line" \
        "zsh and fish scripts; an unknown shell refused:t_other_shells" \
        "zsh: commands, flags, services, words, images through compsys:t_zsh" \
        "fish: commands, flags, services, words, images through complete -C:t_fish"
