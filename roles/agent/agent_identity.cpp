#include "agent_identity.hpp"

#include "cicd/core/host.hpp"
#include "cicd/crypto/random.hpp"

#include <fstream>

namespace cicd::agent {

std::string load_or_create_agent_id(const std::filesystem::path& data_dir) {
  auto file = data_dir / "agent.id";
  std::ifstream in(file);
  std::string id;
  if (in >> id && !id.empty()) {
    return id;
  }
  id = host_name() + "-" + crypto::to_hex(crypto::random_bytes(4));
  std::ofstream(file) << id << "\n";
  return id;
}

} // namespace cicd::agent
