#include "router/policy/filter.h"

#include <algorithm>

namespace switchboard::policy {

std::optional<std::string_view> FlatAttributes::find(std::string_view name) const {
  for (const Entry& entry : entries_) {
    if (entry.first == name) return entry.second;
  }
  return std::nullopt;
}

namespace {

enum class Tok {
  kEnd,
  kName,
  kString,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kEq,
  kNe,
  kNot,
  kAnd,
  kOr,
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t column = 1;      // 1-based byte column of the token's first character
  std::string_view text;  // the source text of the token
  std::string value;      // kString: the unescaped value
};

bool isNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isNameChar(char c) {
  return isNameStart(c) || (c >= '0' && c <= '9') || c == '.';
}

void appendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string showByte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7F) return std::string("\"") + c + "\"";
  std::string out = "byte 0x";
  out += "0123456789abcdef"[byte >> 4];
  out += "0123456789abcdef"[byte & 0xF];
  return out;
}

std::string describe(const Token& token) {
  switch (token.kind) {
    case Tok::kEnd: return "end of input";
    case Tok::kName: return "name \"" + std::string(token.text) + "\"";
    case Tok::kString: return "string " + std::string(token.text);
    default: return "\"" + std::string(token.text) + "\"";
  }
}

Error errorAt(size_t column, const std::string& message) {
  return makeError(Errc::kConfig, "column " + std::to_string(column) + ": " + message);
}

// Splits the source into tokens one at a time.
class Lexer {
 public:
  explicit Lexer(std::string_view source) : source_(source) {}

  Result<Token> next() {
    while (pos_ < source_.size() && (source_[pos_] == ' ' || source_[pos_] == '\t' ||
                                     source_[pos_] == '\n' || source_[pos_] == '\r')) {
      ++pos_;
    }
    Token token;
    token.column = pos_ + 1;
    if (pos_ == source_.size()) return token;
    const size_t start = pos_;
    const char c = source_[pos_];
    auto two = [&](char second) {
      return pos_ + 1 < source_.size() && source_[pos_ + 1] == second;
    };
    auto symbol = [&](Tok kind, size_t length) {
      token.kind = kind;
      token.text = source_.substr(start, length);
      pos_ += length;
      return token;
    };
    switch (c) {
      case '(': return symbol(Tok::kLParen, 1);
      case ')': return symbol(Tok::kRParen, 1);
      case '[': return symbol(Tok::kLBracket, 1);
      case ']': return symbol(Tok::kRBracket, 1);
      case ',': return symbol(Tok::kComma, 1);
      case '!': return two('=') ? symbol(Tok::kNe, 2) : symbol(Tok::kNot, 1);
      case '=':
        if (two('=')) return symbol(Tok::kEq, 2);
        return errorAt(token.column, "expected \"==\", found \"=\"");
      case '&':
        if (two('&')) return symbol(Tok::kAnd, 2);
        return errorAt(token.column, "expected \"&&\", found \"&\"");
      case '|':
        if (two('|')) return symbol(Tok::kOr, 2);
        return errorAt(token.column, "expected \"||\", found \"|\"");
      case '"': return lexString(token);
      default: break;
    }
    if (isNameStart(c)) {
      while (pos_ < source_.size() && isNameChar(source_[pos_])) ++pos_;
      token.kind = Tok::kName;
      token.text = source_.substr(start, pos_ - start);
      return token;
    }
    return errorAt(token.column, "unexpected character " + showByte(c));
  }

 private:
  Result<Token> lexString(Token& token) {
    const size_t start = pos_;
    ++pos_;  // opening quote
    token.kind = Tok::kString;
    while (true) {
      if (pos_ >= source_.size()) {
        return errorAt(token.column, "unterminated string (expected a closing '\"')");
      }
      const char c = source_[pos_];
      if (c == '"') break;
      if (c != '\\') {
        token.value += c;
        ++pos_;
        continue;
      }
      const size_t escape_column = pos_ + 1;
      if (pos_ + 1 >= source_.size()) {
        return errorAt(escape_column, "unterminated string (expected a closing '\"')");
      }
      const char e = source_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case '"': token.value += '"'; break;
        case '\\': token.value += '\\'; break;
        case 'n': token.value += '\n'; break;
        case 't': token.value += '\t'; break;
        case 'r': token.value += '\r'; break;
        case 'u': {
          uint32_t cp = 0;
          for (int i = 0; i < 4; ++i) {
            const int h = pos_ < source_.size() ? hexValue(source_[pos_]) : -1;
            if (h < 0) {
              return errorAt(escape_column, "expected 4 hex digits after \\u");
            }
            cp = cp * 16 + static_cast<uint32_t>(h);
            ++pos_;
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) {
            return errorAt(escape_column, "\\u escape of a surrogate is not a character");
          }
          appendUtf8(cp, token.value);
          break;
        }
        default:
          return errorAt(escape_column,
                         "unknown escape (expected \\\" \\\\ \\n \\t \\r or \\uXXXX)");
      }
    }
    ++pos_;  // closing quote
    token.text = source_.substr(start, pos_ - start);
    return token;
  }

  std::string_view source_;
  size_t pos_ = 0;
};

}  // namespace

// Recursive descent over the grammar in filter.h, building the node arrays of `out`.
class Filter::Parser {
 public:
  Parser(std::string_view source, Filter& out) : lexer_(source), out_(out) {}

  Status parse() {
    SB_RETURN_IF_ERROR(advance());
    SB_ASSIGN_OR_RETURN(out_.root_, parseOr());
    if (token_.kind != Tok::kEnd) {
      return expected("\"&&\", \"||\" or end of input");
    }
    return okStatus();
  }

 private:
  Status advance() {
    SB_ASSIGN_OR_RETURN(token_, lexer_.next());
    return okStatus();
  }
  Error expected(std::string_view what) const {
    return errorAt(token_.column, "expected " + std::string(what) + ", found " + describe(token_));
  }

  Result<uint32_t> parseOr() { return parseChain(Tok::kOr, Kind::kOr); }
  Result<uint32_t> parseAnd() { return parseChain(Tok::kAnd, Kind::kAnd); }

  // operand (op operand)*, flattened into one n-ary node (nested chains of the same operator,
  // from parentheses, are spliced in).
  Result<uint32_t> parseChain(Tok op, Kind kind) {
    SB_ASSIGN_OR_RETURN(uint32_t first, operand(kind));
    if (token_.kind != op) return first;
    std::vector<uint32_t> children;
    addChild(children, first, kind);
    while (token_.kind == op) {
      SB_RETURN_IF_ERROR(advance());
      SB_ASSIGN_OR_RETURN(uint32_t next, operand(kind));
      addChild(children, next, kind);
    }
    Node node;
    node.kind = kind;
    node.first = static_cast<uint32_t>(out_.children_.size());
    node.count = static_cast<uint32_t>(children.size());
    out_.children_.insert(out_.children_.end(), children.begin(), children.end());
    return addNode(node);
  }
  Result<uint32_t> operand(Kind chain) { return chain == Kind::kOr ? parseAnd() : parseUnary(); }
  void addChild(std::vector<uint32_t>& children, uint32_t child, Kind kind) const {
    const Node& node = out_.nodes_[child];
    if (node.kind == kind) {
      children.insert(children.end(), out_.children_.begin() + node.first,
                      out_.children_.begin() + node.first + node.count);
    } else {
      children.push_back(child);
    }
  }

  Result<uint32_t> parseUnary() {
    if (token_.kind != Tok::kNot) return parsePrimary();
    SB_RETURN_IF_ERROR(enter());
    SB_RETURN_IF_ERROR(advance());
    SB_ASSIGN_OR_RETURN(uint32_t child, parseUnary());
    --depth_;
    Node node;
    node.kind = Kind::kNot;
    node.first = child;
    return addNode(node);
  }

  Result<uint32_t> parsePrimary() {
    if (token_.kind == Tok::kLParen) {
      SB_RETURN_IF_ERROR(enter());
      SB_RETURN_IF_ERROR(advance());
      SB_ASSIGN_OR_RETURN(uint32_t inner, parseOr());
      if (token_.kind != Tok::kRParen) return expected("\")\"");
      --depth_;
      SB_RETURN_IF_ERROR(advance());
      return inner;
    }
    if (token_.kind != Tok::kName) {
      return expected("a name, \"has(\", \"true\", \"false\", \"!\" or \"(\"");
    }
    const std::string_view name = token_.text;
    if (name == "true" || name == "false") {
      Node node;
      node.kind = name == "true" ? Kind::kTrue : Kind::kFalse;
      SB_RETURN_IF_ERROR(advance());
      return addNode(node);
    }
    SB_RETURN_IF_ERROR(advance());
    if (name == "has" && token_.kind == Tok::kLParen) return parseHas();
    Node node;
    node.attr = internName(name);
    switch (token_.kind) {
      case Tok::kEq:
      case Tok::kNe: {
        node.kind = token_.kind == Tok::kEq ? Kind::kEq : Kind::kNe;
        SB_RETURN_IF_ERROR(advance());
        if (token_.kind != Tok::kString) return expected("a string literal");
        node.first = addLiteral(std::move(token_.value));
        SB_RETURN_IF_ERROR(advance());
        return addNode(node);
      }
      case Tok::kName:
        if (token_.text == "in") return parseIn(node);
        break;
      default: break;
    }
    return expected("\"==\", \"!=\" or \"in\" after name \"" + std::string(name) + "\"");
  }

  Result<uint32_t> parseHas() {
    SB_RETURN_IF_ERROR(advance());  // "("
    if (token_.kind != Tok::kName) return expected("an attribute name");
    Node node;
    node.kind = Kind::kHas;
    node.attr = internName(token_.text);
    SB_RETURN_IF_ERROR(advance());
    if (token_.kind != Tok::kRParen) return expected("\")\"");
    SB_RETURN_IF_ERROR(advance());
    return addNode(node);
  }

  Result<uint32_t> parseIn(Node node) {
    node.kind = Kind::kIn;
    SB_RETURN_IF_ERROR(advance());  // "in"
    if (token_.kind != Tok::kLBracket) return expected("\"[\"");
    SB_RETURN_IF_ERROR(advance());
    // kIn reads its literals as one contiguous range.
    std::vector<std::string> values;
    if (token_.kind != Tok::kRBracket) {
      while (true) {
        if (token_.kind != Tok::kString) return expected("a string literal");
        values.push_back(std::move(token_.value));
        SB_RETURN_IF_ERROR(advance());
        if (token_.kind == Tok::kRBracket) break;
        if (token_.kind != Tok::kComma) return expected("\",\" or \"]\"");
        SB_RETURN_IF_ERROR(advance());
      }
    }
    SB_RETURN_IF_ERROR(advance());  // "]"
    node.first = static_cast<uint32_t>(out_.literals_.size());
    node.count = static_cast<uint32_t>(values.size());
    for (std::string& value : values) out_.literals_.push_back(std::move(value));
    return addNode(node);
  }

  Status enter() {
    if (++depth_ > kMaxNesting) {
      return errorAt(token_.column,
                     "nesting deeper than " + std::to_string(kMaxNesting) + " levels");
    }
    return okStatus();
  }

  uint32_t internName(std::string_view name) {
    auto it = std::find(out_.names_.begin(), out_.names_.end(), name);
    if (it != out_.names_.end()) return static_cast<uint32_t>(it - out_.names_.begin());
    out_.names_.emplace_back(name);
    return static_cast<uint32_t>(out_.names_.size() - 1);
  }
  uint32_t addLiteral(std::string value) {
    out_.literals_.push_back(std::move(value));
    return static_cast<uint32_t>(out_.literals_.size() - 1);
  }
  uint32_t addNode(const Node& node) {
    out_.nodes_.push_back(node);
    return static_cast<uint32_t>(out_.nodes_.size() - 1);
  }

  Lexer lexer_;
  Filter& out_;
  Token token_;
  int depth_ = 0;
};

Filter::Filter() {
  nodes_.push_back(Node{});  // kTrue
}

Result<Filter> Filter::compile(std::string_view source) {
  if (source.size() > kMaxSourceBytes) {
    return makeError(Errc::kConfig,
                     "filter longer than " + std::to_string(kMaxSourceBytes) + " bytes");
  }
  Filter filter;
  filter.nodes_.clear();
  Parser parser(source, filter);
  SB_RETURN_IF_ERROR(parser.parse());
  return filter;
}

bool Filter::eval(uint32_t index, const Attributes& attributes) const {
  const Node& node = nodes_[index];
  switch (node.kind) {
    case Kind::kTrue: return true;
    case Kind::kFalse: return false;
    case Kind::kHas: return attributes.find(names_[node.attr]).has_value();
    case Kind::kEq: {
      const auto value = attributes.find(names_[node.attr]);
      return value && *value == literals_[node.first];
    }
    case Kind::kNe: {
      const auto value = attributes.find(names_[node.attr]);
      return !value || *value != literals_[node.first];
    }
    case Kind::kIn: {
      const auto value = attributes.find(names_[node.attr]);
      if (!value) return false;
      for (uint32_t i = node.first; i < node.first + node.count; ++i) {
        if (*value == literals_[i]) return true;
      }
      return false;
    }
    case Kind::kNot: return !eval(node.first, attributes);
    case Kind::kAnd:
      for (uint32_t i = node.first; i < node.first + node.count; ++i) {
        if (!eval(children_[i], attributes)) return false;
      }
      return true;
    case Kind::kOr:
      for (uint32_t i = node.first; i < node.first + node.count; ++i) {
        if (eval(children_[i], attributes)) return true;
      }
      return false;
  }
  return false;
}

namespace {

void printString(std::string_view value, std::string& out) {
  out += '"';
  for (const char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += "0123456789abcdef"[(c >> 4) & 0xF];
          out += "0123456789abcdef"[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

void Filter::print(uint32_t index, Kind parent, std::string& out) const {
  const Node& node = nodes_[index];
  switch (node.kind) {
    case Kind::kTrue: out += "true"; return;
    case Kind::kFalse: out += "false"; return;
    case Kind::kHas: out += "has(" + names_[node.attr] + ")"; return;
    case Kind::kEq:
    case Kind::kNe:
      out += names_[node.attr];
      out += node.kind == Kind::kEq ? " == " : " != ";
      printString(literals_[node.first], out);
      return;
    case Kind::kIn:
      out += names_[node.attr] + " in [";
      for (uint32_t i = node.first; i < node.first + node.count; ++i) {
        if (i != node.first) out += ", ";
        printString(literals_[i], out);
      }
      out += "]";
      return;
    case Kind::kNot:
      out += "!";
      print(node.first, Kind::kNot, out);
      return;
    case Kind::kAnd:
    case Kind::kOr: {
      // Only the parentheses the precedence needs: an || chain inside && or !, an && chain
      // inside !. So the canonical text never nests deeper than the source did, and
      // compiles within kMaxNesting whenever the source did.
      const bool wrap = parent == Kind::kNot || (node.kind == Kind::kOr && parent == Kind::kAnd);
      if (wrap) out += "(";
      for (uint32_t i = node.first; i < node.first + node.count; ++i) {
        if (i != node.first) out += node.kind == Kind::kAnd ? " && " : " || ";
        print(children_[i], node.kind, out);
      }
      if (wrap) out += ")";
      return;
    }
  }
}

std::string Filter::canonical() const {
  std::string out;
  print(root_, Kind::kTrue, out);
  return out;
}

}  // namespace switchboard::policy
