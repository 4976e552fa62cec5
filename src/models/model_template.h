// A model's SQL with its few template tags, parsed once and rendered per build. The language is
// small on purpose (not Jinja; src/models/README.md lists it):
//   {{ ref('orders') }}            another model of the project: its relation's name
//   {{ source('clicks') }}         a stream, table or view of the server (not a model)
//   {{ this }}                     the model's own relation
//   {{ var('day') }}, {{ var('day', '2024-01-01') }}   a project variable, with a default
//   {{ config(materialized='table', unique_key='id', tags=['daily']) }}   the model's settings
//   {% if is_incremental() %} … {% else %} … {% endif %}, and {% if not is_incremental() %}
// Anything else between {{ }} or {% %} is an error naming its line and column.
//
// Value type: parsing keeps no reference to the text; a ModelTemplate is immutable once parsed.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"

namespace lagoa::models {

// Where a tag starts in its file, 1-based, for messages ("models/a.sql:3:15").
struct TextPosition {
  int line = 1;
  int column = 1;
};

// A config() argument: a string ('table'), a word (true, 42) or a list of them (['a', 'b']).
using ConfigValue = std::variant<std::string, std::vector<std::string>>;

struct ConfigArgument {
  std::string key;
  ConfigValue value;
  TextPosition at;
};

// A name a template mentions through ref() or source().
struct NameUse {
  std::string name;
  TextPosition at;
};

// What rendering needs besides the template: how names become relations, and the build's state.
struct RenderContext {
  std::function<Result<std::string>(const NameUse& ref)> ref;
  std::function<Result<std::string>(const NameUse& source)> source;
  std::string this_relation;
  bool is_incremental = false;
  std::map<std::string, std::string> vars;
};

class ModelTemplate {
 public:
  // `file` names the text in messages ("models/daily.sql"). The text may hold at most one config().
  static Result<ModelTemplate> Parse(std::string_view text, std::string_view file);
  ModelTemplate();  // empty: renders to ""
  ~ModelTemplate();
  ModelTemplate(ModelTemplate&&) noexcept;
  ModelTemplate& operator=(ModelTemplate&&) noexcept;
  ModelTemplate(const ModelTemplate&);
  ModelTemplate& operator=(const ModelTemplate&);

  const std::vector<NameUse>& refs() const { return refs_; }
  const std::vector<NameUse>& sources() const { return sources_; }
  const std::vector<ConfigArgument>& config() const { return config_; }

  // The SQL for one build. Errors: a ref or source the context refuses, a var without a value.
  Result<std::string> Render(const RenderContext& context) const;

  struct Node;  // a piece of text, a call, or an if with its branches (model_template.cc)

 private:
  std::string file_;
  std::vector<Node> nodes_;
  std::vector<NameUse> refs_;
  std::vector<NameUse> sources_;
  std::vector<ConfigArgument> config_;
};

// "file:line:column"
std::string DescribePosition(std::string_view file, TextPosition at);

// A config() value as a list: a string is a list of one.
std::vector<std::string> ConfigTexts(const ConfigValue& value);

}  // namespace lagoa::models
