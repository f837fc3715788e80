// `hcl viz`: a picture of the cluster, one column per node with the tasks placed on it, in the
// manner of the Hypriot Cluster Lab's visualizer. The picture is a plain model built from the
// engine's state; the renderers (text here, SVG in output.hpp) only draw it.
#pragma once

#include <hcl/docker.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace hcl::ops {

// How many colours the renderers have; a service's colour is an index below this.
inline constexpr std::size_t kVizColors = 12;

struct VizTask {
  std::string service;  // the engine's service name
  int slot = 0;         // 0 for a global service's task
  std::string state;    // the task's current state: running, starting, preparing, ...
  std::size_t color = 0;

  // "<service>.<slot>", or the service name alone for a global service's task.
  std::string label() const;
};

struct VizNode {
  std::string name;          // hostname
  std::string role;          // "manager" or "worker"
  std::string state;         // "ready", "down", ...; with ", drain" or ", pause" when not active
  std::string architecture;  // "x86_64", "armv7l", "aarch64"
  bool leader = false;
  std::vector<VizTask> tasks;  // by service name, then slot
};

struct VizService {
  std::string name;
  std::size_t color = 0;
  std::size_t running = 0;  // tasks in state running
  std::size_t tasks = 0;    // tasks meant to run (desired state running)
};

struct Picture {
  std::vector<VizNode> nodes;        // managers first, then by hostname
  std::vector<VizService> services;  // by name; colours given in this order
  std::vector<VizTask> unplaced;     // tasks meant to run that no known node holds yet
};

// The tasks meant to run (desired state running), placed on their nodes.
Picture build_picture(const docker::ClusterState& state);

struct TextOptions {
  std::size_t width = 80;  // no line is wider than this (in terminal columns); at least 1
  bool color = false;      // ANSI colours: a colour per service, node states green/red
  std::string title;       // a first line (cut to the width); none when empty
};

// The picture as text: the nodes side by side, names cut with an ellipsis when the columns do not
// fit, the nodes one under the other when even cut columns would not; then the services with their
// colours and running/meant-to-run counts. Every line ends with '\n'.
std::string render_text(const Picture& picture, const TextOptions& options);

// Terminal columns taken by `text` (UTF-8; ANSI colour sequences take none).
std::size_t display_width(std::string_view text);

}  // namespace hcl::ops
