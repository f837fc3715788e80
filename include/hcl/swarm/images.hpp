// Image references as the docker CLI normalises them before it gives them to the engine.
#pragma once

#include <hcl/error.hpp>

#include <string>
#include <string_view>

namespace hcl::swarm {

// "nginx" -> "nginx:latest", "docker.io/library/nginx" -> "nginx:latest", "reg:5000/app" ->
// "reg:5000/app:latest"; a reference with a tag or a digest keeps it; a 64-hex image ID stays as
// it is. The result is in the docker CLI's short ("familiar") form, as `docker stack deploy`
// sends it. A reference that is not valid is an error saying why.
Result<std::string> normalize_image(std::string_view reference);

}  // namespace hcl::swarm
