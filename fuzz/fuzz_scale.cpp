// `hcl scale SERVICE=N` arguments.
#include "fuzz_common.hpp"

#include <hcl/ops/project.hpp>

#include <charconv>

using namespace hcl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  auto r = ops::parse_scale(text);
  if (!r) {
    FUZZ_CHECK(r.error().kind == ErrorKind::Usage);
    return 0;
  }
  FUZZ_CHECK(!r->service.empty());
  FUZZ_CHECK(r->replicas <= 10000);
  // SERVICE=N round-trips: the service is everything before the first '=', N the rest.
  FUZZ_CHECK(text == r->service + "=" + std::to_string(r->replicas) ||
             text.substr(0, r->service.size()) == r->service);
  return 0;
}
