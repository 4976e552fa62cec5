// ModelTemplate: what a model's tags parse into, how they render, and the messages for mistakes.
#include "models/model_template.h"

#include <gtest/gtest.h>

namespace lagoa::models {
namespace {

// Renders with refs as `REF(name)`, sources as `SRC(name)`, `this` as THIS and the given vars.
Result<std::string> RenderPlain(const ModelTemplate& t, bool is_incremental,
                                std::map<std::string, std::string> vars = {}) {
  RenderContext context;
  context.ref = [](const NameUse& ref) -> Result<std::string> { return "REF(" + ref.name + ")"; };
  context.source = [](const NameUse& source) -> Result<std::string> { return "SRC(" + source.name + ")"; };
  context.this_relation = "THIS";
  context.is_incremental = is_incremental;
  context.vars = std::move(vars);
  return t.Render(context);
}

std::string ParseError(std::string_view text) {
  auto parsed = ModelTemplate::Parse(text, "models/m.sql");
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? "" : parsed.status().message();
}

TEST(ModelTemplate, RefsSourcesThisAndVarsRenderInPlace) {
  auto t = ModelTemplate::Parse(
      "SELECT o.id, c.name\nFROM {{ ref('orders') }} o JOIN {{source(\"clicks\")}} c USING (id)\n"
      "WHERE o.day >= '{{ var('start', '2024-01-01') }}' AND o.shop = {{ var(\"shop\") }} -- {{ this }}",
      "models/m.sql");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->refs().size(), 1u);
  EXPECT_EQ(t->refs()[0].name, "orders");
  EXPECT_EQ(t->refs()[0].at.line, 2);
  EXPECT_EQ(t->refs()[0].at.column, 9);
  ASSERT_EQ(t->sources().size(), 1u);
  EXPECT_EQ(t->sources()[0].name, "clicks");
  auto sql = RenderPlain(*t, false, {{"shop", "7"}});
  ASSERT_TRUE(sql.ok()) << sql.status().ToString();
  EXPECT_EQ(*sql,
            "SELECT o.id, c.name\nFROM REF(orders) o JOIN SRC(clicks) c USING (id)\n"
            "WHERE o.day >= '2024-01-01' AND o.shop = 7 -- THIS");
  auto overridden = RenderPlain(*t, false, {{"shop", "7"}, {"start", "2025-06-01"}});
  ASSERT_TRUE(overridden.ok());
  EXPECT_NE(overridden->find("'2025-06-01'"), std::string::npos);
}

TEST(ModelTemplate, AVarWithoutValueOrDefaultNamesWhereAndHowToSetIt) {
  auto t = ModelTemplate::Parse("SELECT 1\nWHERE x = {{ var('shop') }}", "models/m.sql");
  ASSERT_TRUE(t.ok());
  auto sql = RenderPlain(*t, false);
  ASSERT_FALSE(sql.ok());
  EXPECT_EQ(sql.status().message(),
            "models/m.sql:2:14: var('shop') has no value and no default: set it under `vars:` in lagoa_project.yml, "
            "or give --var shop=VALUE");
}

TEST(ModelTemplate, IsIncrementalChoosesItsBranchAndNests) {
  auto t = ModelTemplate::Parse(
      "SELECT * FROM {{ ref('events') }}\n"
      "{% if is_incremental() %}WHERE ts > (SELECT max(ts) FROM {{ this }}){% else %}WHERE ts > DATE '2024-01-01'"
      "{% if not is_incremental() %} AND first{% endif %}{% endif %}",
      "models/m.sql");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto first = RenderPlain(*t, false);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, "SELECT * FROM REF(events)\nWHERE ts > DATE '2024-01-01' AND first");
  auto next = RenderPlain(*t, true);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, "SELECT * FROM REF(events)\nWHERE ts > (SELECT max(ts) FROM THIS)");
}

TEST(ModelTemplate, ConfigTakesStringsWordsAndListsAndRendersToNothing) {
  auto t = ModelTemplate::Parse(
      "{{ config(materialized='incremental', unique_key=['id', \"day\"], enabled=true, tags=[]) }}\nSELECT 1",
      "models/m.sql");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->config().size(), 4u);
  EXPECT_EQ(t->config()[0].key, "materialized");
  EXPECT_EQ(std::get<std::string>(t->config()[0].value), "incremental");
  EXPECT_EQ(std::get<std::vector<std::string>>(t->config()[1].value), (std::vector<std::string>{"id", "day"}));
  EXPECT_EQ(std::get<std::string>(t->config()[2].value), "true");
  EXPECT_TRUE(std::get<std::vector<std::string>>(t->config()[3].value).empty());
  auto sql = RenderPlain(*t, false);
  ASSERT_TRUE(sql.ok());
  EXPECT_EQ(*sql, "\nSELECT 1");
}

TEST(ModelTemplate, CommentsAndLoneBracesAreLeftAlone) {
  auto t = ModelTemplate::Parse("SELECT {'a': 1} AS s, '{' AS b {# a note with {{ tags }} #}", "models/m.sql");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto sql = RenderPlain(*t, false);
  ASSERT_TRUE(sql.ok());
  EXPECT_EQ(*sql, "SELECT {'a': 1} AS s, '{' AS b ");
}

TEST(ModelTemplate, MistakesNameTheFileLineAndColumn) {
  EXPECT_EQ(ParseError("SELECT 1 FROM {{ ref('a') "),
            "models/m.sql:1:15: the tag is not closed: expected `}}` or `%}`");
  EXPECT_EQ(ParseError("SELECT {{ refs('a') }}"),
            "models/m.sql:1:11: unknown function `refs`: expected ref, source, var, config or this");
  EXPECT_EQ(ParseError("SELECT\n  {{ ref('a', 'b') }}"), "models/m.sql:2:6: ref() takes one name, as in ref('orders')");
  EXPECT_EQ(ParseError("{{ ref('a) }}"), "models/m.sql:1:8: the string is not closed: expected ' on the same line");
  EXPECT_EQ(ParseError("{{ config(materialized='table') }}{{ config(tags=['x']) }}"),
            "models/m.sql:1:38: a second config(): a model has at most one");
  EXPECT_EQ(ParseError("{{ config('table') }}"),
            "models/m.sql:1:4: config() takes name=value settings only, as in config(materialized='table')");
  EXPECT_EQ(ParseError("{{ var(x=1, 'y') }}"), "models/m.sql:1:13: a value without a name after a name=value");
  EXPECT_EQ(ParseError("{% if is_incremental() %}x"), "models/m.sql:1:1: this {% if %} has no {% endif %}");
  EXPECT_EQ(ParseError("x\n{% endif %}"), "models/m.sql:2:1: {% endif %} without an {% if %} before it");
  EXPECT_EQ(ParseError("{% if is_incremental() %}a{% else %}b{% else %}c{% endif %}"),
            "models/m.sql:1:38: a second {% else %} (the first is at models/m.sql:1:27)");
  EXPECT_EQ(ParseError("{% if ready %}x{% endif %}"),
            "models/m.sql:1:7: the one condition is is_incremental(): {% if is_incremental() %} or "
            "{% if not is_incremental() %}");
  EXPECT_EQ(ParseError("{{ ref('a') ; }}"),
            "models/m.sql:1:13: unexpected `;`: expected a name, a quoted string or one of ( ) , = [ ]");
  EXPECT_EQ(ParseError("{# never closed"), "models/m.sql:1:1: the comment is not closed: expected `#}`");
  EXPECT_EQ(ParseError("{% if is_incremental() %}{{ config(materialized='table') }}{% endif %}"),
            "models/m.sql:1:29: config() inside {% if %}: a model's settings hold for every build, so config() "
            "stands outside any {% if %}");
}

TEST(ModelTemplate, NestingIsBounded) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "{% if is_incremental() %}";
  const std::string message = ParseError(deep);
  EXPECT_NE(message.find("more than 16 {% if %} inside each other"), std::string::npos) << message;
}

}  // namespace
}  // namespace lagoa::models
