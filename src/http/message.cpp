#include "cicd/http/message.hpp"

#include "cicd/model/json.hpp"

namespace cicd::http {

Response json_response(Status status, std::string body) {
  Response response(status, 11);
  response.set(boost::beast::http::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

Response problem_response(Status status, std::string_view detail, std::string_view field) {
  rapidjson::StringBuffer buffer;
  model::JsonWriter writer(buffer);
  auto title = boost::beast::http::obsolete_reason(status);
  std::string slug;
  for (char c : title) {
    slug += c == ' ' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  writer.StartObject();
  writer.Key("type");
  model::write_string(writer, "urn:cicd:problem:" + slug);
  writer.Key("title");
  model::write_string(writer, std::string_view(title.data(), title.size()));
  writer.Key("status");
  writer.Uint(static_cast<unsigned>(status));
  writer.Key("detail");
  model::write_string(writer, detail);
  if (!field.empty()) {
    writer.Key("field");
    model::write_string(writer, field);
  }
  writer.EndObject();
  Response response(status, 11);
  response.set(boost::beast::http::field::content_type, "application/problem+json");
  response.set(boost::beast::http::field::cache_control, "no-store");
  response.body().assign(buffer.GetString(), buffer.GetSize());
  return response;
}

Status status_for(ErrorCode code) {
  switch (code) {
  case ErrorCode::invalid_input:
    return Status::bad_request;
  case ErrorCode::unprocessable:
    return Status::unprocessable_entity;
  case ErrorCode::not_found:
    return Status::not_found;
  case ErrorCode::conflict:
    return Status::conflict;
  case ErrorCode::precondition_failed:
    return Status::precondition_failed;
  case ErrorCode::unauthorized:
    return Status::unauthorized;
  case ErrorCode::forbidden:
    return Status::forbidden;
  case ErrorCode::too_large:
    return Status::payload_too_large;
  case ErrorCode::unavailable:
    return Status::service_unavailable;
  case ErrorCode::bad_gateway:
    return Status::bad_gateway;
  case ErrorCode::gone:
    return Status::gone;
  case ErrorCode::internal:
    return Status::internal_server_error;
  }
  return Status::internal_server_error;
}

Response problem_response(const Error& error) {
  return problem_response(status_for(error.code), error.message, error.field);
}

} // namespace cicd::http
