// hcl(1), generated from the command surface (cli_spec.hpp) plus the sections no flag
// definition holds (exit status, environment, files, examples; from the README).
#include "cli_spec.hpp"

#include <hcl/text.hpp>

#include <fmt/format.h>

namespace hcl::cli {
namespace {

// Text for roff: backslashes and dashes escaped, no line starting with a control character.
std::string roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
    line_start = c == '\n';
  }
  return out;
}

std::string join_path(const std::vector<std::string>& path) {
  std::string s = "hcl";
  for (const auto& p : path) s += " " + p;
  return s;
}

std::string option_item(const ArgSpec& a) {
  std::vector<std::string> names;
  for (const auto& s : a.shorts) names.push_back("\\fB\\-" + roff(s) + "\\fR");
  for (const auto& l : a.longs) names.push_back("\\fB\\-\\-" + roff(l) + "\\fR");
  std::string head = text::join(names);
  if (a.kind != ValueKind::Flag) head += " \\fI" + roff(a.name) + "\\fR";
  return fmt::format(".TP\n{}\n{}\n", head, roff(a.help));
}

std::string synopsis(const CommandSpec& c) {
  std::string s = "\\fB" + roff(join_path(c.path)) + "\\fR";
  if (!c.subcommands.empty()) return s + " \\fICOMMAND\\fR";
  bool has_flags = false;
  for (const auto& f : c.flags) has_flags |= f.longs.empty() || f.longs.front() != "help";
  if (has_flags) s += " [\\fIOPTIONS\\fR]";
  for (const auto& p : c.positionals) {
    std::string word = "\\fI" + roff(p.name) + "\\fR" + (p.many ? "..." : "");
    s += " " + (p.required ? word : "[" + word + "]");
  }
  return s;
}

void command_section(const CommandSpec& c, std::string& out) {
  if (!c.path.empty()) {
    out += fmt::format(".SS \"{}\"\n{}\n.PP\n{}\n", roff(join_path(c.path)), synopsis(c), roff(c.help));
    if (!c.aliases.empty()) {
      std::vector<std::string> aliases;
      for (const auto& x : c.aliases) aliases.push_back("\\fB" + roff(x) + "\\fR");
      out += fmt::format(".PP\nAlso: {}.\n", text::join(aliases));
    }
    for (const auto& p : c.positionals) out += fmt::format(".TP\n\\fI{}\\fR\n{}\n", roff(p.name), roff(p.help));
    for (const auto& f : c.flags)
      if (f.longs.empty() || f.longs.front() != "help") out += option_item(f);
  }
  for (const auto& s : c.subcommands) command_section(s, out);
}

constexpr const char* kTail = R"(.SH EXIT STATUS
.TP
.B 0
success
.TP
.B 1
the operation failed for another reason (\fBhcl health\fR: a check failed;
\fBhcl deploy \-\-dry\-run\fR: there are changes)
.TP
.B 2
usage or bad input: unknown command or flag, a malformed address, duration, template, config
file, ...; nothing was sent to the cluster
.TP
.B 3
partial answer: what could be read was printed, a warning says what is missing
.TP
.B 4
server error: the engine or Consul answered with an error or with unexpected data
.TP
.B 5
endpoint unreachable: host not resolved, connection refused, connect or request timeout
.TP
.B 6
TLS or authentication failure
.TP
.B 7
not found
.TP
.B 8
conflict: already exists, or another writer changed it first (run the command again)
.TP
.B 130
interrupted
.PP
\fBhcl run\fR without \fB\-d\fR exits with the container's own status once it ran.
\fBhcl rm\fR, \fBhcl net rm\fR and \fBhcl scale\fR with several names try every one, name every
failure, and exit with the status of the first failure.
.SH ENVIRONMENT
.TP
.B DOCKER_HOST
the Docker engine (\fBssh://\fR[USER@]HOST through OpenSSH, \fBtcp://\fR, \fBunix://\fR, \fBhttp(s)://\fR); default tcp://master:2378
.TP
.BR DOCKER_CONTEXT ", " DOCKER_CONFIG
a docker context by name; the docker CLI's directory (default ~/.docker)
.TP
.BR DOCKER_TLS_VERIFY ", " DOCKER_CERT_PATH
verify the engine with TLS; the directory of ca.pem, cert.pem and key.pem (default ~/.docker)
.TP
.B CONSUL_HTTP_ADDR
the Consul HTTP address; default http://master:8500, or through the engine's ssh when it is an ssh:// one
.TP
.BR CONSUL_HTTP_TOKEN ", " CONSUL_HTTP_TOKEN_FILE
the Consul ACL token, sent as X\-Consul\-Token and never printed (the file wins)
.TP
.BR CONSUL_HTTP_SSL ", " CONSUL_HTTP_SSL_VERIFY ", " CONSUL_CACERT ", " CONSUL_CLIENT_CERT ", " CONSUL_CLIENT_KEY
TLS to Consul
.TP
.B HCL_MASTER
the host of both defaults (master)
.TP
.BR HCL_CONNECT_TIMEOUT ", " HCL_TIMEOUT
connect and request timeouts (3s, 30s)
.TP
.B HCL_CONFIG
the config file
.TP
.B HCL_SSH_PERSIST
how long the shared ssh session of an ssh:// engine stays open after a command (60s; 0: not at all)
.TP
.B NO_COLOR
when set and not empty, no colours (colours are only used on a terminal anyway)
.PP
Precedence, per setting: flag, then environment, then config file, then default.
.SH FILES
.TP
.I $XDG_CONFIG_HOME/hcl/config.yaml
the config file (else \fI~/.config/hcl/config.yaml\fR): keys \fBmaster\fR, \fBdocker.*\fR,
\fBconsul.*\fR, \fBtimeouts.connect\fR, \fBtimeouts.request\fR
.TP
.I ~/.docker/ca.pem, cert.pem, key.pem
the engine's TLS files by default
.SH EXAMPLES
.nf
hcl nodes
hcl nodes \-\-format '{{.Name}} {{.Health}}'
hcl net create apps
hcl run \-\-constraint node.hostname==master hcl\-lab/busybox uname \-n
hcl deploy examples/loadbalancing.yml \-\-wait
hcl scale demo\-hostname=10 \-\-wait
hcl ps \-\-format json | jq \-r '.[].node'
hcl down \-p loadbalancing
hcl health && echo healthy
.fi
.SH SEE ALSO
\fBdocker\fR(1), \fBconsul\fR(1); the JSON output is described in docs/json.md of hcl's sources.
)";

}  // namespace

std::string man_page(const CommandSpec& root, const std::string& version) {
  std::string out = fmt::format(".\\\" Generated by `hcl __man` from the definitions behind `hcl --help`; do not edit.\n"
                                ".TH HCL 1 \"\" \"hcl {}\" \"User Commands\"\n", roff(version));
  out += ".SH NAME\nhcl \\- manage a small Docker swarm + Consul cluster\n";
  out += ".SH SYNOPSIS\n\\fBhcl\\fR [\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]\n";
  out += ".SH DESCRIPTION\n\\fBhcl\\fR: " + roff(root.help.starts_with("hcl: ") ? root.help.substr(5) : root.help) + ".\n.PP\n"
         "Global options may be given before or after the command, except after \\fBhcl run\\fR's IMAGE,\n"
         "where every word belongs to the container.\n";
  out += ".SH GLOBAL OPTIONS\n";
  for (const auto& f : root.flags) out += option_item(f);
  out += ".SH COMMANDS\n";
  command_section(root, out);
  return out + kTail;
}

}  // namespace hcl::cli
