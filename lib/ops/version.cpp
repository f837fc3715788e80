#include <hcl/ops/version.hpp>

#include <future>

namespace hcl {

const char* version() { return HCL_VERSION; }

namespace ops {

VersionReport collect_versions(docker::Client& docker, consul::Client& consul) {
  VersionReport r;
  r.hcl = HCL_VERSION;
  r.engine_endpoint = docker.endpoint();
  r.consul_endpoint = consul.endpoint();
  auto consul_side = std::async(std::launch::async, [&consul] { return consul.agent_self(); });
  if (auto v = docker.version()) {
    // /version carries the engine's API version, so no separate negotiation is needed.
    std::string api = docker::compare_api_versions(v->api_version, docker::kMaxApiVersion) < 0
                          ? v->api_version
                          : docker::kMaxApiVersion;
    docker.set_api_version(api);
    r.api_version = api;
    r.engine = std::move(*v);
  } else {
    r.engine_error = v.error();
  }
  if (auto c = consul_side.get()) {
    r.consul = std::move(*c);
  } else {
    r.consul_error = c.error();
  }
  return r;
}

}  // namespace ops
}  // namespace hcl
