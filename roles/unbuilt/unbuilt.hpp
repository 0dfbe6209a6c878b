#pragma once
// Roles that are not built yet say so plainly and exit 2, instead of pretending.

#include <string_view>

namespace cicd::unbuilt {

int run_unbuilt_role(std::string_view role, int argc, const char* const* argv);

} // namespace cicd::unbuilt
