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
    // /version carries both ends of the engine's window, so no separate negotiation is needed.
    if (auto api = docker::choose_api_version({v->min_api_version, v->api_version}, docker.endpoint())) {
      docker.set_api_version(*api);
      r.api_version = *api;
    } else {
      r.api_error = api.error();
    }
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
