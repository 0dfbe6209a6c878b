#pragma once
// A stable id per agent data dir (<host>-<8 hex digits>, kept in <data-dir>/agent.id), so
// that a restart finds and sweeps what a crash of the same agent left.

#include <filesystem>
#include <string>

namespace cicd::agent {

std::string load_or_create_agent_id(const std::filesystem::path& data_dir);

} // namespace cicd::agent
