// The one visible list of connectors. Adding a channel: a folder under connectors/, its
// settings struct here, one line in registerAllConnectors(), tests.
#pragma once

#include "connectors/chat/chat_connector.h"
#include "connectors/connector_registry.h"
#include "connectors/email/mailgun_connector.h"
#include "connectors/email/raw_email_connector.h"
#include "connectors/email/sendgrid_connector.h"
#include "connectors/email/smtp_email_connector.h"
#include "connectors/meta/meta_connector.h"
#include "connectors/sms/sms_connector.h"
#include "connectors/telegram/telegram_connector.h"
#include "connectors/x/x_connector.h"
#include "core/result.h"

namespace switchboard::connectors {

// A connector whose secret is not configured stays off (its routes answer 404).
struct ConnectorSettings {
  chat::ChatSettings chat;
  sms::SmsSettings sms;
  meta::MetaSettings meta;
  telegram::TelegramSettings telegram;
  x::XSettings x;
  email::RawEmailSettings email;     // POST /v1/email/raw, on when its inbound token is set
  email::SmtpEmailSettings smtp;     // the SMTP/LMTP front end's connector, always on
  email::SendGridSettings sendgrid;  // SendGrid Inbound Parse, on with its Basic credentials
  email::MailgunSettings mailgun;    // Mailgun routes, on with its signing key
};

// Registers every enabled connector. Fails (kConfig) on a duplicate name or route.
Status registerAllConnectors(ConnectorRegistry& registry, const ConnectorSettings& settings);

}  // namespace switchboard::connectors
