// SqlStore: listing and deleting settings (resource classes are settings under a prefix).
#include "sql_store.hpp"

#include "sql_helpers.hpp"

#include <algorithm>

namespace cicd::store {

using namespace sql;

Result<std::vector<std::pair<std::string, std::string>>>
SqlStore::list_settings(std::string_view prefix) {
  return guarded<std::vector<std::pair<std::string, std::string>>>([&] {
    std::vector<std::pair<std::string, std::string>> settings;
    m_db->autocommit([&](SqlConnection& sql) {
      // substr, not LIKE: '_' in a prefix would be a wildcard. Prefixes are ASCII, so their
      // length in bytes is their length in characters.
      for (const auto& row :
           sql.query("SELECT key, value FROM settings WHERE substr(key, 1, $2) = $1",
                     {text(prefix), number(static_cast<std::int64_t>(prefix.size()))})) {
        settings.emplace_back(row[0].value_or(""), row[1].value_or(""));
      }
    });
    // Sorted here: PostgreSQL's ORDER BY follows the database's collation, not byte order.
    std::sort(settings.begin(), settings.end());
    return settings;
  });
}

Result<bool> SqlStore::delete_setting(std::string_view key) {
  return guarded<bool>([&] {
    bool deleted = false;
    m_db->transact([&](SqlConnection& sql) {
      deleted =
          !sql.query("DELETE FROM settings WHERE key = $1 RETURNING key", {text(key)}).empty();
    });
    return deleted;
  });
}

} // namespace cicd::store
