#pragma once
// This machine's name, for agent ids, the agent list and duty holders.

#include <string>

namespace cicd {

// gethostname(), or "host" when it fails.
std::string host_name();

} // namespace cicd
