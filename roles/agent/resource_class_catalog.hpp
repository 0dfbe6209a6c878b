#pragma once
// The definitions of the resource classes an agent serves, read from the settings in the
// database and kept for a few seconds: the dispatch loop asks the database a few times a
// minute, not before every take, and a PUT /settings/resource-classes/… reaches the agents
// within `refresh`. A served class that nobody defined is left out (its runs wait queued),
// except "default", which always exists.

#include "cicd/model/resource_class.hpp"
#include "cicd/store/store.hpp"

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cicd::agent {

// Serving this "class" means serving every defined class, and "default".
inline constexpr std::string_view k_every_resource_class = "*";

// Thread safety: none; the dispatch loop's own.
class ResourceClassCatalog {
public:
  // `served`: class names (duplicates are ignored), or {"*"}.
  ResourceClassCatalog(store::Store& store, std::vector<std::string> served,
                       std::chrono::milliseconds refresh);

  // The served classes with their definitions, in the order served (by name for "*"): the
  // queue looks at them in that order. Read again when the last
  // read is older than `refresh`. When the database cannot be read, the last definitions
  // stay (and "default" is served as built in until a first read succeeds).
  const std::vector<model::ResourceClass>& current();

private:
  void reload();

  store::Store& m_store;
  std::vector<std::string> m_served;
  bool m_every = false;
  std::chrono::milliseconds m_refresh;
  std::optional<std::chrono::steady_clock::time_point> m_read_at;
  std::vector<model::ResourceClass> m_classes;
  std::set<std::string> m_reported_undefined; // logged once each, until defined
  bool m_reported_unreadable = false;
};

} // namespace cicd::agent
