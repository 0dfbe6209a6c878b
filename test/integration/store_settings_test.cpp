// The store's contract for listing and deleting settings (resource classes are settings under
// the prefix "resource_class/"), on both backends.
#include "store_contract.hpp"

namespace cicd::store {
namespace {

class StoreSettingsContract : public StoreContract {};

using Settings = std::vector<std::pair<std::string, std::string>>;

TEST_P(StoreSettingsContract, ListingByPrefixGivesOnlyThoseKeysInByteOrder) {
  ASSERT_OK(store().put_setting("resource_class/small", R"({"cpus":1})"));
  ASSERT_OK(store().put_setting("resource_class/Big", "b"));
  ASSERT_OK(store().put_setting("resource_class/big-2", "c"));
  ASSERT_OK(store().put_setting("resource_class/big", "a"));
  ASSERT_OK(store().put_setting("umbrella_timeout", "2h"));
  // '_' in the prefix is no wildcard: "resourceXclass/x" does not match "resource_class/".
  ASSERT_OK(store().put_setting("resourceXclass/x", "no"));
  ASSERT_OK(store().put_setting("resource_clas", "no"));

  EXPECT_EQ(store().list_settings("resource_class/").value(),
            (Settings{{"resource_class/Big", "b"},
                      {"resource_class/big", "a"},
                      {"resource_class/big-2", "c"},
                      {"resource_class/small", R"({"cpus":1})"}}));
  EXPECT_TRUE(store().list_settings("nothing/").value().empty());
  EXPECT_EQ(store().list_settings("").value().size(), 7u);
}

TEST_P(StoreSettingsContract, DeletingSaysWhetherTheSettingWasThere) {
  ASSERT_OK(store().put_setting("resource_class/large", "x"));
  ASSERT_OK(store().put_setting("resource_class/larger", "y"));
  EXPECT_TRUE(store().delete_setting("resource_class/large").value());
  EXPECT_FALSE(store().delete_setting("resource_class/large").value());
  EXPECT_FALSE(store().delete_setting("resource_class/lar").value());
  EXPECT_EQ(store().get_setting("resource_class/large").value(), std::nullopt);
  EXPECT_EQ(store().list_settings("resource_class/").value(),
            (Settings{{"resource_class/larger", "y"}}));
  ASSERT_OK(store().put_setting("resource_class/large", "z"));
  EXPECT_EQ(store().get_setting("resource_class/large").value(), "z");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreSettingsContract, ::testing::Values("sqlite", "postgresql"),
                         backend_name);

} // namespace
} // namespace cicd::store
