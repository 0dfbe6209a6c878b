#include "cicd/docker/client.hpp"

#include "http_connection.hpp"

#include "cicd/model/json.hpp"

namespace cicd::docker {
namespace http = detail::http;

Result<std::string> Client::create_network(const std::string& name,
                                           const std::map<std::string, std::string>& labels) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  writer.StartObject();
  model::write_key(writer, "Name");
  model::write_string(writer, name);
  model::write_key(writer, "Driver");
  model::write_string(writer, "bridge");
  model::write_key(writer, "CheckDuplicate");
  writer.Bool(true);
  model::write_key(writer, "Internal");
  writer.Bool(false);
  model::write_key(writer, "Labels");
  writer.StartObject();
  for (const auto& [key, value] : labels) {
    model::write_key(writer, key);
    model::write_string(writer, value);
  }
  writer.EndObject();
  writer.EndObject();
  auto body =
      detail::call(m_socket_path, http::verb::post, "/networks/create",
                   {std::string_view(buffer.GetString(), buffer.GetSize()), "application/json"});
  if (!body) {
    return body.error();
  }
  auto document = detail::parse_docker_json(*body, "POST /networks/create");
  if (!document) {
    return document.error();
  }
  if (!document->IsObject() || !document->HasMember("Id") || !(*document)["Id"].IsString()) {
    return make_error(ErrorCode::internal, "Docker: POST /networks/create returned no Id");
  }
  return std::string((*document)["Id"].GetString());
}

Result<void> Client::remove_network(const std::string& id_or_name) {
  auto removed = detail::call(m_socket_path, http::verb::delete_,
                              "/networks/" + detail::url_encode(id_or_name));
  if (!removed) {
    return removed.error();
  }
  return {};
}

Result<std::vector<std::string>> Client::networks_with_label(const std::string& label) {
  auto body = detail::call(m_socket_path, http::verb::get,
                           "/networks?" + detail::label_filter_query(label));
  if (!body) {
    return body.error();
  }
  return detail::ids_in_list(*body, "GET /networks");
}

} // namespace cicd::docker
