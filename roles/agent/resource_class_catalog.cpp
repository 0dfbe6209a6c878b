#include "resource_class_catalog.hpp"

#include "cicd/core/log.hpp"

#include <algorithm>
#include <map>

namespace cicd::agent {

ResourceClassCatalog::ResourceClassCatalog(store::Store& store, std::vector<std::string> served,
                                           std::chrono::milliseconds refresh)
    : m_store(store), m_refresh(refresh) {
  for (auto& name : served) {
    if (std::find(m_served.begin(), m_served.end(), name) == m_served.end()) {
      m_served.push_back(std::move(name));
    }
  }
  auto serves = [this](std::string_view name) {
    return std::find(m_served.begin(), m_served.end(), name) != m_served.end();
  };
  m_every = serves(k_every_resource_class);
  if (m_every || serves(model::k_default_resource_class)) {
    m_classes.push_back(model::default_resource_class());
  }
}

const std::vector<model::ResourceClass>& ResourceClassCatalog::current() {
  auto now = std::chrono::steady_clock::now();
  if (!m_read_at || now - *m_read_at >= m_refresh) {
    m_read_at = now;
    reload();
  }
  return m_classes;
}

void ResourceClassCatalog::reload() {
  auto prefix = std::string(model::k_resource_class_key_prefix);
  auto stored = m_store.list_settings(prefix);
  if (!stored) {
    if (!m_reported_unreadable) {
      log::warn("cannot read the resource classes ({}): keeping the ones read before",
                stored.error().message);
      m_reported_unreadable = true;
    }
    return;
  }
  m_reported_unreadable = false;
  std::map<std::string, model::ResourceClass> defined;
  defined.emplace(model::k_default_resource_class, model::default_resource_class());
  for (const auto& [key, json] : *stored) {
    auto name = key.substr(prefix.size());
    auto parsed = model::parse_resource_class(name, json);
    if (!parsed) {
      log::warn("the stored resource class '{}' does not parse ({}): its runs wait until it is "
                "put again",
                name, parsed.error().message);
      defined.erase(name);
      continue;
    }
    defined[name] = *parsed;
  }
  std::vector<model::ResourceClass> classes;
  if (m_every) {
    for (const auto& [name, resource_class] : defined) {
      classes.push_back(resource_class);
    }
  } else {
    for (const auto& name : m_served) {
      if (auto found = defined.find(name); found != defined.end()) {
        classes.push_back(found->second);
        m_reported_undefined.erase(name);
      } else if (m_reported_undefined.insert(name).second) {
        log::warn("resource class '{}' is not defined: its runs wait until PUT "
                  "/settings/resource-classes/{} defines it",
                  name, name);
      }
    }
  }
  m_classes = std::move(classes);
}

} // namespace cicd::agent
