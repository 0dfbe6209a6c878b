#include "agent_identity.hpp"

#include "cicd/crypto/random.hpp"

#include <unistd.h>

#include <fstream>

namespace cicd::agent {

std::string load_or_create_agent_id(const std::filesystem::path& data_dir) {
  auto file = data_dir / "agent.id";
  std::ifstream in(file);
  std::string id;
  if (in >> id && !id.empty()) {
    return id;
  }
  char host[256] = "host";
  gethostname(host, sizeof host - 1);
  id = std::string(host) + "-" + crypto::to_hex(crypto::random_bytes(4));
  std::ofstream(file) << id << "\n";
  return id;
}

} // namespace cicd::agent
