#include "connectors/register_all.h"

namespace switchboard::connectors {

Status registerAllConnectors(ConnectorRegistry& registry, const ConnectorSettings& settings) {
  SB_RETURN_IF_ERROR(chat::registerChatConnector(registry, settings.chat));
  SB_RETURN_IF_ERROR(sms::registerSmsConnector(registry, settings.sms));
  SB_RETURN_IF_ERROR(meta::registerMetaConnector(registry, settings.meta));
  SB_RETURN_IF_ERROR(telegram::registerTelegramConnector(registry, settings.telegram));
  SB_RETURN_IF_ERROR(x::registerXConnector(registry, settings.x));
  SB_RETURN_IF_ERROR(email::registerRawEmailConnector(registry, settings.email));
  SB_RETURN_IF_ERROR(email::registerSmtpEmailConnector(registry, settings.smtp));
  SB_RETURN_IF_ERROR(email::registerSendGridConnector(registry, settings.sendgrid));
  SB_RETURN_IF_ERROR(email::registerMailgunConnector(registry, settings.mailgun));
  return okStatus();
}

}  // namespace switchboard::connectors
