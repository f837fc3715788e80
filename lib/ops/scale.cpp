// Scaling: `SERVICE=N` arguments and the services they name.
#include <hcl/ops/project.hpp>

#include <hcl/swarm/labels.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace hcl::ops {

Result<ScaleRequest> parse_scale(std::string_view text) {
  auto bad = [&](std::string why) { return Error{ErrorKind::Usage, fmt::format("'{}'", text), std::move(why)}; };
  auto eq = text.find('=');
  if (eq == std::string_view::npos) return bad("expected SERVICE=REPLICAS, like demo-hostname=10");
  ScaleRequest r;
  r.service = std::string(text.substr(0, eq));
  std::string_view n = text.substr(eq + 1);
  if (r.service.empty()) return bad("no service name before '='");
  if (n.empty()) return bad("no number of replicas after '='");
  auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), r.replicas);
  if (ec != std::errc() || p != n.data() + n.size() || n.front() == '-' || n.front() == '+')
    return bad(fmt::format("'{}' is not a number of replicas (0 or more)", n));
  if (r.replicas > 10000) return bad("at most 10000 replicas");
  return r;
}

Result<std::vector<ResolvedService>> resolve_services(docker::Client& api, const std::vector<std::string>& names,
                                                      const std::optional<std::string>& project) {
  auto services = api.services();
  if (!services) return services.error();
  std::vector<ResolvedService> out;
  std::vector<std::string> unknown;
  for (const auto& name : names) {
    std::vector<const docker::Service*> matches;
    for (const auto& s : *services) {
      std::string proj = swarm::project_of(s.spec.labels);
      if (project && proj != *project) continue;
      if (s.spec.name == name || swarm::label(s.spec.labels, swarm::kServiceLabel) == name ||
          (!proj.empty() && s.spec.name == proj + "_" + name))
        matches.push_back(&s);
    }
    // An exact engine name wins over manifest keys of other projects.
    auto exact = std::find_if(matches.begin(), matches.end(), [&](const auto* s) { return s->spec.name == name; });
    if (exact != matches.end()) matches = {*exact};
    if (matches.empty()) {
      unknown.push_back(name);
    } else if (matches.size() > 1) {
      std::vector<std::string> which;
      for (const auto* s : matches) which.push_back(s->spec.name);
      return Error{ErrorKind::Usage, fmt::format("service {}", name),
                   fmt::format("ambiguous: {}; name one or use -p", text::join(which))};
    } else {
      out.push_back({matches.front()->spec.name, matches.front()->id});
    }
  }
  if (!unknown.empty()) {
    return Error{ErrorKind::Usage, fmt::format("service {}", text::join(unknown)),
                 project ? fmt::format("no such service in project {}", *project) : "no such service"};
  }
  return out;
}

ScaleReport scale_services(docker::Client& api, const std::vector<ResolvedService>& services,
                           const std::vector<ScaleRequest>& requests) {
  ScaleReport report;
  for (std::size_t i = 0; i < services.size() && i < requests.size(); ++i) {
    ++report.tried;
    if (auto s = api.scale_service(services[i].id, requests[i].replicas); s)
      report.scaled.push_back({services[i].name, docker::ServiceMode::Replicated, requests[i].replicas, "", false});
    else
      report.failed.emplace_back(services[i].name, s.error());
  }
  return report;
}

Status ScaleReport::status() const {
  if (failed.empty()) return ok();
  if (failed.size() == 1) return failed.front().second;
  return batch_error(failed, tried, "scaling", "service");
}

}  // namespace hcl::ops
