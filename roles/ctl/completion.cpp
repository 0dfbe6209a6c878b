// cicd ctl completion bash|zsh: shell completion for the commands, their subcommands and
// flags, and job names (asked from the server with `cicd ctl jobs list -o json` as you type).
#include "session.hpp"

#include "ctl_error.hpp"

#include <iostream>

namespace cicd::ctl {
namespace {

// clang-format off
constexpr const char* k_bash = R"SH(# bash completion for cicd ctl: source <(cicd ctl completion bash)
_cicd_ctl_jobs() {
  cicd ctl jobs list -o json 2>/dev/null | sed -n 's/^    "name": "\(.*\)",$/\1/p'
}
_cicd() {
  local cur=${COMP_WORDS[COMP_CWORD]} role=${COMP_WORDS[1]} cmd=${COMP_WORDS[2]} sub=${COMP_WORDS[3]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "standalone master agent ui ctl --version" -- "$cur")); return
  fi
  [ "$role" = ctl ] || return
  case $COMP_CWORD in
    2) COMPREPLY=($(compgen -W "login jobs run runs logs secrets agents token results apply export completion --help" -- "$cur")); return ;;
    3) case $cmd in
         jobs) COMPREPLY=($(compgen -W "list get delete" -- "$cur")); return ;;
         runs) COMPREPLY=($(compgen -W "list get abort" -- "$cur")); return ;;
         secrets) COMPREPLY=($(compgen -W "set list delete" -- "$cur")); return ;;
         agents) COMPREPLY=($(compgen -W "list drain" -- "$cur")); return ;;
         token) COMPREPLY=($(compgen -W "create" -- "$cur")); return ;;
         results) COMPREPLY=($(compgen -W "list download" -- "$cur")); return ;;
         completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")); return ;;
         run) COMPREPLY=($(compgen -W "$(_cicd_ctl_jobs)" -- "$cur")); return ;;
       esac ;;
  esac
  case "$cmd $sub" in
    "jobs get"|"jobs delete"|"runs list"|"secrets set"|"secrets list"|"secrets delete")
      if [ "$COMP_CWORD" -eq 4 ]; then COMPREPLY=($(compgen -W "$(_cicd_ctl_jobs)" -- "$cur")); return; fi ;;
  esac
  COMPREPLY=($(compgen -W "--server --token --context --config --ca-file -o --output --branch --commit -p --wait --follow -f --from-file --sub --scope --ttl --status --limit --dry-run --prune --help" -- "$cur"))
}
complete -F _cicd cicd
)SH";

constexpr const char* k_zsh = R"SH(#compdef cicd
# zsh completion for cicd ctl: source <(cicd ctl completion zsh)
_cicd() {
  local -a roles commands
  roles=(standalone master agent ui ctl)
  commands=(login jobs run runs logs secrets agents token results apply export completion)
  if (( CURRENT == 2 )); then compadd -- $roles --version; return; fi
  [[ ${words[2]} == ctl ]] || return
  if (( CURRENT == 3 )); then compadd -- $commands; return; fi
  if (( CURRENT == 4 )); then
    case ${words[3]} in
      jobs) compadd -- list get delete ;;
      runs) compadd -- list get abort ;;
      secrets) compadd -- set list delete ;;
      agents) compadd -- list drain ;;
      token) compadd -- create ;;
      results) compadd -- list download ;;
      completion) compadd -- bash zsh ;;
      run) compadd -- ${(f)"$(cicd ctl jobs list -o json 2>/dev/null | sed -n 's/^    "name": "\(.*\)",$/\1/p')"} ;;
    esac
    return
  fi
  compadd -- --server --token --context --config --ca-file -o --output --branch --commit -p --wait \
    --follow -f --from-file --sub --scope --ttl --status --limit --dry-run --prune --help
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _cicd "$@"; else compdef _cicd cicd; fi
)SH";
// clang-format on

} // namespace

int completion(Session&, CommandLine& args) {
  auto shell = args.take("the shell: bash or zsh");
  args.finish();
  if (shell == "bash") {
    std::cout << k_bash;
  } else if (shell == "zsh") {
    std::cout << k_zsh;
  } else {
    throw usage_error("completion is for bash or zsh, not '" + shell + "'");
  }
  return k_exit_ok;
}

} // namespace cicd::ctl
