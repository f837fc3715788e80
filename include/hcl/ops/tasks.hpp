// What runs where: one row per task, with its service, node, states and ports.
#pragma once

#include <hcl/docker.hpp>
#include <hcl/error.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace hcl::ops {

struct TaskRow {
  std::string name;     // "<service>.<slot>"
  std::string service;
  std::string task_id;
  std::string image;
  std::string node;     // hostname, or the node ID if the node is gone
  std::string desired_state;
  std::string state;
  std::string message;  // Status.Err, else Status.Message
  std::string since;    // Status.Timestamp
  std::vector<std::string> ports;  // "8080->80/tcp"
  std::optional<int> exit_code;
};

struct TaskFilter {
  bool all = false;                  // also tasks that are not meant to run any more
  std::optional<std::string> node;   // hostname
  std::vector<std::string> services; // names; empty: all
  std::optional<std::string> project;  // only services of this project
};

// The rows task_rows() returns, each made when asked for: a listing of 10,000 tasks can then be
// rendered without holding every row (some 350 bytes each) beside the state. Points into
// `state`, which must outlive it.
class TaskRows {
 public:
  TaskRows(const docker::ClusterState& state, const TaskFilter& filter);
  std::size_t size() const { return picks_.size(); }
  TaskRow operator[](std::size_t i) const;

 private:
  struct Pick {
    const docker::Task* task;
    const docker::Service* service;
    const std::string* node;  // hostname, or the node ID if the node is gone
  };
  std::vector<Pick> picks_;
};

// Rows sorted by service name, slot, newest first; by default only tasks desired running.
std::vector<TaskRow> task_rows(const docker::ClusterState& state, const TaskFilter& filter);

}  // namespace hcl::ops
