#include "http/catalog_api.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "base/clock.h"
#include "base/json_writer.h"

namespace lagoa::http {
namespace {

constexpr std::string_view kCatalogPath = "/v1/catalog";

void WriteEntry(JsonWriter& w, const catalog::Entry& entry) {
  w.BeginObject().Key("name").String(entry.name).Key("kind").String(entry.kind);
  w.Key("definition").String(entry.definition).Key("location");
  if (entry.location.empty()) {
    w.Null();
  } else {
    w.String(entry.location);
  }
  w.Key("created");
  if (entry.created_ms) {
    w.String(FormatRfc3339Micros(*entry.created_ms * 1000));
  } else {
    w.Null();
  }
  w.Key("columns").BeginArray();
  for (const catalog::Column& column : entry.columns) {
    w.BeginObject().Key("name").String(column.name).Key("type");
    if (column.type.empty()) {
      w.Null();
    } else {
      w.String(column.type);
    }
    w.Key("tags").BeginArray();
    for (const std::string& tag : column.tags) w.String(tag);
    w.EndArray().EndObject();
  }
  w.EndArray().Key("derived_from").BeginArray();
  for (const std::string& name : entry.derived_from) w.String(name);
  w.EndArray().EndObject();
}

std::string EntryJson(const catalog::Entry& entry) {
  JsonWriter w;
  WriteEntry(w, entry);
  return w.Take();
}

// {"tags": ["personal", …]}
Result<std::vector<std::string>> TagsBody(std::string_view body) {
  const std::string_view expected = R"(expected {"tags": ["TAG", …]})";
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  simdjson::dom::array list;
  if (parser.parse(body.data(), body.size(), true).get(object) != simdjson::SUCCESS || object.size() != 1 ||
      object["tags"].get(list) != simdjson::SUCCESS) {
    return Status::InvalidArgument(fmt::format("the body is not a tags object; {}", expected));
  }
  std::vector<std::string> tags;
  for (auto item : list) {
    std::string_view tag;
    if (item.get(tag) != simdjson::SUCCESS) {
      return Status::InvalidArgument(fmt::format("a tag is not a string; {}", expected));
    }
    tags.emplace_back(tag);
  }
  return tags;
}

}  // namespace

bool CatalogApi::Owns(const HttpRequest& request) {
  return request.path == kCatalogPath || request.path.starts_with(std::string(kCatalogPath) + "/");
}

void CatalogApi::Handle(HttpRequest&& req, Responder respond) {
  const std::string& method = req.method;
  if (req.path == kCatalogPath || req.path == std::string(kCatalogPath) + "/") {
    if (method != "GET") return respond(HttpResponse::Error(405, "GET /v1/catalog lists every named object"));
    JsonWriter w;
    w.BeginObject().Key("objects").BeginArray();
    for (const catalog::Entry& entry : catalog_->List()) WriteEntry(w, entry);
    w.EndArray().EndObject();
    return respond(HttpResponse::Json(200, w.Take()));
  }
  const std::string rest = req.path.substr(kCatalogPath.size() + 1);
  const size_t slash = rest.find('/');
  const std::string name = rest.substr(0, slash);
  const std::string tail = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (tail.empty() && method == "GET") {
    std::optional<catalog::Entry> entry = catalog_->Find(name);
    if (!entry) {
      return respond(HttpResponse::FromStatus(
          Status::NotFound(fmt::format("no object is called \"{}\" (GET /v1/catalog lists them)", name))));
    }
    return respond(HttpResponse::Json(200, EntryJson(*entry)));
  }
  // columns/COLUMN/tags
  constexpr std::string_view kColumns = "columns/";
  constexpr std::string_view kTags = "/tags";
  if (tail.starts_with(kColumns) && tail.ends_with(kTags) && tail.size() > kColumns.size() + kTags.size() &&
      method == "PUT") {
    const std::string column = tail.substr(kColumns.size(), tail.size() - kColumns.size() - kTags.size());
    Result<std::vector<std::string>> tags = TagsBody(req.body);
    if (!tags.ok()) return respond(HttpResponse::FromStatus(tags.status()));
    if (Status s = catalog_->SetColumnTags(name, column, std::move(tags).value()); !s.ok()) {
      return respond(HttpResponse::FromStatus(s));
    }
    std::optional<catalog::Entry> entry = catalog_->Find(name);
    if (!entry) return respond(HttpResponse::FromStatus(Status::NotFound(fmt::format("\"{}\" was dropped", name))));
    return respond(HttpResponse::Json(200, EntryJson(*entry)));
  }
  respond(HttpResponse::Error(404, fmt::format("no route for {} {}; catalog routes: GET /v1/catalog[/NAME], PUT "
                                               "/v1/catalog/NAME/columns/COLUMN/tags",
                                               method, req.path)));
}

}  // namespace lagoa::http
