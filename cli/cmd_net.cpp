// hcl net create|ls|inspect|rm: overlay networks on the swarm.
#include "commands.hpp"
#include "table.hpp"

#include <hcl/swarm/labels.hpp>
#include <hcl/swarm/networks.hpp>
#include <hcl/output.hpp>
#include <hcl/text.hpp>

#include <fmt/format.h>

namespace hcl::cli {
namespace {

struct CreateOptions {
  docker::NetworkSpec spec;
  std::vector<std::string> labels;
  bool attachable = true;
  bool exist_ok = false;
  std::string subnet, gateway;
};

struct NetListOptions {
  Listing list;
};

struct NetInspectOptions {
  Format format = Format::Table;
  std::string name;
};

struct NetRemoveOptions {
  std::vector<std::string> names;
};

std::string subnets(const docker::Network& n) {
  std::vector<std::string> each;
  for (const auto& c : n.ipam) each.push_back(c.subnet);
  return each.empty() ? "-" : text::join(each, ",");
}

Status run_create(Context& ctx, CreateOptions& o) {
  if (!o.subnet.empty()) o.spec.subnet = o.subnet;
  if (!o.gateway.empty()) o.spec.gateway = o.gateway;
  o.spec.attachable = o.attachable;
  for (const auto& l : o.labels) {
    auto kv = swarm::parse_label(l, "--label");
    if (!kv) return kv.error();
    o.spec.labels[kv->first] = kv->second;
  }
  // Everything hcl can check is checked before the engine is asked.
  if (auto s = swarm::validate_network_spec(o.spec); !s) return s;

  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto created = (*docker)->create_network(o.spec);
  if (!created) {
    if (created.error().kind == ErrorKind::Conflict && o.exist_ok) {
      auto existing = (*docker)->network(o.spec.name);
      if (!existing) return existing.error();
      if (existing->driver != o.spec.driver)
        return Error{ErrorKind::Conflict, fmt::format("network {}", o.spec.name),
                     fmt::format("exists with driver {}, not {}", existing->driver, o.spec.driver)};
      ctx.out(existing->id + "\n");
      return ok();
    }
    if (created.error().kind == ErrorKind::Conflict)
      return Error{ErrorKind::Conflict, fmt::format("network {}", o.spec.name),
                   "already exists (use --exist-ok to accept an existing network)"};
    return wrap(created.error(), fmt::format("creating network {}", o.spec.name));
  }
  if (!created->warning.empty()) ctx.warn(created->warning);
  ctx.out(created->id + "\n");
  return ok();
}

Status run_net_list(Context& ctx, NetListOptions& o) {
  if (auto s = o.list.check(output::networks_json({docker::Network{}})); !s) return s;
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto nets = (*docker)->networks();
  if (!nets) return nets.error();
  std::sort(nets->begin(), nets->end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  if (o.list.quiet) {
    std::string names;
    for (const auto& n : *nets) names += safe_text(n.name) + "\n";
    ctx.out(names);
  } else if (o.list.format == Format::Json) {
    ctx.out(output::networks_json(*nets));
  } else if (o.list.format == Format::Template) {
    ctx.out(o.list.render(output::networks_json(*nets)));
  } else {
    Table t({"NETWORK ID", "NAME", "DRIVER", "SCOPE", "ATTACHABLE", "INTERNAL", "SUBNET"});
    for (const auto& n : *nets)
      t.add({o.list.no_trunc ? n.id : n.id.substr(0, 12), n.name, n.driver, n.scope, n.attachable ? "yes" : "no",
             n.internal ? "yes" : "no", subnets(n)});
    ctx.out(t.render(ctx));
  }
  return ok();
}

Status run_net_inspect(Context& ctx, const NetInspectOptions& o) {
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  auto n = (*docker)->network(o.name);
  if (!n) return n.error();
  if (o.format == Format::Json) {
    ctx.out(output::network_json(*n));
    return ok();
  }
  std::string s = fmt::format("Name:        {}\nID:          {}\nDriver:      {}\nScope:       {}\n"
                              "Attachable:  {}\nInternal:    {}\nCreated:     {}\n",
                              n->name, n->id, n->driver, n->scope, n->attachable ? "yes" : "no",
                              n->internal ? "yes" : "no", n->created);
  for (const auto& c : n->ipam)
    s += fmt::format("Subnet:      {}{}\n", c.subnet, c.gateway.empty() ? "" : " (gateway " + c.gateway + ")");
  for (const auto& [k, v] : n->labels) s += fmt::format("Label:       {}={}\n", k, v);
  // The engine counts only its own endpoints: for an overlay network, those on the manager hcl asked.
  if (n->containers) s += fmt::format("Containers:  {} (on the engine at {})\n", *n->containers, (*docker)->endpoint());
  ctx.out(safe_text(s, true));  // every field is the engine's
  return ok();
}

Status run_net_remove(Context& ctx, const NetRemoveOptions& o) {
  auto docker = ctx.docker();
  if (!docker) return docker.error();
  return remove_each(ctx, o.names, "network", [&](const std::string& n) { return (*docker)->remove_network(n); });
}

}  // namespace

void setup_net(CLI::App* net, Context& ctx) {
  net->alias("network");
  net->require_subcommand(1);

  auto c = std::make_shared<CreateOptions>();
  auto* create = net->add_subcommand("create", "Create a network (overlay and attachable by default)");
  create->add_option("NAME", c->spec.name, "Network name")->required();
  create->add_option("-d,--driver", c->spec.driver, "Driver")->capture_default_str();
  create->add_option("--subnet", c->subnet, "Subnet in CIDR notation, e.g. 10.10.0.0/24");
  create->add_option("--gateway", c->gateway, "Gateway address inside the subnet");
  create->add_flag("--attachable,!--no-attachable", c->attachable,
                   "Let standalone containers join (default: attachable)");
  create->add_flag("--internal", c->spec.internal, "No access from or to outside the network");
  create->add_option("-l,--label", c->labels, "Label KEY=VALUE (repeatable)");
  create->add_flag("--exist-ok", c->exist_ok, "Succeed if a network of that name and driver exists");
  create->callback([&ctx, c] { ctx.action = [&ctx, c] { return run_create(ctx, *c); }; });

  auto l = std::make_shared<NetListOptions>();
  auto* ls = net->add_subcommand("ls", "List networks");
  ls->alias("list");
  add_listing_flags(ls, l->list);
  ls->callback([&ctx, l] { ctx.action = [&ctx, l] { return run_net_list(ctx, *l); }; });

  auto i = std::make_shared<NetInspectOptions>();
  auto* inspect = net->add_subcommand("inspect", "Show one network's details");
  inspect->add_option("NETWORK", i->name, "Network name or ID")->required();
  add_format_flags(inspect, i->format, nullptr);
  inspect->callback([&ctx, i] { ctx.action = [&ctx, i] { return run_net_inspect(ctx, *i); }; });

  auto r = std::make_shared<NetRemoveOptions>();
  auto* rm = net->add_subcommand("rm", "Remove networks");
  rm->alias("remove");
  rm->add_option("NETWORK", r->names, "Network names or IDs")->required();
  rm->callback([&ctx, r] { ctx.action = [&ctx, r] { return run_net_remove(ctx, *r); }; });
}

}  // namespace hcl::cli
