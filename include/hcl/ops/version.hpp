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
  std::string api_version;  // the version hcl uses with this engine
  std::optional<Error> engine_error;
  std::string consul_endpoint;
  std::optional<consul::AgentSelf> consul;
  std::optional<Error> consul_error;
};

// Asks both servers at once; a server that cannot be asked is reported, not fatal.
VersionReport collect_versions(docker::Client& docker, consul::Client& consul);

}  // namespace ops
}  // namespace hcl
