#include "models/model_template.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/format.h>

namespace lagoa::models {

struct ModelTemplate::Node {
  enum class Kind { kText, kRef, kSource, kThis, kVar, kIf };
  Kind kind = Kind::kText;
  std::string text;                          // kText: the text; kRef, kSource, kVar: the name
  std::optional<std::string> default_value;  // kVar
  TextPosition at;
  bool negated = false;                      // kIf: {% if not is_incremental() %}
  std::vector<Node> then_nodes, else_nodes;  // kIf
};

ModelTemplate::ModelTemplate() = default;
ModelTemplate::~ModelTemplate() = default;
ModelTemplate::ModelTemplate(ModelTemplate&&) noexcept = default;
ModelTemplate& ModelTemplate::operator=(ModelTemplate&&) noexcept = default;
ModelTemplate::ModelTemplate(const ModelTemplate&) = default;
ModelTemplate& ModelTemplate::operator=(const ModelTemplate&) = default;

std::string DescribePosition(std::string_view file, TextPosition at) {
  return fmt::format("{}:{}:{}", file, at.line, at.column);
}

namespace {

// {% if %} inside {% if %}: deeper nesting than any model needs is refused, so the parser's
// recursion stays shallow whatever the text.
constexpr int kIfDepthMax = 16;

struct Token {
  enum class Kind { kWord, kString, kPunct, kClose };
  Kind kind = Kind::kWord;
  std::string text;  // kWord: the word; kString: the contents; kPunct: one of ( ) , = [ ]; kClose: }} or %}
  TextPosition at;

  bool Is(std::string_view punct) const { return kind == Kind::kPunct && text == punct; }
};

std::string Describe(const Token& token) {
  switch (token.kind) {
    case Token::Kind::kClose:
      return fmt::format("the end of the tag (`{}`)", token.text);
    case Token::Kind::kString:
      return fmt::format("the string '{}'", token.text);
    default:
      return fmt::format("`{}`", token.text);
  }
}

// A call's arguments: positional values, then key=value ones.
struct CallArguments {
  std::vector<std::pair<ConfigValue, TextPosition>> positional;
  std::vector<ConfigArgument> named;
};

enum class BlockEnd { kText, kElse, kEndif };

// Reads a template's text once, front to back. Lifecycle: one Parse() call per instance.
class Parser {
 public:
  Parser(std::string_view text, std::string_view file) : text_(text), file_(file) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  // Fills the template's nodes and the names and config it mentions.
  Status Parse(std::vector<ModelTemplate::Node>& nodes, std::vector<NameUse>& refs, std::vector<NameUse>& sources,
               std::vector<ConfigArgument>& config) {
    refs_ = &refs;
    sources_ = &sources;
    config_ = &config;
    LAGOA_ASSIGN_OR_RETURN(BlockEnd end, ParseBlock(nodes, 0));
    if (end != BlockEnd::kText) {
      return Error(last_tag_at_, fmt::format("{{% {} %}} without an {{% if %}} before it",
                                             end == BlockEnd::kElse ? "else" : "endif"));
    }
    return Status::Ok();
  }

 private:
  TextPosition PositionOf(size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    const size_t line = static_cast<size_t>(it - line_starts_.begin());  // line_starts_[0] is 0, so line >= 1
    return {static_cast<int>(line), static_cast<int>(offset - line_starts_[line - 1] + 1)};
  }

  Status Error(TextPosition at, std::string_view what) const {
    return Status::InvalidArgument(fmt::format("{}: {}", DescribePosition(file_, at), what));
  }

  // Text and tags up to the end of the text, or up to the {% else %} or {% endif %} that ends the
  // enclosing if (then last_tag_at_ is where it starts).
  Result<BlockEnd> ParseBlock(std::vector<ModelTemplate::Node>& out, int depth) {
    while (pos_ < text_.size()) {
      const size_t open = FindTagStart(pos_);
      if (open > pos_)
        out.push_back({.kind = ModelTemplate::Node::Kind::kText, .text = std::string(text_.substr(pos_, open - pos_))});
      if (open == text_.size()) {
        pos_ = open;
        break;
      }
      last_tag_at_ = PositionOf(open);
      const char kind = text_[open + 1];
      pos_ = open + 2;
      if (kind == '#') {
        const size_t close = text_.find("#}", pos_);
        if (close == std::string_view::npos) return Error(last_tag_at_, "the comment is not closed: expected `#}`");
        pos_ = close + 2;
      } else if (kind == '{') {
        LAGOA_RETURN_IF_ERROR(ParseExpressionTag(out, depth));
      } else {
        LAGOA_ASSIGN_OR_RETURN(BlockEnd end, ParseStatementTag(out, depth));
        if (end != BlockEnd::kText) return end;
      }
    }
    return BlockEnd::kText;
  }

  size_t FindTagStart(size_t from) const {
    for (size_t i = text_.find('{', from); i != std::string_view::npos; i = text_.find('{', i + 1)) {
      if (i + 1 < text_.size() && (text_[i + 1] == '{' || text_[i + 1] == '%' || text_[i + 1] == '#')) return i;
    }
    return text_.size();
  }

  // The next token of the tag into `out`.
  Status Next(Token& out) {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) ++pos_;
    const size_t start = pos_;
    if (pos_ >= text_.size()) return Error(last_tag_at_, "the tag is not closed: expected `}}` or `%}`");
    const TextPosition at = PositionOf(start);
    const std::string_view rest = text_.substr(pos_);
    if (rest.starts_with("}}") || rest.starts_with("%}")) {
      pos_ += 2;
      out = Token{Token::Kind::kClose, std::string(rest.substr(0, 2)), at};
      return Status::Ok();
    }
    const char ch = text_[pos_];
    if (ch == '\'' || ch == '"') {
      const size_t end = text_.find_first_of(std::string{ch, '\n'}, pos_ + 1);
      if (end == std::string_view::npos || text_[end] != ch) {
        return Error(at, fmt::format("the string is not closed: expected {} on the same line", ch));
      }
      pos_ = end + 1;
      out = Token{Token::Kind::kString, std::string(text_.substr(start + 1, end - start - 1)), at};
      return Status::Ok();
    }
    if (std::string_view("(),=[]").find(ch) != std::string_view::npos) {
      ++pos_;
      out = Token{Token::Kind::kPunct, std::string(1, ch), at};
      return Status::Ok();
    }
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) != 0 || text_[pos_] == '_' ||
                                   text_[pos_] == '.' || text_[pos_] == '-')) {
      ++pos_;
    }
    if (pos_ == start) {
      return Error(at, fmt::format("unexpected `{}`: expected a name, a quoted string or one of ( ) , = [ ]", ch));
    }
    out = Token{Token::Kind::kWord, std::string(text_.substr(start, pos_ - start)), at};
    return Status::Ok();
  }

  Status ExpectClose(std::string_view close, std::string_view after) {
    Token token;
    LAGOA_RETURN_IF_ERROR(Next(token));
    if (token.kind == Token::Kind::kClose && token.text == close) return Status::Ok();
    return Error(token.at, fmt::format("expected `{}` after {}, found {}", close, after, Describe(token)));
  }

  Result<ConfigValue> ParseValue(const Token& first) {
    if (first.kind == Token::Kind::kString || first.kind == Token::Kind::kWord) return ConfigValue{first.text};
    if (!first.Is("[")) {
      return Error(first.at,
                   fmt::format("expected a value (a quoted string, a word or a [list]), found {}", Describe(first)));
    }
    std::vector<std::string> items;
    Token token;
    LAGOA_RETURN_IF_ERROR(Next(token));
    while (!token.Is("]")) {
      if (token.kind != Token::Kind::kString && token.kind != Token::Kind::kWord) {
        return Error(token.at, fmt::format("expected a list item or `]`, found {}", Describe(token)));
      }
      items.push_back(token.text);
      LAGOA_RETURN_IF_ERROR(Next(token));
      if (token.Is(",")) {
        LAGOA_RETURN_IF_ERROR(Next(token));
      } else if (!token.Is("]")) {
        return Error(token.at, fmt::format("expected `,` or `]` in a list, found {}", Describe(token)));
      }
    }
    return ConfigValue{std::move(items)};
  }

  // After `name(`: the arguments up to `)`. A bare word is a value, unless `=` follows it.
  Result<CallArguments> ParseArguments() {
    CallArguments args;
    Token token;
    LAGOA_RETURN_IF_ERROR(Next(token));
    while (!token.Is(")")) {
      const TextPosition at = token.at;
      std::optional<std::string> key;
      std::optional<ConfigValue> value;
      if (token.kind == Token::Kind::kWord) {
        Token after;
        LAGOA_RETURN_IF_ERROR(Next(after));
        if (after.Is("=")) {
          key = token.text;
          LAGOA_RETURN_IF_ERROR(Next(token));
        } else {
          value = ConfigValue{token.text};
          token = std::move(after);
        }
      }
      if (!value.has_value()) {
        LAGOA_ASSIGN_OR_RETURN(value, ParseValue(token));
        LAGOA_RETURN_IF_ERROR(Next(token));
      }
      if (key.has_value()) {
        args.named.push_back({*key, std::move(*value), at});
      } else if (!args.named.empty()) {
        return Error(at, "a value without a name after a name=value");
      } else {
        args.positional.emplace_back(std::move(*value), at);
      }
      if (token.Is(",")) {
        LAGOA_RETURN_IF_ERROR(Next(token));
      } else if (!token.Is(")")) {
        return Error(token.at, fmt::format("expected `,` or `)` after an argument, found {}", Describe(token)));
      }
    }
    return args;
  }

  Result<std::string> OneText(const CallArguments& args, std::string_view function, TextPosition at) const {
    const auto* text = args.positional.size() == 1 ? std::get_if<std::string>(&args.positional[0].first) : nullptr;
    if (text == nullptr || text->empty() || !args.named.empty()) {
      return Error(at, fmt::format("{}() takes one name, as in {}('orders')", function, function));
    }
    return *text;
  }

  // {{ this }}, {{ ref('x') }}, {{ source('x') }}, {{ var('x'[, 'default']) }}, {{ config(k=v, …) }}
  Status ParseExpressionTag(std::vector<ModelTemplate::Node>& out, int depth) {
    Token name;
    LAGOA_RETURN_IF_ERROR(Next(name));
    if (name.kind == Token::Kind::kWord && name.text == "this") {
      out.push_back({.kind = ModelTemplate::Node::Kind::kThis, .at = name.at});
      return ExpectClose("}}", "`this`");
    }
    static constexpr std::string_view kKnown = "ref, source, var, config or this";
    if (name.kind != Token::Kind::kWord) {
      return Error(name.at, fmt::format("expected {} after `{{{{`, found {}", kKnown, Describe(name)));
    }
    if (name.text != "ref" && name.text != "source" && name.text != "var" && name.text != "config") {
      return Error(name.at, fmt::format("unknown function `{}`: expected {}", name.text, kKnown));
    }
    Token open;
    LAGOA_RETURN_IF_ERROR(Next(open));
    if (!open.Is("("))
      return Error(open.at, fmt::format("expected `(` after `{}`, found {}", name.text, Describe(open)));
    LAGOA_ASSIGN_OR_RETURN(CallArguments args, ParseArguments());
    if (name.text == "ref" || name.text == "source") {
      LAGOA_ASSIGN_OR_RETURN(std::string target, OneText(args, name.text, name.at));
      const bool is_ref = name.text == "ref";
      out.push_back({.kind = is_ref ? ModelTemplate::Node::Kind::kRef : ModelTemplate::Node::Kind::kSource,
                     .text = target,
                     .at = name.at});
      (is_ref ? refs_ : sources_)->push_back({target, name.at});
    } else if (name.text == "var") {
      const auto* var = args.positional.empty() ? nullptr : std::get_if<std::string>(&args.positional[0].first);
      const auto* fallback =
          args.positional.size() == 2 ? std::get_if<std::string>(&args.positional[1].first) : nullptr;
      if (var == nullptr || var->empty() || args.positional.size() > 2 || !args.named.empty() ||
          (args.positional.size() == 2 && fallback == nullptr)) {
        return Error(name.at,
                     "var() takes a name and an optional default, as in var('day') or var('day', '2024-01-01')");
      }
      ModelTemplate::Node node{.kind = ModelTemplate::Node::Kind::kVar, .text = *var, .at = name.at};
      if (fallback != nullptr) node.default_value = *fallback;
      out.push_back(std::move(node));
    } else {
      if (!args.positional.empty()) {
        return Error(name.at, "config() takes name=value settings only, as in config(materialized='table')");
      }
      if (config_seen_) return Error(name.at, "a second config(): a model has at most one");
      if (depth > 0) {
        return Error(name.at,
                     "config() inside {% if %}: a model's settings hold for every build, so config() "
                     "stands outside any {% if %}");
      }
      config_seen_ = true;
      for (ConfigArgument& argument : args.named) config_->push_back(std::move(argument));
    }
    return ExpectClose("}}", fmt::format("{}(…)", name.text));
  }

  // {% if [not] is_incremental() %}, {% else %}, {% endif %}
  Result<BlockEnd> ParseStatementTag(std::vector<ModelTemplate::Node>& out, int depth) {
    const TextPosition tag_at = last_tag_at_;
    Token word;
    LAGOA_RETURN_IF_ERROR(Next(word));
    if (word.kind == Token::Kind::kWord && (word.text == "else" || word.text == "endif")) {
      LAGOA_RETURN_IF_ERROR(ExpectClose("%}", fmt::format("`{}`", word.text)));
      last_tag_at_ = tag_at;
      return word.text == "else" ? BlockEnd::kElse : BlockEnd::kEndif;
    }
    if (word.kind != Token::Kind::kWord || word.text != "if") {
      return Error(word.at, fmt::format("expected if, else or endif after `{{%`, found {}", Describe(word)));
    }
    if (depth >= kIfDepthMax)
      return Error(tag_at, fmt::format("more than {} {{% if %}} inside each other", kIfDepthMax));
    ModelTemplate::Node node{.kind = ModelTemplate::Node::Kind::kIf, .at = tag_at};
    Token condition;
    LAGOA_RETURN_IF_ERROR(Next(condition));
    if (condition.kind == Token::Kind::kWord && condition.text == "not") {
      node.negated = true;
      LAGOA_RETURN_IF_ERROR(Next(condition));
    }
    const Status not_a_condition = Error(condition.at,
                                         "the one condition is is_incremental(): {% if is_incremental() %} or "
                                         "{% if not is_incremental() %}");
    if (condition.kind != Token::Kind::kWord || condition.text != "is_incremental") return not_a_condition;
    Token open;
    LAGOA_RETURN_IF_ERROR(Next(open));
    if (!open.Is("(")) return not_a_condition;
    Token close;
    LAGOA_RETURN_IF_ERROR(Next(close));
    if (!close.Is(")")) return not_a_condition;
    LAGOA_RETURN_IF_ERROR(ExpectClose("%}", "is_incremental()"));
    LAGOA_ASSIGN_OR_RETURN(BlockEnd end, ParseBlock(node.then_nodes, depth + 1));
    if (end == BlockEnd::kElse) {
      const TextPosition else_at = last_tag_at_;
      LAGOA_ASSIGN_OR_RETURN(end, ParseBlock(node.else_nodes, depth + 1));
      if (end == BlockEnd::kElse)
        return Error(last_tag_at_,
                     fmt::format("a second {{% else %}} (the first is at {})", DescribePosition(file_, else_at)));
    }
    if (end != BlockEnd::kEndif) return Error(tag_at, "this {% if %} has no {% endif %}");
    out.push_back(std::move(node));
    return BlockEnd::kText;
  }

  std::string_view text_;
  std::string_view file_;
  std::vector<size_t> line_starts_;
  size_t pos_ = 0;
  TextPosition last_tag_at_;
  bool config_seen_ = false;
  std::vector<NameUse>* refs_ = nullptr;
  std::vector<NameUse>* sources_ = nullptr;
  std::vector<ConfigArgument>* config_ = nullptr;
};

}  // namespace

Result<ModelTemplate> ModelTemplate::Parse(std::string_view text, std::string_view file) {
  ModelTemplate parsed;
  parsed.file_ = std::string(file);
  Parser parser(text, file);
  LAGOA_RETURN_IF_ERROR(parser.Parse(parsed.nodes_, parsed.refs_, parsed.sources_, parsed.config_));
  return parsed;
}

namespace {

Status RenderNodes(const std::vector<ModelTemplate::Node>& nodes, const RenderContext& context, std::string_view file,
                   std::string& out) {
  using Kind = ModelTemplate::Node::Kind;
  for (const ModelTemplate::Node& node : nodes) {
    switch (node.kind) {
      case Kind::kText:
        out += node.text;
        break;
      case Kind::kRef:
      case Kind::kSource: {
        const auto& resolve = node.kind == Kind::kRef ? context.ref : context.source;
        LAGOA_ASSIGN_OR_RETURN(std::string relation, resolve(NameUse{node.text, node.at}));
        out += relation;
        break;
      }
      case Kind::kThis:
        out += context.this_relation;
        break;
      case Kind::kVar: {
        auto value = context.vars.find(node.text);
        if (value != context.vars.end()) {
          out += value->second;
        } else if (node.default_value.has_value()) {
          out += *node.default_value;
        } else {
          return Status::InvalidArgument(fmt::format(
              "{}: var('{}') has no value and no default: set it under `vars:` in lagoa_project.yml, or give "
              "--var {}=VALUE",
              DescribePosition(file, node.at), node.text, node.text));
        }
        break;
      }
      case Kind::kIf:
        LAGOA_RETURN_IF_ERROR(RenderNodes(context.is_incremental != node.negated ? node.then_nodes : node.else_nodes,
                                          context, file, out));
        break;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> ModelTemplate::Render(const RenderContext& context) const {
  std::string out;
  LAGOA_RETURN_IF_ERROR(RenderNodes(nodes_, context, file_, out));
  return out;
}

std::vector<std::string> ConfigTexts(const ConfigValue& value) {
  if (const auto* one = std::get_if<std::string>(&value)) return {*one};
  return std::get<std::vector<std::string>>(value);
}

}  // namespace lagoa::models
