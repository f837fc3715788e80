#pragma once

namespace hcl::cli {

// Parses the command line, runs the command and turns its result into output and an exit
// status. The only place that prints errors.
int run(int argc, char** argv);

}  // namespace hcl::cli
