#include "integrations.hpp"

#include "cicd/crypto/random.hpp"
#include "cicd/model/json.hpp"

namespace cicd::master {

bool is_forge(std::string_view forge) {
  return forge == "github" || forge == "gitlab";
}

std::string_view default_api_url(std::string_view forge) {
  return forge == "github" ? "https://api.github.com" : "https://gitlab.com/api/v4";
}

std::string integration_setting_key(std::string_view forge, std::string_view name) {
  return "integration/" + std::string(forge) + "/" + std::string(name);
}

Result<void> store_integration(store::Store& store, const crypto::SecretBox& box,
                               const Integration& integration) {
  auto key = integration_setting_key(integration.forge, integration.name);
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("apiUrl");
  model::write_string(writer, integration.api_url);
  writer.Key("webhookSecret");
  model::write_string(writer,
                      crypto::to_hex(box.seal(integration.webhook_secret, key + "/webhookSecret")));
  writer.Key("token");
  model::write_string(writer, crypto::to_hex(box.seal(integration.token, key + "/token")));
  writer.Key("updatedAt");
  writer.Int64(integration.updated_at_ms);
  writer.EndObject();
  return store.put_setting(key, std::string_view(buffer.GetString(), buffer.GetSize()));
}

Result<std::optional<Integration>> load_integration(store::Store& store,
                                                    const crypto::SecretBox& box,
                                                    std::string_view forge, std::string_view name) {
  auto key = integration_setting_key(forge, name);
  auto stored = store.get_setting(key);
  if (!stored) {
    return stored.error();
  }
  if (!*stored) {
    return std::optional<Integration>();
  }
  auto document = model::parse_json_object(**stored);
  if (!document) {
    return make_error(ErrorCode::internal, "the stored connection " + key + " is not JSON");
  }
  auto open = [&](const char* member) -> Result<std::string> {
    const auto* value = model::find_member(*document, member);
    if (value == nullptr || !value->IsString()) {
      return make_error(ErrorCode::internal, "the stored connection " + key + " lacks " + member);
    }
    auto sealed = crypto::from_hex(std::string_view(value->GetString(), value->GetStringLength()));
    if (!sealed) {
      return make_error(ErrorCode::internal, "the stored connection " + key + " is damaged");
    }
    return box.open(*sealed, key + "/" + member);
  };
  Integration integration;
  integration.forge = std::string(forge);
  integration.name = std::string(name);
  const auto* api_url = model::find_member(*document, "apiUrl");
  integration.api_url = api_url != nullptr && api_url->IsString() ? api_url->GetString() : "";
  const auto* updated = model::find_member(*document, "updatedAt");
  integration.updated_at_ms = updated != nullptr && updated->IsInt64() ? updated->GetInt64() : 0;
  auto secret = open("webhookSecret");
  if (!secret) {
    return secret.error();
  }
  auto token = open("token");
  if (!token) {
    return token.error();
  }
  integration.webhook_secret = std::move(*secret);
  integration.token = std::move(*token);
  return std::optional<Integration>(std::move(integration));
}

} // namespace cicd::master
