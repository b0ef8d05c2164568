// toUtf8(): body and parameter text from a declared charset to UTF-8, with glibc's iconv.
//
// Labels are mapped as browsers map them (WHATWG Encoding Standard), because mail clients
// mislabel the same way web pages do: ISO-8859-1 and US-ASCII text is in practice Windows-1252
// (curly quotes and the euro sign at 0x80-0x9F), Shift_JIS is Microsoft's CP932 and EUC-KR
// (also sent as ks_c_5601-1987) is CP949, each a superset of the label's standard. A missing,
// unknown or "unknown-8bit" label is read as UTF-8 when the bytes are valid UTF-8, else as
// Windows-1252, which decodes any byte.
#include <iconv.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <string>
#include <string_view>

#include "connectors/email/charset.h"
#include "connectors/email/email_normalizer.h"
#include "connectors/email/gmime_runtime.h"
#include "connectors/email/utf8_text.h"

namespace switchboard::connectors::email {
namespace {

constexpr std::string_view kAuto = "";  // no usable label: UTF-8 when valid, else Windows-1252
constexpr std::string_view kWindows1252 = "WINDOWS-1252";

struct Alias {
  std::string_view label;
  std::string_view iconv_name;
};
constexpr std::array<Alias, 31> kAliases = {{
    {"utf-8", "UTF-8"},
    {"utf8", "UTF-8"},
    {"us-ascii", kAuto},
    {"ascii", kAuto},
    {"unknown-8bit", kAuto},
    {"x-unknown", kAuto},
    {"default", kAuto},
    {"iso-8859-1", kWindows1252},
    {"iso8859-1", kWindows1252},
    {"iso_8859-1", kWindows1252},
    {"latin1", kWindows1252},
    {"l1", kWindows1252},
    {"windows-1252", kWindows1252},
    {"cp1252", kWindows1252},
    {"x-cp1252", kWindows1252},
    {"shift_jis", "CP932"},
    {"shift-jis", "CP932"},
    {"sjis", "CP932"},
    {"x-sjis", "CP932"},
    {"ms_kanji", "CP932"},
    {"windows-31j", "CP932"},
    {"cp932", "CP932"},
    {"euc-kr", "CP949"},
    {"ks_c_5601-1987", "CP949"},
    {"ks_c_5601", "CP949"},
    {"windows-949", "CP949"},
    {"cp949", "CP949"},
    {"iso-2022-jp", "ISO-2022-JP-2"},  // superset: also the JIS X 0212 and ISO-8859 escapes
    {"gb2312", "GB18030"},
    {"gbk", "GB18030"},
    {"x-gbk", "GB18030"},
}};

std::string normalizedLabel(std::string_view charset) {
  std::string label(trimSpace(charset));
  if (label.size() >= 2 && label.front() == '"' && label.back() == '"') {
    label = label.substr(1, label.size() - 2);
  }
  for (char& c : label) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return label;
}

// The iconv name for `charset`, or kAuto.
std::string iconvName(std::string_view charset) {
  std::string label = normalizedLabel(charset);
  if (label.empty() || label.size() > 64) return std::string(kAuto);
  for (const Alias& alias : kAliases) {
    if (alias.label == label) return std::string(alias.iconv_name);
  }
  gmimeParserOptions();  // GMime's charset tables need g_mime_init()
  const char* name = g_mime_charset_iconv_name(label.c_str());
  return name != nullptr ? std::string(name) : label;
}

// Converts with iconv; false when iconv does not know `from`.
bool convert(std::string_view bytes, const std::string& from, std::string& out) {
  iconv_t cd = iconv_open("UTF-8", from.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  out.clear();
  out.reserve(bytes.size() + bytes.size() / 2 + 16);
  std::array<char, 8192> buffer;
  char* in = const_cast<char*>(bytes.data());  // iconv's signature; it does not write input
  size_t in_left = bytes.size();
  while (true) {
    char* out_ptr = buffer.data();
    size_t out_left = buffer.size();
    const bool flushing = in_left == 0;  // last call: return to the initial shift state
    size_t rc = flushing ? iconv(cd, nullptr, nullptr, &out_ptr, &out_left)
                         : iconv(cd, &in, &in_left, &out_ptr, &out_left);
    const int error = rc == static_cast<size_t>(-1) ? errno : 0;
    out.append(buffer.data(), static_cast<size_t>(out_ptr - buffer.data()));
    if (error == E2BIG) continue;
    if (flushing) break;
    if (error == EILSEQ) {
      // One replacement per undecodable byte, then resynchronise on the next one.
      out += kReplacementCharacter;
      ++in;
      --in_left;
    } else if (error == EINVAL) {  // a sequence cut off by the end of the input
      out += kReplacementCharacter;
      in_left = 0;
    }
  }
  iconv_close(cd);
  return true;
}

}  // namespace

std::string toUtf8(std::string_view bytes, std::string_view charset) {
  std::string name = iconvName(charset);
  // Declared UTF-8: keep it, replacing only the bad bytes (and dropping NULs).
  if (name == "UTF-8" || name == "utf-8") return sanitizeUtf8(bytes);
  if (name == kAuto) {
    if (isValidUtf8(bytes)) return sanitizeUtf8(bytes);
    name = std::string(kWindows1252);
  }
  std::string out;
  if (!convert(bytes, name, out)) {
    if (isValidUtf8(bytes)) return sanitizeUtf8(bytes);
    if (!convert(bytes, std::string(kWindows1252), out)) return sanitizeUtf8(bytes);
  }
  return sanitizeUtf8(out);
}

std::string toUtf8Owned(std::string bytes, std::string_view charset) {
  const std::string name = iconvName(charset);
  // Declared UTF-8, or no label and valid UTF-8: toUtf8() would return sanitizeUtf8(bytes),
  // which is `bytes` itself when valid and free of NULs.
  if ((name == "UTF-8" || name == "utf-8" || name == kAuto) && isValidUtf8(bytes) &&
      bytes.find('\0') == std::string::npos) {
    return bytes;
  }
  return toUtf8(bytes, charset);
}

}  // namespace switchboard::connectors::email
