// Machine-readable output: the documented, stable JSON that `--format json` prints. Field names
// are snake_case and only ever added to, never renamed (see docs/json.md). This is the one place
// besides the clients that uses a JSON library, on purpose: the clients decode the servers' wire
// formats, this file encodes hcl's own.
#pragma once

#include <hcl/config.hpp>
#include <hcl/deploy.hpp>
#include <hcl/docker.hpp>
#include <hcl/health.hpp>
#include <hcl/nodes.hpp>
#include <hcl/tasks.hpp>
#include <hcl/version.hpp>

#include <string>
#include <vector>

namespace hcl::output {

std::string nodes_json(const std::vector<ops::ClusterNode>& nodes);
std::string networks_json(const std::vector<docker::Network>& networks);
std::string network_json(const docker::Network& network);
std::string tasks_json(const std::vector<ops::TaskRow>& rows);
std::string plan_json(const ops::Plan& plan);
std::string projects_json(const std::vector<ops::ProjectSummary>& projects);
std::string health_json(const std::vector<ops::HealthCheckResult>& results);
std::string config_json(const config::Config& config);
std::string version_json(const ops::VersionReport& report);

}  // namespace hcl::output
