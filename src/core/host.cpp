#include "cicd/core/host.hpp"

#include <unistd.h>

namespace cicd {

std::string host_name() {
  char host[256] = "host";
  gethostname(host, sizeof host - 1);
  return host;
}

} // namespace cicd
