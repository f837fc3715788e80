// The labels hcl reads and writes on what it deploys, and `K=V` label arguments.
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace hcl::swarm {

// The stack namespace label is the docker CLI's, so `docker stack ls` sees hcl's projects and hcl
// sees the stacks of `docker stack deploy`.
inline constexpr const char* kProjectLabel = "com.docker.stack.namespace";
// The image as the manifest names it, before normalisation (docker stack deploy's label: it
// compares it on its next deploy).
inline constexpr const char* kImageLabel = "com.docker.stack.image";
// The service's key in the manifest ("demo-hostname"), so that `hcl scale demo-hostname=3` finds it.
inline constexpr const char* kServiceLabel = "com.hcl.service";

// The value of `key`, or "" when absent.
std::string label(const docker::Labels& labels, std::string_view key);

// The project an object's labels put it in ("" for none).
inline std::string project_of(const docker::Labels& labels) { return label(labels, kProjectLabel); }

// Whether an object with these labels belongs to `project`.
inline bool belongs_to(const docker::Labels& labels, std::string_view project) {
  return !project.empty() && project_of(labels) == project;
}

// Parses "K=V" into key and value; "K" alone means an empty value. Errors name `flag`.
Result<std::pair<std::string, std::string>> parse_label(std::string_view text, const std::string& flag);

}  // namespace hcl::swarm
