#include "catalog/catalog.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/file_util.h"
#include "base/json_writer.h"

namespace lagoa::catalog {
namespace {

constexpr size_t kTagsFileBytesMax = 64u << 20;
constexpr size_t kTagBytesMax = 64;

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

template <typename Map>
auto FindIgnoringCase(Map& map, std::string_view key) {
  return std::find_if(map.begin(), map.end(), [&](const auto& item) { return SameName(item.first, key); });
}

Status CheckTag(std::string_view tag) {
  bool ok = !tag.empty() && tag.size() <= kTagBytesMax;
  for (char c : tag) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (ok) return Status::Ok();
  return Status::InvalidArgument(
      fmt::format("tag `{}`: expected 1 to {} characters of a-z, 0-9 and _ (for example personal, subject_key)", tag,
                  kTagBytesMax));
}

std::string_view Article(std::string_view kind) { return kind == kAttachedTable ? "an" : "a"; }

std::string KindWords(std::string_view kind) {
  if (kind == kTable) return "table made by SQL (CREATE TABLE)";
  if (kind == kDeadLetterStream) return "dead-letter stream";
  std::string words(kind);
  std::replace(words.begin(), words.end(), '_', ' ');
  return words;
}

}  // namespace

std::string FolderUri(const std::filesystem::path& folder) {
  std::string path = folder.lexically_normal().string();
  if (path.empty() || path.back() != '/') path += '/';
  return "file://" + path;
}

Result<std::unique_ptr<Catalog>> Catalog::Open(std::filesystem::path tags_file) {
  std::unique_ptr<Catalog> catalog(new Catalog(std::move(tags_file)));
  if (catalog->tags_file_.empty()) return catalog;
  Result<std::string> text = ReadWholeFile(catalog->tags_file_, kTagsFileBytesMax);
  if (!text.ok() && text.status().code() == StatusCode::kNotFound) return catalog;
  if (!text.ok()) return text.status();
  const std::string where = catalog->tags_file_.string();
  simdjson::dom::parser parser;
  simdjson::dom::object objects;
  if (parser.parse(*text).get(objects) != simdjson::SUCCESS) {
    return Status::Corruption(fmt::format("{}: expected {{\"OBJECT\": {{\"COLUMN\": [\"TAG\", …]}}}}", where));
  }
  for (auto [object, columns] : objects) {
    simdjson::dom::object by_column;
    if (columns.get(by_column) != simdjson::SUCCESS) {
      return Status::Corruption(fmt::format("{}: the columns of \"{}\" are not an object", where, object));
    }
    for (auto [column, tags] : by_column) {
      simdjson::dom::array list;
      if (tags.get(list) != simdjson::SUCCESS) {
        return Status::Corruption(fmt::format("{}: the tags of \"{}\".\"{}\" are not a list", where, object, column));
      }
      std::vector<std::string>& kept = catalog->tags_[std::string(object)][std::string(column)];
      for (auto tag : list) {
        std::string_view text_tag;
        if (tag.get(text_tag) != simdjson::SUCCESS || !CheckTag(text_tag).ok()) {
          return Status::Corruption(fmt::format("{}: a tag of \"{}\".\"{}\" is not a tag", where, object, column));
        }
        kept.emplace_back(text_tag);
      }
    }
  }
  return catalog;
}

void Catalog::AddSource(const Source* source) { sources_.push_back(source); }

std::vector<Entry> Catalog::Gather(Detail detail) const {
  std::vector<Entry> entries;
  for (const Source* source : sources_) {
    std::vector<Entry> some = source->Entries(detail);
    entries.insert(entries.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
  }
  return entries;
}

std::vector<Entry> Catalog::List() const {
  std::vector<Entry> entries = Gather(Detail::kFull);
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return std::tie(a.name, a.kind) < std::tie(b.name, b.kind); });
  std::lock_guard lock(mu_);
  for (Entry& entry : entries) {
    // Lineage names only what is in the catalog, spelled as its owner spells it.
    std::vector<std::string> derived;
    for (const std::string& name : entry.derived_from) {
      auto it = std::find_if(entries.begin(), entries.end(),
                             [&](const Entry& e) { return &e != &entry && e.is_relation() && SameName(e.name, name); });
      if (it != entries.end() && std::find(derived.begin(), derived.end(), it->name) == derived.end()) {
        derived.push_back(it->name);
      }
    }
    entry.derived_from = std::move(derived);
    auto object = FindIgnoringCase(tags_, entry.name);
    if (object == tags_.end()) continue;
    for (const auto& tagged : object->second) {
      const std::string& column = tagged.first;
      auto it = std::find_if(entry.columns.begin(), entry.columns.end(),
                             [&](const Column& c) { return SameName(c.name, column); });
      if (it != entry.columns.end()) {
        it->tags = tagged.second;
      } else {  // a column the owner does not list (a table's columns are not read here)
        entry.columns.push_back(Column{column, "", tagged.second});
      }
    }
  }
  return entries;
}

std::optional<Entry> Catalog::Find(std::string_view name) const {
  for (Entry& entry : List()) {
    if (SameName(entry.name, name)) return std::move(entry);
  }
  return std::nullopt;
}

Status Catalog::CheckRelationNameFree(std::string_view name, std::string_view creating,
                                      std::string_view replaceable) const {
  for (const Entry& entry : Gather(Detail::kNames)) {
    if (!entry.is_relation() || !SameName(entry.name, name)) continue;
    if (!replaceable.empty() && entry.kind == replaceable) continue;
    const std::string same_case =
        entry.name == name ? "" : fmt::format(" (spelled \"{}\"; names ignore case)", entry.name);
    return Status::AlreadyExists(fmt::format("{}: \"{}\" is the name of {} {}{}; drop it first or choose another name",
                                             creating, name, Article(entry.kind), KindWords(entry.kind), same_case));
  }
  return Status::Ok();
}

Status Catalog::SetColumnTags(std::string_view object, std::string_view column, std::vector<std::string> tags) {
  if (tags_file_.empty()) return Status::FailedPrecondition("this catalog keeps no column tags (no tags file)");
  for (const std::string& tag : tags) LAGOA_RETURN_IF_ERROR(CheckTag(tag));
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  std::optional<Entry> entry;
  for (Entry& e : Gather(Detail::kNames)) {
    if (SameName(e.name, object)) entry = std::move(e);
  }
  if (!entry) return Status::NotFound(fmt::format("no object is called \"{}\" (GET /v1/catalog lists them)", object));
  std::string column_name(column);
  if (!entry->columns.empty()) {
    auto it = std::find_if(entry->columns.begin(), entry->columns.end(),
                           [&](const Column& c) { return SameName(c.name, column); });
    if (it == entry->columns.end()) {
      return Status::NotFound(fmt::format("\"{}\" has no column \"{}\"", entry->name, column));
    }
    column_name = it->name;
  }
  std::lock_guard lock(mu_);
  auto by_object = FindIgnoringCase(tags_, entry->name);
  if (by_object == tags_.end())
    by_object = tags_.emplace(entry->name, std::map<std::string, std::vector<std::string>>{}).first;
  auto by_column = FindIgnoringCase(by_object->second, column_name);
  if (by_column != by_object->second.end()) by_object->second.erase(by_column);
  if (!tags.empty()) by_object->second.emplace(column_name, std::move(tags));
  if (by_object->second.empty()) tags_.erase(by_object);
  return WriteTags();
}

Status Catalog::WriteTags() const {
  JsonWriter w;
  w.BeginObject();
  for (const auto& [object, columns] : tags_) {
    w.Key(object).BeginObject();
    for (const auto& [column, tags] : columns) {
      w.Key(column).BeginArray();
      for (const std::string& tag : tags) w.String(tag);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndObject();
  return WriteFileAtomically(tags_file_, w.Take()).WithContext("writing the catalog's column tags");
}

}  // namespace lagoa::catalog
