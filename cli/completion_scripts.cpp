// The bash, zsh and fish completion scripts, generated from the command surface (cli_spec.hpp).
// Each script has the same shape: data functions (subcommands, flags, what a flag's value or a
// positional is) generated from the spec, and one walker, written once per shell, that reads the
// words typed so far. Live names come from `hcl __complete KIND` under `timeout`, so a cluster
// that does not answer never holds the shell for more than a few seconds.
#include "cli_spec.hpp"

#include <hcl/text.hpp>

#include <fmt/format.h>

#include <set>

namespace hcl::cli {
namespace {

struct Entry {
  const CommandSpec* cmd;
  std::string key;                    // the path joined by spaces: "" for hcl, "net ls"
  std::vector<const ArgSpec*> flags;  // its own flags, then its ancestors'
};

void collect(const CommandSpec& c, std::vector<const ArgSpec*> inherited, std::vector<Entry>& out) {
  Entry e{&c, "", {}};
  for (size_t i = 0; i < c.path.size(); ++i) e.key += (i ? " " : "") + c.path[i];
  std::set<std::string> seen;
  auto add = [&](const ArgSpec* a) {
    std::string id = a->longs.empty() ? a->shorts.front() : a->longs.front();
    if (seen.insert(id).second) e.flags.push_back(a);
  };
  for (const auto& f : c.flags) add(&f);
  if (c.inherits)
    for (const ArgSpec* f : inherited) add(f);
  auto mine = e.flags;
  out.push_back(std::move(e));
  for (const auto& s : c.subcommands) collect(s, mine, out);
}

std::vector<Entry> entries(const CommandSpec& root) {
  std::vector<Entry> out;
  collect(root, {}, out);
  return out;
}

std::vector<std::string> spellings(const ArgSpec& a) {
  std::vector<std::string> out;
  for (const auto& s : a.shorts) out.push_back("-" + s);
  for (const auto& l : a.longs) out.push_back("--" + l);
  return out;
}

// What the walker needs to know about a value: flag (none), free, choice:WORDS, file,
// live:KIND, constraint, scale.
std::string kind_word(const ArgSpec& a) {
  switch (a.kind) {
    case ValueKind::Flag: return "flag";
    case ValueKind::Free: return "free";
    case ValueKind::File: return "file";
    case ValueKind::Constraint: return "constraint";
    case ValueKind::Scale: return "scale";
    case ValueKind::Env: return "env";
    case ValueKind::Choice: {
      std::string w;
      for (const auto& c : a.choices) w += (w.empty() ? "" : " ") + c;
      return "choice:" + w;
    }
    default: return "live:" + live_kind(a.kind);
  }
}

// Root flags that say where the cluster is: passed on to `hcl __complete`. Help, version and
// request logging are not.
bool is_endpoint_flag(const ArgSpec& a) {
  for (const auto& l : a.longs)
    if (l == "help" || l == "version" || l == "verbose") return false;
  return true;
}


std::string single_quote(const std::string& s) {  // for bash and zsh
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string posix_glob(bool before, const std::string& literal, bool after) {
  return (before ? "*" : "") + single_quote(literal) + (after ? "*" : "");
}

std::string fish_glob(bool before, const std::string& literal, bool after);

std::string fish_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// Fish's case patterns are quoted whole: an unquoted * would be globbed against files.
std::string fish_glob(bool before, const std::string& literal, bool after) {
  return fish_quote((before ? "*" : "") + literal + (after ? "*" : ""));
}

struct Arm {
  std::vector<std::string> patterns;  // already quoted
  std::string value;
};

// The data every script needs, as case arms over "PATH/WORD" (POSIX-like shells) or as lists.
struct Data {
  std::vector<Arm> sub;         // "PATH/WORD" -> new path
  std::vector<Arm> commands;    // "PATH" -> subcommand names
  std::vector<Arm> flags;       // "PATH" -> flag spellings
  std::vector<Arm> kinds;       // "PATH/FLAG" -> kind; root flags as "*/FLAG" last
  std::vector<Arm> positional;  // "PATH/N" -> kind; a repeating last one as "PATH/*"
  std::vector<std::string> globals;
  const std::vector<Entry>* all = nullptr;
};

// Quote: a literal for a case pattern; Glob(prefix_glob, literal, suffix_glob): a pattern with
// "*" before and/or after the literal (bash: *'lit', fish: '*lit').
template <class Quote, class Glob>
Data make_data(const std::vector<Entry>& es, Quote q, Glob glob) {
  Data d;
  d.all = &es;
  const Entry& root = es.front();
  for (const auto& e : es) {
    const CommandSpec& c = *e.cmd;
    std::vector<std::string> names;
    for (const auto& s : c.subcommands) {
      std::string key = e.key.empty() ? s.path.back() : e.key + " " + s.path.back();
      Arm arm{{q(e.key + "/" + s.path.back())}, key};
      for (const auto& a : s.aliases) arm.patterns.push_back(q(e.key + "/" + a));
      d.sub.push_back(arm);
      names.push_back(s.path.back());
    }
    if (!names.empty()) d.commands.push_back({{q(e.key)}, text::join(names, " ")});
    std::vector<std::string> fl;
    for (const ArgSpec* a : e.flags)
      for (const auto& s : spellings(*a)) fl.push_back(s);
    d.flags.push_back({{q(e.key)}, text::join(fl, " ")});
    if (&e != &root)
      for (const auto& f : c.flags) {
        std::vector<std::string> pats;
        for (const auto& s : spellings(f)) pats.push_back(q(e.key + "/" + s));
        d.kinds.push_back({pats, kind_word(f)});
      }
    for (size_t i = 0; i < c.positionals.size(); ++i) {
      const ArgSpec& p = c.positionals[i];
      bool repeat = p.many && i + 1 == c.positionals.size();
      d.positional.push_back({{repeat ? glob(false, e.key + "/", true) : q(e.key + "/" + std::to_string(i))}, kind_word(p)});
    }
  }
  for (const auto& f : root.cmd->flags) {
    std::vector<std::string> pats;
    for (const auto& s : spellings(f)) pats.push_back(glob(true, "/" + s, false));
    d.kinds.push_back({pats, kind_word(f)});
    if (is_endpoint_flag(f))
      for (const auto& s : spellings(f)) d.globals.push_back(s);
  }
  return d;
}

// A POSIX-style function setting REPLY from a case over its arguments (bash and zsh alike).
std::string case_function(const std::string& name, const std::string& comment, const std::string& subject,
                          const std::vector<Arm>& arms, const std::string& otherwise) {
  std::string s = fmt::format("{}() {{  # {}\n  case {} in\n", name, comment, subject);
  for (const auto& a : arms) s += fmt::format("    {}) REPLY={} ;;\n", text::join(a.patterns, "|"), single_quote(a.value));
  s += fmt::format("    *) {} ;;\n  esac\n}}\n\n", otherwise);
  return s;
}

std::string posix_data(const Data& d, const std::string& fn) {
  std::string s;
  s += case_function(fn + "_sub", "PATH WORD: REPLY is the path after subcommand WORD; fails for other words",
                     "\"$1/$2\"", d.sub, "return 1");
  s += case_function(fn + "_commands", "PATH: REPLY lists the subcommands", "\"$1\"", d.commands, "REPLY=''");
  s += case_function(fn + "_flags", "PATH: REPLY lists the flags, inherited ones too", "\"$1\"", d.flags, "REPLY=''");
  s += case_function(fn + "_kind", "PATH FLAG: REPLY is what FLAG's value is (flag: it takes none)", "\"$1/$2\"",
                     d.kinds, "REPLY=flag");
  s += case_function(fn + "_positional", "PATH N: REPLY is what the Nth positional argument is",
                     "\"$1/$2\"", d.positional, "REPLY=free");
  std::vector<std::string> pats;
  for (const auto& g : d.globals) pats.push_back(single_quote(g));
  s += fmt::format("{}_global() {{  # FLAG: true for the flags that say where the cluster is\n"
                   "  case \"$1\" in\n    {}) return 0 ;;\n    *) return 1 ;;\n  esac\n}}\n\n",
                   fn, text::join(pats, "|"));
  return s;
}

constexpr const char* kHeader =
    "# Generated by `hcl completion {0}` from the definitions behind `hcl --help`; do not edit.\n"
    "# Live names (nodes, networks, services, projects) come from `hcl __complete KIND`, which\n"
    "# gives up after about a second when the cluster does not answer; `timeout` caps it too.\n\n";

constexpr const char* kBashWalker = R"SH(# KIND: live names, one per line; nothing when the cluster does not answer in time.
_hcl_live() {
  local -a cmd=("${words[0]}" "${globals[@]}" __complete "$1")
  if command -v timeout >/dev/null 2>&1; then
    timeout 3 "${cmd[@]}" 2>/dev/null </dev/null
  else
    "${cmd[@]}" 2>/dev/null </dev/null
  fi
}

# KIND VALUE: fills COMPREPLY with the candidates of KIND that start with VALUE.
_hcl_values() {
  local IFS=$' \t\n' names n
  local -a w=()
  case $1 in
    words:* | choice:*) COMPREPLY=($(compgen -W "${1#*:}" -- "$2")) ;;
    file)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$2"))
      ;;
    live:*)
      names=$(_hcl_live "${1#live:}")
      COMPREPLY=($(compgen -W "$names" -- "$2"))
      ;;
    scale)
      [[ $2 == *=* ]] && return
      names=$(_hcl_live services)
      compopt -o nospace 2>/dev/null
      COMPREPLY=($(compgen -S = -W "$names" -- "$2"))
      ;;
    constraint)
      for n in $(_hcl_live nodes); do w+=("node.hostname==$n" "node.hostname!=$n"); done
      w+=(node.role==manager node.role==worker)
      COMPREPLY=($(compgen -W "${w[*]}" -- "$2"))
      ;;
    env)
      [[ constraint: == "$2"* || $2 == constraint:* ]] || return
      for n in $(_hcl_live nodes); do w+=("constraint:node==$n" "constraint:node!=$n"); done
      COMPREPLY=($(compgen -W "${w[*]}" -- "$2"))
      ;;
    *) COMPREPLY=() ;;
  esac
}

_hcl() {
  local cur prev words cword split_words=1
  if declare -F _get_comp_words_by_ref >/dev/null; then
    _get_comp_words_by_ref -n =: cur prev words cword
    split_words=0
  else
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${COMP_WORDS[COMP_CWORD]}
  fi
  local cmdpath='' npos=0 pending='' word i REPLY kind value=$cur
  local -a globals=()
  for ((i = 1; i < cword; i++)); do
    word=${words[i]}
    if [[ -n $pending ]]; then
      [[ $pending == global ]] && globals+=("$word")
      pending=''
      continue
    fi
    case $word in
      --) ;;
      -*=*) _hcl_global "${word%%=*}" && globals+=("$word") ;;
      -*)
        _hcl_kind "$cmdpath" "$word"
        if [[ $REPLY != flag ]]; then
          pending=value
          if _hcl_global "$word"; then
            globals+=("$word")
            pending=global
          fi
        elif _hcl_global "$word"; then
          globals+=("$word")
        fi
        ;;
      *)
        if _hcl_sub "$cmdpath" "$word"; then
          cmdpath=$REPLY
          npos=0
        else
          ((npos++))
        fi
        ;;
    esac
  done
  if [[ -n $pending ]]; then
    _hcl_kind "$cmdpath" "${words[cword - 1]}"
    kind=$REPLY
  elif [[ $cur == -*=* ]]; then
    _hcl_kind "$cmdpath" "${cur%%=*}"
    kind=$REPLY
    value=${cur#*=}
  elif [[ $cur == -* ]]; then
    _hcl_flags "$cmdpath"
    kind="words:$REPLY"
  else
    _hcl_commands "$cmdpath"
    if [[ -n $REPLY ]]; then
      kind="words:$REPLY"
    else
      _hcl_positional "$cmdpath" "$npos"
      kind=$REPLY
    fi
  fi
  _hcl_values "$kind" "$value"
  # bash replaces only the text after the last = or : of the word; drop what comes before it.
  if ((!split_words)) && [[ $value == *[=:]* ]]; then
    local pre=${value%"${value##*[=:]}"} j
    for j in "${!COMPREPLY[@]}"; do COMPREPLY[j]=${COMPREPLY[j]#"$pre"}; done
  fi
}

complete -F _hcl hcl
)SH";

constexpr const char* kZshWalker = R"SH(# KIND: live names, one per line; nothing when the cluster does not answer in time.
_hcl_live() {
  local -a cmd
  cmd=("${words[1]}" "${globals[@]}" __complete "$1")
  if (( $+commands[timeout] )); then
    timeout 3 "${cmd[@]}" 2>/dev/null </dev/null
  else
    "${cmd[@]}" 2>/dev/null </dev/null
  fi
}

# KIND: offers the candidates of KIND.
_hcl_values() {
  local -a w names
  local n
  case $1 in
    words:* | choice:*)
      w=(${=${1#*:}})
      compadd -a w
      ;;
    file) _files ;;
    live:*)
      names=(${(f)"$(_hcl_live ${1#live:})"})
      compadd -a names
      ;;
    scale)
      [[ $PREFIX == *=* ]] && return
      names=(${(f)"$(_hcl_live services)"})
      compadd -S '=' -a names
      ;;
    constraint)
      for n in ${(f)"$(_hcl_live nodes)"}; do w+=("node.hostname==$n" "node.hostname!=$n"); done
      w+=(node.role==manager node.role==worker)
      compadd -a w
      ;;
    env)
      [[ constraint: == "$PREFIX"* || $PREFIX == constraint:* ]] || return
      for n in ${(f)"$(_hcl_live nodes)"}; do w+=("constraint:node==$n" "constraint:node!=$n"); done
      compadd -a w
      ;;
  esac
}

_hcl() {
  local cmdpath='' npos=0 pending='' word i REPLY kind cur=${words[CURRENT]}
  local -a reply
  local -a globals
  for ((i = 2; i < CURRENT; i++)); do
    word=${words[i]}
    if [[ -n $pending ]]; then
      [[ $pending == global ]] && globals+=("$word")
      pending=''
      continue
    fi
    case $word in
      --) ;;
      -*=*) _hcl_global "${word%%=*}" && globals+=("$word") ;;
      -*)
        _hcl_kind "$cmdpath" "$word"
        if [[ $REPLY != flag ]]; then
          pending=value
          if _hcl_global "$word"; then
            globals+=("$word")
            pending=global
          fi
        elif _hcl_global "$word"; then
          globals+=("$word")
        fi
        ;;
      *)
        if _hcl_sub "$cmdpath" "$word"; then
          cmdpath=$REPLY
          npos=0
        else
          ((npos++))
        fi
        ;;
    esac
  done
  if [[ -n $pending ]]; then
    _hcl_kind "$cmdpath" "${words[CURRENT - 1]}"
    kind=$REPLY
  elif [[ $cur == -*=* ]]; then
    _hcl_kind "$cmdpath" "${cur%%=*}"
    kind=$REPLY
    compset -P '*='
  elif [[ $cur == -* ]]; then
    _hcl_described "$cmdpath" flags
    _describe -t flags 'hcl flag' reply
    return
  else
    _hcl_commands "$cmdpath"
    if [[ -n $REPLY ]]; then
      _hcl_described "$cmdpath" commands
      _describe -t commands 'hcl command' reply
      return
    else
      _hcl_positional "$cmdpath" "$npos"
      kind=$REPLY
    fi
  fi
  _hcl_values "$kind"
}

if [[ "${funcstack[1]}" == _hcl ]]; then
  _hcl "$@"
else
  compdef _hcl hcl
fi
)SH";

constexpr const char* kFishWalker = R"SH(# HCL KIND GLOBALS...: live names, one per line; nothing when the cluster does not answer in time.
function __hcl_live
    set -l cmd $argv[1] $argv[3..-1] __complete $argv[2]
    if command -q timeout
        timeout 3 $cmd 2>/dev/null </dev/null
    else
        $cmd 2>/dev/null </dev/null
    end
end

# KIND VALUE HCL GLOBALS...: prints the candidates of KIND.
function __hcl_values
    set -l kind $argv[1]
    set -l value $argv[2]
    set -l live $argv[3..-1]
    switch $kind
        case 'words:*' 'choice:*'
            string split ' ' -- (string replace -r '^[a-z]+:' '' -- $kind)
        case file
            __fish_complete_path $value
        case 'live:*'
            __hcl_live $live[1] (string replace 'live:' '' -- $kind) $live[2..-1]
        case scale
            string match -q '*=*' -- $value; and return
            for n in (__hcl_live $live[1] services $live[2..-1])
                echo $n=
            end
        case constraint
            for n in (__hcl_live $live[1] nodes $live[2..-1])
                echo node.hostname==$n
                echo node.hostname!=$n
            end
            echo node.role==manager
            echo node.role==worker
        case env
            string match -q -- "$value*" constraint:; or string match -q -- 'constraint:*' $value; or return
            for n in (__hcl_live $live[1] nodes $live[2..-1])
                echo constraint:node==$n
                echo constraint:node!=$n
            end
    end
end

function __hcl_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l cmdpath ''
    set -l npos 0
    set -l pending ''
    set -l globals
    for word in $tokens[2..-1]
        if test -n "$pending"
            test "$pending" = global; and set -a globals -- $word
            set pending ''
            continue
        end
        if test "$word" = --
            continue
        else if string match -q -- '-*=*' $word
            __hcl_global (string split -m1 = -- $word)[1]; and set -a globals -- $word
        else if string match -q -- '-*' $word
            if test (__hcl_kind "$cmdpath" $word) != flag
                set pending value
                if __hcl_global $word
                    set -a globals -- $word
                    set pending global
                end
            else if __hcl_global $word
                set -a globals -- $word
            end
        else
            set -l next (__hcl_sub "$cmdpath" $word)
            if test -n "$next"
                set cmdpath $next
                set npos 0
            else
                set npos (math $npos + 1)
            end
        end
    end
    set -l live $tokens[1] $globals
    if test -n "$pending"
        __hcl_values (__hcl_kind "$cmdpath" $tokens[-1]) $cur $live
    else if string match -q -- '-*=*' $cur
        set -l parts (string split -m1 = -- $cur)
        for v in (__hcl_values (__hcl_kind "$cmdpath" $parts[1]) $parts[2] $live)
            echo $parts[1]=$v
        end
    else if string match -q -- '-*' $cur
        __hcl_flags "$cmdpath"
    else
        set -l subs (__hcl_commands "$cmdpath")
        if test -n "$subs"
            printf '%s\n' $subs
        else
            __hcl_values (__hcl_positional "$cmdpath" $npos) $cur $live
        end
    end
end

complete -c hcl -f -a '(__hcl_complete)'
)SH";

std::string fish_switch(const std::string& name, const std::string& comment, const std::string& subject,
                        const std::vector<Arm>& arms, const std::string& otherwise) {
  std::string s = fmt::format("function {}  # {}\n    switch {}\n", name, comment, subject);
  for (const auto& a : arms) s += fmt::format("        case {}\n            {}\n", text::join(a.patterns, " "), a.value);
  s += fmt::format("        case '*'\n            {}\n    end\nend\n\n", otherwise);
  return s;
}

// Fish prints candidates one per line, "WORD<TAB>description".
std::string fish_lines(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string s;
  for (const auto& [w, h] : items) {
    std::string first = h.substr(0, h.find('\n'));
    s += (s.empty() ? "" : "\n            ") + std::string("printf '%s\\t%s\\n' ") + fish_quote(w) + " " + fish_quote(first);
  }
  return s.empty() ? "true" : s;
}

}  // namespace

std::string bash_completion(const CommandSpec& root) {
  auto es = entries(root);
  Data d = make_data(es, single_quote, posix_glob);
  return "# bash completion for hcl                                   -*- shell-script -*-\n" +
         fmt::format(fmt::runtime(kHeader), "bash") + posix_data(d, "_hcl") + kBashWalker;
}

// zsh shows subcommands and flags with their help: "PATH/commands|flags" -> reply=('word:help' ...).
std::string zsh_described(const std::vector<Entry>& es) {
  auto item = [](const std::string& word, const std::string& help) {
    std::string h = help.substr(0, help.find('\n'));
    return single_quote(word + ":" + h);
  };
  std::string s = "_hcl_described() {  # PATH commands|flags: reply is WORD:HELP for each\n  case \"$1/$2\" in\n";
  for (const auto& e : es) {
    std::vector<std::string> subs, flags;
    for (const auto& c : e.cmd->subcommands) subs.push_back(item(c.path.back(), c.help));
    for (const ArgSpec* a : e.flags)
      for (const auto& sp : spellings(*a)) flags.push_back(item(sp, a->help));
    if (!subs.empty()) s += fmt::format("    {}) reply=({}) ;;\n", single_quote(e.key + "/commands"), text::join(subs, " "));
    s += fmt::format("    {}) reply=({}) ;;\n", single_quote(e.key + "/flags"), text::join(flags, " "));
  }
  return s + "    *) reply=() ;;\n  esac\n}\n\n";
}

std::string zsh_completion(const CommandSpec& root) {
  auto es = entries(root);
  Data d = make_data(es, single_quote, posix_glob);
  return "#compdef hcl\n# zsh completion for hcl\n" + fmt::format(fmt::runtime(kHeader), "zsh") +
         posix_data(d, "_hcl") + zsh_described(es) + kZshWalker;
}

std::string fish_completion(const CommandSpec& root) {
  auto es = entries(root);
  Data d = make_data(es, fish_quote, fish_glob);
  auto echo = [](const std::string& v) { return "echo " + fish_quote(v); };
  std::vector<Arm> sub, kinds, positional, commands, flags;
  for (const auto& a : d.sub) sub.push_back({a.patterns, echo(a.value)});
  for (const auto& a : d.kinds) kinds.push_back({a.patterns, echo(a.value)});
  for (const auto& a : d.positional) positional.push_back({a.patterns, echo(a.value)});
  for (const auto& e : es) {
    std::vector<std::pair<std::string, std::string>> subs, fl;
    for (const auto& s : e.cmd->subcommands) subs.push_back({s.path.back(), s.help});
    for (const ArgSpec* a : e.flags)
      for (const auto& s : spellings(*a)) fl.push_back({s, a->help});
    if (!subs.empty()) commands.push_back({{fish_quote(e.key)}, fish_lines(subs)});
    flags.push_back({{fish_quote(e.key)}, fish_lines(fl)});
  }
  std::vector<std::string> pats;
  for (const auto& g : d.globals) pats.push_back(fish_quote(g));
  std::string s = "# fish completion for hcl\n" + fmt::format(fmt::runtime(kHeader), "fish");
  s += fish_switch("__hcl_sub", "PATH WORD: the path after subcommand WORD; fails for other words", "\"$argv[1]/$argv[2]\"",
                   sub, "return 1");
  s += fish_switch("__hcl_commands", "PATH: the subcommands", "\"$argv[1]\"", commands, "true");
  s += fish_switch("__hcl_flags", "PATH: the flags, inherited ones too", "\"$argv[1]\"", flags, "true");
  s += fish_switch("__hcl_kind", "PATH FLAG: what FLAG's value is (flag: it takes none)", "\"$argv[1]/$argv[2]\"",
                   kinds, "echo flag");
  s += fish_switch("__hcl_positional", "PATH N: what the Nth positional argument is", "\"$argv[1]/$argv[2]\"",
                   positional, "echo free");
  s += fmt::format("function __hcl_global  # FLAG: true for the flags that say where the cluster is\n"
                   "    contains -- $argv[1] {}\nend\n\n", text::join(pats, " "));
  return s + kFishWalker;
}

}  // namespace hcl::cli
