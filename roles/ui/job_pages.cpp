// GET /jobs/{job}[?after=ID]: the job's definition, its runs (newest first, 20 a page) and a
// Run form made from its typed parameters. POST /jobs/{job}/runs: starts a run from that form.
#include "page_context.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>

namespace cicd::ui {
namespace {

constexpr int k_runs_page = 20;

std::string compact_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

// The Run form's fields, one per parameter, in the parameters' order.
kainjow::mustache::list parameter_fields(const rapidjson::Value& job,
                                         const std::multimap<std::string, std::string>* typed) {
  kainjow::mustache::list fields;
  if (!job.HasMember("parameters") || !job["parameters"].IsObject()) {
    return fields;
  }
  for (const auto& member : job["parameters"].GetObject()) {
    const auto& definition = member.value;
    std::string name = member.name.GetString();
    std::string type = json_string(definition, "type");
    std::string value = json_string(definition, "default");
    if (typed != nullptr) {
      value = form_value(*typed, "p." + name);
    }
    Data field;
    put(field, "name", name);
    put(field, "id", "p-" + name);
    put(field, "required",
        definition.HasMember("required") && definition["required"].IsBool() &&
                definition["required"].GetBool()
            ? Data::type::bool_true
            : Data::type::bool_false);
    if (type == "bool") {
      put(field, "checkbox", Data::type::bool_true);
      bool checked = typed != nullptr ? typed->count("p." + name) > 0 : value == "true";
      put(field, "checked", checked ? Data::type::bool_true : Data::type::bool_false);
    } else if (type == "choice") {
      kainjow::mustache::list options;
      if (definition.HasMember("choices") && definition["choices"].IsArray()) {
        for (const auto& choice : definition["choices"].GetArray()) {
          if (!choice.IsString()) {
            continue;
          }
          Data option;
          put(option, "value", choice.GetString());
          put(option, "selected",
              value == choice.GetString() ? Data::type::bool_true : Data::type::bool_false);
          options.push_back(option);
        }
      }
      put(field, "select", Data::type::bool_true);
      put(field, "options", options);
    } else {
      put(field, type == "integer" ? "number" : "text", Data::type::bool_true);
      put(field, "value", value);
    }
    put(field, "type", type);
    fields.push_back(field);
  }
  return fields;
}

http::Reply render_job(const PageContext& context, const std::string& name,
                       const http::RouteMatch& match, const std::string& error,
                       const std::multimap<std::string, std::string>* form) {
  auto answer = context.get_page_json("/jobs/" + url_segment(name));
  if (answer.failure) {
    return std::move(*answer.failure);
  }
  const auto& job = answer.document;
  Data data;
  put(data, "name", name);
  put(data, "href", context.base + "/jobs/" + url_segment(name));
  put(data, "type", json_string(job, "type"));
  put(data, "description", json_string(job, "description"));
  put(data, "repo_url", json_string(job, "repoUrl"));
  put(data, "config_path", json_string(job, "configPath"));
  put(data, "resource_class", json_string(job, "resourceClass"));
  if (job.HasMember("image")) {
    put(data, "image",
        job["image"].IsString() ? std::string(job["image"].GetString())
                                : compact_json(job["image"]));
  }
  // The whole definition as the API holds it, for whoever wants every detail.
  rapidjson::StringBuffer pretty;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(pretty);
  writer.SetIndent(' ', 2);
  job.Accept(writer);
  put(data, "definition", std::string(pretty.GetString(), pretty.GetSize()));
  auto fields = parameter_fields(job, form);
  put(data, "has_fields", fields.empty() ? Data::type::bool_false : Data::type::bool_true);
  put(data, "fields", fields);
  put(data, "error", error);
  std::string branch = form != nullptr ? form_value(*form, "branch") : "main";
  std::string commit = form != nullptr ? form_value(*form, "commit") : "";
  put(data, "branch", branch);
  put(data, "commit", commit);

  std::string path = "/jobs/" + url_segment(name) + "/runs?limit=" + std::to_string(k_runs_page);
  if (auto after = match.target.param("after"); !after.empty()) {
    path += "&after=" + url_segment(after);
  }
  auto runs = context.get_json(path);
  kainjow::mustache::list rows;
  std::string next;
  if (runs && (*runs)["items"].IsArray()) {
    for (const auto& run : (*runs)["items"].GetArray()) {
      rows.push_back(run_summary(run, context.base));
    }
    auto next_api = json_string(*runs, "next");
    if (auto at = next_api.find("after="); at != std::string::npos) {
      next = context.base + "/jobs/" + url_segment(name) + "?after=" + next_api.substr(at + 6);
    }
  }
  put(data, "runs", rows);
  put(data, "no_runs", rows.empty() ? Data::type::bool_true : Data::type::bool_false);
  put(data, "next", next);
  return render_page(context, "job", name, data,
                     error.empty() ? http::Status::ok : http::Status::bad_request);
}

http::Reply job_page(const PageContext& context, const http::Request&,
                     const http::RouteMatch& match) {
  return render_job(context, std::string(match.capture("job")), match, {}, nullptr);
}

http::Reply trigger_run(const PageContext& context, const http::Request& request,
                        const http::RouteMatch& match) {
  std::string name(match.capture("job"));
  auto form = parse_form(request.body());
  auto job = context.get_json("/jobs/" + url_segment(name));
  if (!job) {
    return api_failure_page(context, context.api("GET", "/jobs/" + url_segment(name)));
  }
  rapidjson::Document body(rapidjson::kObjectType);
  auto& alloc = body.GetAllocator();
  auto commit = form_value(form, "commit");
  auto branch = form_value(form, "branch");
  if (!commit.empty()) {
    body.AddMember("commitSha", rapidjson::Value(commit.c_str(), alloc), alloc);
  } else {
    body.AddMember("branchName", rapidjson::Value(branch.empty() ? "main" : branch.c_str(), alloc),
                   alloc);
  }
  rapidjson::Value parameters(rapidjson::kObjectType);
  if (job->HasMember("parameters") && (*job)["parameters"].IsObject()) {
    for (const auto& member : (*job)["parameters"].GetObject()) {
      std::string key = "p." + std::string(member.name.GetString());
      std::string type = json_string(member.value, "type");
      rapidjson::Value name_value(member.name.GetString(), alloc);
      if (type == "bool") {
        parameters.AddMember(name_value, form.count(key) > 0, alloc);
        continue;
      }
      if (form.count(key) == 0) {
        continue;
      }
      auto text = form_value(form, key);
      if (type == "integer") {
        long long number = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (ec == std::errc() && end == text.data() + text.size()) {
          parameters.AddMember(name_value, rapidjson::Value(static_cast<int64_t>(number)), alloc);
          continue;
        }
        if (text.empty()) {
          continue; // the default applies
        }
      }
      // Strings and choices as typed; a number that is not one goes as text, and the API
      // says what is wrong with it.
      parameters.AddMember(name_value, rapidjson::Value(text.c_str(), alloc), alloc);
    }
  }
  body.AddMember("parameters", parameters, alloc);
  auto response = context.api("POST", "/jobs/" + url_segment(name) + "/runs", compact_json(body));
  if (response.status == 201) {
    rapidjson::Document run;
    run.Parse(response.body.c_str());
    auto id = run.HasParseError() ? std::string() : json_string(run, "id");
    return redirect(context.base + "/jobs/" + url_segment(name) + "/runs/" + id);
  }
  if (response.status == 400 || response.status == 422 || response.status == 403 ||
      response.status == 502) {
    rapidjson::Document problem;
    problem.Parse(response.body.c_str());
    std::string detail = problem.HasParseError() ? response.body : json_string(problem, "detail");
    if (response.status == 403) {
      detail = "Your token may not start runs (it needs the trigger scope).";
    }
    return render_job(context, name, match, detail, &form);
  }
  return api_failure_page(context, response);
}

} // namespace

void add_job_pages(PageRoutes& routes) {
  routes.add(http::Verb::get, "/jobs/{job}", job_page);
  routes.add(http::Verb::post, "/jobs/{job}/runs", trigger_run);
}

} // namespace cicd::ui
