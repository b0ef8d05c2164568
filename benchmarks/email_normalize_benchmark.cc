// Email normalization on one core: normalizeRawEmail() on a ~20 KB message of the common
// shape (multipart/mixed: multipart/alternative with a quoted-printable text/plain reply and
// its HTML rendering, plus a small base64 PDF), through GMime, libxml2 (not needed here: the
// text/plain part wins) and the quoted-history splitter, with the attachment hashed.
// items_per_second is messages per second; allocs_per_iter counts heap allocations of our
// code and of GMime/GLib/libxml2 alike (benchmarks/alloc_counter.h; glib's g_malloc uses
// malloc, not operator new, so those are NOT counted).
// Variants:
//   mixed_20k     the message above, through SmtpEmailConnector::normalize() (what the SMTP
//                 front end runs per message)
//   html_only_20k the same content as text/html only: htmlToText() runs
//   plain_2k      a short plain-text reply: the fixed cost per message
// BM_GMimeParseFree: the same messages through GMime alone, tree built and freed as
// normalizeRawEmail() has it done (BorrowedMessage: per-thread parser, no copy of the bytes)
// and nothing else: the floor of the normalizer's cost while it parses with GMime.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <benchmark/benchmark.h>

#include "benchmarks/alloc_counter.h"
#include "connectors/email/email_normalizer.h"
#include "connectors/email/gmime_parse_only.h"
#include "connectors/email/smtp_email_connector.h"

namespace switchboard::connectors::email {
namespace {

const std::chrono::system_clock::time_point kNow =
    std::chrono::system_clock::time_point(std::chrono::seconds(1714564800));

// A paragraph of a customer's reply, with non-ASCII letters, so that quoted-printable has work.
constexpr std::string_view kParagraph =
    "Olá, the replacement arrived today but it is the wrong size (M instead of L). "
    "Could you send an L? I'd also like to know whether the return label covers both parcels, "
    "since the first one is still at the depot in München — thanks!";

// Quoted-printable, 76-column lines with soft breaks (RFC 2045 6.7).
std::string quotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t column = 0;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\r\n";
      column = 0;
      continue;
    }
    std::string token;
    if ((byte >= 33 && byte <= 126 && c != '=') || c == ' ') {
      token = std::string(1, c);
    } else {
      token = {'=', kHex[byte >> 4], kHex[byte & 15]};
    }
    if (column + token.size() > 75) {
      out += "=\r\n";
      column = 0;
    }
    out += token;
    column += token.size();
  }
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t line = 0;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
    if (++line == 19) {  // 76 characters
      out += "\r\n";
      line = 0;
    }
  }
  return out + "\r\n";
}

std::string headers(std::string_view content_type) {
  std::string h =
      "Return-Path: <ana.lima@example.org>\r\n"
      "Received: from mail-wr1-f41.google.com (mail-wr1-f41.google.com [209.85.221.41])\r\n"
      "\tby mx.example.com (Postfix) with ESMTPS id 4VZ1Q2abcdz9sSK\r\n"
      "\tfor <support@example.com>; Tue,  7 May 2024 07:15:44 +0000 (UTC)\r\n"
      "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=20230601;\r\n"
      "\th=to:subject:message-id:date:from:in-reply-to:references:mime-version;\r\n"
      "\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
      "\tb=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSwganVzdCBhIHJlYWxpc3RpYyBsZW5ndGg=\r\n"
      "MIME-Version: 1.0\r\n"
      "References: <CAF=root-1@mail.gmail.com> <reply-2@example.com>\r\n"
      "In-Reply-To: <reply-2@example.com>\r\n"
      "From: \"Ana Lima\" <Ana.Lima@Example.ORG>\r\n"
      "Date: Tue, 7 May 2024 09:15:42 +0200\r\n"
      "Message-ID: <CAF+gmail-3@mail.gmail.com>\r\n"
      "Subject: =?UTF-8?Q?Re:_Troca_do_pedido_=E2=80=94_tamanho_errado?=\r\n"
      "To: Switchboard Support <support@example.com>\r\n"
      "Content-Type: ";
  h += content_type;
  h += "\r\n\r\n";
  return h;
}

std::string replyText(int paragraphs) {
  std::string text = "Hi team,\n\n";
  for (int i = 0; i < paragraphs; ++i) {
    text += kParagraph;
    text += "\n\n";
  }
  text +=
      "Ana\n\nOn Mon, May 6, 2024 at 10:00 AM Switchboard Support <support@example.com> "
      "wrote:\n\n";
  for (int i = 0; i < paragraphs; ++i) {
    text += "> We shipped a replacement today; tracking follows in a separate message.\n>\n";
  }
  return text;
}

std::string replyHtml(int paragraphs) {
  std::string html = "<div dir=\"ltr\"><div>Hi team,</div><div><br></div>";
  for (int i = 0; i < paragraphs; ++i) {
    html += "<div style=\"font-family:arial,sans-serif\">";
    html += kParagraph;
    html += "</div><div><br></div>";
  }
  html +=
      "<div>Ana</div></div><br><div class=\"gmail_quote\"><div dir=\"ltr\" "
      "class=\"gmail_attr\">On Mon, May 6, 2024 at 10:00 AM Switchboard Support &lt;<a "
      "href=\"mailto:support@example.com\">support@example.com</a>&gt; wrote:<br></div>"
      "<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;border-left:1px "
      "solid rgb(204,204,204);padding-left:1ex\">";
  for (int i = 0; i < paragraphs; ++i) {
    html += "<div>We shipped a replacement today; tracking follows in a separate message.</div>";
  }
  html += "</blockquote></div>\n";
  return html;
}

std::string mixed20k() {
  std::string pdf = "%PDF-1.4\n";
  while (pdf.size() < 1500) pdf += "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n";
  std::string m = headers("multipart/mixed; boundary=\"000000000000mixed\"");
  m += "--000000000000mixed\r\nContent-Type: multipart/alternative; "
       "boundary=\"000000000000alt\"\r\n\r\n";
  m += "--000000000000alt\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n"
       "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  m += quotedPrintable(replyText(24));
  m += "\r\n--000000000000alt\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n"
       "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  m += quotedPrintable(replyHtml(24));
  m += "\r\n--000000000000alt--\r\n\r\n--000000000000mixed\r\n"
       "Content-Type: application/pdf; name=\"label.pdf\"\r\n"
       "Content-Disposition: attachment; filename=\"label.pdf\"\r\n"
       "Content-Transfer-Encoding: base64\r\n\r\n";
  m += base64(pdf);
  m += "--000000000000mixed--\r\n";
  return m;
}

std::string htmlOnly20k() {
  std::string m = headers(
      "text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: "
      "quoted-printable");
  m += quotedPrintable(replyHtml(44));
  return m;
}

std::string plain2k() {
  std::string m = headers(
      "text/plain; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: "
      "quoted-printable");
  m += quotedPrintable(replyText(2));
  return m;
}

http::Request smtpRequest(std::string body) {
  http::Request request;
  request.method = "POST";
  request.target = "/smtp";
  request.path = "/smtp";
  request.headers = {{"X-Smtp-Mail-From", "ana.lima@example.org"},
                     {"X-Smtp-Rcpt-To", "support@example.com"},
                     {"X-Smtp-Protocol", "smtp"}};
  request.body = std::move(body);
  request.remote_address = "209.85.221.41";
  return request;
}

void BM_NormalizeEmail(benchmark::State& state, std::string (*build)()) {
  const SmtpEmailConnector connector;
  const http::Request request = smtpRequest(build());
  ConnectorResult<NormalizedBatch> first = connector.normalize(request, kNow);
  if (!first.has_value() || first->messages.size() != 1) {
    std::fprintf(stderr, "email_normalize_benchmark: refused: %s\n",
                 first.has_value() ? "no message" : first.error().detail().c_str());
    std::abort();
  }
  const v1::InboundMessage& m = first->messages.front();
  const uint64_t start = bench::allocationCount();
  for (auto _ : state) {
    ConnectorResult<NormalizedBatch> result = connector.normalize(request, kNow);
    benchmark::DoNotOptimize(result);
  }
  state.counters["allocs_per_iter"] = benchmark::Counter(
      static_cast<double>(bench::allocationCount() - start), benchmark::Counter::kAvgIterations);
  state.counters["message_bytes"] = static_cast<double>(request.body.size());
  state.counters["text_chars"] = static_cast<double>(m.text().size());
  state.counters["attachments"] = m.attachments_size();
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(request.body.size()));
}
BENCHMARK_CAPTURE(BM_NormalizeEmail, mixed_20k, &mixed20k);
BENCHMARK_CAPTURE(BM_NormalizeEmail, html_only_20k, &htmlOnly20k);
BENCHMARK_CAPTURE(BM_NormalizeEmail, plain_2k, &plain2k);

void BM_GMimeParseFree(benchmark::State& state, std::string (*build)()) {
  const std::string raw = build();
  for (auto _ : state) {
    if (!parseAndFreeWithGMime(raw)) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_GMimeParseFree, mixed_20k, &mixed20k);
BENCHMARK_CAPTURE(BM_GMimeParseFree, plain_2k, &plain2k);

}  // namespace
}  // namespace switchboard::connectors::email
