// CsvReader: RFC 4180 records (quoted fields, doubled quotes, newlines inside quotes) from a
// stream, for `lagoa ingest … file.csv` and a project's seeds; and CsvCellToJson, which types a
// cell by its column's type: numbers and booleans unquoted, an empty cell null, everything else a
// JSON string — the server then checks each value against the schema as it does for JSON events.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "base/status.h"

namespace lagoa {

class CsvReader {
 public:
  explicit CsvReader(std::istream& in) : in_(in) {}
  // false at the end of input; an unterminated quote is an error naming the line it started on.
  Result<bool> Next(std::vector<std::string>* fields);
  uint64_t line() const { return line_; }  // line where the next record starts

 private:
  std::istream& in_;
  uint64_t line_ = 1;
};

void CsvCellToJson(const std::string& cell, const std::string& type, JsonWriter& out);

}  // namespace lagoa
