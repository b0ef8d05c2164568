// The one visible list of connectors. Adding a channel: a folder under connectors/, its
// settings struct here, one line in registerAllConnectors(), tests.
#pragma once

#include "connectors/chat/chat_connector.h"
#include "connectors/connector_registry.h"
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
};

// Registers every enabled connector. Fails (kConfig) on a duplicate name or route.
Status registerAllConnectors(ConnectorRegistry& registry, const ConnectorSettings& settings);

}  // namespace switchboard::connectors
