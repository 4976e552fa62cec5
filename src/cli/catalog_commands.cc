// `lagoa catalog …`: every named object of the server (GET /v1/catalog), one object's definition,
// columns, tags and lineage, and setting a column's tags.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/json_writer.h"
#include "cli/commands.h"
#include "cli/http_client.h"
#include "cli/server_request.h"

namespace lagoa::cli {

int CatalogList(const std::string& url, bool json) {
  JsonReply reply;
  if (auto failed = RequestJson(url, "GET", "/v1/catalog", "", &reply)) return *failed;
  if (json) {
    std::printf("%s\n", simdjson::minify(reply.doc).c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "KIND", "CREATED", "DERIVED FROM", "LOCATION"}};
  simdjson::dom::array objects;
  if (reply.doc["objects"].get(objects) == simdjson::SUCCESS) {
    for (auto object : objects) {
      std::string derived = Joined(object, "derived_from");
      rows.push_back({Field(object, "name"), Field(object, "kind"), Field(object, "created"),
                      derived.empty() ? "-" : derived, Field(object, "location")});
    }
  }
  PrintAligned(rows);
  return 0;
}

int CatalogDescribe(const std::string& url, const std::string& name, bool json) {
  JsonReply reply;
  if (auto failed = RequestJson(url, "GET", "/v1/catalog/" + UrlEncode(name), "", &reply)) return *failed;
  if (json) {
    std::printf("%s\n", simdjson::minify(reply.doc).c_str());
    return 0;
  }
  const simdjson::dom::element& o = reply.doc;
  const std::string derived = Joined(o, "derived_from");
  std::printf("name          %s\nkind          %s\ncreated       %s\nlocation      %s\nderived from  %s\n",
              Field(o, "name").c_str(), Field(o, "kind").c_str(), Field(o, "created").c_str(),
              Field(o, "location").c_str(), derived.empty() ? "-" : derived.c_str());
  std::printf("definition    %s\n", Field(o, "definition").c_str());
  simdjson::dom::array columns;
  if (o["columns"].get(columns) == simdjson::SUCCESS && columns.size() > 0) {
    std::vector<std::vector<std::string>> rows = {{"COLUMN", "TYPE", "TAGS"}};
    for (auto column : columns) {
      const std::string tags = Joined(column, "tags");
      rows.push_back({Field(column, "name"), Field(column, "type"), tags.empty() ? "-" : tags});
    }
    std::printf("\n");
    PrintAligned(rows);
  }
  return 0;
}

int CatalogTag(const std::string& url, const std::string& name, const std::string& column,
               const std::vector<std::string>& tags) {
  JsonWriter w;
  w.BeginObject().Key("tags").BeginArray();
  for (const std::string& tag : tags) w.String(tag);
  w.EndArray().EndObject();
  JsonReply reply;
  const std::string target = fmt::format("/v1/catalog/{}/columns/{}/tags", UrlEncode(name), UrlEncode(column));
  if (auto failed = RequestJson(url, "PUT", target, w.Take(), &reply)) return *failed;
  std::printf("%s.%s: %s\n", name.c_str(), column.c_str(),
              tags.empty() ? "no tags" : fmt::format("{}", fmt::join(tags, ", ")).c_str());
  return 0;
}

}  // namespace lagoa::cli
