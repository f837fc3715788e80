// Decoding every Docker Engine API answer hcl reads. The first byte picks the call, the second
// the HTTP status; the rest is the body the fake engine answers with. Whatever the body, the
// client must return a value or an Error, never crash, hang or throw.
#include "fuzz_common.hpp"

#include <hcl/ops/plan.hpp>
#include <hcl/ops/project.hpp>
#include <hcl/docker.hpp>
#include <hcl/ops/nodes.hpp>
#include <hcl/output.hpp>
#include <hcl/ops/tasks.hpp>

using namespace hcl;

namespace {

constexpr int kStatuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 409, 500, 503};

http::Response ping() { return {200, {{"Api-Version", "1.41"}}, "OK"}; }

template <class T>
void check(const Result<T>& r) {
  if (!r) FUZZ_CHECK(r.error().kind != ErrorKind::Failed || !r.error().why.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int call = data[0] % 16;
  const int status = kStatuses[data[1] % std::size(kStatuses)];
  std::string body(fuzz::as_text(data + 2, size - 2));

  fuzz::FuzzTransport t({status, {}, body});
  t.on("GET /_ping", ping());
  docker::Client api(t);

  switch (call) {
    case 0: {  // /_ping: the negotiated version comes from the header
      fuzz::FuzzTransport p({status, {{"Api-Version", body}}, "OK"});
      docker::Client c(p);
      auto v = c.api_version();
      if (v) FUZZ_CHECK(docker::compare_api_versions(*v, docker::kMaxApiVersion) <= 0);
      break;
    }
    case 1: {
      auto v = api.version();
      check(v);
      break;
    }
    case 2: {
      auto nodes = api.nodes();
      check(nodes);
      if (nodes) (void)output::nodes_json(ops::merge_nodes(*nodes, std::nullopt));
      break;
    }
    case 3: {
      auto nets = api.networks();
      check(nets);
      if (nets) (void)output::networks_json(*nets);
      break;
    }
    case 4: {
      auto n = api.network("demo");
      check(n);
      if (n) (void)output::network_json(*n);
      break;
    }
    case 5: {
      docker::NetworkSpec spec;
      spec.name = "demo";
      check(api.create_network(spec));
      break;
    }
    case 6: {
      // The same body for nodes, services and tasks: each decoder sees every shape.
      auto state = api.cluster_state();
      check(state);
      if (state) (void)output::tasks_json(ops::task_rows(*state, ops::TaskFilter{true, {}, {}, {}}));
      break;
    }
    case 7: {
      docker::ServiceSpec spec;
      spec.name = "web";
      check(api.create_service(spec));
      break;
    }
    case 8: {
      auto services = api.services();
      check(services);
      if (services) {
        if (auto projects = ops::list_projects(api)) (void)output::projects_json(*projects);
        for (const auto& s : *services) (void)ops::spec_differences(s.spec, s.spec);
      }
      break;
    }
    case 9: {
      auto s = api.service("web");
      check(s);
      break;
    }
    case 10: {
      auto tasks = api.tasks(std::string("web"));
      check(tasks);
      break;
    }
    case 11: {
      std::size_t out = 0, err = 0;
      docker::LogSink sink{[&](std::string_view d) { out += d.size(); }, [&](std::string_view d) { err += d.size(); }};
      auto r = api.service_logs("web", {}, sink);
      check(r);
      if (r) FUZZ_CHECK(r->first == out && r->second == err);
      break;
    }
    case 12:
      check(api.scale_service("web", 3));
      break;
    case 13: {
      docker::ServiceSpec a, b;
      a.name = "a";
      b.name = "b";
      auto rs = api.write_services({{"", 0, a}, {"id-b", 4, b}});
      FUZZ_CHECK(rs.size() == 2);
      break;
    }
    case 14: {
      check(api.remove_service("web"));
      check(api.remove_network("demo"));
      break;
    }
    case 15: {
      auto r = ops::resolve_services(api, {"web", "lb_web"}, std::nullopt);
      check(r);
      break;
    }
  }
  return 0;
}
