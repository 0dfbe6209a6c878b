#include "unbuilt.hpp"

#include <cstdio>
#include <string>

namespace cicd::unbuilt {

int run_unbuilt_role(std::string_view role, int, const char* const*) {
  std::string name(role);
  std::fprintf(stderr,
               "cicd %s: this role is not built yet. Use `cicd master` (the REST API) or "
               "`cicd standalone`, and drive the API with curl (see README.md).\n",
               name.c_str());
  return 2;
}

} // namespace cicd::unbuilt
