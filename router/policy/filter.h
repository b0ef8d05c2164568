// Filter: a compiled filter expression of the routing policy, e.g.
//   channel == "chat" && language == "ko" && tier == "vip"
//   !(channel in ["email", "x"]) || has(vip_since)
// Grammar (precedence from loosest to tightest: ||, &&, !):
//   expr    := and ("||" and)*
//   and     := unary ("&&" unary)*
//   unary   := "!" unary | primary
//   primary := "(" expr ")" | "true" | "false" | "has" "(" NAME ")"
//            | NAME ("==" | "!=") STRING | NAME "in" "[" [STRING ("," STRING)*] "]"
//   NAME    := [A-Za-z_][A-Za-z0-9_.]*       STRING := "..." with \" \\ \n \t \r \uXXXX
// A missing attribute is never equal to anything: `a == "x"` and `a in [...]` are false and
// `a != "x"` is true when the work item has no `a`; `has(a)` tests presence.
//
// compile() parses once and never throws; a parse error says the column (1-based, in bytes)
// and what was expected. matches() walks the compiled nodes with no allocation and reads
// attributes through the Attributes interface, so any representation of a work item works.
//
// Lifecycle: immutable after compile(); matches() is const and safe from any number of
// threads at once (as long as the Attributes object is).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace switchboard::policy {

// How a filter reads the attributes of one work item. find() must not allocate if the caller
// wants allocation-free evaluation.
class Attributes {
 public:
  virtual std::optional<std::string_view> find(std::string_view name) const = 0;

 protected:
  ~Attributes() = default;
};

// Attributes over a caller-owned array of (name, value) pairs; the first pair of a name wins.
class FlatAttributes final : public Attributes {
 public:
  using Entry = std::pair<std::string_view, std::string_view>;
  explicit FlatAttributes(std::span<const Entry> entries) : entries_(entries) {}
  std::optional<std::string_view> find(std::string_view name) const override;

 private:
  std::span<const Entry> entries_;
};

class Filter {
 public:
  // Limits that keep compile() and matches() cheap on hostile input (the policy file is
  // trusted, but the fuzzer is not).
  static constexpr size_t kMaxSourceBytes = 4096;
  static constexpr int kMaxNesting = 32;  // "(" and "!" levels

  // The filter that matches every work item (a queue without `filter`).
  Filter();

  // Errc::kConfig "column N: expected ..., found ..." on a syntax error.
  static Result<Filter> compile(std::string_view source);

  bool matches(const Attributes& attributes) const { return eval(root_, attributes); }

  // A normalized text of the expression: one space around binary operators, only the
  // parentheses the precedence needs, strings re-escaped. Two filters with the same canonical
  // text behave the same; compile(canonical()) succeeds and gives the same canonical text.
  std::string canonical() const;
  // The attribute names the expression reads, each once, in order of first use.
  const std::vector<std::string>& attributeNames() const { return names_; }

  bool operator==(const Filter& other) const { return canonical() == other.canonical(); }

 private:
  enum class Kind : uint8_t { kTrue, kFalse, kHas, kEq, kNe, kIn, kNot, kAnd, kOr };
  // kEq/kNe: attr, literal `first`. kIn: attr, literals [first, first + count). kNot: child
  // node `first`. kAnd/kOr: child nodes children_[first, first + count).
  struct Node {
    Kind kind = Kind::kTrue;
    uint32_t attr = 0;
    uint32_t first = 0;
    uint32_t count = 0;
  };
  class Parser;

  bool eval(uint32_t node, const Attributes& attributes) const;
  // `parent`: the kind of the enclosing node (kTrue at the root), to decide on parentheses.
  void print(uint32_t node, Kind parent, std::string& out) const;

  std::vector<Node> nodes_;
  std::vector<uint32_t> children_;
  std::vector<std::string> literals_;
  std::vector<std::string> names_;
  uint32_t root_ = 0;
};

}  // namespace switchboard::policy
