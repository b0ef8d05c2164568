// WorkItemAttributes: what a filter expression sees of a WorkItem, read straight from the
// proto without copying. Names:
//   channel      "chat", "email", ... (channel_names.h); absent when unspecified
//   tier         the customer's CRM tier ("vip"); absent when empty
//   language     the work item's language, else the message's; absent when both are empty
//   customer_id, conversation_id, provider ("webchat", "twilio", ...), each absent when empty
//   any other    the inbound message's provider extras (InboundMessage.attributes)
// The first six names always mean the fields above, whatever the extras hold.
// Lifecycle: a view; the WorkItem must outlive it. Any thread that may read the WorkItem.
#pragma once

#include <optional>
#include <string_view>

#include "router/policy/filter.h"
#include "switchboard/v1/work_item.pb.h"

namespace switchboard::policy {

class WorkItemAttributes final : public Attributes {
 public:
  explicit WorkItemAttributes(const v1::WorkItem& item) : item_(item) {}
  std::optional<std::string_view> find(std::string_view name) const override;

 private:
  const v1::WorkItem& item_;
};

}  // namespace switchboard::policy
