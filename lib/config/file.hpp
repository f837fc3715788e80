// The optional config file ($XDG_CONFIG_HOME/hcl/config.yaml), read into flat dotted keys.
#pragma once

#include <hcl/error.hpp>

#include <map>
#include <string>

namespace hcl::config {

struct FileValue {
  std::string value;
  std::string location;  // "FILE:LINE:COL", for messages and `hcl config`
};

// Keys such as "docker.host" or "timeouts.connect" -> value. Unknown keys, non-scalar values
// and YAML syntax errors are errors naming FILE:LINE:COL.
using FileSettings = std::map<std::string, FileValue>;

Result<FileSettings> load_file(const std::string& path);

}  // namespace hcl::config
