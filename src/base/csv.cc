#include "base/csv.h"

#include <fmt/format.h>

namespace lagoa {

Result<bool> CsvReader::Next(std::vector<std::string>* fields) {
  fields->clear();
  int c = in_.get();
  if (c == EOF) return false;
  uint64_t start_line = line_;
  std::string field;
  bool quoted = false;
  bool field_was_quoted = false;
  for (;; c = in_.get()) {
    if (c == EOF) {
      if (quoted) {
        return Status::InvalidArgument(fmt::format("line {}: quoted field is not closed", start_line));
      }
      fields->push_back(std::move(field));
      return true;
    }
    char ch = static_cast<char>(c);
    if (quoted) {
      if (ch == '"') {
        if (in_.peek() == '"') {
          field += '"';
          in_.get();
        } else {
          quoted = false;
        }
      } else {
        if (ch == '\n') ++line_;
        field += ch;
      }
      continue;
    }
    if (ch == '"' && field.empty() && !field_was_quoted) {
      quoted = true;
      field_was_quoted = true;
    } else if (ch == ',') {
      fields->push_back(std::move(field));
      field.clear();
      field_was_quoted = false;
    } else if (ch == '\n') {
      ++line_;
      if (!field.empty() && field.back() == '\r' && !field_was_quoted) field.pop_back();
      fields->push_back(std::move(field));
      return true;
    } else if (ch == '\r' && field_was_quoted) {
      // CRLF after a closing quote
    } else {
      field += ch;
    }
  }
}

void CsvCellToJson(const std::string& cell, const std::string& type, JsonWriter& out) {
  if (cell.empty()) {
    out.Null();
    return;
  }
  bool numeric = type == "INTEGER" || type == "BIGINT" || type == "DOUBLE" || type.starts_with("DECIMAL");
  bool boolean = type == "BOOLEAN";
  if ((numeric && cell.find_first_not_of("0123456789+-.eE") == std::string::npos) ||
      (boolean && (cell == "true" || cell == "false"))) {
    out.Raw(cell);
    return;
  }
  out.String(cell);
}

}  // namespace lagoa
