// hcl's own version, and the versions of the servers it talks to.
#pragma once

#include <hcl/consul.hpp>
#include <hcl/docker.hpp>

#include <optional>
#include <string>

namespace hcl {

// hcl's version, from the build ("0.1.0").
const char* version();

namespace ops {

struct VersionReport {
  std::string hcl;
  std::string engine_endpoint;
  std::optional<docker::EngineVersion> engine;
  // The version hcl uses for requests to this engine: the engine's newest, or hcl's when that is
  // older; "" when the engine's window and hcl's do not overlap (api_error then says so).
  std::string api_version;
  std::optional<Error> api_error;
  std::optional<Error> engine_error;
  std::string consul_endpoint;
  std::optional<consul::AgentSelf> consul;
  std::optional<Error> consul_error;
};

// Asks both servers at once (GET /version and Consul's agent, nothing else); a server that cannot
// be asked is reported, not fatal. The Docker client is left set to the version chosen.
VersionReport collect_versions(docker::Client& docker, consul::Client& consul);

}  // namespace ops
}  // namespace hcl
