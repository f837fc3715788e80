#include "app.hpp"

int main(int argc, char** argv) { return hcl::cli::run(argc, argv); }
